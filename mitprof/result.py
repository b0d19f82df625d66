"""Immutable profile results: what one profile measured, as data and as a table."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class StrategyResult:
    strategy: str  # configuration label, e.g. zne[richardson,1-2-3,global]
    name: str  # strategy family, e.g. zne, rem+zne
    value: float
    abs_error: float
    improvement: float | None  # unmitigated abs error / this abs error
    n_circuits: int  # executed for one estimate, repeats and calibration included
    n_distinct_circuits: int
    total_shots: int
    calibration_circuits: int
    calibration_shots: int
    shot_multiplier: float  # total_shots / unmitigated total_shots
    gates_per_circuit: float  # mean gates per executed main circuit (after folding/sampling)
    phase_seconds: dict[str, float]  # medians over timed repeats
    simulator_seconds: float | None  # the simulator's own reported time (Aer)
    wall_seconds: float
    wall_seconds_iqr: float
    wall_overhead: float  # wall_seconds / unmitigated wall_seconds
    classical_ratio: float  # wall_seconds / classical_seconds
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


@dataclass(frozen=True)
class ProfileResult:
    circuit: str
    observable: str
    n_qubits: int
    depth: int
    n_gates: int
    backend: str
    shots: int
    seed: int
    repeats: int
    noise: dict[str, float]
    ideal_value: float
    noisy_value_exact: float
    classical_seconds: float
    classical_method: str
    results: tuple[StrategyResult, ...]
    environment: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, label: str) -> StrategyResult:
        for r in self.results:
            if r.strategy == label or r.name == label:
                return r
        raise KeyError(label)

    def to_dict(self) -> dict[str, Any]:
        d = _clean(asdict(self))
        d["results"] = [r.to_dict() for r in self.results]
        return d

    def table(self) -> str:
        head = (f"{self.circuit} ({self.n_qubits} qubits, {self.n_gates} gates), observable "
                f"{self.observable}, {self.backend}, noise p2={self.noise['p2']:g} "
                f"p1={self.noise['p1']:g} readout=({self.noise['p01']:g},{self.noise['p10']:g}), "
                f"{self.shots} shots/circuit, seed {self.seed}\n"
                f"ideal {self.ideal_value:+.6f}   noisy (exact) {self.noisy_value_exact:+.6f}   "
                f"classical {self.classical_method} {_fmt_s(self.classical_seconds)}\n")
        cols = ["strategy", "value", "abs_err", "gain", "circuits", "shots", "shots x",
                "wall", "wall x", "construct", "compile", "execute", "combine", "calib"]
        rows = []
        for r in self.results:
            p = r.phase_seconds
            rows.append([
                r.strategy, f"{r.value:+.4f}", f"{r.abs_error:.4f}",
                "-" if r.improvement is None else f"{r.improvement:.2f}x",
                str(r.n_circuits), str(r.total_shots), f"{r.shot_multiplier:.1f}",
                _fmt_s(r.wall_seconds), f"{r.wall_overhead:.1f}",
                *(_fmt_s(p.get(k, 0.0)) for k in ("construct", "compile", "execute", "combine",
                                                   "calibration")),
            ])
        widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
        lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                           for i, (c, w) in enumerate(zip(row, widths, strict=True)))
                 for row in [cols, *rows]]
        return head + "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ProfileResult\n{self.table()}\n>"

    def __str__(self) -> str:
        return self.table()


def _fmt_s(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f}ms"
    return f"{seconds * 1e6:.0f}us"


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf become None, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
