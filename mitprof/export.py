"""Export a store: one row per point and strategy, as CSV, JSON Lines or a DataFrame.

Every row carries the point (id, circuit, width, depth, backend, noise level or device
and noise scale, shots; a device point also its snapshot date in `noise.snapshot` and its
routing: `routing.swaps`, 2-qubit gates and depth before/after, the physical qubits), the
strategy's configuration label, `status` (`ok`, or `failed` with
`error`: the point failed, or the strategy gave no value) and every field the
profile stored for that strategy, statistics included. JSON Lines keeps nested
fields nested; CSV and the DataFrame flatten them with dots
(`phase_seconds.execute`, `variance_multiplier.ci_low`).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .atomic import write_atomically
from .errors import MitprofError
from .store import DamagedStoreError, Reader, mitprof_version

FORMATS = ("csv", "jsonl")

# The promised columns, in this order; everything else follows.
COLUMNS = ("point_id", "circuit", "n_qubits", "depth", "backend", "noise_level", "device",
           "noise_scale", "shots",
           "strategy", "value", "ideal_value", "abs_error", "n_circuits", "total_shots",
           "shot_multiplier", "wall_seconds", "wall_overhead", "status", "error")
# From the point's profile: renamed where the sweep uses the name for something else
# (the profile's `depth` is the circuit's layer count; the sweep's is the family's depth).
POINT_FIELDS = {"depth": "layers", "n_gates": "n_gates", "observable": "observable",
                "ideal_value": "ideal_value", "noisy_value_exact": "noisy_value_exact",
                "classical_seconds": "classical_seconds", "classical_method": "classical_method",
                "seed": "seed", "repeats": "repeats", "noise": "noise", "hardware": "hardware",
                "warnings": "warnings", "routing": "routing"}


def rows(directory: str | Path, include_stale: bool = False) -> Iterator[dict[str, Any]]:
    """Export rows, nested fields kept, streamed from the store."""
    with Reader(directory) as reader:
        yield from _rows(reader, include_stale)


def _rows(reader: Reader, include_stale: bool) -> Iterator[dict[str, Any]]:
    for point in reader.points(include_stale):
        yield from point_rows(point)


def point_rows(point: dict[str, Any]) -> Iterator[dict[str, Any]]:
    base: dict[str, Any] = {k: point.get(k) for k in ("point_id", "circuit", "n_qubits", "depth",
                                                      "backend", "noise_level", "device",
                                                      "noise_scale", "shots")}
    base["family"] = point["family"]
    rec = point["record"] or {}
    for src, dst in POINT_FIELDS.items():
        if src in rec:
            base[dst] = rec[src]
    base["point_seconds"] = point["seconds"]
    base["worker"] = point["worker"]
    base["run_id"] = point["run_id"]
    base["mitprof_version"] = mitprof_version(rec)  # the worker's, from the point's record
    if point["status"] != "done":
        for label in point["labels"]:
            yield _ordered({**base, "strategy": label, "status": "failed",
                            "error": point["error"] or "failed"})
        return
    for res in point["results"]:
        row = {**base, **res}
        error = (res.get("details") or {}).get("error")
        ok = res.get("value") is not None
        row["status"] = "ok" if ok else "failed"
        row["error"] = None if ok else (error or "no value")
        yield _ordered(row)


def _ordered(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in COLUMNS}
    out.update((k, v) for k, v in row.items() if k not in out)
    return out


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted keys; lists become JSON text."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list | tuple):
            out[name] = json.dumps(value)
        else:
            out[name] = value
    return out


def columns(directory: str | Path, include_stale: bool = False) -> list[str]:
    """Flat column names over the whole store, the promised ones first."""
    with Reader(directory) as reader:
        return _columns(reader, include_stale)


def _columns(reader: Reader, include_stale: bool) -> list[str]:
    return columns_of(_rows(reader, include_stale))


def columns_of(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Flat column names over `rows`, the promised ones first."""
    seen: dict[str, bool] = dict.fromkeys(COLUMNS, True)
    for row in rows:
        for key, value in flatten(row).items():
            seen[key] = seen.get(key, False) or value is not None
    # a field that is a table in some rows and only ever null in others is its columns
    return [k for k, used in seen.items()
            if used or not any(c.startswith(k + ".") for c in seen)]


