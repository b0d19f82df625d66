"""Measured values of a sweep store, timing and environment left out: what a refactor
must not change. `python tests/golden.py STORE OUT.json` writes a golden file."""

from __future__ import annotations

import json
import math
import sqlite3
import sys
from pathlib import Path
from typing import Any

# fields that measure time or the machine, not the physics
# (and `repeats`, the number of timed runs: every timed run of a point gives the same value)
TIMING = ("seconds", "wall", "overhead", "classical_ratio", "qpu_vs_classical", "environment",
          "iqr", "warnings", "repeats")


def _values(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _values(v) for k, v in obj.items() if not any(t in k for t in TIMING)}
    if isinstance(obj, list):
        return [_values(v) for v in obj]
    return obj


def store_values(store: Path) -> dict[str, Any]:
    """{"circuit|backend|noise|shots": {"point": {...}, "results": {label: {...}}}} of every
    finished point (keyed by its physical configuration, not its id, which also hashes
    the number of timed repeats)."""
    conn = sqlite3.connect(f"file:{store / 'results.sqlite'}?mode=ro", uri=True)
    out: dict[str, Any] = {}
    keys = {}
    for pid, circuit, backend, noise, shots, record in conn.execute(
            "SELECT point_id, circuit, backend, noise_level, shots, record FROM points "
            "WHERE status='done'"):
        keys[pid] = f"{circuit}|{backend}|{noise!r}|{shots}"
        out[keys[pid]] = {"point": _values(json.loads(record)), "results": {}}
    for pid, label, data in conn.execute("SELECT point_id, strategy, data FROM results"):
        if pid in keys:
            out[keys[pid]]["results"][label] = _values(json.loads(data))
    conn.close()
    return out


def differences(golden: Any, new: Any, path: str = "", rtol: float = 1e-12) -> list[str]:
    """Every place where `new` differs from `golden` (keys only in `new` are allowed: a
    refactor may add fields; numbers compared to rtol, with an absolute floor of rtol)."""
    if isinstance(golden, dict):
        if not isinstance(new, dict):
            return [f"{path}: {golden!r} -> {new!r}"]
        out = []
        for k, v in golden.items():
            if k not in new:
                out.append(f"{path}.{k}: missing")
            else:
                out += differences(v, new[k], f"{path}.{k}", rtol)
        return out
    if isinstance(golden, list):
        if not isinstance(new, list) or len(new) != len(golden):
            return [f"{path}: {golden!r} -> {new!r}"]
        return [d for i, (a, b) in enumerate(zip(golden, new, strict=True))
                for d in differences(a, b, f"{path}[{i}]", rtol)]
    if isinstance(golden, float) and isinstance(new, int | float) and not isinstance(new, bool):
        if math.isclose(golden, new, rel_tol=rtol, abs_tol=rtol) or (
                math.isnan(golden) and math.isnan(new)):
            return []
        return [f"{path}: {golden!r} -> {new!r}"]
    return [] if golden == new else [f"{path}: {golden!r} -> {new!r}"]


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(json.dumps(store_values(Path(sys.argv[1])), sort_keys=True,
                                            indent=1) + "\n")
