"""Qiskit Aer: exact gate-by-gate translations of the noisy canonical circuits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SpecError
from ..lowering import CLIFFORD_NAMES, QISKIT_BASIS
from .base import (
    MAX_DENSITY_QUBITS,
    Capabilities,
    RunOutput,
    SimulatorBackend,
    check_density_capacity,
    measured_qubits,
)

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel

AER_METHODS = ("auto", "density_matrix", "stabilizer", "statevector", "matrix_product_state")
MAX_STATEVECTOR_SIM_QUBITS = 24  # trajectories on a 2^n statevector: 256 MiB at 24 qubits


class AerBackend(SimulatorBackend):
    """Qiskit Aer. `method="auto"` picks density matrix up to 12 qubits (exact output
    distributions), then stabilizer for Clifford circuits, statevector trajectories up
    to 24 qubits and matrix-product states beyond."""

    name = "aer"
    help = ("Qiskit Aer (explicit noise channels): density matrix to 12 qubits, then "
            "stabilizer for Clifford circuits, statevector or MPS otherwise")
    variants = AER_METHODS[1:]

    def __init__(self, threads: int = 1, method: str = "auto") -> None:
        if method not in AER_METHODS:
            raise SpecError(f"unknown Aer method {method!r}; valid: {', '.join(AER_METHODS)}")
        self.threads, self.method = threads, method
        self.method_used: str | None = None
        self._sims: dict[str, Any] = {}
        self._readout: tuple[tuple[float, float], ...] | None = None  # per qubit

    @classmethod
    def create(cls, variant: str, threads: int) -> AerBackend:
        return cls(threads, variant or "auto")

    @property
    def capabilities(self) -> Capabilities:
        exact = MAX_DENSITY_QUBITS if self.method in ("auto", "density_matrix") else 0
        stabilizer = self.method == "stabilizer"
        return Capabilities(
            exact_max_qubits=exact,
            max_qubits=MAX_DENSITY_QUBITS if self.method == "density_matrix" else None,
            clifford_only=stabilizer,
            gate_set=frozenset(CLIFFORD_NAMES if stabilizer else QISKIT_BASIS))

    def choose(self, n_qubits: int, clifford: bool) -> str:
        if self.method != "auto":
            if self.method == "density_matrix":
                check_density_capacity(n_qubits)
            if self.method == "stabilizer" and not clifford:
                raise SpecError("the stabilizer method needs a Clifford circuit")
            return self.method
        if n_qubits <= MAX_DENSITY_QUBITS:
            return "density_matrix"
        if clifford:
            return "stabilizer"
        return ("statevector" if n_qubits <= MAX_STATEVECTOR_SIM_QUBITS
                else "matrix_product_state")

    def _simulator(self, method: str) -> Any:
        key = f"{method}:{self._readout}"
        if key not in self._sims:
            from qiskit_aer import AerSimulator

            noise_model = None
            if method != "density_matrix" and self._readout and any(map(any, self._readout)):
                from qiskit_aer.noise import NoiseModel, ReadoutError

                noise_model = NoiseModel()
                if len(set(self._readout)) == 1:
                    p01, p10 = self._readout[0]
                    noise_model.add_all_qubit_readout_error(
                        ReadoutError([[1 - p01, p01], [p10, 1 - p10]]))
                else:
                    for q, (p01, p10) in enumerate(self._readout):
                        noise_model.add_readout_error(
                            ReadoutError([[1 - p01, p01], [p10, 1 - p10]]), [q])
            self._sims[key] = AerSimulator(method=method, max_parallel_threads=self.threads,
                                           noise_model=noise_model)
        return self._sims[key]

    def compile(self, circuits: list[cirq.Circuit], n_qubits: int,
                noise: NoiseModel | None) -> list[Any]:
        from ..lowering import is_clifford, to_qiskit

        method = self.choose(n_qubits, all(is_clifford(c) for c in circuits))
        self.method_used = method
        if method != "density_matrix" and noise is not None:
            # readout goes to Aer's classical readout model instead (one noise per profile)
            from ..noise.base import readout_rates

            p01, p10 = readout_rates(noise, n_qubits)
            self._readout = tuple(zip(p01.tolist(), p10.tolist(), strict=True))
        return [(method, to_qiskit(c, n_qubits, clifford_only=method == "stabilizer",
                                   readout_channels=method == "density_matrix"))
                for c in self.noisy(circuits, noise)]

    def run(self, compiled: list[Any], shots: list[int], seed: int) -> RunOutput:
        bits: list[np.ndarray | None] = [None] * len(compiled)
        sim_seconds = 0.0
        # Aer takes one shot count per call: one call per distinct (method, count).
        keys = sorted({(m, s) for (m, _), s in zip(compiled, shots, strict=True)})
        for batch_no, (method, s) in enumerate(keys):
            idx = [i for i, ((m, _), n) in enumerate(zip(compiled, shots, strict=True))
                   if (m, n) == (method, s)]
            result = self._simulator(method).run(
                [compiled[i][1] for i in idx], shots=s, seed_simulator=seed + 7919 * batch_no
            ).result()
            sim_seconds += float(result.time_taken)
            for j, i in enumerate(idx):
                bits[i] = _counts_to_bits(result.get_counts(j), compiled[i][1].num_clbits)
        return RunOutput([b for b in bits if b is not None], sim_seconds)

    def probabilities_many(self, circuits: list[cirq.Circuit], n_qubits: int,
                           noise: NoiseModel | None) -> list[np.ndarray]:
        """Exact distributions of many circuits in one simulator call."""
        # importing Aer adds QuantumCircuit.save_probabilities; with no noise channels in the
        # circuits (noise 0) nothing else has imported it yet
        import qiskit_aer  # noqa: F401

        from ..lowering import to_qiskit

        check_density_capacity(n_qubits)
        qcs, keeps = [], []
        for circuit in self.noisy(circuits, noise):
            keep = measured_qubits(circuit)
            qc = to_qiskit(circuit, n_qubits, measurements=False)
            qc.save_probabilities(qubits=keep)
            qcs.append(qc)
            keeps.append(keep)
        result = self._simulator("density_matrix").run(qcs, shots=1).result()
        out = []
        for i, keep in enumerate(keeps):
            probs = np.asarray(result.data(i)["probabilities"], dtype=float)
            # Aer indexes little-endian over `keep` (keep[0] least significant): reverse it.
            m = len(keep)
            if m:
                probs = probs.reshape([2] * m).transpose(list(range(m))[::-1]).reshape(-1)
            out.append(probs / probs.sum())
        return out


def _counts_to_bits(counts: dict[str, int], m: int) -> np.ndarray:
    """Aer counts (clbit 0 rightmost) to a (shots, m) array in clbit order, any width."""
    if not counts:
        return np.zeros((0, m), dtype=np.uint8)
    keys = [k.replace(" ", "") for k in counts]
    raw = np.frombuffer("".join(keys).encode(), dtype=np.uint8).reshape(len(keys), -1)
    table = (raw[:, ::-1] - ord("0")).astype(np.uint8)
    reps = np.fromiter(counts.values(), dtype=np.int64, count=len(keys))
    return np.repeat(table, reps, axis=0)
