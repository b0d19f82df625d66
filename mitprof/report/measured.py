"""Simulated cost vs measured cost: a circuit profiled both on a simulator (mitprof's noise)
and through an executor (a device, a service: its own noise), side by side."""

from __future__ import annotations

from collections.abc import Mapping

from . import fmt
from .analysis import colours, strategy_labels, value
from .data import Dataset, PointRecord

MAX_ROWS = 60


def is_measured(p: PointRecord) -> bool:
    """A point run by an executor (it carries the executor's identity)."""
    return isinstance(p.doc.get("executor"), Mapping)


def rows(ds: Dataset, limit: int = MAX_ROWS) -> list[dict[str, str]]:
    """One row per (circuit, shots, simulated point, measured point, strategy)."""
    sims: dict[tuple[str, int | None], list[PointRecord]] = {}
    for p in ds.done:
        if not is_measured(p):
            sims.setdefault((p.circuit, p.shots), []).append(p)
    col = colours(strategy_labels(ds))
    out: list[dict[str, str]] = []
    for m in (p for p in ds.done if is_measured(p)):
        for s in sims.get((m.circuit, m.shots), []):
            for rm in m.results:
                label = str(rm.get("strategy"))
                rs = s.result(label)
                if rs is None:
                    continue
                lat = rm.get("latency") if isinstance(rm.get("latency"), Mapping) else {}
                out.append({
                    "circuit": m.circuit, "strategy": label, "colour": col.get(label, "#777"),
                    "simulated": f"{s.backend}, p\u2082 {fmt.noise(s.noise_level)}",
                    "measured": m.backend,
                    "circuits": f"{fmt.num(value(rs, 'n_circuits'))} / "
                                f"{fmt.num(value(rm, 'n_circuits'))}",
                    "shots": f"{fmt.shots(value(rs, 'total_shots'))} / "
                             f"{fmt.shots(value(rm, 'total_shots'))}",
                    "wall_sim": fmt.seconds(value(rs, "wall_seconds")),
                    "wall_meas": fmt.seconds(value(rm, "wall_seconds")),
                    "execution": fmt.seconds(value(lat, "execution_seconds")),
                    "queue": fmt.seconds(value(lat, "queue_network_seconds")),
                    "calls": fmt.num(value(lat, "calls")),
                    "value_pair": f"{fmt.num(value(rs, 'value'))} / {fmt.num(value(rm, 'value'))}",
                })
                if len(out) >= limit:
                    return out
    return out
