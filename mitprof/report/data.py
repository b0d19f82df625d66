"""What a report is made of: the points of a sweep store (or of profile results), normalised.

`load` reads `DIR/results.sqlite` through `mitprof.store.Reader` (read-only, safe
while a sweep is writing) or wraps `ProfileResult`s / their `to_dict()` documents.
Everything after loading is a pure function of the `Dataset`: any field of a stored
point may be missing or null (older stores, failed points), and the report copes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASELINE = "unmitigated"


@dataclass(frozen=True)
class PointRecord:
    point_id: str
    circuit: str  # as the sweep wrote it: family spec (mirror:n=3,depth=2,seed=1) or file
    facet: str  # the circuit without its width and depth: what one panel of a figure shows
    family: str | None
    n_qubits: int | None
    depth: int | None  # the family's depth parameter (None for GHZ, files)
    backend: str
    noise_level: float | None
    shots: int | None
    status: str  # done | failed
    error: str | None = None
    seconds: float | None = None
    doc: Mapping[str, Any] = field(default_factory=dict)  # the profile, without "results"
    results: tuple[Mapping[str, Any], ...] = ()
    device: str | None = None  # device noise (then noise_scale) instead of noise_level
    noise_scale: float | None = None

    @property
    def noise_key(self) -> tuple[Any, ...]:
        """The point's noise setting: its level, or its device and scale."""
        return (self.noise_level, self.device, self.noise_scale)

    @property
    def ok(self) -> bool:
        return self.status == "done"

    def result(self, label: str) -> Mapping[str, Any] | None:
        for r in self.results:
            if r.get("strategy") == label:
                return r
        return None

    @property
    def baseline(self) -> Mapping[str, Any] | None:
        for r in self.results:
            if r.get("strategy") == BASELINE or r.get("name") == BASELINE:
                return r
        return self.results[0] if self.results else None


@dataclass(frozen=True)
class Counts:
    done: int
    failed: int
    pending: int
    other: int = 0  # finished points of an earlier spec, not in this report

    @property
    def total(self) -> int:
        return self.done + self.failed + self.pending


@dataclass(frozen=True)
class Dataset:
    name: str
    points: tuple[PointRecord, ...]
    counts: Counts
    state: str  # finished | running | interrupted | empty | profiles
    source: str  # the store's path, or "profile results"
    spec: Mapping[str, Any] | None = None
    runs: tuple[Mapping[str, Any], ...] = ()
    created_at: str | None = None
    writer_pid: int | None = None
    unreadable: int = 0  # rows of a damaged store that were skipped
    problem: str | None = None  # what was wrong with the store, when something was

    @property
    def done(self) -> list[PointRecord]:
        return [p for p in self.points if p.ok]

    @property
    def failed(self) -> list[PointRecord]:
        return [p for p in self.points if not p.ok]

    @property
    def complete(self) -> bool:
        return self.counts.pending == 0 and self.state not in ("running", "interrupted")


# ---------------------------------------------------------------- loading


def load(source: Any, name: str | None = None) -> Dataset:
    """A Dataset from a sweep directory (or its results.sqlite), a Dataset, or an
    iterable of ProfileResult objects / `ProfileResult.to_dict()` documents."""
    if isinstance(source, Dataset):
        return source
    if isinstance(source, str | Path):
        path = Path(source)
        if path.name == "results.sqlite" and path.is_file():
            path = path.parent
        return load_store(path)
    if isinstance(source, Mapping):
        source = [source]
    return from_profiles(source, name)


def load_store(directory: Path) -> Dataset:
    from ..store import Reader, lock_holder

    with Reader(directory) as reader:
        meta = reader.meta()
        c = reader.counts()
        runs = tuple(_run(r) for r in reader.runs())
        points = tuple(_from_store_point(p) for p in reader.points())
        path = str(reader.path)
        unreadable, problem = reader.unreadable, reader.problem()
    spec = _json(meta.get("spec"))
    name = meta.get("name") or (spec or {}).get("sweep", {}).get("name") or directory.name
    holder = lock_holder(directory)
    if holder is not None:
        state = "running"
    elif not runs:
        state = "empty"
    elif runs[-1].get("state") != "finished" or c.pending:
        state = "interrupted"
    else:
        state = "finished"
    return Dataset(name=str(name), points=points,
                   counts=Counts(c.done, c.failed, c.pending, c.other), state=state,
                   source=path, spec=spec if isinstance(spec, Mapping) else None, runs=runs,
                   created_at=meta.get("created_at"), writer_pid=holder,
                   unreadable=unreadable, problem=problem)


PROFILE_KEYS = ("circuit", "backend", "results")  # what every profile document has


def _profile_doc(item: Any, i: int) -> dict[str, Any]:
    """The `to_dict()` document of a profile result, refusing anything else."""
    from ..errors import SpecError

    doc = item.to_dict() if hasattr(item, "to_dict") else item
    if not isinstance(doc, Mapping):
        raise SpecError(f"item {i + 1}: expected a ProfileResult or its to_dict() document, "
                        f"got {type(item).__name__}")
    missing = [k for k in PROFILE_KEYS if k not in doc]
    if missing:
        raise SpecError(f"item {i + 1}: not a profile result: missing "
                        f"{', '.join(repr(k) for k in missing)}")
    if not isinstance(doc["results"], list | tuple):
        raise SpecError(f"item {i + 1}: not a profile result: 'results' is not a list")
    return dict(doc)


