"""The report's figures: matplotlib (Agg) rendered to inline SVG, byte-for-byte deterministic.

Determinism: a fixed `svg.hashsalt` per figure (so the ids of clip paths and markers are
content hashes, and different figures in one page never share an id), no date metadata,
text kept as `<text>` (`svg.fonttype = none`: smaller, selectable, no glyph ids), and the
structural ids matplotlib writes on every group dropped unless referenced. Text from the
store (circuit names, labels) goes through matplotlib's XML escaping, with mathtext off
so a `$` in a name stays a `$`.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import fmt
from .analysis import (
    PHASE_COLOURS,
    PHASES,
    THEORY_KINDS,
    Panel,
    colours,
    error_model,
    panels,
    reference_points,
    strategy_labels,
    theory_kind,
    value,
    varying_dims,
)
from .data import BASELINE, Dataset, PointRecord, interval, number

ERROR_FLOOR = 1e-6  # absolute errors below this are numerically zero: drawn at it on log axes
MAX_SCATTER = 600  # points per scatter figure; more are thinned evenly (and the caption says so)

RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.labelsize": 8.5,
    "axes.labelcolor": "#333333",
    "axes.edgecolor": "#999999",
    "axes.linewidth": 0.7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.6,
    "xtick.color": "#555555",
    "ytick.color": "#555555",
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "lines.linewidth": 1.5,
    "lines.markersize": 4.5,
    "errorbar.capsize": 2.5,
    "figure.facecolor": "white",
    "path.simplify": True,
}

UNITS = {
    "noise_level": "noise level p\u2082 (2-qubit depolarizing)",
    "depth": "depth (the family's layer parameter)",
    "n_qubits": "width (qubits)",
}
M_LABEL = "equal-precision shot multiplier M (\u00d7)"


@dataclass(frozen=True)
class Figure:
    key: str  # the anchor in the page
    title: str
    caption: str  # one line: what to read from it
    svg: str | None  # inline <svg> markup, or None when there is nothing to draw
    note: str | None = None  # why there is no figure, or what was left out
    notes: tuple[str, ...] = ()  # findings read off the figure (crossovers), as text


# ---------------------------------------------------------------- SVG output

_ID = re.compile(r' id="([^"]*)"')
_REF = re.compile(r'(?:href="#|url\(#)([^")]+)')


def to_svg(fig: Any, key: str, title: str) -> str:
    """The figure as an `<svg>` element to inline in HTML (deterministic bytes)."""
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    with _rc({"svg.hashsalt": f"mitprof-{key}", "svg.id": f"svg-{key}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None,
                                                  "Format": None, "Type": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    used = set(_REF.findall(text))
    text = _ID.sub(lambda m: m.group(0) if m.group(1) in used or m.group(1).startswith("svg-")
                   else "", text)
    m = re.match(r'<svg([^>]*?) width="([\d.]+)pt" height="([\d.]+)pt"', text)
    if m:
        width_px = round(float(m.group(2)) * 4 / 3)
        text = text.replace(m.group(0), f'<svg{m.group(1)} role="img" aria-label='
                            f'"{_attr(title)}" style="max-width: {width_px}px"', 1)
    return text.strip() + "\n"


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def _rc(extra: Mapping[str, Any] | None = None) -> Any:
    import matplotlib

    params: Any = {**RC, **(extra or {})}
    return matplotlib.rc_context(params)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


PANEL_WIDTH = {1: 6.4, 2: 5.1, 3: 3.6}  # inches: about 1,000 px of page for any layout


def _grid(n: int, width: float | None = None, height: float = 3.1) -> Any:
    plt = _pyplot()
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    w = width or PANEL_WIDTH[ncols]
    with _rc():
        fig, axes = plt.subplots(nrows, ncols, figsize=(w * ncols, height * nrows + 0.6),
                                 squeeze=False, layout="constrained")
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _legend(fig: Any, handles: list[Any], ncols: int | None = None) -> None:
    """A legend under the panels, as many columns as the longest label lets fit."""
    if not handles:
        return
    if ncols is None:
        longest = max(len(h.get_label()) for h in handles)
        per = 0.062 * longest + 0.75  # inches per column at the legend's font size
        ncols = max(1, min(len(handles), int(fig.get_figwidth() / per)))
    fig.legend(handles=handles, loc="outside lower center", ncols=ncols, handlelength=2.2,
               columnspacing=1.4)


def _ylabel(ax: Any, text: str) -> None:
    """Y labels on the first column only: panels in a row share the quantity."""
    if ax.get_subplotspec().is_first_col():
        ax.set_ylabel(text)


def _xaxis(ax: Any, dim: str, xs: Sequence[float]) -> None:
    from matplotlib.ticker import FixedLocator, NullLocator

    ax.set_xlabel(UNITS[dim])
    values = sorted({float(x) for x in xs})
    if dim == "noise_level" and values and values[0] > 0 and values[-1] / values[0] >= 3:
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_locator(FixedLocator(values))
    # every value keeps its tick; at most 6 are labelled, counted from the last
    labelled = set(range(len(values) - 1, -1, -math.ceil(len(values) / 6)))
    ax.set_xticklabels([f"{v:g}" if i in labelled else "" for i, v in enumerate(values)])
    if len(values) > 1:
        lo, hi = values[0], values[-1]
        if ax.get_xscale() == "log":
            pad = (hi / lo) ** 0.06
            ax.set_xlim(lo / pad, hi * pad)
        else:
            pad = (hi - lo) * 0.06
            ax.set_xlim(lo - pad, hi + pad)


def _log_y(ax: Any) -> None:
    from matplotlib.ticker import NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(_log_locator())
    ax.yaxis.set_minor_locator(NullLocator())  # minor ticks: clutter, and slow to lay out
    ax.yaxis.set_major_formatter(_log_formatter())


def _log_x(ax: Any) -> None:
    from matplotlib.ticker import NullLocator

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(_log_locator())
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(_log_formatter())


def _log_locator() -> Any:
    """Powers of ten (every k-th over many decades); 1-2-5 steps within two decades."""
    from matplotlib.ticker import Locator

    class LogTicks(Locator):  # type: ignore[misc]
        def __call__(self) -> Any:
            axis: Any = self.axis
            lo, hi = axis.get_view_interval()
            return self.tick_values(lo, hi)

        def tick_values(self, vmin: float, vmax: float) -> Any:
            lo, hi = sorted((vmin, vmax))
            if hi <= 0:
                return []
            lo = lo if lo > 0 else hi / 1e3
            d0, d1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
            if d1 - d0 <= 2:
                ticks = [m * 10.0**d for d in range(d0, d1 + 1) for m in (1, 2, 5)]
            else:
                stride = max(1, math.ceil((d1 - d0) / 6))
                ticks = [10.0**d for d in range(d0 - d0 % stride, d1 + 1, stride)]
            inside = [t for t in ticks if lo * 0.999 <= t <= hi * 1.001]
            return inside if len(inside) >= 2 else ticks

    return LogTicks()


def _log_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    def tick(v: float, _pos: Any) -> str:
        if v <= 0:
            return ""
        exp = math.log10(v)
        if (v >= 1e4 or v < 1e-3) and abs(exp - round(exp)) < 1e-9:
            return "10" + str(round(exp)).translate(fmt._SUP)
        return fmt.num(v, 2)

    return FuncFormatter(tick)


def _handles(labels: Sequence[str], col: Mapping[str, str], marker: str = "o") -> list[Any]:
    from matplotlib.lines import Line2D

    return [Line2D([], [], color=col[lb], marker=marker, label=lb) for lb in labels]


def _style(label: str, **kw: Any) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([], [], label=label, **kw)


def _share_y(axes: Sequence[Any]) -> None:
    """One y range for panels whose values are compared across them."""
    if len(axes) < 2:
        return
    lims = [ax.get_ylim() for ax in axes]
    low, high = min(lo for lo, _ in lims), max(hi for _, hi in lims)
    for ax in axes:
        ax.set_ylim(low, high)


def _empty(key: str, title: str, caption: str, note: str) -> Figure:
    return Figure(key, title, caption, None, note)


def _omitted(omitted: Sequence[str]) -> str | None:
    return (f"{len(omitted)} more circuit{'s' * (len(omitted) != 1)} not drawn: "
            f"{', '.join(omitted)}." if omitted else None)


# ---------------------------------------------------------------- 2, 3: M vs noise / depth / width


def multiplier(ds: Dataset, x_dim: str) -> Figure:
    what = {"noise_level": "noise level", "depth": "depth", "n_qubits": "width"}[x_dim]
    key = "multiplier-" + {"noise_level": "noise", "depth": "depth", "n_qubits": "width"}[x_dim]
    title = f"Equal-precision shot multiplier vs {what}"
    caption = (f"Read: how many times the unmitigated shots each strategy needs for the same "
               f"standard error, as the {what} grows. Markers: measured, with 95% bootstrap "
               "intervals; dashed: closed-form theory of the same colour (hollow markers: "
               "the theory is only an upper bound or an approximation).")
    ps, omitted = panels(ds, x_dim)
    labels = [lb for lb in strategy_labels(ds) if lb != BASELINE]
    ps = [p for p in ps if any(interval(r.get("variance_multiplier"))
                               for pt in p.points for r in pt.results)]
    if not ps:
        why = (f"No circuit was run at two or more {what}s with the statistics pass on."
               if labels else "No finished points.")
        return _empty(key, title, caption, why)
    col = colours(strategy_labels(ds))
    fig, axes = _grid(len(ps))
    varying = varying_dims(ds)
    with _rc():
        for ax, panel in zip(axes, ps, strict=True):
            for lb in labels:
                _multiplier_series(ax, panel, lb, col[lb])
            ax.axhline(1.0, color="#999999", lw=0.9, ls=":", zorder=0)
            _log_y(ax)
            _xaxis(ax, x_dim, panel.xs)
            _ylabel(ax, M_LABEL)
            ax.set_title(panel.title(varying), loc="left")
        _share_y(axes)
        handles = _handles(labels, col) + [_style("theory", color="#666666", ls="--")]
        handles += _kind_handles(ds, ls="--")
        handles.append(_style("unmitigated = 1\u00d7", color="#999999", ls=":"))
        _legend(fig, handles)
    return Figure(key, title, caption, to_svg(fig, key, title), _omitted(omitted))


def _kinds(ds: Dataset) -> list[str]:
    """The kinds of inexact theory values present (see analysis.THEORY_KINDS)."""
    found = {theory_kind(r) for p in ds.done for r in p.results
             if value(r, "theory_multiplier") is not None}
    return [k for k in THEORY_KINDS if k in found]


def _kind_handles(ds: Dataset, ls: str = "none") -> list[Any]:
    return [_style(f"theory ({THEORY_KINDS[k][1]})", color="#666666", ls=ls,
                   marker=THEORY_KINDS[k][2], markerfacecolor="white") for k in _kinds(ds)]


def _multiplier_series(ax: Any, panel: Panel, label: str, colour: str) -> None:
    xs, ys, lo, hi, tx, ty = [], [], [], [], [], []
    marks: dict[str, tuple[list[Any], list[float]]] = {}
    for p, x in zip(panel.points, panel.xs, strict=True):
        r = p.result(label)
        if r is None:
            continue
        iv = interval(r.get("variance_multiplier"))
        if iv and iv[0] > 0:
            xs.append(x)
            ys.append(iv[0])
            lo.append(max(iv[0] - iv[1], 0.0))
            hi.append(max(iv[2] - iv[0], 0.0))
        t = value(r, "theory_multiplier")
        if t is not None and t > 0:
            tx.append(x)
            ty.append(t)
            kind = theory_kind(r)
            if kind:
                marks.setdefault(kind, ([], []))[0].append(x)
                marks[kind][1].append(t)
    if xs:
        ax.errorbar(xs, ys, yerr=[lo, hi], color=colour, marker="o", lw=1.4, elinewidth=1.0)
    if tx:
        ax.plot(tx, ty, color=colour, ls="--", lw=1.1)
    for kind, (mx, my) in marks.items():
        ax.plot(mx, my, ls="none", marker=THEORY_KINDS[kind][2], color=colour,
                markerfacecolor="white")


# ---------------------------------------------------------------- 4: phases


def phases(ds: Dataset) -> Figure:
    from .tables import median, phase_medians

    key, title = "phases", "Where the wall-clock time goes"
    caption = ("Read: the time of one estimate on this machine, split into Mitiq's construct "
               "and combine, translation (compile), simulation (execute) and calibration; the "
               "grey bar is the exact classical computation of the same number. Medians over "
               "the finished points.")
    rows = phase_medians(ds)
    if not rows:
        return _empty(key, title, caption, "No finished points.")
    classical = median([number(p.doc.get("classical_seconds")) for p in ds.done])
    methods = sorted({str(p.doc.get("classical_method")) for p in ds.done
                      if p.doc.get("classical_method")})
    multi = len({r["backend"] for r in rows}) > 1
    names = [f"{r['strategy']} \u00b7 {r['backend']}" if multi else r["strategy"] for r in rows]
    plt = _pyplot()
    n = len(rows) + (classical is not None)
    with _rc():
        fig, ax = plt.subplots(figsize=(7.6, 0.32 * n + 1.35), layout="constrained")
        ys = list(range(n))[::-1]
        totals = []
        for y, r in zip(ys, rows, strict=False):
            left = 0.0
            for ph in PHASES:
                w = r["phases"].get(ph) or 0.0
                if w > 0:
                    ax.barh(y, w, left=left, color=PHASE_COLOURS[ph], height=0.62,
                            edgecolor="white", linewidth=0.4)
                left += w
            totals.append((y, left))
        labels_y = names[:]
        if classical is not None:
            ax.barh(ys[-1], classical, color="#9a9a9a", height=0.62)
            totals.append((ys[-1], classical))
            labels_y.append(f"classical exact ({', '.join(methods) or '?'})")
        top = max((t for _, t in totals), default=1.0) or 1.0
        for y, t in totals:
            ax.text(t + top * 0.01, y, fmt.seconds(t), va="center", fontsize=7, color="#333333")
        ax.set_yticks(ys[:len(labels_y)])
        ax.set_yticklabels(labels_y)
        ax.set_xlim(0, top * 1.14)
        ax.set_xlabel("seconds per estimate (median over points)")
        ax.grid(axis="y", visible=False)
        from matplotlib.patches import Patch

        used = [ph for ph in PHASES if any((r["phases"].get(ph) or 0) > 0 for r in rows)]
        handles = [Patch(color=PHASE_COLOURS[ph], label=ph) for ph in used]
        if classical is not None:
            handles.append(Patch(color="#9a9a9a", label="classical exact"))
        _legend(fig, handles, ncols=len(handles))
    return Figure(key, title, caption, to_svg(fig, key, title))


# ---------------------------------------------------------------- 5: accuracy


def _abs_interval(b: tuple[float, float, float]) -> tuple[float, float, float]:
    est, lo, hi = b
    a = abs(est)
    if lo <= 0 <= hi:
        return a, 0.0, max(abs(lo), abs(hi))
    return a, min(abs(lo), abs(hi)), max(abs(lo), abs(hi))


def error_vs_depth(ds: Dataset) -> Figure:
    key, title = "error-depth", "Accuracy vs depth"
    caption = ("Read: solid lines are the systematic error |mean estimate \u2212 ideal| with its "
               "95% interval (what mitigation removes); dotted lines the RMSE of one estimate "
               "at the run's shots (what one run gets). Bars reaching the bottom include zero.")
    ps, omitted = panels(ds, "depth")
    if not ps:
        return _empty(key, title, caption, "No circuit was run at two or more depths.")
    labels = strategy_labels(ds)
    col = colours(labels)
    fig, axes = _grid(len(ps))
    varying = varying_dims(ds)
    with _rc():
        for ax, panel in zip(axes, ps, strict=True):
            series: dict[str, dict[str, list[Any]]] = {}
            positives: list[float] = []
            for lb in labels:
                s: dict[str, list[Any]] = {k: [] for k in ("x", "b", "lo", "hi", "rx", "r")}
                for p, x in zip(panel.points, panel.xs, strict=True):
                    r = p.result(lb)
                    if r is None:
                        continue
                    b = interval(r.get("bias"))
                    if b is not None:
                        a, lo, hi = _abs_interval(b)
                        s["x"].append(x)
                        s["b"].append(a)
                        s["lo"].append(lo)
                        s["hi"].append(hi)
                        positives += [v for v in (a, lo, hi) if v > 0]
                    rm = value(r, "rmse") if value(r, "rmse") is not None else value(r,
                                                                                    "abs_error")
                    if rm is not None and rm > 0:
                        s["rx"].append(x)
                        s["r"].append(rm)
                        positives.append(rm)
                series[lb] = s
            floor = min(positives) / 3 if positives else 1e-3
            for lb, s in series.items():
                if s["x"]:
                    ys = [max(v, floor) for v in s["b"]]
                    low = [y - max(lo, floor) for y, lo in zip(ys, s["lo"], strict=True)]
                    high = [max(hi, floor) - y for y, hi in zip(ys, s["hi"], strict=True)]
                    ax.errorbar(s["x"], ys, yerr=[[max(v, 0) for v in low],
                                                  [max(v, 0) for v in high]],
                                color=col[lb], marker="o", lw=1.4, elinewidth=1.0)
                if s["rx"]:
                    ax.plot(s["rx"], s["r"], color=col[lb], ls=":", lw=1.2)
            _log_y(ax)
            ax.set_ylim(bottom=floor)
            _xaxis(ax, "depth", panel.xs)
            _ylabel(ax, "absolute error (observable units)")
            ax.set_title(panel.title(varying), loc="left")
        _share_y(axes)
        handles = _handles(labels, col) + [
            _style("systematic |bias| (95% CI)", color="#666666", marker="o"),
            _style("RMSE of one estimate", color="#666666", ls=":")]
        _legend(fig, handles)
    note = _omitted(omitted)
    return Figure(key, title, caption, to_svg(fig, key, title), note)


def frontier(ds: Dataset) -> Figure:
    key, title = "frontier", "Cost-accuracy frontier: error vs total shots"
    caption = ("Read: the error one estimate reaches for a total shot budget N, "
               "RMSE(N) = \u221a(bias\u00b2 + \u03c3\u00b2/N) from the trials; \u25cf is the "
               "measured run, \u25c7 the break-even budget where a strategy's curve drops below "
               "the unmitigated one; a shaded band, from the measured run on, is the bias floor no "
               "budget gets below, with its 95% interval (a bias whose interval includes zero "
               "is drawn as zero). "
               "Panels share the y scale. Lower-left is better.")
    labels = strategy_labels(ds)
    refs = [p for p in reference_points(ds, 4)
            if any(error_model(p.result(lb)) for lb in labels)]
    if not refs:
        return _scatter_frontier(ds, key, title)
    import numpy as np

    col = colours(labels)
    fig, axes = _grid(len(refs))
    varying = varying_dims(ds)
    with _rc():
        for ax, p in zip(axes, refs, strict=True):
            models = {lb: m for lb in labels if (m := error_model(p.result(lb))) is not None}
            ns = [m[2] for m in models.values()]
            grid = np.logspace(math.log10(min(ns) / 10), math.log10(max(ns) * 1e3), 80)
            for lb, (b2, s2, n) in models.items():
                bias = interval((p.result(lb) or {}).get("bias"))
                if b2 > 0 and bias is not None:  # the floor with its 95% interval, where
                    _, lo, hi = _abs_interval(bias)  # budgets beyond the run approach it
                    right = grid[grid >= n]
                    ax.fill_between(right, lo, hi, color=col[lb], alpha=0.12, lw=0)
                ax.plot(grid, np.sqrt(b2 + s2 / grid), color=col[lb], lw=1.3)
                ax.plot([n], [math.sqrt(b2 + s2 / n)], "o", color=col[lb])
                be = number((p.result(lb) or {}).get("breakeven_shots"))
                if lb != BASELINE and be is not None and grid[0] <= be <= grid[-1]:
                    ax.plot([be], [math.sqrt(b2 + s2 / be)], "D", color=col[lb],
                            markerfacecolor="white", markersize=5)
            _log_x(ax)
            _log_y(ax)
            ax.set_xlabel("total shots per estimate N (calibration included)")
            _ylabel(ax, "RMSE of one estimate")
            ax.set_title(_point_title(p, varying), loc="left")
        _share_y(axes)
        from matplotlib.patches import Patch

        handles = _handles(labels, col, marker="") + [
            _style("measured run", color="#666666", marker="o", ls="none"),
            _style("break-even", color="#666666", marker="D", ls="none",
                   markerfacecolor="white"),
            Patch(color="#666666", alpha=0.12, label="bias floor (95% CI)")]
        _legend(fig, handles)
    return Figure(key, title, caption, to_svg(fig, key, title))


def _point_title(p: PointRecord, varying: Sequence[str]) -> str:
    bits = []
    if p.n_qubits is not None:
        bits.append(f"n={p.n_qubits}")
    if p.depth is not None:
        bits.append(f"depth {p.depth}")
    if p.noise_level is not None:
        bits.append(f"p\u2082={p.noise_level:g}")
    if "backend" in varying:
        bits.append(p.backend)
    if "shots" in varying and p.shots:
        bits.append(f"{p.shots} shots")
    return p.facet + ("\n" + ", ".join(bits) if bits else "")


def _scatter_frontier(ds: Dataset, key: str, title: str) -> Figure:
    """Without a statistics pass: each run's absolute error against its total shots."""
    caption = ("Read: each marker is one run's absolute error against the total shots it "
               "executed (no statistics pass, so no error model); lower-left is better.")
    labels = strategy_labels(ds)
    col = colours(labels)
    pts: list[tuple[str, float, float]] = [
        (lb, n, e) for p in ds.done for lb in labels
        if (n := value(p.result(lb), "total_shots")) and (e := value(p.result(lb),
                                                                     "abs_error")) is not None]
    if not pts:
        return _empty(key, title, caption, "No finished points with an error to show.")
    if any(e < ERROR_FLOOR for _, _, e in pts):
        caption += f" Errors below {fmt.num(ERROR_FLOOR)} are drawn at {fmt.num(ERROR_FLOOR)}."
        pts = [(lb, n, max(e, ERROR_FLOOR)) for lb, n, e in pts]
    pts, thinned = _thin(pts)
    fig, axes = _grid(1, height=3.6)
    ax = axes[0]
    with _rc():
        for lb in labels:
            xs = [n for b, n, _ in pts if b == lb]
            ys = [e for b, _, e in pts if b == lb]
            if xs:
                ax.plot(xs, ys, "o", color=col[lb], alpha=0.75, markersize=3.5)
        _log_x(ax)
        _log_y(ax)
        ax.margins(0.08)
        ax.set_xlabel("total shots per estimate (calibration included)")
        ax.set_ylabel("absolute error (observable units)")
        _legend(fig, _handles(labels, col))
    return Figure(key, title, caption + thinned, to_svg(fig, key, title))


