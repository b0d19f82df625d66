"""The report's projection section: held-out validation of the cost models and the
projected cost at 100 and 127 qubits, where the store has widths to fit and to hold out;
otherwise one line saying why (`mitprof.projection`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .data import Dataset

FIT_MAX_WIDTH = 10
TARGETS = (100, 127)


def summary(ds: Dataset) -> dict[str, Any]:
    from ..errors import SpecError
    from ..projection import cost_line, project
    from .data import family_params
    from .projection_page import band_figure

    widths = {p.n_qubits for p in ds.done
              if p.n_qubits is not None and family_params(p.circuit) is not None}
    fitted = sorted(w for w in widths if w <= FIT_MAX_WIDTH)
    if len(fitted) < 2 or max(widths, default=0) <= FIT_MAX_WIDTH:
        return {"line": (f"Not projected: the store's family circuits have widths "
                         f"{sorted(widths) or 'none'}; a projection needs at least two widths "
                         f"<= {FIT_MAX_WIDTH} to fit and a wider one to check it "
                         "(circuits/projection.toml; or `mitprof project` to predict "
                         "without a check).")}
    try:
        proj = project(ds, widths=list(TARGETS), fit_max_width=FIT_MAX_WIDTH)
    except SpecError as exc:
        return {"line": f"Not projected: {exc}"}
    held = {r.group for r in proj.rows if r.role == "held-out"}
    groups = []
    for i, (group, f) in enumerate(proj.fits.items()):
        if group not in held or isinstance(f, str):
            continue
        rows = [r for r in proj.rows if r.group == group]
        groups.append({
            "group": group,
            "svg": band_figure(group, rows, f"report-projection-{i}", FIT_MAX_WIDTH),
            "projected": [{"circuit": r.circuit, "m": r.predicted, "reason": r.reason,
                           "cost": None if r.cost is None or r.predicted is None
                           else cost_line(r.cost)}
                          for r in rows if r.role == "projected"]})
    return {"line": None, "fit_max_width": FIT_MAX_WIDTH,
            "coverage": sorted(proj.coverage().items()),
            "bias": sorted(proj.bias_coverage().items()), "groups": groups,
            "notes": list(proj.notes)}