def from_profiles(items: Iterable[Any], name: str | None = None) -> Dataset:
    from ..errors import SpecError

    if not isinstance(items, Iterable) or isinstance(items, str | bytes):
        raise SpecError(f"expected a sweep directory, a Dataset or profile results, got "
                        f"{type(items).__name__}")
    points = []
    for i, item in enumerate(items):
        doc = _profile_doc(item, i)
        results = tuple(r for r in (doc.pop("results", None) or ()) if isinstance(r, Mapping))
        circuit = str(doc.get("circuit") or f"circuit {i + 1}")
        params = family_params(circuit)
        noise = doc.get("noise") or {}
        points.append(PointRecord(
            point_id=f"p{i + 1}", circuit=circuit, facet=facet_of(circuit),
            family=circuit.split(":", 1)[0] if params is not None else None,
            n_qubits=_int(doc.get("n_qubits")),
            depth=_int((params or {}).get("depth")), backend=str(doc.get("backend") or "?"),
            noise_level=number(noise.get("p2") if isinstance(noise, Mapping) else None),
            shots=_int(doc.get("shots")), status="done", doc=doc, results=results,
            device=noise.get("device") if isinstance(noise, Mapping) else None,
            noise_scale=number(noise.get("noise_scale")) if isinstance(noise, Mapping) else None))
    n = len(points)
    return Dataset(name=name or "profile results", points=tuple(points),
                   counts=Counts(n, 0, 0), state="profiles", source="profile results")


def _from_store_point(p: Mapping[str, Any]) -> PointRecord:
    rec = p.get("record")
    doc: Mapping[str, Any] = rec if isinstance(rec, Mapping) else {}
    circuit = str(p.get("circuit") or doc.get("circuit") or p.get("point_id") or "?")
    results = tuple(r for r in (p.get("results") or ()) if isinstance(r, Mapping))
    status = "done" if p.get("status") == "done" and results else "failed"
    error = p.get("error")
    if p.get("status") == "done" and not results:
        error = error or "stored without results"
    params = family_params(circuit)
    return PointRecord(
        point_id=str(p.get("point_id")), circuit=circuit, facet=facet_of(circuit),
        family=p.get("family") or (circuit.split(":", 1)[0] if params is not None else None),
        n_qubits=_int(p.get("n_qubits")) if p.get("n_qubits") is not None
        else _int(doc.get("n_qubits")),
        depth=_int(p.get("depth")) if p.get("depth") is not None
        else _int((params or {}).get("depth")),
        backend=str(p.get("backend") or doc.get("backend") or "?"),
        noise_level=number(p.get("noise_level")), shots=_int(p.get("shots")), status=status,
        error=None if error is None else str(error), seconds=number(p.get("seconds")),
        doc=doc, results=results, device=p.get("device"),
        noise_scale=number(p.get("noise_scale")))


def _run(r: Mapping[str, Any]) -> dict[str, Any]:
    d = dict(r)
    env = _json(d.get("environment"))
    d["environment"] = env if isinstance(env, Mapping) else {}
    return d


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return None


# ---------------------------------------------------------------- small helpers

_FAMILY = re.compile(r"^([A-Za-z_][\w]*):(.*)$")


def family_params(circuit: str) -> dict[str, str] | None:
    """{'n': '3', 'depth': '2', ...} for a family spec, None for a file or object name."""
    m = _FAMILY.match(circuit)
    if not m or circuit.lower().endswith((".qasm", ".qasm3")):
        return None
    out = {}
    for item in m.group(2).split(","):
        key, eq, value = item.partition("=")
        if not eq:
            return None
        out[key.strip()] = value.strip()
    return out


def facet_of(circuit: str) -> str:
    """The circuit without its width and depth: `mirror:n=3,depth=2,seed=1` -> `mirror (seed=1)`."""
    params = family_params(circuit)
    if params is None:
        return circuit
    rest = [f"{k}={v}" for k, v in params.items() if k not in ("n", "depth")]
    family = circuit.split(":", 1)[0]
    return f"{family} ({', '.join(rest)})" if rest else family


def number(x: Any) -> float | None:
    """A finite float, or None (for null, NaN, strings, booleans)."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _int(x: Any) -> int | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return x
    if isinstance(x, float) and x.is_integer():
        return int(x)
    if isinstance(x, str) and x.strip().lstrip("-").isdigit():
        return int(x)
    return None


def interval(x: Any) -> tuple[float, float, float] | None:
    """(estimate, ci_low, ci_high) from a stored interval dict, when all three are numbers."""
    if not isinstance(x, Mapping):
        return None
    est, lo, hi = number(x.get("estimate")), number(x.get("ci_low")), number(x.get("ci_high"))
    if est is None or lo is None or hi is None:
        return None
    return est, lo, hi