def _thin(items: list[Any], limit: int = MAX_SCATTER) -> tuple[list[Any], str]:
    if len(items) <= limit:
        return items, ""
    step = len(items) / limit
    kept = [items[int(i * step)] for i in range(limit)]
    return kept, f" Showing {limit} of {len(items)} markers, evenly spaced in point order."


# ---------------------------------------------------------------- 6: theory scatter


def theory_scatter(ds: Dataset) -> Figure:
    key, title = "theory", "Measured vs theoretical multiplier"
    caption = ("Read: markers on the dashed y = x line agree with the closed-form theory; "
               "hollow \u25bd marks a theory that only bounds M from above (those markers "
               "should sit on or below the line), hollow \u25c7 an approximate one. Bars: 95% "
               "bootstrap intervals.")
    labels = [lb for lb in strategy_labels(ds) if lb != BASELINE]
    col = colours(strategy_labels(ds))
    items = []
    for p in ds.done:
        for lb in labels:
            r = p.result(lb)
            iv = interval(r.get("variance_multiplier")) if r else None
            t = value(r, "theory_multiplier")
            if iv and t and t > 0 and iv[0] > 0:
                items.append((lb, t, iv, theory_kind(r)))
    if not items:
        return _empty(key, title, caption, "No point has both a measured multiplier and a "
                      "theory value (the statistics pass was off, or no closed form applies).")
    items, thinned = _thin(items)
    fig, axes = _grid(1, height=4.6)
    ax = axes[0]
    with _rc():
        ax.set_box_aspect(1)
        vals = [v for _, t, iv, _ in items for v in (t, iv[1] if iv[1] > 0 else iv[0], iv[2])]
        lo, hi = min(vals) / 1.5, max(vals) * 1.5
        ax.plot([lo, hi], [lo, hi], color="#888888", ls="--", lw=1.0, zorder=0)
        for lb in labels:
            for kind in (None, *THEORY_KINDS):
                sel = [(t, iv) for b, t, iv, k in items if b == lb and k == kind]
                if not sel:
                    continue
                marker = THEORY_KINDS[kind][2] if kind else "o"
                ax.errorbar([t for t, _ in sel], [iv[0] for _, iv in sel],
                            yerr=[[max(iv[0] - iv[1], 0) if iv[1] > 0 else 0 for _, iv in sel],
                                  [max(iv[2] - iv[0], 0) for _, iv in sel]],
                            ls="none", marker=marker, color=col[lb],
                            markerfacecolor="white" if kind else col[lb], elinewidth=0.8,
                            alpha=0.85)
        _log_x(ax)
        _log_y(ax)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_xlabel("theory M (closed form, \u00d7)")
        ax.set_ylabel("measured M (\u00d7, 95% CI)")
        handles = _handles(labels, col) + _kind_handles(ds) + [
            _style("y = x", color="#888888", ls="--")]
        _legend(fig, handles, ncols=2)
    return Figure(key, title, caption + thinned, to_svg(fig, key, title))


