"""Measured equal-precision multipliers against THEORY.md's closed forms.

Each check is seeded and passes when the theory value lies inside the 99.9%
bootstrap interval of the measured multiplier (a 1-in-1000 false alarm).
"""

import numpy as np
import pytest

from mitprof import theory
from mitprof.backends.aer import AerBackend
from mitprof.circuits import resolve
from mitprof.engine import count_jobs, prepare
from mitprof.noise import Noise
from mitprof.predict import baseline_sigma2, predict
from mitprof.stats import variance_multiplier
from mitprof.techniques import StrategySpec
from mitprof.trials import ExactSampler, run_trials

CONF = 0.999


def measure(circuit, observable, noise, spec_text, shots, trials, seed=0):
    w = resolve(circuit, observable)
    sampler = ExactSampler(AerBackend(), noise, w.n_qubits)
    spec = prepare(StrategySpec.parse(spec_text), w, noise, sampler, shots)
    base = run_trials(StrategySpec.parse("unmitigated"), w, noise, shots, seed + 1, trials,
                      sampler)
    mit = run_trials(spec, w, noise, shots, seed + 2, trials, sampler)
    n0 = count_jobs(base.estimates[0].history)["total_shots"]
    n = count_jobs(mit.estimates[0].history)["total_shots"]
    iv = (variance_multiplier(mit.ok, n, base.ok, n0, seed=seed, confidence=CONF)
          if trials >= 10 else None)
    pred = predict(mit.estimates[0], mit.estimates, w, noise, sampler.probabilities,
                   baseline_sigma2(w, sampler.probabilities))
    return iv, pred, w, sampler, mit


@pytest.fixture
def rot2(rot2):
    return rot2


@pytest.mark.parametrize("spec, coeffs", [
    ("zne:factory=richardson,scale=1-2-3", (3, -3, 1)),
    ("zne:factory=linear,scale=1-2-3", (4 / 3, 1 / 3, -2 / 3)),
])
def test_zne_multiplier_matches_the_coefficient_formula(rot2, spec, coeffs):
    iv, pred, *_ = measure(rot2, "0.5*ZZ+0.5*XZ", Noise.from_level(0.03), spec, 400, 400)
    np.testing.assert_allclose(pred.extra["coefficients"], coeffs, atol=1e-9)
    assert iv.contains(pred.multiplier), (iv, pred.multiplier)
    assert pred.optimal_split <= pred.multiplier


def test_zne_optimal_split_pays_the_optimal_multiplier(rot2):
    noise = Noise.from_level(0.03)
    _, equal, *_ = measure(rot2, "ZZ", noise, "zne", 400, 2)
    iv, optimal, *_ = measure(rot2, "ZZ", noise, "zne:split=optimal", 400, 400)
    # integer rounding of the shot split moves the value by well under 1%
    assert optimal.multiplier == pytest.approx(equal.optimal_split, rel=0.01)
    assert iv.contains(optimal.multiplier)


def test_zne_nonlinear_factory_uses_the_delta_method(ghz3):
    # GHZ correlations decay exponentially under depolarizing noise: the exp fit converges
    iv, pred, *_ = measure(ghz3, "ZZI", Noise.from_level(0.05, readout=0.0),
                           "zne:factory=exp,scale=1-3-5", 4000, 300)
    assert pred.multiplier is not None, pred.reason
    linear = theory.polyfit_coefficients((1, 3, 5), 1)
    assert not np.allclose(pred.extra["coefficients"], linear)
    assert iv.contains(pred.multiplier), (iv, pred.multiplier)


def test_failed_fit_on_exact_values_gives_no_theory_and_says_why(rot2):
    _, pred, *_ = measure(rot2, "ZZ", Noise.from_level(0.05), "zne:factory=exp,scale=1-2-3",
                          1000, 2)
    if pred.multiplier is None:
        assert "fit fails" in pred.reason
    else:  # the fit converged on this data: then the coefficients must be finite
        assert np.all(np.isfinite(pred.extra["coefficients"]))


