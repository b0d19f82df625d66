"""Tests for the built-in circuit families and the curated shipped .qasm files."""

from __future__ import annotations

import re
from pathlib import Path

import cirq
import numpy as np
import pytest

from mitprof.circuits import QASM_DIR
from mitprof.errors import SpecError
from mitprof.families import FAMILIES, build_family

CIRCUITS_DIR = QASM_DIR
_TERM = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\*([IXYZ]+)")


def parse_observable(text: str) -> list[tuple[float, str]]:
    """Minimal local parser for `c*PAULI+c*PAULI...` (the package's own parser is separate)."""
    terms, pos = [], 0
    while pos < len(text):
        if pos > 0:
            assert text[pos] == "+", f"expected '+' at {pos} in {text!r}"
            pos += 1
        m = _TERM.match(text, pos)
        assert m is not None, f"malformed term at {pos} in {text!r}"
        terms.append((float(m.group(1)), m.group(2)))
        pos = m.end()
    assert terms, "empty observable"
    return terms


def ideal_expectation(circuit: cirq.Circuit, observable: str) -> float:
    terms = parse_observable(observable)
    n = len(terms[0][1])
    qubits = cirq.LineQubit.range(n)
    state = cirq.final_state_vector(circuit, qubit_order=qubits, dtype=np.complex128)
    psum = sum(
        (cirq.DensePauliString(p, coefficient=c).on(*qubits) for c, p in terms),
        cirq.PauliSum(),
    )
    value = psum.expectation_from_state_vector(state, {q: i for i, q in enumerate(qubits)})
    assert abs(value.imag) < 1e-9
    return float(value.real)


def check_structure(circuit: cirq.Circuit, observable: str, n: int) -> None:
    assert sorted(circuit.all_qubits()) == cirq.LineQubit.range(n)
    # mitiq's mirror circuits contain explicit identity gates; a qubit touched only by those
    # could vanish if a later pass drops identities, so require a real gate on every qubit.
    acted = {
        q
        for op in circuit.all_operations()
        if not isinstance(op.gate, cirq.IdentityGate)
        for q in op.qubits
    }
    assert acted == set(cirq.LineQubit.range(n))
    assert not circuit.has_measurements()
    assert all(len(p) == n for _, p in parse_observable(observable))


CASES = [
    ("ghz", {}),
    ("ghz", {"n": 2}),
    ("ghz", {"n": 7}),
    ("mirror", {}),
    ("mirror", {"n": 1, "depth": 2}),
    ("mirror", {"n": 3, "depth": 1, "seed": 5}),
    ("mirror", {"n": 6, "depth": 3, "seed": 11}),
    ("rb", {}),
    ("rb", {"n": 1, "depth": 10, "seed": 3}),
    ("rb", {"n": 2, "depth": 1, "seed": 7}),
    ("ising", {}),
    ("ising", {"n": 2, "depth": 1}),
    ("ising", {"n": 5, "depth": 6, "J": 0.5, "h": 1.3, "dt": 0.2}),
    ("qaoa", {}),
    ("qaoa", {"n": 3, "depth": 1}),
    ("qaoa", {"n": 6, "depth": 3, "gamma": 0.7, "beta": -0.2}),
    ("kicked_ising", {"n": 6, "depth": 2}),
    ("kicked_ising", {"n": 9, "depth": 1, "kick": 3}),
]


@pytest.mark.parametrize(("name", "params"), CASES)
def test_family_builds_and_ideal_value(name: str, params: dict[str, float]) -> None:
    circuit, observable = build_family(name, params)
    n = int(params.get("n", FAMILIES[name].defaults["n"]))
    check_structure(circuit, observable, n)
    value = ideal_expectation(circuit, observable)
    if FAMILIES[name].clifford:
        # ghz/mirror/rb observables are built from the construction's stabilisers / ideal
        # bitstring, so +1 is the promise of the family, not a magic number.
        assert value == pytest.approx(1.0, abs=1e-9)
    else:
        assert -1.0 - 1e-9 <= value <= 1.0 + 1e-9


