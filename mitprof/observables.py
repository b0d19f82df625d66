"""Observables: parse Pauli-sum strings, group them into measurement bases, and
turn measured bitstrings into expectation values.

Grouping and basis-change circuits come from Mitiq's `Observable` (TREX needs
one anyway); the parity arithmetic is vectorised here because Mitiq's own
`_expectation_from_measurements` loops over bitstrings in Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .errors import SpecError

if TYPE_CHECKING:
    import cirq
    import mitiq

# variances square the weights: beyond this they overflow a float
MAX_WEIGHT = 1e100

# measure_in's results for immutable (frozen) circuits while `shared_measurements` is active:
# the statistics pass measures the same pooled circuit objects trial after trial, and then
# gets the same measured object back, whose cache lookups stop at identity instead of
# comparing circuits moment by moment
_Memo = dict[tuple[object, ...], tuple["cirq.FrozenCircuit", "cirq.FrozenCircuit"]]
_MEASURED: ContextVar[_Memo | None] = ContextVar("mitprof_measured", default=None)


@contextmanager
def shared_measurements() -> Iterator[None]:
    """Within this block, measuring a FrozenCircuit returns one shared FrozenCircuit per
    (circuit, basis); the memo ends with the block."""
    token = _MEASURED.set({})
    try:
        yield
    finally:
        _MEASURED.reset(token)


_TERM = re.compile(r"^\s*(?:([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\*\s*)?([IXYZ]+)\s*$")


@dataclass(frozen=True)
class PauliSum:
    """A real-weighted sum of dense Pauli strings; character i acts on qubit i."""

    terms: tuple[tuple[float, str], ...]

    @property
    def n_qubits(self) -> int:
        return len(self.terms[0][1])

    def __str__(self) -> str:
        return "+".join(f"{c:.12g}*{p}" for c, p in self.terms)

    def mirrored(self) -> PauliSum:
        """Every Pauli string read the other way round (Qiskit's order <-> mitprof's)."""
        return PauliSum(tuple((c, p[::-1]) for c, p in self.terms))

    @cached_property
    def groups(self) -> tuple[MeasurementGroup, ...]:
        """Qubit-wise commuting groups, each measured by one circuit (Mitiq's partition).

        The order is canonical: groups by measured qubits and basis, the terms of each by
        support. It decides the order random numbers are drawn and terms are summed in,
        and Mitiq's own order is not reproducible (it partitions after an unseeded
        shuffle), so without this the same profile differed from one process to the next.
        """
        obs = self.to_mitiq()
        obs.partition(seed=0)  # the same partition every time, of canonically ordered terms
        out = []
        for group in obs.groups:
            measured = tuple(sorted(q.x for q in group._qubits_to_measure()))
            col = {q: i for i, q in enumerate(measured)}
            terms = tuple(sorted(
                ((float(np.real(p.coeff)), tuple(col[i] for i in sorted(p.support())))
                 for p in group.elements),
                key=lambda term: (term[1], term[0])))
            basis = {}
            for p in group.elements:
                for q, pauli in p._pauli.items():
                    basis[q.x] = str(pauli)
            out.append(MeasurementGroup(measured, "".join(basis[q] for q in measured), terms))
        return tuple(sorted(out, key=lambda g: (g.measured_qubits, g.basis)))

    def to_mitiq(self) -> mitiq.Observable:
        from mitiq import Observable, PauliString

        paulis = []
        for coeff, spec in sorted(self.terms, key=lambda term: term[1]):  # canonical order
            support = tuple(i for i, ch in enumerate(spec) if ch != "I")
            letters = "".join(spec[i] for i in support)
            paulis.append(PauliString(letters or "I", coeff=coeff, support=support or (0,)))
        return Observable(*paulis)


@dataclass(frozen=True, eq=False)
class MeasurementGroup:
    """One measurement basis: the circuit suffix and the parities it yields."""

    measured_qubits: tuple[int, ...]
    basis: str  # the Pauli letter measured on each measured qubit
    # (coefficient, columns of the measured bitstring whose parity is the term's value)
    terms: tuple[tuple[float, tuple[int, ...]], ...]

    def rotate(self, circuit: cirq.Circuit) -> cirq.Circuit:
        """The circuit followed by canonical basis changes (X: H; Y: S^-1 then H)."""
        import cirq

        ops: list[cirq.Operation] = []
        for q, ch in zip(self.measured_qubits, self.basis, strict=True):
            lq = cirq.LineQubit(q)
            if ch == "Y":
                ops.append((cirq.S**-1).on(lq))
            if ch in "XY":
                ops.append(cirq.H.on(lq))
        if not ops:
            return circuit if isinstance(circuit, cirq.FrozenCircuit) else circuit.copy()
        return circuit + cirq.Circuit(ops)

    def measurement(self) -> cirq.Operation:
        import cirq

        return cirq.measure(*(cirq.LineQubit(q) for q in self.measured_qubits), key="m")

    def measure_in(self, circuit: cirq.Circuit) -> cirq.Circuit:
        import cirq

        memo = _MEASURED.get()
        if memo is None or not isinstance(circuit, cirq.FrozenCircuit):
            return self.rotate(circuit) + self.measurement()
        key = (circuit, self.measured_qubits, self.basis)
        entry = memo.get(key)
        if entry is not None and entry[0] is circuit:
            return entry[1]
        if entry is None:
            measured = (self.rotate(circuit) + self.measurement()).freeze()
        else:  # an equal circuit under another object (ZNE's scale 1 and PEC's commonest
            # sample): re-keyed on this one, whose next lookups then stop at identity
            measured = entry[1]
            del memo[key]
        memo[key] = (circuit, measured)
        return measured

    def expectation(self, bits: np.ndarray) -> float:
        """Expectation of this group's terms from a (shots x measured) 0/1 array."""
        bits = np.asarray(bits, dtype=np.uint8)
        total = 0.0
        for coeff, cols in self.terms:
            if not cols:
                total += coeff
                continue
            parity = np.bitwise_xor.reduce(bits[:, list(cols)], axis=1)
            total += coeff * (1.0 - 2.0 * parity.mean())
        return total

    def values(self) -> np.ndarray:
        """The group's observable value on every measured outcome (big-endian index)."""
        m = len(self.measured_qubits)
        idx = np.arange(2**m)
        out = np.zeros(2**m)
        for coeff, cols in self.terms:
            parity = np.zeros(2**m, dtype=np.int64)
            for c in cols:
                parity ^= (idx >> (m - 1 - c)) & 1
            out += coeff * (1 - 2 * parity)
        return out

    def expectation_from_probabilities(self, probs: np.ndarray) -> float:
        """Exact expectation from a distribution over measured bitstrings
        (index = bits read big-endian, first measured qubit most significant)."""
        return float(np.dot(probs, self.values()))

    def variance_from_probabilities(self, probs: np.ndarray) -> float:
        """Exact per-shot variance of the group's single-shot estimator."""
        v = self.values()
        return float(np.dot(probs, v**2) - np.dot(probs, v) ** 2)


