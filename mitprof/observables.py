"""Observables: parse Pauli-sum strings, group them into measurement bases, and
turn measured bitstrings into expectation values.

Grouping and basis-change circuits come from Mitiq's `Observable` (TREX needs
one anyway); the parity arithmetic is vectorised here because Mitiq's own
`_expectation_from_measurements` loops over bitstrings in Python.
"""

from __future__ import annotations

import re
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

    @cached_property
    def groups(self) -> tuple[MeasurementGroup, ...]:
        """Qubit-wise commuting groups, each measured by one circuit (Mitiq's partition)."""
        obs = self.to_mitiq()
        out = []
        for group in obs.groups:
            measured = tuple(sorted(q.x for q in group._qubits_to_measure()))
            col = {q: i for i, q in enumerate(measured)}
            terms = tuple(
                (float(np.real(p.coeff)), tuple(col[i] for i in sorted(p.support())))
                for p in group.elements
            )
            basis = {}
            for p in group.elements:
                for q, pauli in p._pauli.items():
                    basis[q.x] = str(pauli)
            out.append(MeasurementGroup(measured, "".join(basis[q] for q in measured), terms))
        return tuple(out)

    def to_mitiq(self) -> mitiq.Observable:
        from mitiq import Observable, PauliString

        paulis = []
        for coeff, spec in self.terms:
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
        return circuit + cirq.Circuit(ops) if ops else circuit.copy()

    def measurement(self) -> cirq.Operation:
        import cirq

        return cirq.measure(*(cirq.LineQubit(q) for q in self.measured_qubits), key="m")

    def measure_in(self, circuit: cirq.Circuit) -> cirq.Circuit:
        return self.rotate(circuit) + self.measurement()

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