def write(directory: str | Path, fmt: str, stream: IO[str], include_stale: bool = False) -> int:
    """Write every row to `stream`; returns the number of rows."""
    if fmt not in FORMATS:
        raise MitprofError(f"unknown export format {fmt!r}; valid: {', '.join(FORMATS)}")
    with Reader(directory) as reader:
        return _write(reader, fmt, stream, include_stale)


def _write(reader: Reader, fmt: str, stream: IO[str], include_stale: bool) -> int:
    n = 0
    if fmt == "jsonl":
        for row in _rows(reader, include_stale):
            stream.write(json.dumps(row) + "\n")
            n += 1
        return n
    names = _columns(reader, include_stale)
    writer = csv.DictWriter(stream, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in _rows(reader, include_stale):
        writer.writerow(flatten(row))
        n += 1
    return n


def export(directory: str | Path, fmt: str = "csv", out: str | Path | None = None,
           include_stale: bool = False) -> int:
    """Export to `out` (written atomically: complete or not at all) or to stdout.

    A damaged store exports every row it can read, then raises `DamagedStoreError`
    saying how many rows it skipped."""
    if fmt not in FORMATS:
        raise MitprofError(f"unknown export format {fmt!r}; valid: {', '.join(FORMATS)}")
    with Reader(directory) as reader:  # a missing or foreign store fails before any output
        try:
            if out is None:
                n = _write(reader, fmt, sys.stdout, include_stale)
                sys.stdout.flush()
            else:
                n = write_atomically(Path(out), lambda fh: _write(reader, fmt, fh, include_stale),
                                     newline="")
        except OSError as exc:
            where = "standard output" if out is None else str(out)
            raise MitprofError(f"{where}: cannot write the export: "
                               f"{exc.strerror or exc}") from None
        problem = reader.problem()
    if problem is not None:
        where = "" if out is None else f" to {out}"
        raise DamagedStoreError(f"{n} rows exported{where}; {problem}")
    return n


def profile_point(doc: dict[str, Any]) -> dict[str, Any]:
    """One profile's `to_dict()` as a finished point of a store, for `point_rows`: the
    same rows, and so the same columns, as a sweep's export (no point id, run or worker;
    `depth` is the family's depth parameter where the circuit is a family spec)."""
    import re

    found = re.search(r"[:,]depth=(\d+)", str(doc.get("circuit", "")))
    results = list(doc.get("results") or ())
    return {"point_id": None, "circuit": doc.get("circuit"), "n_qubits": doc.get("n_qubits"),
            "depth": int(found.group(1)) if found else None, "backend": doc.get("backend"),
            "noise_level": (doc.get("noise") or {}).get("p2"), "shots": doc.get("shots"),
            "device": (doc.get("noise") or {}).get("device"),
            "noise_scale": (doc.get("noise") or {}).get("noise_scale"),
            "family": str(doc.get("circuit", "")).partition(":")[0] if found else None,
            "record": {k: v for k, v in doc.items() if k != "results"}, "seconds": None,
            "worker": None, "run_id": None, "status": "done",
            "labels": [r.get("strategy") for r in results], "results": results, "error": None}


def dataframe(rows: Iterable[dict[str, Any]]) -> Any:
    """A pandas DataFrame of export rows, flattened, with the export's column order."""
    import pandas as pd

    flat = [flatten(r) for r in rows]
    return pd.DataFrame(flat, columns=columns_of(flat))


def load_results(directory: str | Path, include_stale: bool = False) -> Any:
    """A pandas DataFrame: one row per point and strategy, nested fields flattened."""
    import pandas as pd  # a dependency, imported only here: it is slow to import
    names = columns(directory, include_stale)
    return pd.DataFrame([flatten(r) for r in rows(directory, include_stale)], columns=names)
