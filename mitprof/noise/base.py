"""The noise-model protocol: what a backend needs to make a circuit noisy.

A noise model sees the circuit *as executed*: after folding, PEC sampling and
any other construction, with its moments as the schedule (one moment is one
layer of simultaneous operations, so a qubit absent from a moment is idle for
that layer). It returns the noisy circuit that every simulator backend runs, as
explicit Cirq channels, so that two simulators given the same model run the same
channels. A backend that carries its own noise (a device, a user's executor) is
given no model at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import cirq

# Tag for operations that get no noise: the Paulis PEC inserts (on hardware they merge
# into neighbouring gates, so they add no error of their own).
NOISELESS = "mitprof:noiseless"


@runtime_checkable
class NoiseModel(Protocol):
    """Turns an executed circuit into the noisy circuit the simulators run."""

    def apply(self, circuit: cirq.Circuit) -> cirq.Circuit:
        """The circuit with its noise channels inserted (readout error included)."""
        ...

    def gate_depolarizing(self, op: cirq.Operation) -> float:
        """The depolarizing probability (Cirq convention) that follows `op`: the model a
        PEC representation inverts. 0 where the operation gets no gate noise."""
        ...

    @property
    def idle_noise(self) -> bool:
        """Whether a qubit idle for a layer gets noise (fold=identity scales noise only then)."""
        ...

    @property
    def readout(self) -> tuple[float, float]:
        """(p01, p10): P(read 1 | 0) and P(read 0 | 1); the mean over qubits where a model
        has per-qubit rates (then also `readout_rates()`; use `base.readout_rates`)."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters, stored with every profile."""
        ...


def readout_rates(noise: NoiseModel, n_qubits: int) -> tuple[Any, Any]:
    """Per-qubit (p01, p10) arrays: a model's `readout_rates()` where it has per-qubit
    readout errors (a device), else its one `readout` pair on every qubit."""
    import numpy as np

    per_qubit = getattr(noise, "readout_rates", None)
    if per_qubit is not None:
        p01, p10 = per_qubit()
        return np.asarray(p01, dtype=float), np.asarray(p10, dtype=float)
    a, b = noise.readout
    return np.full(n_qubits, float(a)), np.full(n_qubits, float(b))
