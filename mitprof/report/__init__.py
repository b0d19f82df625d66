"""The HTML report: one offline file that answers "what does mitigation cost here?".

    render_report(DIR) -> str          # from DIR/results.sqlite (a finished or partial sweep)
    render_report([profile, ...])      # or from ProfileResult objects / their to_dict()
    write_report(DIR, output=None)     # writes DIR/report.html (atomically), returns its path

The page is self-contained: no scripts, no external styles, fonts or images (its
Content-Security-Policy forbids them); figures are inline SVG rendered deterministically,
so the same store gives the same bytes. Every string from the store is escaped by
Jinja2's autoescaping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..atomic import check_target, write_atomically
from .data import Dataset, load
from .templating import environment

__all__ = ["Dataset", "load", "render_report", "write_report"]

REPORT_NAME = "report.html"


def render_report(source: Any, *, title: str | None = None) -> str:
    """The report as one HTML document.

    `source`: a sweep directory (or its results.sqlite), a `Dataset`, or an iterable of
    `ProfileResult` objects or their `to_dict()` documents. `title` names the report
    (default: the sweep's name).
    """
    from .. import __version__
    from . import devices, figures, measured, projection_section, tables, versus_classical

    ds = load(source, name=title)
    name = title or ds.name
    figs = figures.all_figures(ds)
    fails, fails_more = tables.failures(ds)
    point_rows, points_more = tables.point_rows(ds)
    context = {
        "name": name,
        "version": __version__,
        "status": _status(ds),
        "scope": _scope(ds),
        "summary": tables.summary_lines(ds),
        "headline": tables.headline(ds),
        "checks": tables.checks(ds),
        "figures": figs,
        "agreement": tables.agreement(ds),
        "measured_rows": measured.rows(ds),
        "devices": devices.device_view(ds),
        "versus": versus_classical.rows(ds),
        "projection": projection_section.summary(ds),
        "noise_rows": tables.noise_rows(ds),
        "hardware": tables.hardware_models(ds),
        "settings": tables.run_settings(ds),
        "environment": tables.environment(ds),
        "failures": fails,
        "failures_more": fails_more,
        "point_rows": point_rows,
        "points_more": points_more,
        "has_points": bool(ds.done),
    }
    return environment().get_template("report.html").render(**context)


def write_report(directory: str | Path, output: str | Path | None = None,
                 title: str | None = None) -> Path:
    """Render DIR/results.sqlite to `output` (default DIR/report.html), atomically."""
    directory = Path(directory)
    target = Path(output) if output is not None else directory / REPORT_NAME
    if output is not None:
        check_target(target)  # before the (slow) render
    ds = load(directory, name=title)
    html = render_report(ds, title=title)
    write_atomically(target, lambda fh: fh.write(html))
    if ds.problem is not None:  # the report shows every readable point, and says so
        from ..store import DamagedStoreError

        raise DamagedStoreError(f"wrote {target} from the readable points; {ds.problem}")
    return target


def _status(ds: Dataset) -> dict[str, Any]:
    c = ds.counts
    finished = c.done + c.failed
    pct = round(100 * finished / c.total) if c.total else 100
    where = (f"{finished} of {c.total} point{'s' * (c.total != 1)} finished ({c.done} done, "
             f"{c.failed} failed)")
    if ds.state == "profiles":
        level, text = "ok", (f"{c.done} profile result{'s' * (c.done != 1)} "
                             "(not a sweep store).")
    elif ds.state == "running":
        level, text = "warn", (f"Partial: the sweep is still running (pid {ds.writer_pid}); "
                               f"{where}, {c.pending} pending. Render again when it finishes.")
    elif ds.state == "empty" or c.total == 0:
        level, text = "warn", "Empty: no point of this sweep has been run yet."
    elif c.pending or ds.state == "interrupted":
        level, text = "warn", (f"Partial: the sweep was interrupted; {where}, {c.pending} "
                               "pending. Run the same `mitprof run` command again to resume, "
                               "then render the report again.")
    elif c.failed:
        level, text = "ok", f"Complete: {where}."
    else:
        level, text = "ok", f"Complete: all {c.total} points done."
    if c.other:
        text += (f" {c.other} finished points of an earlier version of the spec are kept in "
                 "the store but not shown.")
    if ds.problem is not None:
        level = "warn"
        text += (f" The store is damaged: {ds.unreadable} unreadable rows were skipped; "
                 "every readable point is shown.")
    return {"level": level, "text": text, "percent": pct, "done": c.done, "failed": c.failed,
            "pending": c.pending, "total": c.total, "complete": ds.complete}


def _scope(ds: Dataset) -> list[tuple[str, str]]:
    from .analysis import backends, strategy_labels

    done = ds.done

    def span(values: list[Any], unit: str = "") -> str:
        v = sorted({x for x in values if x is not None})
        if not v:
            return "\u2014"
        if len(v) <= 4:
            return ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v) + unit
        return f"{v[0]:g}\u2013{v[-1]:g}{unit} ({len(v)} values)"

    circuits = list(dict.fromkeys(p.facet for p in done))
    return [
        ("Circuits", ", ".join(circuits[:8]) + (f" and {len(circuits) - 8} more"
                                                 if len(circuits) > 8 else "") or "\u2014"),
        ("Widths", span([p.n_qubits for p in done], " qubits")),
        ("Depths", span([p.depth for p in done])),
        ("Noise levels p\u2082", span([p.noise_level for p in done])),
        ("Simulators", ", ".join(backends(ds)) or "\u2014"),
        ("Strategies", str(max(0, len(strategy_labels(ds)) - 1)) + " (+ unmitigated)"),
    ]