def parse_observable(text: str, n_qubits: int | None = None) -> PauliSum:
    """Parse `"ZZII"`, `"0.5*ZZII+0.5*IIZZ"` or `"-1*XX + 2e-1*ZZ"`."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError("observable is empty; give a Pauli string such as 'ZZ' or '0.5*ZI+0.5*IZ'")
    # split on + and - that start a new term (not exponent signs)
    pieces = re.split(r"(?<![eE*+-])\s*(?=[+-])", text.strip())
    terms: dict[str, float] = {}
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        sign = 1.0
        if piece[0] in "+-":
            sign = -1.0 if piece[0] == "-" else 1.0
            piece = piece[1:].strip()
            if piece.startswith(("+", "-")):  # "+-0.5*ZZ"
                sign *= -1.0 if piece[0] == "-" else 1.0
                piece = piece[1:].strip()
        m = _TERM.match(piece)
        if not m:
            raise SpecError(
                f"cannot parse observable term {piece!r} in {text!r}: expected "
                "[coefficient*]PAULIS with PAULIS over I, X, Y, Z (e.g. 0.5*ZZII)"
            )
        coeff = sign * (float(m.group(1)) if m.group(1) else 1.0)
        terms[m.group(2)] = terms.get(m.group(2), 0.0) + coeff
    widths = {len(p) for p in terms}
    if len(widths) != 1:
        raise SpecError(f"observable {text!r} mixes Pauli strings of lengths {sorted(widths)}")
    width = widths.pop()
    if n_qubits is not None and width != n_qubits:
        raise SpecError(
            f"observable {text!r} acts on {width} qubits but the circuit has {n_qubits}"
        )
    for pauli, c in terms.items():
        if not abs(c) <= MAX_WEIGHT:  # inf, nan (inf - inf) and weights whose squares overflow
            raise SpecError(f"observable {text!r}: the weight of {pauli} is {c!r}; weights must "
                            f"be finite and at most {MAX_WEIGHT:g} in magnitude")
    kept = tuple((c, p) for p, c in terms.items() if c != 0.0)
    if not kept:
        raise SpecError(f"observable {text!r} is identically zero")
    return PauliSum(kept)


def exact_expectation(state: np.ndarray, obs: PauliSum, density: bool = False) -> float:
    """<O> for a statevector or density matrix in Cirq's big-endian order (qubit 0 first)."""
    import cirq

    qubits = cirq.LineQubit.range(obs.n_qubits)
    total = 0.0
    for coeff, spec in obs.terms:
        paulis = {q: getattr(cirq, ch) for q, ch in zip(qubits, spec, strict=True) if ch != "I"}
        ps: cirq.PauliString = cirq.PauliString(paulis, coefficient=coeff)
        qmap = {q: i for i, q in enumerate(qubits)}
        if density:
            total += float(np.real(ps.expectation_from_density_matrix(state, qmap)))
        else:
            total += float(np.real(ps.expectation_from_state_vector(state, qmap)))
    return total


