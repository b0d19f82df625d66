"""A strategy = one circuit technique + one readout technique, and one estimate of it.

Composition is generic: the readout technique measures (and corrects) whatever
circuits the circuit technique constructs, and the circuit technique combines
the corrected values. One estimate is an `Estimate` state machine: `construct()`
yields a batch of measured jobs, the engine executes them, `combine(bits)`
consumes the results and says whether another round is needed (adaptive
techniques need several).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ..observables import MeasurementGroup
from .base import (
    CircuitTechnique,
    Exec,
    Job,
    NotDerived,
    Prediction,
    PredictionContext,
    ReadoutTechnique,
)

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel

T = TypeVar("T")


@dataclass(frozen=True)
class Strategy:
    """Typed, immutable: built once per strategy per point, shared by every estimate."""

    circuit: CircuitTechnique
    readout: ReadoutTechnique

    @property
    def label(self) -> str:
        labels = [p for p in (self.readout.label, self.circuit.label) if p]
        if len(labels) > 1:
            labels = [p for p in labels if p != "unmitigated"]
        return "+".join(labels)

    def start(self, groups: Sequence[MeasurementGroup], circuit: cirq.Circuit, n_qubits: int,
              noise: NoiseModel, shots: int, rng: np.random.Generator) -> Estimate:
        return Estimate(self, groups, circuit, n_qubits, noise, shots, rng)

    def details(self, est: Estimate) -> dict[str, Any]:
        return est.circuit.details(est.shots)

    def predict(self, est: Estimate, ctx: PredictionContext) -> Prediction:
        """The circuit technique's theory with this readout, or why there is none."""
        try:
            return self.circuit.predict(est, ctx)
        except NotDerived as exc:
            return Prediction(None, exc.reason)

    def hardware_extras(self, est: Estimate, row: Mapping[str, Any], base: Mapping[str, Any],
                        hw: Any, target_error: float | None) -> dict[str, Any]:
        return self.circuit.hardware_extras(est, row, base, hw, target_error)


class Estimate:
    """One mitigated estimate in progress: rounds of construct -> execute -> combine."""

    def __init__(self, strategy: Strategy, groups: Sequence[MeasurementGroup],
                 circuit: cirq.Circuit, n_qubits: int, noise: NoiseModel, shots: int,
                 rng: np.random.Generator) -> None:
        self.strategy = strategy
        self.circuit = strategy.circuit.start()
        self.readout = strategy.readout.start()
        self.groups = list(groups)
        self.logicals = [g.rotate(circuit) for g in self.groups]
        self.circuit.bind(self.groups, n_qubits)
        self.n_qubits, self.noise, self.shots, self.rng = n_qubits, noise, shots, rng
        self.value: float = float("nan")
        self.execs: list[Exec] = []
        self.shape: list[int] = []  # executed circuits per measurement group
        self.jobs: list[Job] = []
        self.history: list[Job] = []  # every job of every round, for counting

    def construct(self) -> list[Job]:
        per_group = self.circuit.construct(self.logicals, self.rng, self.noise)
        self.shape = [len(x) for x in per_group]
        self.execs = []
        for g, circuits in zip(self.groups, per_group, strict=True):
            for i, c in enumerate(circuits):
                # the executable already contains the basis change: measure only
                self.execs.append((c, _measure_only(g), self.circuit.shots_for(i, self.shots)))
        self.jobs = self.readout.jobs(self.execs, self.n_qubits, self.rng)
        self.history.extend(self.jobs)
        return self.jobs

    def combine(self, bits: list[np.ndarray]) -> bool:
        """Consume one round's results; True when the estimate is final."""
        flat = self.readout.expectations(self.execs, bits)
        self.value = self.circuit.combine(self.by_group(flat))
        return self.circuit.done()

    def by_group(self, per_exec: Sequence[T]) -> list[list[T]]:
        """Regroup a flat per-executed-circuit list into [group][circuit]."""
        out, i = [], 0
        for n in self.shape:
            out.append(list(per_exec[i: i + n]))
            i += n
        return out

    @property
    def total_shots(self) -> int:
        return sum(j.shots for j in self.history)


def _measure_only(g: MeasurementGroup) -> MeasurementGroup:
    """The same group with its basis already applied (rotations live in the circuit)."""
    return MeasurementGroup(g.measured_qubits, "Z" * len(g.measured_qubits), g.terms)
