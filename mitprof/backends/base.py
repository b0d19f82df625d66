"""The backend protocol: execute circuits under a noise model, declare what you can do.

A backend takes canonical circuits whose only measurement is one terminal
`cirq.measure(*qubits)`, and a noise model (`mitprof.noise.NoiseModel`) that it
applies itself, or `None` when it carries its own noise (a device, a user's
executor). `run` returns 0/1 arrays of shape (shots, measured qubits) in
measurement order; `probabilities` gives the exact distribution of the same bits
(readout included) where the backend can compute it, which the statistics pass
samples from and the agreement tests compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from ..errors import CapacityError
from ..lowering import is_measurement

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel

# A density matrix takes 16 * 4^n bytes: 12 qubits = 268 MB, 13 = 1.1 GB.
MAX_DENSITY_QUBITS = 12


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, so callers ask instead of checking names."""

    exact_max_qubits: int  # exact output distributions up to this width (0: none)
    max_qubits: int | None  # widest circuit it runs (None: no fixed limit)
    clifford_only: bool  # refuses non-Clifford circuits
    gate_set: frozenset[str]  # canonical gate names it executes (lowering.gate_name)
    own_noise: bool = False  # runs under its own noise: takes no noise model


@dataclass
class RunOutput:
    bits: list[np.ndarray]
    simulator_seconds: float | None  # the simulator's own time, where it reports it


class Backend(Protocol):
    @property
    def name(self) -> str: ...

    method_used: str | None

    @property
    def capabilities(self) -> Capabilities: ...

    def choose(self, n_qubits: int, clifford: bool) -> str:
        """The simulation method for this width; raises CapacityError/SpecError if none."""
        ...

    def compile(self, circuits: list[cirq.Circuit], n_qubits: int,
                noise: NoiseModel | None) -> list[Any]: ...

    def run(self, compiled: list[Any], shots: list[int], seed: int) -> RunOutput: ...

    def probabilities_many(self, circuits: list[cirq.Circuit], n_qubits: int,
                           noise: NoiseModel | None) -> list[np.ndarray]: ...

    def exact_available(self, n_qubits: int) -> bool: ...


class SimulatorBackend:
    """Shared behaviour of the simulators mitprof inserts noise into."""

    name: ClassVar[str]
    help: ClassVar[str]
    variants: ClassVar[tuple[str, ...]] = ()  # `name:VARIANT` forms the registry accepts
    method_used: str | None = None

    @classmethod
    def create(cls, variant: str, threads: int) -> SimulatorBackend:
        if variant:
            from ..errors import SpecError

            raise SpecError(f"backend {cls.name} takes no variant (got {cls.name}:{variant})")
        return cls()

    @property
    def capabilities(self) -> Capabilities:
        raise NotImplementedError

    def exact_available(self, n_qubits: int) -> bool:
        return n_qubits <= self.capabilities.exact_max_qubits

    def choose(self, n_qubits: int, clifford: bool) -> str:
        raise NotImplementedError

    def compile(self, circuits: list[cirq.Circuit], n_qubits: int,
                noise: NoiseModel | None) -> list[Any]:
        raise NotImplementedError

    def run(self, compiled: list[Any], shots: list[int], seed: int) -> RunOutput:
        raise NotImplementedError

    @staticmethod
    def noisy(circuits: list[cirq.Circuit], noise: NoiseModel | None) -> list[cirq.Circuit]:
        return circuits if noise is None else [noise.apply(c) for c in circuits]

    def probabilities(self, circuit: cirq.Circuit, n_qubits: int,
                      noise: NoiseModel | None) -> np.ndarray:
        return self.probabilities_many([circuit], n_qubits, noise)[0]

    def probabilities_many(self, circuits: list[cirq.Circuit], n_qubits: int,
                           noise: NoiseModel | None) -> list[np.ndarray]:
        raise CapacityError(f"the {self.name} backend samples; it has no exact output "
                            "distributions")


def compile_distinct(backend: Backend, circuits: list[cirq.Circuit], n_qubits: int,
                     noise: NoiseModel | None) -> list[Any]:
    """`backend.compile`, each distinct circuit (by content) compiled once and the result
    shared by its repeats: PEC's samples repeat (100 samples of mirror n=3 at p=0.01 are 11
    distinct circuits), and noise insertion and translation cost more than their runs."""
    import cirq

    index: dict[cirq.FrozenCircuit, int] = {}
    firsts: list[cirq.Circuit] = []
    slots = []
    for c in circuits:
        key = cirq.FrozenCircuit(c)
        if key not in index:
            index[key] = len(firsts)
            firsts.append(c)
        slots.append(index[key])
    compiled = backend.compile(firsts, n_qubits, noise)
    return [compiled[i] for i in slots]


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
    out: list[int] = []
    for op in circuit.all_operations():
        if is_measurement(op):
            out.extend(q.x for q in op.qubits)  # type: ignore[attr-defined]
    return out


def without_measurements(circuit: cirq.Circuit) -> cirq.Circuit:
    import cirq

    return cirq.Circuit(op for op in circuit.all_operations() if not cirq.is_measurement(op))
