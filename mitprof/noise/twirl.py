"""Pauli twirl of a noise model: every channel replaced by its Pauli-diagonal part.

Twirling a channel over the Paulis keeps the diagonal of its process (chi) matrix in the
Pauli basis, p_Q = sum_k |Tr(Q K_k)|^2 / d^2 (THEORY.md, "Twirling"): thermal relaxation
becomes p_X = p_Y = (1 - e^(-t/T1))/4 and the rest on Z, a coherent ZZ rotation by theta a
ZZ flip with probability sin^2(theta/2). The twirled channel keeps the process fidelity, so
PEC representations built from `gate_depolarizing` are unchanged.

This is what a Pauli-frame simulator (Stim) can run. It is an approximation of the device
model, not the device model: the difference it makes is measured on small circuits against
the density-matrix value (tests/test_twirl.py) and every result run under it says so in its
noise record (`approximation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import cirq
import numpy as np

from .base import NoiseModel
from .channels import KrausNoise, ReadoutChannel

_P1 = (np.eye(2, dtype=complex), np.array([[0, 1], [1, 0]], complex),
       np.array([[0, -1j], [1j, 0]], complex), np.array([[1, 0], [0, -1]], complex))
APPROXIMATION = ("pauli_twirl: every noise channel replaced by its Pauli twirl (thermal "
                 "relaxation and coherent errors become stochastic Pauli errors)")


@lru_cache(maxsize=4)
def pauli_basis(n: int) -> tuple[np.ndarray, ...]:
    """The 4^n Paulis, index 4^(n-1) a_1 + ... + a_n with a in (I, X, Y, Z), the first qubit
    most significant (Cirq's order; also Stim's PAULI_CHANNEL_2 argument order)."""
    out = []
    for idx in range(4**n):
        mat = np.array([[1.0 + 0j]])
        for k in range(n):
            mat = np.kron(mat, _P1[(idx >> (2 * (n - 1 - k))) & 3])
        out.append(mat)
    return tuple(out)


def twirl_probabilities(kraus: tuple[np.ndarray, ...] | list[np.ndarray]) -> np.ndarray:
    """Pauli error probabilities (index as `pauli_basis`) of the channel's Pauli twirl."""
    d = kraus[0].shape[0]
    n = int(round(np.log2(d)))
    basis = pauli_basis(n)
    p = np.array([sum(abs(np.trace(q.conj().T @ k)) ** 2 for k in kraus) for q in basis]) / d**2
    p[np.abs(p) < 1e-16] = 0.0
    return p / p.sum()  # trace preservation makes the sum 1 up to rounding


class PauliNoise(KrausNoise):
    """A Pauli channel: Kraus operators sqrt(p_Q) Q. Cirq and Aer run it as any Kraus channel;
    Stim runs it as PAULI_CHANNEL_1/2 (`probabilities[1:]`)."""

    def __init__(self, probabilities: np.ndarray, label: str = "P") -> None:
        n = int(round(np.log(len(probabilities)) / np.log(4)))
        self.probabilities = np.asarray(probabilities, dtype=float)
        basis = pauli_basis(n)
        super().__init__([np.sqrt(p) * basis[i] for i, p in enumerate(self.probabilities)
                          if p > 0] or [basis[0]], label)


@dataclass(frozen=True, eq=False)
class PauliTwirled:
    """A noise model whose every channel is the Pauli twirl of `inner`'s (readout error,
    already classical, stays as it is). Protocol answers other than `apply` are `inner`'s."""

    inner: NoiseModel
    _cache: dict[Any, PauliNoise] = field(default_factory=dict, repr=False, compare=False)

    def _twirled(self, gate: Any) -> Any:
        if isinstance(gate, ReadoutChannel | PauliNoise) or not cirq.has_kraus(gate):
            return gate
        key = gate.key if isinstance(gate, KrausNoise) else gate
        if key not in self._cache:
            self._cache[key] = PauliNoise(twirl_probabilities(tuple(cirq.kraus(gate))),
                                          getattr(gate, "label", "P"))
        return self._cache[key]

    def apply(self, circuit: cirq.Circuit) -> cirq.Circuit:
        from .channels import is_noise

        noisy = self.inner.apply(circuit)
        return cirq.Circuit(
            cirq.Moment(self._twirled(op.gate).on(*op.qubits) if is_noise(op.gate) else op
                        for op in moment) for moment in noisy)

    def gate_depolarizing(self, op: cirq.Operation) -> float:
        return self.inner.gate_depolarizing(op)

    @property
    def idle_noise(self) -> bool:
        return self.inner.idle_noise

    @property
    def readout(self) -> tuple[float, float]:
        return self.inner.readout

    @property
    def readout_rates(self) -> Any:
        """`inner`'s per-qubit readout rates where it has them (`base.readout_rates`)."""
        return getattr(self.inner, "readout_rates", None)

    def to_dict(self) -> dict[str, Any]:
        return {**self.inner.to_dict(), "approximation": APPROXIMATION}


def _choi(kraus: tuple[np.ndarray, ...] | list[np.ndarray]) -> np.ndarray:
    vecs = np.stack([np.asarray(k).reshape(-1) for k in kraus], axis=1)
    return vecs @ vecs.conj().T


def twirl_distance_bound(kraus: tuple[np.ndarray, ...] | list[np.ndarray]) -> float:
    """An upper bound on the diamond distance between a channel and its Pauli twirl: the
    trace norm of the difference of their (unnormalised) Choi matrices, which bounds the
    diamond norm from above (Watrous, Theory of Quantum Information, Thm 3.56 ff.)."""
    twirled = PauliNoise(twirl_probabilities(kraus)).kraus_ops
    diff = _choi(kraus) - _choi(twirled)
    return float(np.abs(np.linalg.eigvalsh((diff + diff.conj().T) / 2)).sum())


def twirl_error_bound(noisy: cirq.Circuit, observable_norm: float) -> float:
    """Bound on |<O>_channels - <O>_twirled| for the noisy circuit: channels applied in turn
    add their diamond distances (the unitaries between them change no distance), and
    |Tr O (rho - sigma)| <= ||O|| ||rho - sigma||_1, with ||O|| <= sum of |coefficients|."""
    from .channels import is_noise

    total = 0.0
    seen: dict[Any, float] = {}
    for op in noisy.all_operations():
        gate = op.gate
        if not is_noise(gate) or isinstance(gate, ReadoutChannel | PauliNoise):
            continue
        key = gate.key if isinstance(gate, KrausNoise) else gate
        if key not in seen:
            seen[key] = twirl_distance_bound(tuple(cirq.kraus(gate)))
        total += seen[key]
    return observable_norm * total