# ---------------------------------------------------------------- 7: QPU vs classical


def qpu_vs_classical(ds: Dataset) -> Figure:
    from ..stats import crossover

    key, title = "qpu", "Projected QPU time vs exact classical time"
    caption = ("Read: the projected hardware time of one estimate (time model below) against "
               "the exact classical computation of the same number on this machine; a "
               "crossover is the width beyond which the classical computation is slower.")
    if not any(value(r, "projected_qpu_seconds") for p in ds.done for r in p.results):
        return _empty(key, title, caption, "No hardware model in this sweep, so no projected "
                      "QPU time (set `hardware = \"ibm_heron\"` or another preset in [sweep]).")
    ps, omitted = panels(ds, "n_qubits")
    ps = [p for p in ps if any(value(r, "projected_qpu_seconds") for pt in p.points
                               for r in pt.results)]
    if not ps:
        return _empty(key, title, caption, "No circuit was run at two or more widths.")
    labels = strategy_labels(ds)
    col = colours(labels)
    fig, axes = _grid(len(ps))
    varying = varying_dims(ds)
    notes: list[str] = []
    with _rc():
        for ax, panel in zip(axes, ps, strict=True):
            cw = [(x, c) for p, x in zip(panel.points, panel.xs, strict=True)
                  if (c := number(p.doc.get("classical_seconds"))) and c > 0]
            found: list[tuple[str, float | None, str]] = []
            for lb in labels:
                qs = [(x, q, c) for p, x in zip(panel.points, panel.xs, strict=True)
                      if (q := value(p.result(lb), "projected_qpu_seconds")) and q > 0
                      and (c := number(p.doc.get("classical_seconds"))) and c > 0]
                if not qs:
                    continue
                ax.plot([x for x, _, _ in qs], [q for _, q, _ in qs], color=col[lb],
                        marker="o")
                if len(qs) >= 2:
                    w, how = crossover([int(x) for x, _, _ in qs], [q for _, q, _ in qs],
                                       [c for _, _, c in qs])
                    found.append((lb, w, how))
                    if w is not None and how.startswith("measured") \
                            and min(panel.xs) <= w <= max(panel.xs):
                        ax.axvline(w, color=col[lb], ls=(0, (1, 1.5)), lw=1.1)
            if found:
                notes.append(f"{panel.facet}: {_crossover_text(found, panel.xs)}")
            if cw:
                ax.plot([x for x, _ in cw], [c for _, c in cw], color="#555555", marker="s",
                        lw=1.6, ls="-.")
            _log_y(ax)
            ax.margins(y=0.08)
            _xaxis(ax, "n_qubits", panel.xs)
            _ylabel(ax, "seconds per estimate")
            ax.set_title(panel.title(varying), loc="left")
        handles = _handles(labels, col) + [
            _style("classical exact (this machine)", color="#555555", marker="s", ls="-."),
            _style("crossover", color="#666666", ls=(0, (1, 1.5)))]
        _legend(fig, handles)
    return Figure(key, title, caption, to_svg(fig, key, title), _omitted(omitted),
                  tuple(notes))


