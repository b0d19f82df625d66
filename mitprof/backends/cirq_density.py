"""Cirq's density-matrix simulator: runs the noisy canonical circuits as they are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..lowering import QISKIT_BASIS
from .base import (
    MAX_DENSITY_QUBITS,
    Capabilities,
    RunOutput,
    SimulatorBackend,
    check_density_capacity,
    measured_qubits,
    without_measurements,
)

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel


def _marginal(full_diag: np.ndarray, n_qubits: int, keep: list[int]) -> np.ndarray:
    """Big-endian distribution over `keep` (in that order) from a big-endian full one."""
    p = np.clip(np.real(full_diag), 0.0, None).reshape([2] * n_qubits)
    drop = tuple(i for i in range(n_qubits) if i not in keep)
    p = p.sum(axis=drop) if drop else p
    remaining = [i for i in range(n_qubits) if i in keep]
    p = np.transpose(p, [remaining.index(q) for q in keep])
    flat = p.reshape(-1)
    return flat / flat.sum()


class CirqBackend(SimulatorBackend):
    name = "cirq"
    help = "Cirq DensityMatrixSimulator (explicit noise channels)"
    method_used = "density_matrix"
    capabilities = Capabilities(  # type: ignore[assignment]
        exact_max_qubits=MAX_DENSITY_QUBITS, max_qubits=MAX_DENSITY_QUBITS,
        clifford_only=False, gate_set=frozenset(QISKIT_BASIS))

    def choose(self, n_qubits: int, clifford: bool) -> str:
        check_density_capacity(n_qubits)
        return "density_matrix"

    def compile(self, circuits: list[cirq.Circuit], n_qubits: int,
                noise: NoiseModel | None) -> list[Any]:
        check_density_capacity(n_qubits)
        return self.noisy(circuits, noise)  # Cirq runs the noisy circuits as they are

    def run(self, compiled: list[Any], shots: list[int], seed: int) -> RunOutput:
        import cirq

        out = []
        seeds = np.random.SeedSequence(seed).generate_state(len(compiled))
        for c, s, cs in zip(compiled, shots, seeds, strict=True):
            sim = cirq.DensityMatrixSimulator(seed=int(cs))
            keys = [cirq.measurement_key_name(op) for op in c.all_operations()
                    if cirq.is_measurement(op)]
            res = sim.run(c, repetitions=s)
            out.append(np.concatenate([res.measurements[k] for k in keys], axis=1)
                       .astype(np.uint8))
        return RunOutput(out, None)

    def probabilities_many(self, circuits: list[cirq.Circuit], n_qubits: int,
                           noise: NoiseModel | None) -> list[np.ndarray]:
        import cirq

        check_density_capacity(n_qubits)
        out = []
        for circuit in self.noisy(circuits, noise):
            rho = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate(
                without_measurements(circuit), qubit_order=cirq.LineQubit.range(n_qubits)
            ).final_density_matrix
            out.append(_marginal(np.diag(rho), n_qubits, measured_qubits(circuit)))
        return out
