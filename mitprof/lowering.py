"""Lower circuits to one canonical gate set, and translate them exactly.

The canonical form is a Cirq circuit on LineQubit(0..n-1), no measurements, with
gates from QISKIT_BASIS (plus the inverses Mitiq's folding produces). Mitiq
works on it natively; both simulators receive exact gate-by-gate translations
of it, so noise acts after the same gates on Aer and Cirq. Lowering uses
Qiskit's transpiler at optimization_level=0: higher levels cancel folds.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import SpecError

if TYPE_CHECKING:
    import cirq
    import qiskit

# Qiskit basis for lowering; every name maps one-to-one onto a Cirq gate below.
QISKIT_BASIS = ["id", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "cx", "cz"]
CLIFFORD_NAMES = {"id", "h", "x", "y", "z", "s", "sdg", "cx", "cz"}


def qubit_index(q: Any) -> int:
    """The index of a canonical LineQubit."""
    return int(q.x)


def _close(a: float, b: float) -> bool:
    """np.isclose(a, b) with its default tolerances, on two floats (without numpy's
    per-call array overhead: this runs once per gate of every translated circuit)."""
    return abs(a - b) <= 1e-8 + 1e-5 * abs(b)


def _mod(e: float, period: float = 2.0) -> float:
    r = float(e) % period
    return 0.0 if _close(r, period) else r


def is_measurement(op: cirq.Operation) -> bool:
    """Whether a canonical operation measures: its gate's type, without the general
    protocol `cirq.is_measurement` (which walks sub-operations; canonical circuits have
    none, and this runs once per operation of every circuit simulated)."""
    import cirq

    return isinstance(op.gate, cirq.MeasurementGate)


def gate_name(op: cirq.Operation) -> tuple[str, float | None]:
    """(qiskit name, angle) of a canonical operation; raises SpecError otherwise."""
    import cirq

    g = op.gate
    if isinstance(g, cirq.MeasurementGate):
        return "measure", None
    if isinstance(g, cirq.IdentityGate) and len(op.qubits) == 1:
        return "id", None
    if isinstance(g, cirq.HPowGate) and _close(_mod(g.exponent), 1.0):
        return "h", None
    if isinstance(g, cirq.CXPowGate) and _close(_mod(g.exponent), 1.0):
        return "cx", None
    if isinstance(g, cirq.CZPowGate) and _close(_mod(g.exponent), 1.0):
        return "cz", None
    if isinstance(g, cirq.Rx | cirq.Ry | cirq.Rz):
        return type(g).__name__.lower(), float(g._rads)
    for cls, axis in ((cirq.XPowGate, "x"), (cirq.YPowGate, "y"), (cirq.ZPowGate, "z")):
        if isinstance(g, cls):
            e = _mod(g.exponent)
            if _close(e, 1.0):
                return axis, None
            if axis == "z":
                for value, name in ((0.5, "s"), (1.5, "sdg"), (0.25, "t"), (1.75, "tdg")):
                    if _close(e, value):
                        return name, None
            # global phase differs from r{axis}; irrelevant for expectation values
            return "r" + axis, float(np.pi * g.exponent)
    raise SpecError(f"operation {op} is outside mitprof's canonical gate set")


def is_canonical(circuit: cirq.Circuit) -> bool:
    try:
        for op in circuit.all_operations():
            gate_name(op)
    except SpecError:
        return False
    return True


def is_clifford(circuit: cirq.Circuit) -> bool:
    for op in circuit.all_operations():
        name, angle = gate_name(op)
        if name in CLIFFORD_NAMES or name == "measure":
            continue
        if angle is not None and np.isclose(angle / (np.pi / 2), round(angle / (np.pi / 2))):
            continue
        return False
    return True


def to_qiskit(
    circuit: cirq.Circuit, n_qubits: int, clifford_only: bool = False,
    readout_channels: bool = True, measurements: bool = True,
) -> qiskit.QuantumCircuit:
    """Exact gate-by-gate translation of a canonical (possibly noisy) Cirq circuit.

    Depolarizing channels become Aer depolarizing errors in Aer's parameterisation
    (noise.cirq_to_aer_lambda); readout channels become Kraus errors. The measured
    qubits go to clbits 0..m-1 in measurement order. `clifford_only` writes
    quarter-turn rotations as h/s/sdg/z sequences (Aer's stabilizer method rejects
    rx/ry/rz); `readout_channels=False` leaves readout error to the simulator's
    classical readout model (the stabilizer method cannot apply a Kraus channel);
    `measurements=False` leaves the measurements out (for an exact distribution).
    """
    import cirq
    from qiskit import QuantumCircuit

    ops = list(circuit.all_operations())
    measured: list[int] = []
    for op in ops if measurements else ():
        if isinstance(op.gate, cirq.MeasurementGate):
            measured.extend(q.x for q in op.qubits)  # type: ignore[attr-defined]
    qc = QuantumCircuit(_register(n_qubits), *([_clbits(len(measured))] if measured else []))
    clbit = {q: i for i, q in enumerate(measured)}
    # Each operation object is translated once (PEC samples, folds and noisy circuits share
    # their operations): its CircuitInstruction on this shared register, appended directly,
    # the same circuit as qc.h(q) etc. build without their per-call argument broadcasting.
    if sum(map(len, _TRANSLATED.values())) > _TRANSLATED_MAX:
        forget_translations()  # a bound, not an LRU: refilling costs one translation per op
    known = _TRANSLATED.setdefault((n_qubits, clifford_only, readout_channels), {})
    for op in ops:
        hit = known.get(id(op))
        if hit is None or hit[0] is not op:
            hit = known[id(op)] = _translate(op, n_qubits, clifford_only, readout_channels)
        if hit[1] is not None:
            qc._append(hit[1])
        elif hit[2] == "measure":
            if measurements:
                qs = [q.x for q in op.qubits]  # type: ignore[attr-defined]
                qc.measure(qs, [clbit[q] for q in qs])
        elif hit[2] is not None:  # clifford_only rotation
            _quarter_turns(qc, hit[2], hit[3], op.qubits[0].x)  # type: ignore[attr-defined]
    return qc


# (n_qubits, clifford_only, readout_channels) -> id(operation) -> _translate's entry, which
# holds the operation (so its id is not reused while the entry lives)
_TRANSLATED: dict[tuple[int, bool, bool], dict[int, tuple[Any, Any, str | None, Any]]] = {}
_TRANSLATED_MAX = 4096  # in all: a point needs a few hundred; 2.9 MB when full


def forget_translations() -> None:
    """Empty to_qiskit's cache: timed runs start from it empty, so that they pay for
    translating their circuits as a user's one run does."""
    _TRANSLATED.clear()


