"""Simulator backends: a small protocol and its Aer and Cirq implementations.

Every backend takes *noisy* canonical circuits (noise.Noise.apply) whose only
measurement is one terminal `cirq.measure(*qubits)`, and returns 0/1 arrays of
shape (shots, measured qubits) in measurement order. `probabilities` gives the
exact distribution of the same bits (readout channel included), which the
statistics pass samples from and the agreement tests compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .errors import CapacityError, SpecError

if TYPE_CHECKING:
    import cirq

# A density matrix takes 16 * 4^n bytes: 12 qubits = 268 MB, 13 = 1.1 GB.
MAX_DENSITY_QUBITS = 12


@dataclass
class RunOutput:
    bits: list[np.ndarray]
    simulator_seconds: float | None  # the simulator's own time, where it reports it


class Backend(Protocol):
    name: str

    def compile(self, circuits: list[cirq.Circuit], n_qubits: int) -> list[Any]: ...

    def run(self, compiled: list[Any], shots: list[int], seed: int) -> RunOutput: ...

    def probabilities(self, circuit: cirq.Circuit, n_qubits: int) -> np.ndarray: ...


def check_density_capacity(n_qubits: int) -> None:
    if n_qubits > MAX_DENSITY_QUBITS:
        gib = 16 * 4.0**n_qubits / 2**30
        raise CapacityError(
            f"{n_qubits} qubits need {gib:,.1f} GiB for density-matrix simulation "
            f"(limit {MAX_DENSITY_QUBITS} qubits); use at most {MAX_DENSITY_QUBITS} qubits "
            "(stabilizer simulation of Clifford circuits is planned for larger widths)"
        )


def measured_qubits(circuit: cirq.Circuit) -> list[int]:
    import cirq

    out: list[int] = []
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            out.extend(q.x for q in op.qubits)  # type: ignore[attr-defined]
    return out


def _marginal(full_diag: np.ndarray, n_qubits: int, keep: list[int]) -> np.ndarray:
    """Big-endian distribution over `keep` (in that order) from a big-endian full one."""
    p = np.clip(np.real(full_diag), 0.0, None).reshape([2] * n_qubits)
    drop = tuple(i for i in range(n_qubits) if i not in keep)
    p = p.sum(axis=drop) if drop else p
    remaining = [i for i in range(n_qubits) if i in keep]
    p = np.transpose(p, [remaining.index(q) for q in keep])
    flat = p.reshape(-1)
    return flat / flat.sum()


class AerBackend:
    name = "aer"

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._sim: Any = None

    def _simulator(self) -> Any:
        if self._sim is None:
            from qiskit_aer import AerSimulator

            self._sim = AerSimulator(method="density_matrix", max_parallel_threads=self.threads)
        return self._sim

    def compile(self, circuits: list[cirq.Circuit], n_qubits: int) -> list[Any]:
        from .circuits import to_qiskit

        check_density_capacity(n_qubits)
        return [to_qiskit(c, n_qubits) for c in circuits]

    def run(self, compiled: list[Any], shots: list[int], seed: int) -> RunOutput:
        sim = self._simulator()
        bits: list[np.ndarray | None] = [None] * len(compiled)
        sim_seconds = 0.0
        # Aer takes one shot count per call: one call per distinct count (usually one).
        for batch_no, s in enumerate(sorted(set(shots))):
            idx = [i for i, n in enumerate(shots) if n == s]
            result = sim.run(
                [compiled[i] for i in idx], shots=s, seed_simulator=seed + 7919 * batch_no
            ).result()
            sim_seconds += float(result.time_taken)
            for j, i in enumerate(idx):
                bits[i] = _counts_to_bits(result.get_counts(j), compiled[i].num_clbits)
        return RunOutput([b for b in bits if b is not None], sim_seconds)

    def probabilities(self, circuit: cirq.Circuit, n_qubits: int) -> np.ndarray:
        import cirq

        from .circuits import to_qiskit

        check_density_capacity(n_qubits)
        keep = measured_qubits(circuit)
        bare = cirq.Circuit(op for op in circuit.all_operations() if not cirq.is_measurement(op))
        qc = to_qiskit(bare, n_qubits)
        qc.save_probabilities(qubits=keep)
        data = self._simulator().run(qc, shots=1).result().data(0)["probabilities"]
        probs = np.asarray(data, dtype=float)
        # Aer indexes little-endian over `keep` (keep[0] least significant): reverse it.
        m = len(keep)
        probs = probs.reshape([2] * m).transpose(list(range(m))[::-1]).reshape(-1) if m else probs
        return probs / probs.sum()


def _counts_to_bits(counts: dict[str, int], m: int) -> np.ndarray:
    if not counts:
        return np.zeros((0, m), dtype=np.uint8)
    values = np.array([int(k.replace(" ", ""), 2) for k in counts], dtype=np.int64)
    reps = np.array(list(counts.values()), dtype=np.int64)
    flat = np.repeat(values, reps)
    # clbit j (= j-th measured qubit) is bit j of the integer
    return ((flat[:, None] >> np.arange(m)) & 1).astype(np.uint8)


class CirqBackend:
    name = "cirq"

    def compile(self, circuits: list[cirq.Circuit], n_qubits: int) -> list[Any]:
        check_density_capacity(n_qubits)
        return circuits  # Cirq runs the canonical circuits as they are

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

    def probabilities(self, circuit: cirq.Circuit, n_qubits: int) -> np.ndarray:
        import cirq

        check_density_capacity(n_qubits)
        keep = measured_qubits(circuit)
        bare = cirq.Circuit(op for op in circuit.all_operations() if not cirq.is_measurement(op))
        qubits = cirq.LineQubit.range(n_qubits)
        rho = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate(
            bare, qubit_order=qubits
        ).final_density_matrix
        return _marginal(np.diag(rho), n_qubits, keep)


BACKENDS: dict[str, tuple[str, type]] = {
    "aer": ("Qiskit Aer density-matrix simulator (explicit noise channels)", AerBackend),
    "cirq": ("Cirq DensityMatrixSimulator (explicit noise channels)", CirqBackend),
}


def get_backend(name: str, threads: int = 1) -> Backend:
    if name not in BACKENDS:
        raise SpecError(f"unknown backend {name!r}; valid: {', '.join(BACKENDS)}")
    cls = BACKENDS[name][1]
    return cls(threads) if cls is AerBackend else cls()  # type: ignore[no-any-return]
