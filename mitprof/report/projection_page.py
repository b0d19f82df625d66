"""The projection page: per fitted group, M against width with its 95% prediction band,
the fitted points and the held-out measured points on it (offline HTML, inline SVG)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .figures import _grid, _log_x, _log_y, _rc, to_svg

if TYPE_CHECKING:
    from ..projection import Projection, Row


def band_figure(group: str, rows: list[Row], key: str, fit_max_width: int) -> str | None:
    """SVG of one group: bands per depth over every predicted width, measured points with
    their intervals (filled: fitted; open: held out; dashed line: the widest fitted)."""
    depths = sorted({r.depth for r in rows}, key=lambda d: -1 if d is None else d)
    if not any(r.predicted for r in rows):
        return None
    with _rc():
        fig, (ax,) = _grid(1, width=6.4, height=3.4)
        for i, d in enumerate(depths):
            colour = f"C{i}"
            mine = sorted((r for r in rows if r.depth == d), key=lambda r: r.width)
            pred = [r for r in mine if r.predicted is not None]
            by_width = {r.width: r.predicted for r in pred}
            ws = sorted(by_width)
            if ws:
                p = [by_width[w] for w in ws]
                assert all(v is not None for v in p)
                ax.fill_between(ws, [v[1] for v in p if v], [v[2] for v in p if v],
                                color=colour, alpha=0.2, linewidth=0)
                ax.plot(ws, [v[0] for v in p if v], color=colour, lw=1,
                        label=f"predicted{'' if d is None else f' (depth {d})'}")
            for role, face in (("fitted", colour), ("held-out", "white")):
                pts = [r for r in mine if r.role == role and r.measured is not None]
                if not pts:
                    continue
                m = [r.measured for r in pts if r.measured]
                ax.errorbar([r.width for r in pts], [v[0] for v in m],
                            yerr=[[v[0] - v[1] for v in m], [v[2] - v[0] for v in m]],
                            fmt="o", color=colour, mfc=face, ms=5, capsize=2,
                            label=f"{role} (measured)")
        ax.axvline(fit_max_width, color="#888888", lw=0.8, ls="--")  # fitted | held out
        _log_x(ax)
        _log_y(ax)
        ax.set_xlabel("width (qubits)")
        ax.set_ylabel("equal-precision multiplier M")
        ax.legend(fontsize=7)
        return to_svg(fig, key, group)


def render(proj: Projection, title: str) -> str:
    from .. import __version__
    from .templating import environment

    sections: list[dict[str, Any]] = []
    for i, (group, f) in enumerate(proj.fits.items()):
        rows = [r for r in proj.rows if r.group == group]
        sections.append({"group": group, "fit": f if isinstance(f, str) else f.to_dict(),
                         "svg": None if isinstance(f, str) else
                         band_figure(group, rows, f"projection-{i}", proj.fit_max_width),
                         "rows": [r.to_dict() for r in rows]})
    coverage = [{"technique": k, "overlapping": a, "held_out": b}
                for k, (a, b) in sorted(proj.coverage().items())]
    bias = [{"technique": k, "within": a, "held_out": b}
            for k, (a, b) in sorted(proj.bias_coverage().items())]
    return str(environment().get_template("projection.html").render(
        title=title, version=__version__, sections=sections, coverage=coverage, bias=bias,
        fit_max_width=proj.fit_max_width, notes=list(proj.notes)))