def test_pec_one_shot_per_sample_matches_gamma_squared():
    """s = 1: sigma^2 = gamma^2 - mu^2 exactly (THEORY.md), mu = ideal with the exact model."""
    noise = Noise.from_level(0.04, readout=0.0)
    iv, pred, w, sampler, _ = measure("bell.qasm", "ZZ", noise, "pec:samples=100", 1, 300)
    ops = list(w.circuit.all_operations())
    gamma = theory.circuit_gamma(sum(len(o.qubits) == 1 for o in ops),
                                 sum(len(o.qubits) == 2 for o in ops), noise.p1, noise.p2)
    from mitprof import exact
    from mitprof.engine import noisy_value_exact

    ideal = exact.ideal_value(w)
    noisy = noisy_value_exact(w, sampler.probabilities)
    closed = theory.pec_variance_per_shot(gamma, ideal, 0.0, 1) / (1 - noisy**2)
    assert pred.multiplier == pytest.approx(closed, rel=0.05)  # predict's E_q is Monte Carlo
    assert iv.contains(closed), (iv, closed)


def test_pec_many_shots_per_sample_cost_more_per_shot():
    noise = Noise.from_level(0.04, readout=0.0)
    iv, pred, *_ = measure("bell.qasm", "ZZ", noise, "pec:samples=40", 200, 300)
    assert iv.contains(pred.multiplier), (iv, pred.multiplier)
    _, one, *_ = measure("bell.qasm", "ZZ", noise, "pec:samples=40", 1, 2)
    assert pred.multiplier > one.multiplier


def _ry(theta):
    import cirq

    return cirq.Circuit(cirq.ry(theta)(cirq.LineQubit(0)))


def test_rem_matches_the_exact_corrected_variance():
    noise = Noise.from_level(0.0, p1=0.0, readout=(0.03, 0.08))
    iv, pred, *_ = measure(_ry(1.0), "Z", noise, "rem", 500, 400)
    # Mitiq's estimator by Monte Carlo: labelled approximate, with its Monte Carlo error
    assert pred.bound == "approximate" and "Monte Carlo" in pred.reason, pred.reason
    assert iv.contains(pred.multiplier), (iv, pred.multiplier)
    # THEORY: for Z on one qubit the inversion variance is (1 - E_raw^2) / D^2
    e_raw = pred.extra["raw_values"][0]
    assert pred.extra["inversion_variance_per_shot"][0] == pytest.approx(
        (1 - e_raw**2) * theory.rem_z_ratio(0.03, 0.08))
    assert pred.extra["variance_calibration"] > 0


def test_rem_at_the_simplex_edge_includes_mitiqs_projection():
    """Ideal |0>: Mitiq's projection onto probabilities is active. It truncates
    fluctuations: the measured multiplier lies below the first-order (unprojected) value,
    and the Monte Carlo through Mitiq's estimator, projection included, matches it."""
    noise = Noise.from_level(0.0, p1=0.0, readout=(0.03, 0.08))
    iv, pred, *_ = measure(_ry(0.0) + _ry(0.0), "Z", noise, "rem", 500, 300)
    assert pred.bound == "approximate" and "projection" in pred.reason
    assert pred.extra["near_simplex_edge"]
    assert iv.ci_high < pred.extra["first_order_multiplier"]
    assert iv.contains(pred.multiplier), (iv, pred.multiplier)
    # the scalable correction has no projection: exact inversion variance, calibration
    # noise to first order
    iv, pred, *_ = measure(_ry(0.0) + _ry(0.0), "Z", noise, "rem_tensored", 500, 300)
    assert pred.bound == "approximate" and "first order" in pred.reason
    assert iv.contains(pred.multiplier), (iv, pred.multiplier)


def test_rem_on_several_qubits_and_composed_with_zne(rot2):
    noise = Noise.from_level(0.02)
    for spec in ("rem:calibration=per_qubit", "rem+zne"):
        iv, pred, *_ = measure(rot2, "0.5*ZZ+0.5*ZI", noise, spec, 500, 300)
        assert pred.bound == "approximate" and "Monte Carlo" in pred.reason, pred.reason
        assert iv.contains(pred.multiplier), (spec, iv, pred.multiplier)


def test_unbiased_pec_never_goes_below_the_floor():
    noise = Noise.from_level(0.0, p1=0.05, readout=0.0)
    iv, pred, *_ = measure("rb:n=1,depth=2,seed=1", "Z", noise, "pec:samples=50", 1, 300)
    assert pred.floor is not None and pred.floor > 1
    # PEC pays gamma^(2L) >= the floor (THEORY.md); the measurement agrees
    assert pred.multiplier >= pred.floor
    assert iv.ci_high >= pred.floor
