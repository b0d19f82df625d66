"""Pauli channels: the Pauli twirl of any channel, its exact inverse as a quasi-probability
over Paulis, and its Pauli-Lindblad rates.

n-qubit Paulis are indexed in base 4 (I, X, Y, Z), qubit 0 the most significant digit,
matching the Kraus operators' big-endian order (`device.depolarizing_kraus`).

- Twirl: p_P = sum_k |Tr(P K_k)|^2 / d^2 (the diagonal of the process matrix).
- Fidelities (the channel's eigenvalues): f_Q = sum_P p_P s(P, Q), s = +1 where P and Q
  commute, -1 where they anticommute; p_P = sum_Q s(P, Q) f_Q / d^2.
- Exact inverse: eigenvalues 1 / f_Q, so q_P = sum_Q s(P, Q) / f_Q / d^2, a
  quasi-probability over Paulis with 1-norm gamma = sum_P |q_P|.
- Pauli-Lindblad rates (arXiv:2201.09866): f_Q = exp(-2 sum_{k: P_k anticommutes Q}
  lambda_k) over all 4^n - 1 generators, solved exactly from log f; where every
  lambda_k >= 0 the channel is Pauli-Lindblad and the sampling overhead of PEC in its
  product form is gamma^2 = exp(4 sum lambda) (an upper bound on the exact one's).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

_P1 = [np.eye(2, dtype=complex), np.array([[0, 1], [1, 0]], complex),
       np.array([[0, -1j], [1j, 0]], complex), np.array([[1, 0], [0, -1]], complex)]


def digits(index: int, n: int) -> list[int]:
    """Per-qubit Pauli (0..3: I, X, Y, Z) of an n-qubit Pauli index, qubit 0 first."""
    return [(index >> (2 * (n - 1 - k))) & 3 for k in range(n)]


@lru_cache(maxsize=8)
def matrices(n: int) -> tuple[np.ndarray, ...]:
    out = []
    for idx in range(4**n):
        m = np.array([[1.0 + 0j]])
        for d in digits(idx, n):
            m = np.kron(m, _P1[d])
        out.append(m)
    return tuple(out)


@lru_cache(maxsize=8)
def signs(n: int) -> np.ndarray:
    """s(P, Q) = +1 where P and Q commute, -1 where they anticommute."""
    d2 = 4**n
    s = np.ones((d2, d2))
    for a in range(d2):
        da = digits(a, n)
        for b in range(d2):
            db = digits(b, n)
            anti = sum(1 for x, y in zip(da, db, strict=True) if x and y and x != y)
            s[a, b] = -1.0 if anti % 2 else 1.0
    return s


def twirl_probabilities(kraus: Sequence[np.ndarray]) -> np.ndarray:
    """The Pauli-twirled channel's error probabilities p_P (they sum to 1 for a channel)."""
    d = kraus[0].shape[0]
    n = int(round(math.log2(d)))
    mats = matrices(n)
    p = np.array([sum(abs(np.trace(P.conj().T @ k)) ** 2 for k in kraus) for P in mats])
    return np.asarray(p / d**2, dtype=float)


def pauli_kraus(probs: np.ndarray) -> list[np.ndarray]:
    """Kraus operators of the Pauli channel with probabilities `probs`."""
    n = int(round(math.log(len(probs), 4)))
    return [math.sqrt(p) * P for p, P in zip(probs, matrices(n), strict=True) if p > 0]


def fidelities(probs: np.ndarray) -> np.ndarray:
    n = int(round(math.log(len(probs), 4)))
    return np.asarray(signs(n) @ probs, dtype=float)


def inverse_quasi_probabilities(probs: np.ndarray, power: float = 1.0) -> np.ndarray:
    """The exact inverse of a Pauli channel as a quasi-probability over Paulis; with
    `power` g, the inverse of the channel with g times its Pauli-Lindblad rates
    (eigenvalues f^-g: partial cancellation for g < 1). Raises ValueError where a fidelity
    is not positive (no inverse, or no fractional power)."""
    f = fidelities(probs)
    if np.any(f < 1e-12):
        raise ValueError("the Pauli channel has a fidelity <= 0: not invertible")
    n = int(round(math.log(len(probs), 4)))
    return np.asarray(signs(n) @ f ** (-power) / len(probs), dtype=float)


def lindblad_rates(probs: np.ndarray) -> np.ndarray | None:
    """The Pauli-Lindblad rates lambda_k of every non-identity generator (index k + 1),
    or None where a fidelity is not positive (no Pauli-Lindblad form)."""
    f = fidelities(probs)
    if np.any(f <= 0):
        return None
    n = int(round(math.log(len(probs), 4)))
    anti = (signs(n)[1:, 1:] < 0).astype(float)  # [Q, k]: generator k anticommutes with Q
    lam = np.linalg.solve(2 * anti, -np.log(f[1:]))
    return np.asarray(lam, dtype=float)


class TwirledTwoQubitNoise:
    """A noise model with every 2-qubit channel replaced by its Pauli twirl: the noise that
    Pauli twirling of the 2-qubit gates (`pt`) produces on average over its draws, so the
    exact expectation of a twirled estimate. Everything else is the wrapped model's."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def __getattr__(self, attr: str) -> object:
        return getattr(self.inner, attr)

    def apply(self, circuit: object) -> object:
        import cirq

        from .channels import KrausNoise

        def twirled(op: cirq.Operation) -> cirq.Operation:
            if isinstance(op.gate, KrausNoise) and len(op.qubits) == 2:
                probs = twirl_probabilities(op.gate.kraus_ops)
                return KrausNoise(pauli_kraus(probs), "PT").on(*op.qubits)
            return op

        noisy = self.inner.apply(circuit)  # type: ignore[attr-defined]
        return noisy.map_operations(twirled)