def _crossover_text(found: Sequence[tuple[str, float | None, str]], xs: Sequence[Any]) -> str:
    """What `mitprof.stats.crossover` found for each strategy of one panel, in one sentence."""
    lo, hi = min(xs), max(xs)
    inside = [(lb, w, how) for lb, w, how in found
              if w is not None and how.startswith("measured") and lo <= w <= hi]
    outside = [(lb, w, how) for lb, w, how in found if w is not None and (lb, w, how)
               not in inside]
    never = [(lb, how) for lb, w, how in found if w is None]
    parts = []
    if inside:
        parts.append("crossover at " + ", ".join(f"n \u2248 {w:.1f} ({lb})"
                                                 for lb, w, _ in inside))
    if outside:
        hows = sorted({how for _, _, how in outside})
        parts.append("no crossover in the widths run; " + " / ".join(hows) + ": "
                     + ", ".join(f"n \u2248 {fmt.num(w)} ({lb})" for lb, w, _ in outside))
    if never:
        hows = sorted({how.removeprefix("no crossover: ") for _, how in never})
        parts.append("no crossover for " + ", ".join(lb for lb, _ in never) + " ("
                     + "; ".join(hows) + ")")
    return "; ".join(parts) + "."


# ---------------------------------------------------------------- 8: Aer vs Cirq