def test_non_clifford_families_are_nontrivial() -> None:
    # A mean-Z / mean-ZZ that stays at exactly +1 or 0 would mean the rotations did nothing.
    for name in ("ising", "qaoa"):
        value = ideal_expectation(*build_family(name, {}))
        assert 1e-3 < abs(value) < 1 - 1e-3


def test_family_metadata() -> None:
    assert set(FAMILIES) == {"ghz", "mirror", "clifford_mirror", "rb", "ising", "qaoa",
                             "kicked_ising"}
    assert {k for k, f in FAMILIES.items() if f.clifford} == {"ghz", "mirror", "clifford_mirror",
                                                              "rb", "kicked_ising"}
    for name, family in FAMILIES.items():
        assert family.name == name
        assert family.description and "\n" not in family.description
        assert "n" in family.defaults
    for name in ("mirror", "rb"):
        assert "seed" in FAMILIES[name].defaults


def test_clifford_families_are_clifford() -> None:
    for name, family in FAMILIES.items():
        if family.clifford:
            circuit, _ = build_family(name, {})
            assert all(cirq.has_stabilizer_effect(op) for op in circuit.all_operations()), name


@pytest.mark.parametrize("name", ["mirror", "rb"])
def test_seed_determinism(name: str) -> None:
    a, obs_a = build_family(name, {"n": 2, "depth": 3, "seed": 1})
    b, obs_b = build_family(name, {"n": 2, "depth": 3, "seed": 1})
    c, _ = build_family(name, {"n": 2, "depth": 3, "seed": 2})
    assert a == b and obs_a == obs_b
    assert a != c


def test_ghz_matches_qasm_file() -> None:
    text = (CIRCUITS_DIR / "ghz4.qasm").read_text()
    _, observable = build_family("ghz", {"n": 4})
    assert text.splitlines()[0] == f"// observable: {observable}"


def test_depth_grows_circuit() -> None:
    for name in ("mirror", "rb", "ising", "qaoa"):
        short, _ = build_family(name, {"depth": 1})
        long, _ = build_family(name, {"depth": 5})
        assert len(list(long.all_operations())) > len(list(short.all_operations())), name


def test_integral_float_accepted() -> None:
    assert build_family("ghz", {"n": 3.0}) == build_family("ghz", {"n": 3})


