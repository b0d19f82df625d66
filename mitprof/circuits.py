"""Load circuits from any source and lower them to one canonical gate set.

The canonical form is a Cirq circuit on LineQubit(0..n-1), no measurements, with
gates from CANONICAL_GATES (plus the inverses Mitiq's folding produces). Mitiq
works on it natively; both simulators receive exact gate-by-gate translations
of it, so noise acts after the same gates on Aer and Cirq. Lowering uses
Qiskit's transpiler at optimization_level=0: higher levels cancel folds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import SpecError
from .observables import PauliSum, parse_observable

if TYPE_CHECKING:
    import cirq
    import qiskit

# Qiskit basis for lowering; every name maps one-to-one onto a Cirq gate below.
QISKIT_BASIS = ["id", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "cx", "cz"]
CLIFFORD_NAMES = {"id", "h", "x", "y", "z", "s", "sdg", "cx", "cz"}
NOISELESS = "mitprof:noiseless"  # tag for PEC-inserted Paulis (merged into neighbours on hardware)
QASM_DIR = Path(__file__).resolve().parent / "data" / "circuits"  # the shipped .qasm set


@dataclass(frozen=True, eq=False)
class Workload:
    """A canonical circuit with its observable and provenance."""

    name: str
    circuit: cirq.Circuit
    observable: PauliSum

    @property
    def n_qubits(self) -> int:
        return self.observable.n_qubits

    @property
    def depth(self) -> int:
        return len(self.circuit)

    @property
    def n_gates(self) -> int:
        return sum(1 for _ in self.circuit.all_operations())


# ---------------------------------------------------------------- translation


def qubit_index(q: Any) -> int:
    """The index of a canonical LineQubit."""
    return int(q.x)


def _mod(e: float, period: float = 2.0) -> float:
    r = float(e) % period
    return 0.0 if np.isclose(r, period) else r


def gate_name(op: cirq.Operation) -> tuple[str, float | None]:
    """(qiskit name, angle) of a canonical operation; raises SpecError otherwise."""
    import cirq

    g = op.gate
    if isinstance(g, cirq.MeasurementGate):
        return "measure", None
    if isinstance(g, cirq.IdentityGate) and len(op.qubits) == 1:
        return "id", None
    if isinstance(g, cirq.HPowGate) and np.isclose(_mod(g.exponent), 1.0):
        return "h", None
    if isinstance(g, cirq.CXPowGate) and np.isclose(_mod(g.exponent), 1.0):
        return "cx", None
    if isinstance(g, cirq.CZPowGate) and np.isclose(_mod(g.exponent), 1.0):
        return "cz", None
    if isinstance(g, cirq.Rx | cirq.Ry | cirq.Rz):
        return type(g).__name__.lower(), float(g._rads)
    for cls, axis in ((cirq.XPowGate, "x"), (cirq.YPowGate, "y"), (cirq.ZPowGate, "z")):
        if isinstance(g, cls):
            e = _mod(g.exponent)
            if np.isclose(e, 1.0):
                return axis, None
            if axis == "z":
                for value, name in ((0.5, "s"), (1.5, "sdg"), (0.25, "t"), (1.75, "tdg")):
                    if np.isclose(e, value):
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
    readout_channels: bool = True,
) -> qiskit.QuantumCircuit:
    """Exact gate-by-gate translation of a canonical (possibly noisy) Cirq circuit.

    Depolarizing channels become Aer depolarizing errors in Aer's parameterisation
    (noise.cirq_to_aer_lambda); readout channels become Kraus errors. The measured
    qubits go to clbits 0..m-1 in measurement order. `clifford_only` writes
    quarter-turn rotations as h/s/sdg/z sequences (Aer's stabilizer method rejects
    rx/ry/rz); `readout_channels=False` leaves readout error to the simulator's
    classical readout model (the stabilizer method cannot apply a Kraus channel).
    """
    import cirq
    from qiskit import QuantumCircuit

    from .noise import ReadoutChannel, aer_instruction_for

    measured: list[int] = []
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            measured.extend(q.x for q in op.qubits)  # type: ignore[attr-defined]
    qc = QuantumCircuit(n_qubits, len(measured))
    clbit = {q: i for i, q in enumerate(measured)}
    for op in circuit.all_operations():
        qs = [q.x for q in op.qubits]  # type: ignore[attr-defined]
        if isinstance(op.gate, cirq.DepolarizingChannel | ReadoutChannel):
            if readout_channels or not isinstance(op.gate, ReadoutChannel):
                qc.append(aer_instruction_for(op.gate), qs)
            continue
        name, angle = gate_name(op)
        if name == "measure":
            qc.measure(qs, [clbit[q] for q in qs])
        elif clifford_only and angle is not None:
            _quarter_turns(qc, name, angle, qs[0])
        elif angle is None:
            getattr(qc, name)(*qs)
        else:
            getattr(qc, name)(angle, *qs)
    return qc


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
    for inst in low.data:
        op_name = inst.operation.name
        qs = [qubits[low.find_bit(q).index] for q in inst.qubits]
        if op_name in ("measure", "barrier"):
            continue  # the observable decides what is measured
        params = [float(p) for p in inst.operation.params]
        gate = {
            "id": cirq.I, "h": cirq.H, "x": cirq.X, "y": cirq.Y, "z": cirq.Z, "s": cirq.S,
            "sdg": cirq.S**-1, "t": cirq.T, "tdg": cirq.T**-1, "cx": cirq.CNOT, "cz": cirq.CZ,
        }.get(op_name)
        if gate is None:
            if op_name in ("rx", "ry", "rz"):
                gate = getattr(cirq, op_name)(params[0])
            else:
                raise SpecError(f"{name}: operation '{op_name}' could not be lowered")
        ops.append(gate.on(*qs))
    out = cirq.Circuit(ops)
    return _compact_qubits(out, low.num_qubits, name)


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


# ---------------------------------------------------------------- loading

_QASM_OBS = re.compile(r"^\s*//\s*observable:\s*(.+?)\s*$", re.M)


def load_qasm(path: str | Path) -> tuple[cirq.Circuit, str | None]:
    """Load OpenQASM 2 or 3; returns the canonical circuit and the file's `// observable:` line."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise SpecError(f"cannot read circuit file {path}: {exc.strerror}") from None
    version3 = re.search(r"^\s*OPENQASM\s+3", text, re.M) is not None
    try:
        if version3:
            from qiskit import qasm3

            qc = qasm3.loads(text)
        else:
            from qiskit import qasm2

            qc = qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except ImportError as exc:
        raise SpecError(f"{path}: OpenQASM 3 support needs an extra package: {exc}") from None
    except Exception as exc:
        msg = " ".join(str(exc).split()).strip("'\"")
        loc = re.search(r"<input>:(\d+),(\d+):\s*", msg)
        if loc:
            msg = msg[loc.end():].strip("'\"")
            raise SpecError(f"{path}, line {loc.group(1)}: malformed OpenQASM: {msg}") from None
        raise SpecError(f"{path}: malformed OpenQASM: {msg}") from None
    m = _QASM_OBS.search(text)
    return from_qiskit(qc, str(path)), (m.group(1) if m else None)