def _translate(op: cirq.Operation, n_qubits: int, clifford_only: bool,
               readout_channels: bool) -> tuple[Any, Any, str | None, Any]:
    """(op, CircuitInstruction or None, gate name, angle): the instruction where one is
    appended as is; else a measurement, a Clifford rotation to expand, or nothing (a
    readout channel left to the simulator's classical readout model)."""
    from qiskit.circuit import CircuitInstruction

    from .noise.channels import ReadoutChannel, aer_instruction_for, is_noise

    g = op.gate
    if is_noise(g):
        if not readout_channels and isinstance(g, ReadoutChannel):
            return (op, None, None, None)
        instruction = aer_instruction_for(g)
        name, angle = None, None
    else:
        name, angle = gate_name(op)
        if name == "measure" or (clifford_only and angle is not None):
            return (op, None, name, angle)
        instruction = _qiskit_gate(name, angle)
    bits = _register(n_qubits)
    return (op, CircuitInstruction(instruction, tuple(bits[qubit_index(q)] for q in op.qubits), ()),
            name, angle)


@functools.cache
def _register(n: int) -> Any:
    """One QuantumRegister 'q' per width, shared by every translated circuit (what
    QuantumCircuit(n, m) makes afresh), so cached instructions can name its qubits."""
    from qiskit import QuantumRegister

    return QuantumRegister(n, "q")


@functools.cache
def _clbits(m: int) -> Any:
    from qiskit import ClassicalRegister

    return ClassicalRegister(m, "c")


@functools.lru_cache(maxsize=4096)
def _qiskit_gate(name: str, angle: float | None) -> Any:
    """The Qiskit gate for a canonical name (and angle), built once per (name, angle)."""
    from qiskit.circuit import library

    cls = getattr(library, {"id": "IGate", "sdg": "SdgGate", "tdg": "TdgGate"}.get(
        name, name.upper() + "Gate"))
    return cls() if angle is None else cls(angle)


def clifford_gates(name: str, angle: float) -> list[str]:
    """rz/rx/ry by a multiple of pi/2 as Clifford gate names (equal up to global phase)."""
    k = round(angle / (np.pi / 2))
    if not np.isclose(angle, k * np.pi / 2):
        raise SpecError(f"{name}({angle}) is not a Clifford rotation")
    turns = [[], ["s"], ["z"], ["sdg"]][k % 4]
    wrap = {"rz": ([], []), "rx": (["h"], ["h"]), "ry": (["sdg", "h"], ["h", "s"])}[name]
    gates = [*wrap[0], *turns, *wrap[1]]
    return gates or ["id"]  # keep a slot for the gate's noise channel to follow


def _quarter_turns(qc: Any, name: str, angle: float, q: int) -> None:
    for g in clifford_gates(name, angle):
        getattr(qc, g)(q)