# ---------------------------------------------------------------- observables from other libraries

ORDERS = ("cirq", "qiskit")

_AMBIGUOUS = (
    "observable {text!r} is ambiguous for a qiskit.QuantumCircuit: Qiskit reads a Pauli "
    "label right to left (in Qiskit, 'ZII' is Z on qubit 2), Cirq, Mitiq and mitprof read it "
    "left to right ('ZII' is Z on qubit 0), and the two answers differ. Say which: "
    "observable_order='qiskit' or observable_order='cirq' (CLI: --observable-order), or pass "
    "an observable object (qiskit.quantum_info.SparsePauliOp or Pauli, cirq.PauliString or "
    "PauliSum, mitiq.Observable)")


def _real(coeff: complex, what: str) -> float:
    c = complex(coeff)
    if abs(c.imag) > 1e-12 * max(1.0, abs(c.real)):
        raise SpecError(f"observable term {what} has the complex coefficient {c}: an observable "
                        "must be Hermitian (real coefficients)")
    return c.real


def _from_terms(terms: list[tuple[float, str]], shown: str, n_qubits: int) -> PauliSum:
    summed: dict[str, float] = {}
    for c, p in terms:
        summed[p] = summed.get(p, 0.0) + c
    kept = tuple((c, p) for p, c in summed.items() if c != 0.0)
    if not kept:
        raise SpecError(f"observable {shown} is identically zero")
    if any(len(p) != n_qubits for _, p in kept):
        raise SpecError(f"observable {shown} acts on {len(kept[0][1])} qubits but the circuit "
                        f"has {n_qubits}")
    return PauliSum(kept)


