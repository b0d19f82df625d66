"""One noise description, applied identically on every simulator.

Noise is inserted as explicit channels into the canonical circuit *as executed*
(after folding and PEC sampling): a depolarizing channel after every gate
(Cirq convention, THEORY.md) and an asymmetric readout channel before every
measurement. Both simulators then run the same noisy circuit, translated gate
by gate, so their agreement is exact up to floating point.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import cirq
import numpy as np

from .errors import SpecError

# Default ratios to the 2-qubit rate `noise_level` (typical of superconducting
# devices: 1q gates ~10x better than 2q gates; readout errors of the same order
# as 2q errors, with 1->0 decay during readout twice as likely as 0->1).
P1_RATIO = 0.1
P01_RATIO = 1.0
P10_RATIO = 2.0


def cirq_to_aer_lambda(p: float, n_qubits: int) -> float:
    """Aer's depolarizing_error parameter for Cirq's depolarize(p, n): lam = p 4^k / (4^k - 1)."""
    d2 = 4**n_qubits
    return p * d2 / (d2 - 1)


@dataclass(frozen=True)
class Noise:
    """Depolarizing gate noise and asymmetric readout error.

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

    def apply(self, circuit: cirq.Circuit) -> cirq.Circuit:
        """Insert noise after every gate and before every measurement."""
        from .circuits import NOISELESS

        moments: list[cirq.Moment] = []
        for moment in circuit:
            before: list[cirq.Operation] = []
            after: list[cirq.Operation] = []
            for op in moment:
                if cirq.is_measurement(op):
                    if self.p01 or self.p10:
                        before.extend(ReadoutChannel(self.p01, self.p10).on(q) for q in op.qubits)
                    continue
                if NOISELESS in op.tags:
                    continue
                k = len(op.qubits)
                p = self.p1 if k == 1 else self.p2
                if k > 2:
                    raise SpecError(f"operation {op} acts on {k} qubits; lower it first")
                if p:
                    after.append(cirq.depolarize(p, n_qubits=k).on(*op.qubits))
            if before:
                moments.append(cirq.Moment(before))
            moments.append(moment)
            if after:
                moments.append(cirq.Moment(after))
        return cirq.Circuit(moments)


def _readout_kraus(p01: float, p10: float) -> list[np.ndarray]:
    # Dephasing + classical flips: equivalent to readout error for a Z measurement.
    return [
        np.array([[np.sqrt(1 - p01), 0.0], [0.0, np.sqrt(1 - p10)]]),
        np.array([[0.0, 0.0], [np.sqrt(p01), 0.0]]),  # |0> -> |1>
        np.array([[0.0, np.sqrt(p10)], [0.0, 0.0]]),  # |1> -> |0>
    ]


class ReadoutChannel(cirq.Gate):
    """Asymmetric bit flip just before measurement: the readout error as a channel."""

    def __init__(self, p01: float, p10: float) -> None:
        self.p01, self.p10 = p01, p10

    def _num_qubits_(self) -> int:
        return 1

    def _kraus_(self) -> list[np.ndarray]:
        return _readout_kraus(self.p01, self.p10)

    def _has_kraus_(self) -> bool:
        return True

    def _has_unitary_(self) -> bool:
        return False

    def _circuit_diagram_info_(self, args: Any) -> str:
        return f"RO({self.p01:g},{self.p10:g})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReadoutChannel) and (self.p01, self.p10) == (other.p01, other.p10)

    def __hash__(self) -> int:
        return hash(("RO", self.p01, self.p10))


def aer_instruction_for(gate: Any) -> Any:
    """The Aer instruction for a Cirq noise channel, in Aer's parameterisation."""
    if isinstance(gate, cirq.DepolarizingChannel):
        return _aer_depolarizing(float(gate.p), gate.num_qubits())
    return _aer_readout(gate.p01, gate.p10)


# Building a QuantumError costs ~1 ms; circuits repeat a handful of channels thousands of times.
@lru_cache(maxsize=256)
def _aer_depolarizing(p: float, k: int) -> Any:
    from qiskit_aer.noise import depolarizing_error

    return depolarizing_error(cirq_to_aer_lambda(p, k), k).to_instruction()


@lru_cache(maxsize=64)
def _aer_readout(p01: float, p10: float) -> Any:
    from qiskit_aer.noise import kraus_error

    return kraus_error(_readout_kraus(p01, p10)).to_instruction()
