"""The scale path: stabilizer simulation of Clifford circuits, scalable mirror circuits,
and the scalable tensored readout correction."""

import cirq
import numpy as np
import pytest

from mitprof import profile
from mitprof.backends import get_backend
from mitprof.backends.aer import AerBackend, _counts_to_bits
from mitprof.circuits import resolve
from mitprof.errors import CapacityError, SpecError
from mitprof.noise import Noise
from mitprof.observables import exact_expectation
from mitprof.techniques import StrategySpec
from mitprof.trials import ExactSampler, run_trials, simulator_executor


def test_auto_method_choice():
    aer = AerBackend()
    assert aer.choose(12, clifford=False) == "density_matrix"
    assert aer.choose(13, clifford=True) == "stabilizer"
    assert aer.choose(20, clifford=False) == "statevector"
    assert aer.choose(40, clifford=False) == "matrix_product_state"
    with pytest.raises(SpecError, match="Clifford"):
        get_backend("aer:stabilizer").choose(5, clifford=False)
    with pytest.raises(CapacityError, match="GiB"):
        get_backend("cirq").choose(13, clifford=True)


def test_counts_of_wide_registers_keep_every_bit():
    key = "1" + "0" * 98 + "1"  # clbits 0 and 99 set (clbit 0 is rightmost)
    bits = _counts_to_bits({key: 3, "0" * 100: 1}, 100)
    assert bits.shape == (4, 100)
    assert bits[:3, 0].all() and bits[:3, 99].all() and bits[:3, 1:99].sum() == 0
    assert bits[3].sum() == 0


@pytest.mark.parametrize("n", [3, 5])
def test_clifford_mirror_ideal_is_plus_one_by_independent_statevector(n):
    w = resolve(f"clifford_mirror:n={n},depth=3,seed={n}")
    state = cirq.Simulator().simulate(w.circuit, qubit_order=cirq.LineQubit.range(n))
    assert exact_expectation(state.final_state_vector, w.observable) == pytest.approx(1.0)


def test_stabilizer_and_density_matrix_agree_where_both_run():
    w = resolve("clifford_mirror:n=4,depth=2,seed=1")
    noise = Noise.from_level(0.03)
    spec = StrategySpec.parse("zne")
    dm = run_trials(spec, w, noise, 300, 1, 40, ExactSampler(AerBackend(), noise, 4))
    stab_backend = get_backend("aer:stabilizer")
    stab = run_trials(spec, w, noise, 300, 2, 40, simulator_executor(stab_backend, noise, 4))
    assert stab_backend.method_used == "stabilizer"
    from scipy.stats import ks_2samp

    assert ks_2samp(dm.ok, stab.ok).pvalue > 1e-3  # same distribution at the 0.1% level


def test_rem_tensored_agrees_with_mitiq_rem_in_expectation(rot2):
    """Both invert the same tensored confusion matrix; Mitiq adds projection and a redraw,
    which leave the mean unchanged away from the simplex edge."""
    w = resolve(rot2, "0.5*ZZ+0.5*ZI")
    noise = Noise.from_level(0.02)
    sampler = ExactSampler(AerBackend(), noise, 2)
    a = run_trials(StrategySpec.parse("rem"), w, noise, 1000, 3, 200, sampler).ok
    b = run_trials(StrategySpec.parse("rem_tensored"), w, noise, 1000, 4, 200, sampler).ok
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    assert abs(a.mean() - b.mean()) < 3.3 * se  # two-sided 0.1% level
    assert b.var() < a.var()  # no redraw: less variance for the same shots


def test_rem_tensored_factor_is_the_inverse_confusion_row():
    from mitprof.techniques.rem import TensoredREM

    rem = TensoredREM().start()
    rem._n = 1
    zeros = np.array([[0]] * 97 + [[1]] * 3, dtype=np.uint8)  # p01 = 0.03
    ones = np.array([[1]] * 92 + [[0]] * 8, dtype=np.uint8)  # p10 = 0.08
    g = rem.factors([zeros, ones])[0]
    a = np.array([[0.97, 0.08], [0.03, 0.92]])
    np.testing.assert_allclose(a.T @ g, [1.0, -1.0])


def test_a_point_beyond_density_matrices_runs_on_the_stabilizer():
    r = profile("clifford_mirror:n=16,depth=2,seed=1", noise=0.005, shots=100, repeats=1,
                trials=3, strategies=["zne", "pec:samples=4", "rem_tensored"])
    assert r.simulation_method == "stabilizer"
    assert r.noisy_value_exact is None
    assert all(np.isfinite(x.value) for x in r.results)
    assert r["zne"].theory_multiplier is None and "exact" in r["zne"].theory_reason
    # folded at scales 1, 2, 3: on average twice the gates of the unfolded circuit
    assert r["zne"].gates_per_circuit == pytest.approx(2 * r.results[0].gates_per_circuit,
                                                       rel=0.05)


def test_stim_backend_matches_the_density_matrix():
    from scipy.stats import ks_2samp

    w = resolve("clifford_mirror:n=4,depth=2,seed=3")
    noise = Noise.from_level(0.03)  # readout (0.03, 0.06): exercises the classical flips
    for spec in ("zne", "rem_tensored"):
        parsed = StrategySpec.parse(spec)
        dm = run_trials(parsed, w, noise, 400, 1, 60, ExactSampler(AerBackend(), noise, 4))
        st = run_trials(parsed, w, noise, 400, 2, 60, simulator_executor(get_backend("stim"),
                                                                          noise, 4))
        assert ks_2samp(dm.ok, st.ok).pvalue > 1e-3, spec


def test_stim_refuses_non_clifford_circuits():
    with pytest.raises(SpecError, match="Clifford"):
        profile("ising:n=3,depth=1", backend="stim", trials=0, repeats=1)