@pytest.mark.parametrize(
    ("name", "params", "fragment"),
    [
        ("nope", {}, "valid families: ghz, mirror, clifford_mirror, rb, ising, qaoa"),
        ("ghz", {"depth": 2}, "valid parameters: n"),
        ("ising", {"seed": 1}, "'seed'"),
        ("ghz", {"n": 1}, "n must be >= 2"),
        ("ghz", {"n": 2.5}, "n must be an integer"),
        ("ghz", {"n": True}, "n must be an integer"),
        ("ghz", {"n": "4"}, "n must be an integer"),
        ("mirror", {"n": 0}, "n must be >= 1"),
        ("mirror", {"depth": 0}, "depth must be >= 1"),
        ("mirror", {"seed": -1}, "seed must be in"),
        ("rb", {"n": 3}, "n must be 1 or 2"),
        ("rb", {"depth": 0}, "depth (number of Cliffords) must be >= 1"),
        ("ising", {"n": 1}, "n must be >= 2"),
        ("ising", {"dt": float("nan")}, "dt must be finite"),
        ("ising", {"J": "big"}, "J must be a number"),
        ("qaoa", {"n": 2}, "n must be >= 3"),
        ("qaoa", {"depth": -1}, "depth (layers p) must be >= 1"),
    ],
)
def test_bad_params(name: str, params: dict[str, object], fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        build_family(name, params)  # type: ignore[arg-type]
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


QASM_FILES = sorted(CIRCUITS_DIR.glob("*.qasm"))
# Ideal values that are +-1 by construction (stabilisers, or Grover's certain outcome).
UNIT_IDEAL = {"bell.qasm", "ghz4.qasm", "grover2.qasm"}


def test_expected_qasm_files_present() -> None:
    assert {p.name for p in QASM_FILES} >= {
        "bell.qasm",
        "ghz4.qasm",
        "qft3.qasm",
        "grover2.qasm",
        "wstate3.qasm",
        "trotter_step4.qasm",
    }


@pytest.mark.parametrize("path", QASM_FILES, ids=lambda p: p.name)
def test_qasm_file(path: Path) -> None:
    from qiskit import qasm2, qasm3
    from qiskit.quantum_info import SparsePauliOp, Statevector

    text = path.read_text()
    lines = text.splitlines()
    assert lines[0].startswith("// observable: ")
    assert lines[1].startswith("// ") and len(lines[1]) > 10
    terms = parse_observable(lines[0].removeprefix("// observable: ").strip())
    if "OPENQASM 3" in text:
        pytest.importorskip("qiskit_qasm3_import")
        qc = qasm3.loads(text)
    else:
        qc = qasm2.loads(text)
    assert qc.num_qubits >= 1
    assert all(len(p) == qc.num_qubits for _, p in terms)
    assert qc.num_clbits == 0
    # Qiskit labels put qubit 0 rightmost; ours put it leftmost.
    op = SparsePauliOp([p[::-1] for _, p in terms], [c for c, _ in terms])
    value = float(np.real(Statevector(qc).expectation_value(op)))
    assert -1 - 1e-9 <= value <= 1 + 1e-9
    assert abs(value) > 0.1, "curated observables should have a clearly nonzero ideal value"
    if path.name in UNIT_IDEAL:
        assert abs(value) == pytest.approx(1.0, abs=1e-9)


def test_trotter_qasm_matches_ising_family() -> None:
    pytest.importorskip("qiskit_qasm3_import")
    from qiskit import qasm3
    from qiskit.quantum_info import Operator

    qc = qasm3.loads((CIRCUITS_DIR / "trotter_step4.qasm").read_text())
    circuit, observable = build_family("ising", {"n": 4, "depth": 1})
    assert (CIRCUITS_DIR / "trotter_step4.qasm").read_text().splitlines()[0].endswith(observable)
    # Qiskit is little-endian; reverse_bits puts qubit 0 first like cirq's LineQubit order.
    ours = cirq.unitary(circuit)
    theirs = Operator(qc.reverse_bits()).data
    assert cirq.allclose_up_to_global_phase(ours, theirs, atol=1e-9)


def test_eagle_heavy_hex_is_the_devices_coupling_map() -> None:
    from mitprof.families import eagle_heavy_hex

    fake = pytest.importorskip("qiskit_ibm_runtime.fake_provider")
    for backend in (fake.FakeSherbrooke(), fake.FakeBrisbane()):
        edges = {tuple(sorted(e)) for e in backend.coupling_map.get_edges()}
        assert set(eagle_heavy_hex()) == edges
    # restricted to the first n qubits: only edges among them
    assert all(b < 20 for _, b in eagle_heavy_hex(20))


def test_kicked_ising_observable_is_a_stabilizer_at_full_width() -> None:
    # 127 qubits: the stabilizer simulation gives the ideal value, +1 by construction
    from mitprof import exact
    from mitprof.circuits import resolve

    w = resolve("kicked_ising:n=127,depth=2")
    assert w.n_qubits == 127 and len(w.observable.terms) == 1
    assert exact.compute(w).value == pytest.approx(1.0, abs=1e-12)
    # every RZZ layer acts on disjoint qubits
    for moment in w.circuit:
        qubits = [q for op in moment for q in op.qubits]
        assert len(qubits) == len(set(qubits))
