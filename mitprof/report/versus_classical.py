"""Mitigation against classical computation, point by point: the projected QPU time to
reach the sweep's target error next to the exact classical time of the same number, and a
plain verdict. Pure function of a Dataset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .data import Dataset, number


def target_shots(r: Mapping[str, Any], target: float) -> tuple[float | None, str]:
    """(total shots to reach `target` RMSE, how it is known). Measured from the statistics
    pass where it ran; for PEC without one, the lower bound (gamma^2 - 1) / target^2 (its
    per-shot variance is at least gamma^2 - mu^2, |mu| <= 1)."""
    need = r.get("shots_for_error")
    if isinstance(need, int | float):
        return float(need), "measured"
    if need == "unreachable":
        return None, "unreachable: the bias alone exceeds the target"
    gamma = number((r.get("details") or {}).get("gamma"))
    if gamma is not None and gamma > 1:
        return (gamma**2 - 1) / target**2, "lower bound from gamma (no statistics pass)"
    return None, "not measured (no statistics pass)"


def rows(ds: Dataset) -> list[dict[str, Any]]:
    target = number(((ds.spec or {}).get("sweep") or {}).get("target_error"))
    out = []
    for p in sorted(ds.done, key=lambda p: (p.circuit, p.device or "",
                                            p.noise_level or p.noise_scale or 0)):
        classical = number(p.doc.get("classical_seconds"))
        hw = p.doc.get("hardware") or {}
        if target is None or classical is None or not hw:
            continue
        t_job = float(hw.get("t_job") or 0.0)
        for r in p.results:
            qpu, shots = number(r.get("projected_qpu_seconds")), number(r.get("total_shots"))
            need, how = target_shots(r, target)
            t = None
            if qpu is not None and shots and need is not None:
                t = t_job + (qpu - t_job) / shots * need  # per-shot time x shots needed
            verdict = ("" if t is None else "costs more than classical" if t > classical
                       else "cheaper than classical")
            # a device point's noise setting is its scale
            level = p.noise_level if p.device is None else p.noise_scale
            out.append({"circuit": p.circuit, "noise_level": level, "device": p.device,
                        "strategy": r.get("strategy"), "shots": need, "how": how,
                        "qpu_seconds": t, "classical_seconds": classical,
                        "ratio": None if t is None else t / classical,
                        "bound": how.startswith("lower bound"), "verdict": verdict})
    return out
