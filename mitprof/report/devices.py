"""The device view of a report: the equal-precision multiplier by device and noise scale
(next to the sweep's depolarizing levels), and what routing cost on each device.

Pure functions of the `Dataset`; `None` where the sweep has no device points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import fmt
from .analysis import strategy_labels
from .data import BASELINE, Dataset, PointRecord, interval, number


def _setting(p: PointRecord) -> str:
    if p.device is not None:
        return f"{p.device} \u00d7{fmt.noise(p.noise_scale)}"
    return f"depolarizing p\u2082={fmt.noise(p.noise_level)}"


def _cell(r: Mapping[str, Any] | None) -> str:
    """M (ci_low-ci_high) at equal precision, else the raw shot multiplier, marked."""
    if r is None:
        return fmt.DASH
    found = interval(r.get("variance_multiplier"))
    if found is not None:
        est, lo, hi = found
        return f"{fmt.num(est)} ({fmt.num(lo)}\u2013{fmt.num(hi)})"
    raw = number(r.get("shot_multiplier"))
    return fmt.DASH if raw is None else f"{fmt.num(raw)} raw"


def device_view(ds: Dataset) -> dict[str, Any] | None:
    done = ds.done
    device_points = [p for p in done if p.device is not None]
    if not device_points:
        return None
    # columns: depolarizing levels first (the reference), then devices in sweep order, by scale
    order = {p.noise_key: i for i, p in enumerate(done)}
    settings = sorted({p.noise_key for p in done},
                      key=lambda k: (k[1] is not None, order[k] if k[1] is not None else 0,
                                     k[0] or 0.0, k[2] or 0.0))
    names = {p.noise_key: _setting(p) for p in done}
    grid: dict[tuple[Any, ...], dict[tuple[Any, ...], PointRecord]] = {}
    for p in done:
        grid.setdefault((p.circuit, p.backend, p.shots), {})[p.noise_key] = p
    rows = []
    for (circuit, backend, shots), by_setting in grid.items():
        if not any(k[1] is not None for k in by_setting):
            continue
        for label in strategy_labels(ds):
            if label == BASELINE:
                continue
            cells = [_cell(by_setting[k].result(label)) if k in by_setting else fmt.DASH
                     for k in settings]
            rows.append({"circuit": circuit, "backend": backend, "shots": fmt.shots(shots),
                         "strategy": label, "cells": cells})
    return {"settings": [names[k] for k in settings], "rows": rows,
            "routing": routing_rows(device_points)}


def routing_rows(points: list[PointRecord]) -> list[dict[str, str]]:
    """One row per circuit and device (routing does not depend on the noise scale; the
    SWAPs' share of the unmitigated error does, so it is listed per scale)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for p in points:
        rt = p.doc.get("routing")
        if not isinstance(rt, Mapping):
            continue
        row = seen.setdefault((p.circuit, str(p.device)), {
            "circuit": p.circuit, "device": str(p.device),
            "snapshot": str((p.doc.get("noise") or {}).get("snapshot") or "synthetic"),
            "qubits": ", ".join(str(q) for q in rt.get("layout") or ()),
            "swaps": str(rt.get("swaps", fmt.DASH)),
            "two_qubit": f"{rt.get('two_qubit_before')} \u2192 {rt.get('two_qubit_after')}",
            "depth": f"{rt.get('depth_before')} \u2192 {rt.get('depth_after')}",
            "share": {}})
        share = number(rt.get("swap_error_share"))
        row["share"][p.noise_scale] = fmt.DASH if share is None else f"{100 * share:.0f}%"
    out = []
    for row in seen.values():
        share = row.pop("share")
        row["share"] = ", ".join(f"{v} (\u00d7{fmt.noise(k)})" for k, v in sorted(
            share.items(), key=lambda kv: kv[0] or 0.0)) or fmt.DASH
        out.append(row)
    return out