def from_qiskit_operator(op: object, n_qubits: int) -> PauliSum:
    """A qiskit.quantum_info SparsePauliOp or Pauli, in Qiskit's order (the label's last
    character is qubit 0)."""
    from qiskit.quantum_info import Pauli, SparsePauliOp

    sparse = SparsePauliOp(op) if isinstance(op, Pauli) else op
    assert isinstance(sparse, SparsePauliOp)
    if sparse.num_qubits != n_qubits:
        raise SpecError(f"observable {sparse.paulis.to_labels()} acts on {sparse.num_qubits} "
                        f"qubits but the circuit has {n_qubits}")
    return _from_terms([(_real(c, label), label[::-1]) for label, c in sparse.to_list()],
                       str(sparse.to_list()), n_qubits)


def from_cirq_operator(op: object, qubit_index: dict[object, int], n_qubits: int) -> PauliSum:
    """A cirq.PauliString or PauliSum on the circuit's own qubits (or a mitiq.Observable)."""
    import cirq

    if type(op).__module__.startswith("mitiq"):
        strings = [p._pauli for p in op.paulis]  # type: ignore[attr-defined]
    elif isinstance(op, cirq.PauliSum):
        strings = list(op)
    else:
        strings = [op]
    terms = []
    for ps in strings:
        letters = ["I"] * n_qubits
        for q, pauli in ps.items():
            if q not in qubit_index:
                raise SpecError(f"observable {ps} acts on qubit {q}, which is not a qubit of "
                                f"the circuit (its qubits: {', '.join(map(str, qubit_index))})")
            letters[qubit_index[q]] = str(pauli)
        terms.append((_real(ps.coefficient, str(ps)), "".join(letters)))
    return _from_terms(terms, str(op), n_qubits)


def to_pauli_sum(obs: object, n_qubits: int, qubit_index: dict[object, int],
                 order: str | None = None, qiskit_circuit: bool = False) -> PauliSum:
    """Any accepted observable as a PauliSum in mitprof's order (character i is qubit i).

    `qubit_index` maps the circuit's own qubits (Cirq qids; LineQubit(i) for Qiskit, QASM and
    family circuits, as Mitiq does) to canonical indices. A bare string is read in `order`
    ("cirq": left to right, the default; "qiskit": right to left); for a Qiskit circuit a
    string that reads differently the two ways needs `order`.
    """
    if order is not None and order not in ORDERS:
        raise SpecError(f"observable order {order!r}: expected 'qiskit' or 'cirq'")
    if isinstance(obs, PauliSum):
        return _from_terms(list(obs.terms), str(obs), n_qubits)
    if isinstance(obs, str):
        as_is = parse_observable(obs, n_qubits)
        mirrored = as_is.mirrored()
        if order == "qiskit":
            return mirrored
        if order is None and qiskit_circuit and sorted(as_is.terms) != sorted(mirrored.terms):
            raise SpecError(_AMBIGUOUS.format(text=obs))
        return as_is
    mod = type(obs).__module__
    if mod.startswith("qiskit.quantum_info") and type(obs).__name__ in ("SparsePauliOp", "Pauli"):
        return from_qiskit_operator(obs, n_qubits)
    if mod.startswith("cirq") and type(obs).__name__ in ("PauliString", "PauliSum",
                                                         "SingleQubitPauliStringGateOperation"):
        return from_cirq_operator(obs, qubit_index, n_qubits)
    if mod.startswith("mitiq") and type(obs).__name__ in ("Observable", "PauliString"):
        if type(obs).__name__ == "PauliString":
            return from_cirq_operator(obs._pauli, qubit_index, n_qubits)  # type: ignore[attr-defined]
        return from_cirq_operator(obs, qubit_index, n_qubits)
    raise SpecError(
        f"unsupported observable type {type(obs).__name__}: give a Pauli string ('ZZI', "
        "'0.5*ZI+0.5*IZ'), a qiskit.quantum_info.SparsePauliOp or Pauli, a cirq.PauliString or "
        "PauliSum, or a mitiq.Observable")
