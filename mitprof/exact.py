"""The classical exact computation of the ideal expectation value.

Stabilizer simulation for Clifford circuits (polynomial memory), statevector
otherwise (2^n memory): the best method that applies, as THEORY.md defines
"classical runtime". Its wall-clock time is the comparison point for the
mitigated quantum run.
"""

from __future__ import annotations

from dataclasses import dataclass

from .circuits import Workload
from .errors import CapacityError
from .lowering import forget_translations, is_clifford, to_qiskit
from .measure import median_time

MAX_STATEVECTOR_QUBITS = 28  # 4 GiB of complex128 amplitudes


@dataclass(frozen=True)
class ExactResult:
    value: float
    method: str
    seconds: float
    seconds_spread: float


def _sparse_pauli(workload: Workload):  # type: ignore[no-untyped-def]
    from qiskit.quantum_info import SparsePauliOp

    # Qiskit labels are little-endian: qubit 0 is the rightmost character.
    return SparsePauliOp([p[::-1] for _, p in workload.observable.terms],
                         [c for c, _ in workload.observable.terms])


def ideal_value(workload: Workload, method: str | None = None) -> float:
    return compute(workload, method, repeats=1).value


def compute(workload: Workload, method: str | None = None, repeats: int = 5) -> ExactResult:
    """Ideal <O>, timed end to end (translation + simulation + expectation)."""
    from qiskit.quantum_info import StabilizerState, Statevector

    method = method or ("stabilizer" if is_clifford(workload.circuit) else "statevector")
    if method == "statevector" and workload.n_qubits > MAX_STATEVECTOR_QUBITS:
        raise CapacityError(
            f"{workload.n_qubits} qubits need {16 * 2.0**workload.n_qubits / 2**30:,.0f} GiB "
            "for an exact statevector; only Clifford circuits (stabilizer method) scale further"
        )
    op = _sparse_pauli(workload)

    def run() -> float:
        forget_translations()  # timed from an empty translation cache, every repeat
        qc = to_qiskit(workload.circuit, workload.n_qubits)
        state = StabilizerState(qc) if method == "stabilizer" else Statevector(qc)
        if method == "stabilizer":
            return float(sum(
                c.real * state.expectation_value(p) for p, c in zip(op.paulis, op.coeffs,
                                                                    strict=True)
            ))
        return float(state.expectation_value(op).real)

    value, seconds, spread = median_time(run, repeats=repeats)
    return ExactResult(value, method, seconds, spread)