def resolve(circuit: Any, observable: str | None = None) -> Workload:
    """Turn any accepted circuit input into a Workload.

    Accepts a family spec string (`mirror:n=4,depth=8,seed=3`), a path to a
    .qasm file (or the name of one shipped in circuits/), a Qiskit
    QuantumCircuit, or a Cirq Circuit.
    """
    obs_default: str | None = None
    name: str
    if isinstance(circuit, str):
        spec = circuit.strip()
        path = Path(spec)
        shipped = QASM_DIR / spec if not path.suffix else QASM_DIR / path.name
        if path.suffix == ".qasm" or path.exists():
            if not path.exists() and shipped.exists():
                path = shipped
            if not path.exists():
                raise SpecError(f"circuit file {spec} does not exist")
            canon, obs_default = load_qasm(path)
            name = path.name
        else:
            from .families import build_family

            fam, _, arg_text = spec.partition(":")
            params = _parse_params(arg_text, spec)
            raw, obs_default = build_family(fam.strip(), params)
            canon = from_cirq(raw, spec)
            name = spec
    else:
        mod = type(circuit).__module__
        if mod.startswith("qiskit"):
            canon = from_qiskit(circuit, getattr(circuit, "name", "circuit"))
            name = getattr(circuit, "name", "qiskit-circuit")
        elif mod.startswith("cirq"):
            canon = from_cirq(circuit, "cirq-circuit")
            name = "cirq-circuit"
        else:
            raise SpecError(
                f"unsupported circuit type {type(circuit).__name__}: give a family spec, "
                "a .qasm path, a qiskit.QuantumCircuit or a cirq.Circuit"
            )
    n = len(canon.all_qubits())
    text = observable if observable is not None else obs_default
    if text is None:
        text = "Z" * n
    return Workload(name, canon, parse_observable(text, n))


def _parse_params(text: str, spec: str) -> dict[str, int | float]:
    params: dict[str, int | float] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise SpecError(f"circuit spec {spec!r}: expected key=value, got {item!r}")
        try:
            num: int | float = int(value)
        except ValueError:
            try:
                num = float(value)
            except ValueError:
                raise SpecError(f"circuit spec {spec!r}: {key}={value!r} is not a number") from None
        params[key.strip()] = num
    return params
