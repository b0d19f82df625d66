"""The depolarizing model: the first implementation of the noise-model protocol.

Noise is inserted as explicit channels into the canonical circuit *as executed*
(after folding and PEC sampling): a depolarizing channel after every gate
(Cirq convention, THEORY.md) and an asymmetric readout channel before every
measurement. Both simulators then run the same noisy circuit, translated gate
by gate, so their agreement is exact up to floating point.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import cirq
import numpy as np

from ..errors import SpecError
from ..lowering import is_measurement
from .base import NOISELESS
from .channels import ReadoutChannel, cirq_to_aer_lambda

# Default ratios to the 2-qubit rate `noise_level` (typical of superconducting
# devices: 1q gates ~10x better than 2q gates; readout errors of the same order
# as 2q errors, with 1->0 decay during readout twice as likely as 0->1).
P1_RATIO = 0.1
P01_RATIO = 1.0
P10_RATIO = 2.0


@dataclass(frozen=True)
class Noise:
    """Depolarizing gate noise and asymmetric readout error. Idle qubits get no noise
    (gate-only noise: the most favourable case, and today's default).

    p2: 2-qubit depolarizing probability (Cirq convention) = the sweep's noise_level.
    p1: 1-qubit depolarizing probability (Cirq convention).
    p01: P(read 1 | prepared 0); p10: P(read 0 | prepared 1).
    """

    p2: float
    p1: float
    p01: float
    p10: float

    def __post_init__(self) -> None:
        for name in ("p2", "p1", "p01", "p10"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not np.isfinite(v) or not 0.0 <= v < 1.0:
                raise SpecError(f"noise rate {name}={v!r} must be in [0, 1)")
        if self.p01 + self.p10 >= 1.0:
            raise SpecError(
                f"readout errors p01={self.p01} + p10={self.p10} >= 1: the confusion matrix "
                "is singular and readout cannot be corrected"
            )

    @classmethod
    def from_level(
        cls,
        level: float,
        p1: float | None = None,
        readout: float | tuple[float, float] | None = None,
    ) -> Noise:
        if not isinstance(level, int | float) or not 0.0 <= level < 1.0:
            raise SpecError(f"noise level {level!r} must be in [0, 1)")
        if readout is None:
            p01, p10 = P01_RATIO * level, P10_RATIO * level
        elif isinstance(readout, tuple):
            p01, p10 = readout
        else:
            p01 = p10 = float(readout)
        return cls(float(level), float(P1_RATIO * level if p1 is None else p1), p01, p10)

    def to_dict(self) -> dict[str, float]:
        d = asdict(self)
        d["aer_lambda_1q"] = cirq_to_aer_lambda(self.p1, 1)
        d["aer_lambda_2q"] = cirq_to_aer_lambda(self.p2, 2)
        return d

    @property
    def idle_noise(self) -> bool:
        return False  # gate-only noise: idle qubits (and identity layers' spectators) are exact

    @property
    def readout(self) -> tuple[float, float]:
        return (self.p01, self.p10)

    def gate_depolarizing(self, op: cirq.Operation) -> float:
        if NOISELESS in op.tags:
            return 0.0
        return self.p1 if len(op.qubits) == 1 else self.p2

    def apply(self, circuit: cirq.Circuit) -> cirq.Circuit:
        """Insert noise after every gate and before every measurement."""
        moments: list[cirq.Moment] = []
        for moment in circuit:
            before: list[cirq.Operation] = []
            after: list[cirq.Operation] = []
            for op in moment:
                if is_measurement(op):
                    if self.p01 or self.p10:
                        before.extend(_readout_on(self.p01, self.p10, q) for q in op.qubits)
                    continue
                if NOISELESS in op.tags:
                    continue
                k = len(op.qubits)
                p = self.p1 if k == 1 else self.p2
                if k > 2:
                    raise SpecError(f"operation {op} acts on {k} qubits; lower it first")
                if p:
                    after.append(_depolarize_on(p, op.qubits))
            if before:
                moments.append(cirq.Moment.from_ops(*before))
            moments.append(moment)
            if after:
                moments.append(cirq.Moment.from_ops(*after))
        return cirq.Circuit.from_moments(*moments)


# One channel object per rate, shared by every noisy circuit (building one costs more
# than inserting it).
@lru_cache(maxsize=256)
def _depolarize(p: float, k: int) -> cirq.DepolarizingChannel:
    return cirq.depolarize(p, n_qubits=k)


@lru_cache(maxsize=64)
def _readout(p01: float, p10: float) -> ReadoutChannel:
    return ReadoutChannel(p01, p10)


# The channel operations themselves, shared too: operations are immutable, and `gate.on`
# validates qubit shapes on every call (half of apply()'s time before they were shared).
@lru_cache(maxsize=1024)
def _depolarize_on(p: float, qubits: tuple[cirq.Qid, ...]) -> cirq.Operation:
    return _depolarize(p, len(qubits)).on(*qubits)


@lru_cache(maxsize=1024)
def _readout_on(p01: float, p10: float, qubit: cirq.Qid) -> cirq.Operation:
    return _readout(p01, p10).on(qubit)


