import cirq
import pytest

from mitprof import hardware
from mitprof.errors import SpecError


def test_ibm_projection_by_hand():
    q = cirq.LineQubit.range(2)
    c = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]), cirq.rz(0.3)(q[1]),
                     cirq.measure(*q, key="m"))
    m = hardware.PRESETS["ibm_eagle"]
    # layers: H (one sx pulse, 60 ns), CNOT (ECR 660 ns), rz (virtual, 0); measure 1.3 us
    t_circ = 60e-9 + 660e-9 + 0.0 + 1.3e-6
    assert hardware.circuit_duration(c, m) == pytest.approx(t_circ)
    expected = 2.0 + 2 * 1000 * (250e-6 + t_circ)  # one job, two circuits of 1000 shots
    assert hardware.project([(c, 1000), (c, 1000)], m, 2) == pytest.approx(expected)


def test_folded_circuits_project_longer():
    from mitiq.zne.scaling import fold_global

    q = cirq.LineQubit.range(2)
    c = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]))
    m = hardware.PRESETS["ibm_heron"]
    measure = cirq.Circuit(cirq.measure(*q))
    d1 = hardware.circuit_duration(c + measure, m) - m.t_measure
    d3 = hardware.circuit_duration(fold_global(c, 3) + measure, m) - m.t_measure
    assert d3 == pytest.approx(3 * d1)


def test_google_model_by_hand():
    q = cirq.LineQubit.range(2)
    c = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]), cirq.measure(*q))
    w, d = 2, len(c)
    startup = (w / 8) * (d / 125) + w / 12
    rate = 24000 / (0.9 + w / 38) / (0.9 + d / 5000)
    got = hardware.project([(c, 500)], hardware.PRESETS["google_sycamore"], 2)
    assert got == pytest.approx(1.5 + startup + 500 / rate)


def test_custom_and_bad_models():
    m = hardware.get_model({"t_1q": 1e-8, "t_2q": 1e-7, "t_circuit": 0.1})
    assert m.name == "custom" and m.t_circuit == 0.1
    with pytest.raises(SpecError, match="unknown hardware model"):
        hardware.get_model("ibm_condor")
    with pytest.raises(SpecError, match="unknown hardware parameters"):
        hardware.get_model({"t_gate": 1.0})


def test_pec_shots_per_sample_trade_off():
    # sigma^2(s) = 2 + 0.1 (s - 1): a fixed per-circuit cost pushes s above 1
    sig = [2 + 0.1 * (s - 1) for s in range(1, 2001)]
    s_free, _ = hardware.pec_best_shots_per_sample(sig, 0.01, 0.0, 250e-6, 0.0)
    s_costly, _ = hardware.pec_best_shots_per_sample(sig, 0.01, 0.05, 250e-6, 0.0)
    assert s_free == 1 and s_costly > 10