def from_qiskit(qc: qiskit.QuantumCircuit, name: str = "circuit") -> cirq.Circuit:
    """Lower a Qiskit circuit to the canonical gate set (no optimisation) and translate."""
    import cirq
    from qiskit import transpile

    if qc.num_parameters:
        raise SpecError(f"{name}: circuit has unbound parameters {sorted(map(str, qc.parameters))}")
    for inst in qc.data:
        if inst.operation.name in ("reset", "delay") or inst.operation.name.startswith("c_if"):
            raise SpecError(
                f"{name}: operation '{inst.operation.name}' is not supported "
                "(Mitiq cannot fold or represent it); remove it from the circuit"
            )
        if inst.operation.condition if hasattr(inst.operation, "condition") else False:
            raise SpecError(f"{name}: classically controlled operations are not supported")
    try:
        low = transpile(qc, basis_gates=QISKIT_BASIS, optimization_level=0)
    except Exception as exc:  # transpiler errors are user input errors here
        raise SpecError(f"{name}: cannot lower to the canonical gate set: {exc}") from None
    qubits = cirq.LineQubit.range(low.num_qubits)
    ops = []
    measured: set[int] = set()  # qubits measured so far: any later gate on them is refused
    for inst in low.data:
        op_name = inst.operation.name
        idx = [low.find_bit(q).index for q in inst.qubits]
        qs = [qubits[i] for i in idx]
        if op_name == "barrier":
            continue  # a scheduling hint only: no optimisation runs, nothing moves across it
        if op_name == "measure":
            # terminal measurements are dropped: the observable decides what is measured
            measured.update(idx)
            continue
        after = sorted(measured.intersection(idx))
        if after:
            raise SpecError(
                f"{name}: mid-circuit measurement: qubit {after[0]} is measured and then "
                f"acted on by '{op_name}'; only terminal measurements are supported (the "
                "observable decides what is measured)")
        gate = canonical_gate(op_name, [float(p) for p in inst.operation.params], name)
        ops.append(gate.on(*qs))
    out = cirq.Circuit(ops)
    return _compact_qubits(out, low.num_qubits, name)


def canonical_gate(op_name: str, params: list[float], name: str = "circuit") -> Any:
    """The Cirq gate of a Qiskit instruction in QISKIT_BASIS."""
    import cirq

    gate = {
        "id": cirq.I, "h": cirq.H, "x": cirq.X, "y": cirq.Y, "z": cirq.Z, "s": cirq.S,
        "sdg": cirq.S**-1, "t": cirq.T, "tdg": cirq.T**-1, "cx": cirq.CNOT, "cz": cirq.CZ,
    }.get(op_name)
    if gate is None:
        if op_name in ("rx", "ry", "rz"):
            return getattr(cirq, op_name)(params[0])
        raise SpecError(f"{name}: operation '{op_name}' could not be lowered")
    return gate


def _compact_qubits(circuit: cirq.Circuit, n: int, name: str) -> cirq.Circuit:
    import cirq

    used = {qubit_index(q) for q in circuit.all_qubits()}
    if not circuit.all_qubits():
        raise SpecError(f"{name}: circuit has no gates")
    if used != set(range(n)):
        idle = sorted(set(range(n)) - used)
        raise SpecError(f"{name}: qubits {idle} have no gates; remove idle qubits from the circuit")
    return circuit.transform_qubits(lambda q: cirq.LineQubit(qubit_index(q)))


def from_cirq(circuit: cirq.Circuit, name: str = "circuit") -> cirq.Circuit:
    """Map qubits to LineQubit(0..n-1) in sorted order and lower non-canonical gates."""
    import cirq

    circuit = cirq.drop_terminal_measurements(circuit) if circuit.has_measurements() else circuit
    if any(cirq.is_measurement(op) for op in circuit.all_operations()):
        raise SpecError(f"{name}: mid-circuit measurements are not supported")
    qubits = sorted(circuit.all_qubits())
    qmap = {q: cirq.LineQubit(i) for i, q in enumerate(qubits)}
    circuit = circuit.transform_qubits(lambda q: qmap[q])
    if is_canonical(circuit):
        return circuit
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import UnitaryGate

    qc = QuantumCircuit(len(qubits))
    for op in cirq.decompose(circuit, keep=lambda o: len(o.qubits) <= 2):
        if not cirq.has_unitary(op):
            raise SpecError(f"{name}: operation {op} is not unitary and cannot be lowered")
        try:
            n, a = gate_name(op)
            qs = [qubit_index(q) for q in op.qubits]
            getattr(qc, n)(*qs) if a is None else getattr(qc, n)(a, *qs)
            continue
        except SpecError:
            pass
        # Qiskit is little-endian: reverse the qubit list to keep Cirq's matrix meaning.
        qc.append(UnitaryGate(cirq.unitary(op)), [qubit_index(q) for q in reversed(op.qubits)])
    return from_qiskit(qc, name)
