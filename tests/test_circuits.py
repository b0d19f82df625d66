import os
from pathlib import Path

import cirq
import numpy as np
import pytest
from qiskit import QuantumCircuit

from mitprof.circuits import QASM_DIR, resolve
from mitprof.errors import SpecError
from mitprof.lowering import from_cirq, is_clifford, to_qiskit


def _unitary_equal_up_to_phase(a: np.ndarray, b: np.ndarray) -> bool:
    idx = np.unravel_index(np.argmax(np.abs(a)), a.shape)
    phase = b[idx] / a[idx]
    return np.allclose(a * phase, b, atol=1e-8)


def test_non_canonical_cirq_gates_are_lowered_exactly():
    q = cirq.LineQubit.range(3)
    c = cirq.Circuit(cirq.SWAP(q[0], q[1]), cirq.CCX(q[0], q[1], q[2]),
                     cirq.PhasedXZGate(x_exponent=0.3, z_exponent=0.1,
                                       axis_phase_exponent=0.2)(q[2]),
                     cirq.ISWAP(q[1], q[2]) ** 0.5)
    lowered = from_cirq(c)
    assert all(len(op.qubits) <= 2 for op in lowered.all_operations())
    assert _unitary_equal_up_to_phase(cirq.unitary(c), cirq.unitary(lowered))


def test_qiskit_input_round_trips_through_canonical_form():
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cp(0.3, 0, 1)
    qc.rzz(0.5, 1, 2)
    qc.swap(0, 2)
    canon = resolve(qc).circuit
    back = to_qiskit(canon, 3)
    from qiskit.quantum_info import Operator
    # qiskit's Operator of the original vs the translated canonical circuit
    assert Operator(qc).equiv(Operator(back))


def test_translation_reuses_operations_only_where_they_mean_the_same(monkeypatch):
    """to_qiskit keeps one translation per operation object: the same operations in
    circuits of another width, another mode or after the bound clears the cache give the
    circuit a fresh translation would, and the cache stays bounded."""
    import mitprof.lowering as lowering
    from mitprof.noise import Noise

    q = cirq.LineQubit.range(3)
    ops = [cirq.H(q[0]), cirq.CNOT(q[0], q[1]), cirq.rz(np.pi / 2)(q[1]), cirq.rx(0.3)(q[2])]
    noisy = Noise.from_level(0.02).apply(cirq.Circuit(ops[:3], cirq.measure(q[0], q[1])))

    def fresh(circuit, n, **kw):
        lowering._TRANSLATED.clear()
        return to_qiskit(circuit, n, **kw)

    modes = [(3, {}), (4, {}), (3, {"clifford_only": True, "readout_channels": False}),
             (3, {"measurements": False}), (3, {"readout_channels": False}), (5, {})]
    expected = [fresh(noisy, n, **kw) for n, kw in modes]
    lowering._TRANSLATED.clear()
    for order in (modes, modes[::-1]):  # each mode after every other, its cache shared
        for n, kw in order:
            out = to_qiskit(noisy, n, **kw)
            want = expected[modes.index((n, kw))]
            assert out == want and out.data == want.data
    monkeypatch.setattr(lowering, "_TRANSLATED_MAX", 10)
    circuits = [cirq.Circuit(cirq.H(q[0]), cirq.rx(0.3)(q[2]), cirq.CNOT(q[0], q[1]))
                for _ in range(20)]  # fresh operation objects in every circuit
    expected = [fresh(c, 3) for c in circuits]
    lowering._TRANSLATED.clear()
    for c, want in zip(circuits, expected, strict=True):
        assert to_qiskit(c, 3) == want
        # cleared when over the bound at a call's start: at most one circuit above it
        assert all(len(known) <= 10 + 3 for known in lowering._TRANSLATED.values())


def test_translation_cache_survives_reused_object_ids():
    """Operations freed and rebuilt get ids the cache has seen: the cached entry holds its
    operation, so a new object at an old id is translated afresh, never mistaken for it."""
    q = cirq.LineQubit.range(2)
    for i in range(3000):
        c = cirq.Circuit(cirq.rz(0.001 * i).on(q[0]), cirq.H(q[1]))
        angles = [float(inst.operation.params[0]) for inst in to_qiskit(c, 2).data
                  if inst.operation.name == "rz"]
        assert angles == [pytest.approx(0.001 * i)]
        del c


def test_clifford_detection(ghz3):
    assert is_clifford(ghz3)
    q = cirq.LineQubit(0)
    assert is_clifford(cirq.Circuit(cirq.rz(np.pi / 2)(q)))
    assert not is_clifford(cirq.Circuit(cirq.rz(0.3)(q)))
    assert not is_clifford(cirq.Circuit(cirq.T(q)))


def test_every_shipped_qasm_file_loads_with_its_observable():
    files = sorted(QASM_DIR.glob("*.qasm"))
    assert len(files) >= 5
    for path in files:
        w = resolve(str(path))
        assert w.n_qubits == w.observable.n_qubits
        assert len(w.circuit) > 0


def test_shipped_file_found_by_name():
    assert resolve("bell.qasm").n_qubits == 2


def test_repository_circuits_dir_links_to_the_packaged_set():
    """`circuits/*.qasm` (the README's paths) are relative links to the files the wheel
    ships, so the two cannot drift apart."""
    top = Path(__file__).resolve().parent.parent / "circuits"
    links = sorted(top.glob("*.qasm"))
    assert [p.name for p in links] == [p.name for p in sorted(QASM_DIR.glob("*.qasm"))]
    for link in links:
        assert link.is_symlink() and not Path(os.readlink(link)).is_absolute()
        assert link.resolve() == (QASM_DIR / link.name).resolve()


def test_malformed_qasm_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.qasm"
    bad.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0] q[1];\n')
    with pytest.raises(SpecError) as info:
        resolve(str(bad))
    msg = str(info.value)
    assert "bad.qasm" in msg and "line 5" in msg


@pytest.mark.parametrize("spec, fragment", [
    ("nosuch:n=3", "unknown"), ("ghz:n=x", "not a number"), ("ghz:n", "key=value"),
    ("missing.qasm", "does not exist"),
])
def test_bad_circuit_specs(spec, fragment):
    with pytest.raises(SpecError, match=fragment):
        resolve(spec)


def test_reset_and_idle_qubits_are_refused():
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.reset(1)
    with pytest.raises(SpecError, match="reset"):
        resolve(qc)
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    with pytest.raises(SpecError, match="no gates"):
        resolve(qc)
