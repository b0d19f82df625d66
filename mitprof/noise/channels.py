"""Noise channels as Cirq gates, and their exact Aer counterparts.

Depolarizing channels are Cirq's own (`cirq.depolarize`, THEORY.md's convention);
readout error is an asymmetric Kraus channel just before measurement. Aer receives
the same channels in its own parameterisation, built once per rate.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import cirq
import numpy as np


def cirq_to_aer_lambda(p: float, n_qubits: int) -> float:
    """Aer's depolarizing_error parameter for Cirq's depolarize(p, n): lam = p 4^k / (4^k - 1)."""
    d2 = 4**n_qubits
    return p * d2 / (d2 - 1)


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


class KrausNoise(cirq.Gate):
    """Any noise channel given by its Kraus operators (Cirq's big-endian qubit order: the
    first qubit is the most significant). Equal channels compare equal by content, so Aer
    builds each distinct one once (`aer_instruction_for`)."""

    def __init__(self, kraus: Sequence[np.ndarray], label: str = "K") -> None:
        ops = tuple(np.asarray(k, dtype=complex) for k in kraus)
        dim = ops[0].shape[0]
        self._n = int(round(np.log2(dim)))
        if 2**self._n != dim or any(k.shape != (dim, dim) for k in ops):
            raise ValueError("Kraus operators must be square, of a power-of-two dimension")
        self.kraus_ops = ops
        self.label = label
        stacked = np.round(np.stack(ops), 13) + 0.0  # + 0.0: no negative zeros in the key
        self.key = hashlib.sha1(stacked.tobytes() + bytes([self._n])).hexdigest()

    def _num_qubits_(self) -> int:
        return self._n

    def _kraus_(self) -> tuple[np.ndarray, ...]:
        return self.kraus_ops

    def _has_kraus_(self) -> bool:
        return True

    def _has_unitary_(self) -> bool:
        return False

    def _circuit_diagram_info_(self, args: Any) -> tuple[str, ...]:
        return (self.label,) * self._n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KrausNoise) and self.key == other.key

    def __hash__(self) -> int:
        return hash(("KrausNoise", self.key))

    def __repr__(self) -> str:
        return f"KrausNoise({self.label}, {len(self.kraus_ops)} ops, {self._n}q)"


NOISE_GATES = (cirq.DepolarizingChannel, ReadoutChannel, KrausNoise, cirq.KrausChannel)


def is_noise(gate: Any) -> bool:
    """Whether a gate is one of the noise channels the backends translate."""
    return isinstance(gate, NOISE_GATES)


def aer_instruction_for(gate: Any) -> Any:
    """The Aer instruction for a Cirq noise channel, in Aer's parameterisation."""
    if isinstance(gate, cirq.DepolarizingChannel):
        return _aer_depolarizing(float(gate.p), gate.num_qubits())
    if isinstance(gate, ReadoutChannel):
        return _aer_readout(gate.p01, gate.p10)
    if isinstance(gate, cirq.KrausChannel):
        gate = KrausNoise(cirq.kraus(gate))
    if isinstance(gate, KrausNoise):
        return _aer_kraus(gate)
    raise TypeError(f"{gate!r} is not a noise channel mitprof translates")


_AER_KRAUS: OrderedDict[str, Any] = OrderedDict()
AER_KRAUS_CACHE = 4096  # distinct channels kept (each a few kB)


def _aer_kraus(gate: KrausNoise) -> Any:
    """Aer's kraus_error for the channel, built once per content. Aer's matrices are
    little-endian (the first qubit least significant): reverse the qubit order."""
    inst = _AER_KRAUS.get(gate.key)
    if inst is not None:
        _AER_KRAUS.move_to_end(gate.key)
        return inst
    from qiskit_aer.noise import kraus_error

    n = gate.num_qubits()
    axes = [*range(n)][::-1]
    perm = [*axes, *(a + n for a in axes)]
    mats = [k.reshape([2] * (2 * n)).transpose(perm).reshape(2**n, 2**n)
            for k in gate.kraus_ops]
    inst = kraus_error(mats).to_instruction()
    _AER_KRAUS[gate.key] = inst
    if len(_AER_KRAUS) > AER_KRAUS_CACHE:
        _AER_KRAUS.popitem(last=False)
    return inst


# Building a QuantumError costs ~1 ms; circuits repeat a handful of channels thousands of times.
@lru_cache(maxsize=256)
def _aer_depolarizing(p: float, k: int) -> Any:
    from qiskit_aer.noise import depolarizing_error

    return depolarizing_error(cirq_to_aer_lambda(p, k), k).to_instruction()


@lru_cache(maxsize=64)
def _aer_readout(p01: float, p10: float) -> Any:
    from qiskit_aer.noise import kraus_error

    return kraus_error(_readout_kraus(p01, p10)).to_instruction()