def agreement(ds: Dataset) -> Figure:
    key, title = "agreement", "Qiskit Aer vs Cirq on the same points"
    caption = ("Read: each marker is one point and strategy run on both simulators with the "
               "same noisy circuits; markers on the dashed y = x line agree (left: "
               "equal-precision multiplier with 95% intervals; right: wall-clock time).")
    by_key: dict[tuple[Any, ...], dict[str, PointRecord]] = {}
    for p in ds.done:
        by_key.setdefault((p.circuit, p.noise_key, p.shots), {})[p.backend] = p
    pairs = [(d["aer"], d["cirq"]) for d in by_key.values() if "aer" in d and "cirq" in d]
    if not pairs:
        return _empty(key, title, caption, "Only one simulator ran: nothing to compare.")
    labels = strategy_labels(ds)
    col = colours(labels)
    m_items, w_items = [], []
    for pa, pc in pairs:
        for lb in labels:
            ra, rc = pa.result(lb), pc.result(lb)
            if ra is None or rc is None:
                continue
            ia = interval(ra.get("variance_multiplier"))
            ic = interval(rc.get("variance_multiplier"))
            if lb != BASELINE and ia and ic and ia[0] > 0 and ic[0] > 0:
                m_items.append((lb, ia, ic))
            wa, wc = value(ra, "wall_seconds"), value(rc, "wall_seconds")
            if wa and wc:
                w_items.append((lb, wa, wc))
    m_items, t1 = _thin(m_items)
    w_items, t2 = _thin(w_items)
    fig, axes = _grid(2, height=4.0)
    with _rc():
        for a in axes:
            a.set_box_aspect(1)
        ax = axes[0]
        if m_items:
            vals = [v for _, a, c in m_items for v in (a[0], c[0], a[2], c[2])
                    if v > 0] + [v for _, a, c in m_items for v in (a[1], c[1]) if v > 0]
            lo, hi = min(vals) / 1.5, max(vals) * 1.5
            ax.plot([lo, hi], [lo, hi], color="#888888", ls="--", lw=1.0, zorder=0)
            for lb in labels:
                sel = [(a, c) for b, a, c in m_items if b == lb]
                if sel:
                    ax.errorbar([a[0] for a, _ in sel], [c[0] for _, c in sel],
                                xerr=[[max(a[0] - a[1], 0) for a, _ in sel],
                                      [max(a[2] - a[0], 0) for a, _ in sel]],
                                yerr=[[max(c[0] - c[1], 0) for _, c in sel],
                                      [max(c[2] - c[0], 0) for _, c in sel]],
                                ls="none", marker="o", color=col[lb], elinewidth=0.7, alpha=0.85)
            _log_x(ax)
            _log_y(ax)
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
        else:
            ax.text(0.5, 0.5, "no multipliers on both", transform=ax.transAxes, ha="center")
        ax.set_xlabel("M on Qiskit Aer (\u00d7)")
        ax.set_ylabel("M on Cirq (\u00d7)")
        ax.set_title("equal-precision multiplier", loc="left")
        ax = axes[1]
        if w_items:
            vals = [v for _, a, c in w_items for v in (a, c)]
            lo, hi = min(vals) / 1.5, max(vals) * 1.5
            ax.plot([lo, hi], [lo, hi], color="#888888", ls="--", lw=1.0, zorder=0)
            for lb in labels:
                walls = [(a, c) for b, a, c in w_items if b == lb]
                if walls:
                    ax.plot([a for a, _ in walls], [c for _, c in walls], "o", color=col[lb],
                            alpha=0.85)
            _log_x(ax)
            _log_y(ax)
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
        ax.set_xlabel("wall-clock on Qiskit Aer (s)")
        ax.set_ylabel("wall-clock on Cirq (s)")
        ax.set_title("seconds per estimate", loc="left")
        _legend(fig, _handles(labels, col) + [_style("y = x", color="#888888", ls="--")])
    return Figure(key, title, caption + (t1 or t2), to_svg(fig, key, title))


# ---------------------------------------------------------------- all


def all_figures(ds: Dataset) -> dict[str, Figure]:
    makers: list[tuple[str, Callable[[], Figure]]] = [
        ("noise", lambda: multiplier(ds, "noise_level")),
        ("depth", lambda: multiplier(ds, "depth")),
        ("width", lambda: multiplier(ds, "n_qubits")),
        ("phases", lambda: phases(ds)),
        ("error_depth", lambda: error_vs_depth(ds)),
        ("frontier", lambda: frontier(ds)),
        ("theory", lambda: theory_scatter(ds)),
        ("qpu", lambda: qpu_vs_classical(ds)),
        ("agreement", lambda: agreement(ds)),
    ]
    figs = {name: make() for name, make in makers}
    if not ds.done:  # one reason for every empty figure, not each figure's own
        from dataclasses import replace

        figs = {name: replace(f, note="No finished points yet.") for name, f in figs.items()}
    return figs
