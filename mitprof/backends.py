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

    def exact_available(self, n_qubits: int) -> bool: ...

    def choose(self, n_qubits: int, clifford: bool) -> str: ...


def check_density_capacity(n_qubits: int) -> None:
    if n_qubits > MAX_DENSITY_QUBITS:
        gib = 16 * 4.0**n_qubits / 2**30
        raise CapacityError(
            f"{n_qubits} qubits need {gib:,.1f} GiB for density-matrix simulation "
            f"(limit {MAX_DENSITY_QUBITS} qubits); use backend aer, which switches to the "
            "stabilizer method for Clifford circuits and to statevector or MPS otherwise, "
            "or backend stim for Clifford circuits"
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


AER_METHODS = ("auto", "density_matrix", "stabilizer", "statevector", "matrix_product_state")
MAX_STATEVECTOR_SIM_QUBITS = 24  # trajectories on a 2^n statevector: 256 MiB at 24 qubits


class AerBackend:
    """Qiskit Aer. `method="auto"` picks density matrix up to 12 qubits (exact output
    distributions), then stabilizer for Clifford circuits, statevector trajectories up
    to 24 qubits and matrix-product states beyond."""

    name = "aer"

    def __init__(self, threads: int = 1, method: str = "auto") -> None:
        if method not in AER_METHODS:
            raise SpecError(f"unknown Aer method {method!r}; valid: {', '.join(AER_METHODS)}")
        self.threads, self.method = threads, method
        self.method_used: str | None = None
        self._sims: dict[str, Any] = {}
        self._readout: tuple[float, float] | None = None

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

    def exact_available(self, n_qubits: int) -> bool:
        return self.method in ("auto", "density_matrix") and n_qubits <= MAX_DENSITY_QUBITS

    def _simulator(self, method: str) -> Any:
        key = f"{method}:{self._readout}"
        if key not in self._sims:
            from qiskit_aer import AerSimulator

            noise_model = None
            if method != "density_matrix" and self._readout and any(self._readout):
                from qiskit_aer.noise import NoiseModel, ReadoutError

                p01, p10 = self._readout
                noise_model = NoiseModel()
                noise_model.add_all_qubit_readout_error(
                    ReadoutError([[1 - p01, p01], [p10, 1 - p10]]))
            self._sims[key] = AerSimulator(method=method, max_parallel_threads=self.threads,
                                           noise_model=noise_model)
        return self._sims[key]

    def compile(self, circuits: list[cirq.Circuit], n_qubits: int) -> list[Any]:
        from .circuits import is_clifford, to_qiskit
        from .noise import ReadoutChannel

        method = self.choose(n_qubits, all(is_clifford(_gates_only(c)) for c in circuits))
        self.method_used = method
        if method != "density_matrix":
            # readout goes to Aer's classical readout model instead (one noise per profile)
            self._readout = next(((op.gate.p01, op.gate.p10) for c in circuits
                                  for op in c.all_operations()
                                  if isinstance(op.gate, ReadoutChannel)), self._readout)
        return [(method, to_qiskit(c, n_qubits, clifford_only=method == "stabilizer",
                                   readout_channels=method == "density_matrix"))
                for c in circuits]

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

    def probabilities(self, circuit: cirq.Circuit, n_qubits: int) -> np.ndarray:
        return self.probabilities_many([circuit], n_qubits)[0]

    def probabilities_many(self, circuits: list[cirq.Circuit], n_qubits: int) -> list[np.ndarray]:
        """Exact distributions of many circuits in one simulator call."""
        import cirq

        from .circuits import to_qiskit

        check_density_capacity(n_qubits)
        qcs, keeps = [], []
        for circuit in circuits:
            keep = measured_qubits(circuit)
            bare = cirq.Circuit(op for op in circuit.all_operations()
                                if not cirq.is_measurement(op))
            qc = to_qiskit(bare, n_qubits)
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


def _gates_only(circuit: cirq.Circuit) -> cirq.Circuit:
    import cirq

    from .noise import ReadoutChannel

    return cirq.Circuit(op for op in circuit.all_operations()
                        if not isinstance(op.gate, cirq.DepolarizingChannel | ReadoutChannel))


def _counts_to_bits(counts: dict[str, int], m: int) -> np.ndarray:
    """Aer counts (clbit 0 rightmost) to a (shots, m) array in clbit order, any width."""
    if not counts:
        return np.zeros((0, m), dtype=np.uint8)
    keys = [k.replace(" ", "") for k in counts]
    raw = np.frombuffer("".join(keys).encode(), dtype=np.uint8).reshape(len(keys), -1)
    table = (raw[:, ::-1] - ord("0")).astype(np.uint8)
    reps = np.fromiter(counts.values(), dtype=np.int64, count=len(keys))
    return np.repeat(table, reps, axis=0)


class CirqBackend:
    name = "cirq"
    method_used = "density_matrix"

    def exact_available(self, n_qubits: int) -> bool:
        return n_qubits <= MAX_DENSITY_QUBITS

    def choose(self, n_qubits: int, clifford: bool) -> str:
        check_density_capacity(n_qubits)
        return "density_matrix"

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


_STIM_NAMES = {"id": "I", "h": "H", "x": "X", "y": "Y", "z": "Z", "s": "S", "sdg": "S_DAG",
               "cx": "CX", "cz": "CZ"}


class StimBackend:
    """Stim's Pauli-frame sampler for Clifford circuits: depolarizing channels map exactly
    (Stim's DEPOLARIZE1/2(p) are Cirq's depolarize(p)); the asymmetric readout error is
    classical and is applied to the sampled bits. Far faster than a stabilizer tableau per
    shot at large widths; no exact output distributions."""

    name = "stim"
    method_used = "stim_frame"

    def exact_available(self, n_qubits: int) -> bool:
        return False

    def choose(self, n_qubits: int, clifford: bool) -> str:
        if not clifford:
            raise SpecError("the stim backend needs a Clifford circuit; use aer for others")
        return self.method_used

    def compile(self, circuits: list[cirq.Circuit], n_qubits: int) -> list[Any]:
        import cirq
        import stim

        from .circuits import clifford_gates, gate_name, qubit_index
        from .noise import ReadoutChannel

        names_of: dict[Any, list[str]] = {}  # a handful of distinct gates, thousands of ops

        def stim_names(op: cirq.Operation) -> list[str]:
            gate = op.gate
            if gate not in names_of:
                name, angle = gate_name(op)
                names = [name] if angle is None else clifford_gates(name, angle)
                bad = [g for g in names if g not in _STIM_NAMES and g != "measure"]
                if bad:
                    raise SpecError(f"gate {bad[0]} is not Clifford: the stim backend cannot "
                                    "run it")
                names_of[gate] = [_STIM_NAMES.get(g, "M") for g in names]
            return names_of[gate]

        out = []
        for c in circuits:
            # Stim's text format, parsed once: far cheaper than one append call per op
            lines: list[str] = []
            readout = (0.0, 0.0)
            for op in c.all_operations():
                targets = " ".join(str(qubit_index(q)) for q in op.qubits)
                gate = op.gate
                if isinstance(gate, cirq.DepolarizingChannel):
                    lines.append(f"DEPOLARIZE{len(op.qubits)}({float(gate.p)!r}) {targets}")
                elif isinstance(gate, ReadoutChannel):
                    readout = (gate.p01, gate.p10)
                else:
                    lines.extend(f"{g} {targets}" for g in stim_names(op))
            out.append((stim.Circuit("\n".join(lines)), readout))
        return out

    def run(self, compiled: list[Any], shots: list[int], seed: int) -> RunOutput:
        seeds = np.random.SeedSequence(seed).generate_state(len(compiled), dtype=np.uint64)
        out = []
        for (sc, (p01, p10)), s, cs in zip(compiled, shots, seeds, strict=True):
            bits = sc.compile_sampler(seed=int(cs >> 1)).sample(s).astype(np.uint8)
            if p01 or p10:
                u = np.random.default_rng(int(cs)).random(bits.shape)
                flip = np.where(bits == 0, u < p01, u < p10)
                bits ^= flip.astype(np.uint8)
            out.append(bits)
        return RunOutput(out, None)

    def probabilities(self, circuit: cirq.Circuit, n_qubits: int) -> np.ndarray:
        raise CapacityError("the stim backend samples; it has no exact output distributions")


BACKENDS: dict[str, tuple[str, type]] = {
    "aer": ("Qiskit Aer (explicit noise channels): density matrix to 12 qubits, then "
            "stabilizer for Clifford circuits, statevector or MPS otherwise", AerBackend),
    "cirq": ("Cirq DensityMatrixSimulator (explicit noise channels)", CirqBackend),
    "stim": ("Stim Pauli-frame sampler: Clifford circuits at any width (depolarizing and "
             "readout noise); no exact distributions", StimBackend),
}


def get_backend(name: str, threads: int = 1, method: str = "auto") -> Backend:
    """`aer`, `cirq`, or `aer:METHOD` to force an Aer simulation method."""
    base, _, forced = name.partition(":")
    if base not in BACKENDS:
        raise SpecError(f"unknown backend {name!r}; valid: {', '.join(BACKENDS)} "
                        f"(aer:{'|'.join(AER_METHODS[1:])} forces a method)")
    if base == "aer":
        return AerBackend(threads, forced or method)
    if forced:
        raise SpecError("only the aer backend takes a method")
    return CirqBackend() if base == "cirq" else StimBackend()
