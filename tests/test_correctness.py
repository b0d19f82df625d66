"""Issue #10: no silently wrong value, no theory labelled exact that is not.

One test (or a few) per item of the issue; each fails on the code before the fix.
Statistical checks use 99.9% intervals (binomial or bootstrap), never tuned values.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from qiskit import QuantumCircuit

import mitprof
from mitprof.cli import main
from mitprof.errors import SpecError
from mitprof.lowering import from_qiskit

# ---------------------------------------------------------------- 1. mid-circuit measurements

MID_CIRCUIT_QASM = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[1];
creg c[2];
h q[0];
measure q[0] -> c[0];
h q[0];
measure q[0] -> c[1];
"""


def test_mid_circuit_measurement_is_refused_not_deleted():
    qc = QuantumCircuit(1, 2)
    qc.h(0)
    qc.measure(0, 0)
    qc.h(0)
    qc.measure(0, 1)
    with pytest.raises(SpecError, match="mid-circuit measurement"):
        from_qiskit(qc, "hmhm")


def test_mid_circuit_measurement_in_a_qasm_file_is_one_error_line(tmp_path):
    path = tmp_path / "hmhm.qasm"
    path.write_text(MID_CIRCUIT_QASM)
    res = CliRunner().invoke(main, ["profile", str(path), "--strategy", "rem", "--trials", "0",
                                    "--repeats", "1", "--shots", "50"])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "mid-circuit" in lines[0]


def test_terminal_measurements_and_barriers_stay_allowed():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.barrier()
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    circuit = from_qiskit(qc, "bell")
    assert len(list(circuit.all_operations())) == 2  # h, cx: the measurements are terminal
    # a measured qubit followed by a gate on *another* qubit is still terminal for it
    qc2 = QuantumCircuit(2, 1)
    qc2.h(0)
    qc2.measure(0, 0)
    qc2.x(1)
    assert len(list(from_qiskit(qc2, "ok").all_operations())) == 2
    r = mitprof.profile(qc, observable="ZZ", strategies=[], noise=0.01, trials=0, repeats=1,
                        shots=10)
    assert r.ideal_value == pytest.approx(1.0)
