"""Noise channels as Cirq gates, and their exact Aer counterparts.

Depolarizing channels are Cirq's own (`cirq.depolarize`, THEORY.md's convention);
readout error is an asymmetric Kraus channel just before measurement. Aer receives
the same channels in its own parameterisation, built once per rate.
"""

from __future__ import annotations

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
