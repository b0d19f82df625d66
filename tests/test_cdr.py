"""CDR: training circuits counted as quantum cost, their noiseless simulation timed as
its own phase; Mitiq's Rz gate set; Clifford circuits refused with one error line."""

import cirq
import numpy as np
import pytest
from click.testing import CliRunner

import mitprof
from mitprof import exact
from mitprof.circuits import resolve
from mitprof.cli import main
from mitprof.measure import CLASSICAL_PHASE
from mitprof.techniques.cdr import count_non_clifford, ideal_value, rz_form


def test_rz_form_keeps_the_unitary_and_leaves_only_rz_non_clifford():
    q = cirq.LineQubit.range(2)
    c = cirq.Circuit([cirq.rx(0.3)(q[0]), cirq.ry(1.1)(q[1]), cirq.CNOT(*q),
                      cirq.rx(np.pi / 2)(q[1]), cirq.rz(0.7)(q[0]), cirq.ry(-0.4)(q[0])])
    out = rz_form(c)
    assert cirq.allclose_up_to_global_phase(cirq.unitary(out), cirq.unitary(c))
    non_clifford = [op for op in out.all_operations() if not cirq.has_stabilizer_effect(op)]
    assert len(non_clifford) == count_non_clifford(c) == 4
    assert all(isinstance(op.gate, cirq.Rz) for op in non_clifford)
    assert cirq.rx(np.pi / 2)(q[1]) in out.all_operations()  # Clifford rotations unchanged


def test_ideal_training_values_read_each_group_in_its_measurement_order():
    w = resolve("ising:n=3,depth=2", "0.3*ZIZ+0.5*XXI+0.2*IYZ")
    total = sum(ideal_value(g.rotate(w.circuit), g, w.n_qubits) for g in w.observable.groups)
    assert total == pytest.approx(exact.ideal_value(w), abs=1e-12)


def test_training_circuits_are_quantum_cost_and_their_simulation_a_phase_of_its_own():
    res = mitprof.profile("ising:n=3,depth=2",
                          strategies=["cdr:train=4,replace=uniform",
                                      "cdr:train=5,scale=1-3,replace=uniform",
                                      "rem+cdr:train=4,replace=uniform"],
                          shots=300, trials=12, repeats=1, seed=2, noise=0.01)
    base, cdr, vn, rem = res.results
    assert base.phase_seconds.get(CLASSICAL_PHASE, 0.0) == 0.0
    assert cdr.n_circuits == 1 + 4 and cdr.total_shots == 5 * 300
    assert vn.n_circuits == 2 * (1 + 5) and vn.details["variable_noise"]
    assert rem.n_circuits - rem.calibration_circuits == 1 + 4
    for r in (cdr, vn, rem):
        assert r.phase_seconds[CLASSICAL_PHASE] > 0
        # every timed second is in exactly one phase
        assert sum(r.phase_seconds.values()) == pytest.approx(r.wall_seconds, rel=1e-9)
        assert r.theory_multiplier is None and "nonlinear" in r.theory_reason
        assert r.trials == 12 and r.variance_multiplier is not None
    assert " train" in str(res)  # the table shows the phase


def test_a_clifford_circuit_is_refused_with_one_error_line():
    res = CliRunner().invoke(main, ["profile", "mirror:n=3,depth=2", "-s", "cdr",
                                    "--trials", "0", "--repeats", "1"])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cdr: the circuit is Clifford")
