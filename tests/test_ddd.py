"""DDD: pulses only in idle windows (as scheduled), a benefit where idle relaxation
dominates, none under gate-only depolarizing noise: each resolved from the statistics
pass's trials with a 99.9% interval."""

import cirq
import numpy as np

import mitprof
from mitprof.techniques.ddd import RULES, transform
from mitprof.techniques.testing import Z_999


def _idle_in_one():
    """Qubit 0 is flipped to |1>, then waits (idle) while qubits 1-2 run a chain of CNOTs,
    then meets qubit 1 in a CNOT it is the target of (control |0>): a long idle window in |1>,
    which routing (as-soon-as-possible layers) keeps. Ideal <Z0> = -1, computed below."""
    q = cirq.LineQubit.range(3)
    return cirq.Circuit([cirq.X(q[0]), *[cirq.CNOT(q[1], q[2]) for _ in range(12)],
                         cirq.CNOT(q[1], q[0])])


def test_transform_puts_pulses_only_in_idle_slots_and_keeps_the_unitary():
    c = _idle_in_one()
    for rule in RULES:
        d = transform(c, rule)
        assert len(d) == len(c)  # same layers: the pulses take idle slots
        for old, new in zip(c, d, strict=True):
            assert set(old.operations) <= set(new.operations)  # every gate where it was
            for op in set(new.operations) - set(old.operations):
                assert old.operation_at(op.qubits[0]) is None  # added only where idle
                assert op.gate in (cirq.X, cirq.Y)  # no identity spacers
        added = len(list(d.all_operations())) - len(list(c.all_operations()))
        assert added == {"xx": 2, "yy": 2, "xyxy": 4}[rule]
        assert cirq.allclose_up_to_global_phase(cirq.unitary(d), cirq.unitary(c))


def _difference(r, base, ideal):
    """|bias| of the baseline minus |bias| of DDD, with its standard error (independent
    trial sets)."""
    a = np.asarray(base.trial_values, dtype=float)
    b = np.asarray(r.trial_values, dtype=float)
    gain = abs(a.mean() - ideal) - abs(b.mean() - ideal)
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return gain, se


def test_ddd_helps_where_idle_relaxation_dominates_on_a_device():
    """A generic device with T1 = 20 us: the idle qubit decays toward |0>; XX decoupling
    keeps it in |0> half of the window, so its relaxation is halved. The pulses land in
    the idle windows as scheduled: the schedule is not lengthened."""
    c = _idle_in_one()
    res = mitprof.profile(c, "ZII", device="generic:n=3,t1=20e-6,t2=40e-6",
                          strategies=["ddd"], shots=2000, trials=60, repeats=1, seed=3)
    base, ddd = res.results
    gain, se = _difference(ddd, base, res.ideal_value)
    assert gain - Z_999 * se > 0, (gain, se)
    d = ddd.details
    assert d["pulses_per_circuit"] == 2
    assert d["schedule_seconds_with_ddd"] == d["schedule_seconds"]
    assert ddd.n_circuits == base.n_circuits == 1
    assert ddd.theory_bound == "exact"


def test_ddd_does_not_help_under_gate_only_depolarizing_noise():
    """No idle noise to refocus: the pulses only add their gate errors, and the bias
    grows by a resolved amount."""
    c = _idle_in_one()
    res = mitprof.profile(c, "ZII", noise=0.01, strategies=["ddd:rule=xyxy"],
                          shots=40000, trials=150, repeats=1, seed=4)
    base, ddd = res.results
    assert any("no noise on idle qubits" in w for w in ddd.warnings)
    gain, se = _difference(ddd, base, res.ideal_value)
    assert gain + Z_999 * se < 0, (gain, se)


def test_pure_dephasing_is_not_refocused_by_markovian_ddd():
    """Markovian dephasing commutes with X and Y pulses: with T1 out of the way (1 s) the
    decoupled circuit's exact value moves by no more than its pulses' own errors can move
    it (2 x their error probabilities), however short T2 is."""
    from mitprof.backends import get_backend
    from mitprof.circuits import resolve
    from mitprof.devices import get_device, route
    from mitprof.noise.device import DeviceNoise
    from mitprof.trials import ExactSampler

    cal = get_device("generic:n=3,t1=1,t2=4e-6")
    w, routing = route(resolve(_idle_in_one(), "ZII"), cal)
    noise = DeviceNoise(cal, routing.layout)
    g = w.observable.groups[0]
    probs = ExactSampler(get_backend("aer"), noise, 3).probabilities
    plain = g.rotate(w.circuit)
    for rule in RULES:
        ddd = transform(plain, rule)
        added = [op for m_old, m_new in zip(plain, ddd, strict=True)
                 for op in m_new if op not in m_old.operations]
        bound = 2 * sum(noise.gate_depolarizing(op) for op in added)
        values = [g.expectation_from_probabilities(probs(g.measure_in(c))) for c in (plain, ddd)]
        assert added and abs(values[1] - values[0]) <= bound, (rule, values, bound)


def test_ddd_composes_in_front_of_zne_with_pulses_in_every_folded_circuit():
    """`ddd+zne`: DDD acts as a transform on each circuit ZNE executes (after folding), so
    the folded circuits carry pulses in their idle windows; ZNE's coefficients and theory
    are unchanged by it (one variant per circuit)."""
    r = mitprof.profile("ghz:n=3", device="generic:n=5", strategies=["zne", "ddd+zne"],
                        trials=0, repeats=1, shots=200)
    zne, both = r["zne[richardson,1-2-3,global]"], r["ddd[xx]+zne[richardson,1-2-3,global]"]
    assert both.n_circuits == zne.n_circuits == 3
    assert both.gates_per_circuit > zne.gates_per_circuit  # the pulses
    from mitprof.techniques import StrategySpec

    s = StrategySpec.parse("ddd:rule=xyxy+zne:scale=1-3").strategy
    assert s.circuit.label.startswith("ddd[xyxy]+zne")
