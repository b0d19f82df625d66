"""Workloads: a circuit from any source (family, OpenQASM file, Qiskit or Cirq
object), lowered to the canonical gate set (`lowering`), with its observable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SpecError
from .lowering import from_cirq, from_qiskit
from .observables import PauliSum, to_pauli_sum

if TYPE_CHECKING:
    import cirq

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


# ---------------------------------------------------------------- loading

_QASM_OBS = re.compile(r"^\s*//\s*observable:\s*(.+?)\s*$", re.M)


def load_qasm(path: str | Path) -> tuple[cirq.Circuit, str | None]:
    """Load OpenQASM 2 or 3; returns the canonical circuit and the file's `// observable:` line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not a UTF-8 text file (an OpenQASM circuit is text)") from None
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
    from .limits import check_circuit

    check_circuit(str(path), qc.num_qubits, qc.size())  # before lowering, which is per gate
    m = _QASM_OBS.search(text)
    return from_qiskit(qc, str(path)), (m.group(1) if m else None)


def resolve(circuit: Any, observable: Any = None, observable_order: str | None = None
            ) -> Workload:
    """Turn any accepted circuit input into a Workload.

    Accepts a family spec string (`mirror:n=4,depth=8,seed=3`), a path to a
    .qasm file (or the name of one shipped in circuits/), a Qiskit
    QuantumCircuit, or a Cirq Circuit. `observable` is a Pauli string or weighted sum
    (read in `observable_order`: "cirq", character i is qubit i, the default; "qiskit",
    the last character is qubit 0; for a QuantumCircuit a string that reads differently
    the two ways is refused without it), or an observable object converted with its own
    library's convention: qiskit.quantum_info SparsePauliOp/Pauli, cirq PauliString/
    PauliSum on the circuit's qubits, mitiq Observable (LineQubit(i) is qubit i).
    """
    obs_default: str | None = None
    name: str
    qiskit_circuit = False
    qubit_index: dict[Any, int] | None = None
    if isinstance(circuit, str):
        spec = circuit.strip()
        path = Path(spec)
        shipped = QASM_DIR / spec if not path.suffix else QASM_DIR / path.name
        if path.suffix == ".qasm" or _exists(path):
            if not _exists(path) and _exists(shipped):
                path = shipped
            if not _exists(path):
                raise SpecError(f"circuit file {spec} does not exist")
            from .limits import check_qasm_file

            check_qasm_file(path)
            canon, obs_default = load_qasm(path)
            name = path.name
        else:
            from .families import build_family

            fam, _, arg_text = spec.partition(":")
            params = _parse_params(arg_text, spec)
            from .limits import check_family

            check_family(spec, params)
            raw, obs_default = build_family(fam.strip(), params)
            canon = from_cirq(raw, spec)
            name = spec
    else:
        mod = type(circuit).__module__
        if mod.startswith("qiskit"):
            canon = from_qiskit(circuit, getattr(circuit, "name", "circuit"))
            name = getattr(circuit, "name", "qiskit-circuit")
            qiskit_circuit = True
        elif mod.startswith("cirq"):
            import cirq

            canon = from_cirq(circuit, "cirq-circuit")
            name = "cirq-circuit"
            own = circuit.unfreeze(copy=False) if isinstance(circuit, cirq.FrozenCircuit) \
                else circuit
            kept = cirq.drop_terminal_measurements(own) if own.has_measurements() else own
            qubit_index = {q: i for i, q in enumerate(sorted(kept.all_qubits()))}
        else:
            raise SpecError(
                f"unsupported circuit type {type(circuit).__name__}: give a family spec, "
                "a .qasm path, a qiskit.QuantumCircuit or a cirq.Circuit"
            )
    n = len(canon.all_qubits())
    obs = observable if observable is not None else obs_default
    if obs is None:
        obs = "Z" * n
    if qubit_index is None:  # Qiskit, QASM and family circuits: LineQubit(i) is qubit i
        import cirq

        qubit_index = {cirq.LineQubit(i): i for i in range(n)}
    return Workload(name, canon, to_pauli_sum(obs, n, qubit_index, observable_order,
                                              qiskit_circuit=qiskit_circuit and obs is observable))


def canonical_text(circuit: cirq.Circuit) -> str:
    """A canonical circuit as text, one operation per line in order (gate, angle, qubit
    indices): equal texts are equal circuits, so its hash identifies a circuit object."""
    from .lowering import gate_name, qubit_index

    lines = []
    for op in circuit.all_operations():
        name, angle = gate_name(op)
        qubits = " ".join(str(qubit_index(q)) for q in op.qubits)
        lines.append(f"{name}{'' if angle is None else f'({angle!r})'} {qubits}")
    return f"qubits {len(circuit.all_qubits())}\n" + "\n".join(lines)


def _exists(path: Path) -> bool:
    """Whether a file is there; False for names the system cannot hold (too long, NUL)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


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
