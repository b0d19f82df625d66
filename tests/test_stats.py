"""Pure statistics: constructed cases with answers derived by hand from the formulas."""

import numpy as np
import pytest

from mitprof import stats


def test_breakeven_solves_the_rmse_equation():
    mit = stats.ErrorModel(bias2=0.0001, sigma2=50.0)
    base = stats.ErrorModel(bias2=0.0101, sigma2=1.0)
    n, reason = stats.breakeven(mit, base)
    assert n == pytest.approx((50.0 - 1.0) / (0.0101 - 0.0001))
    # at that budget both RMSEs are equal, above it mitigation wins
    assert mit.rmse_at(n) == pytest.approx(base.rmse_at(n))
    assert mit.rmse_at(2 * n) < base.rmse_at(2 * n)
    assert "bias" in reason


@pytest.mark.parametrize("mit, base, expected", [
    ((0.0, 0.5), (0.01, 1.0), "always"),  # less bias and less variance
    ((0.02, 2.0), (0.01, 1.0), "never"),  # more bias
    ((0.01, 0.5), (0.01, 1.0), "always"),  # same bias, less variance
])
def test_breakeven_limits(mit, base, expected):
    assert stats.breakeven(stats.ErrorModel(*mit), stats.ErrorModel(*base))[0] == expected


def test_breakeven_undetermined_when_bias_gap_unresolved():
    gap = stats.Interval(0.001, -0.002, 0.004)
    n, reason = stats.breakeven(stats.ErrorModel(0.0, 5.0), stats.ErrorModel(0.001, 1.0), gap)
    assert n == "undetermined" and "includes zero" in reason


def test_shots_for_error():
    model = stats.ErrorModel(bias2=0.0004, sigma2=2.0)
    n = model.shots_for(0.05)
    assert model.rmse_at(n) == pytest.approx(0.05)
    assert model.shots_for(0.01) == "unreachable"  # bias 0.02 alone exceeds the target


def test_debiased_bias2_is_unbiased_for_zero_bias():
    rng = np.random.default_rng(0)
    draws = [stats.debiased_bias2(rng.normal(0.0, 1.0, 20), 0.0) for _ in range(4000)]
    # mean of 4000 draws; each has sd ~ sqrt(2)/20 (chi-square): 5 standard errors
    assert abs(np.mean(draws)) < 5 * (np.sqrt(2) / 20) / np.sqrt(4000) * 1.5


def test_variance_multiplier_interval_covers_the_true_ratio_at_nominal_rate():
    """Coverage of the bootstrap interval for Gaussian samples with known variance ratio 4."""
    rng = np.random.default_rng(1)
    covered = 0
    runs = 200
    for i in range(runs):
        a, b = rng.normal(0, 2.0, 100), rng.normal(0, 1.0, 100)
        iv = stats.variance_multiplier(a, 1, b, 1, seed=i)
        covered += iv.contains(4.0)
    # nominal 95%; binomial sd over 200 runs is 1.5%: accept >= 95% - 5 sd
    assert covered / runs >= 0.95 - 5 * np.sqrt(0.95 * 0.05 / runs)


def test_crossover_measured_and_extrapolated():
    w = [4, 6, 8, 10]
    quantum = [1.0, 1.1, 1.2, 1.3]
    classical = [0.01 * 2**x for x in w]  # 0.16, 0.64, 2.56, 10.24
    x, how = stats.crossover(w, quantum, classical)
    assert how == "measured" and 6 < x < 8
    x, how = stats.crossover(w[:2], quantum[:2], classical[:2])
    assert how.startswith("extrapolated") and x > 6
    x, how = stats.crossover(w, [10 * c for c in classical], classical)
    assert x is None and "no crossover" in how


def test_interval_of_few_heavy_tailed_trials_contains_its_estimate():
    """PEC-like data: rare large values dominate the variance. A percentile interval from
    10 trials sat entirely below its own estimate at 64 and 100 qubits; BCa must not."""
    rng = np.random.default_rng(3)
    misses = 0
    for i in range(50):
        heavy = np.where(rng.random(10) < 0.15, rng.normal(0, 30, 10), rng.normal(0, 1, 10))
        iv = stats.variance_multiplier(heavy, 1, rng.normal(0, 1, 10), 1, seed=i)
        misses += not iv.contains(iv.estimate)
    assert misses == 0


def test_widened_interval_adds_the_theory_error_in_quadrature_on_the_log_scale():
    assert stats.widen_interval(10.0, 8.0, 13.0, 0.0) == pytest.approx((8.0, 13.0))
    lo, hi = stats.widen_interval(10.0, 8.0, 13.0, 0.05)
    from scipy.stats import norm

    z = norm.ppf(0.975)
    assert np.log(10.0 / lo) == pytest.approx(np.hypot(np.log(10.0 / 8.0), z * 0.05))
    assert np.log(hi / 10.0) == pytest.approx(np.hypot(np.log(13.0 / 10.0), z * 0.05))
    # an interval that excludes its estimate is not widened around it
    assert stats.widen_interval(20.0, 8.0, 13.0, 0.05) == (8.0, 13.0)


def test_pec_theory_standard_error_matches_the_spread_of_its_finite_draw_estimates():
    """sigma^2 = g^2 mean(v) + s (g^2 mean(e^2) - mean(x)^2) from n draws: the delta-method
    standard error must match the spread of sigma^2 over independent sets of draws."""
    from mitprof.techniques.pec import _sigma2_variance

    rng = np.random.default_rng(5)
    gamma, s, n, sets = 1.8, 10, 2000, 400

    def draws():
        e = np.clip(rng.normal(0.6, 0.25, n), -1, 1)
        sign = np.where(rng.random(n) < 0.2, -1.0, 1.0)
        return 1 - e**2, e, gamma * sign * e

    def sigma2(v, e, x):
        return gamma**2 * v.mean() + s * (gamma**2 * np.mean(e**2) - x.mean() ** 2)

    values, ses = [], []
    for _ in range(sets):
        v, e, x = draws()
        values.append(sigma2(v, e, x))
        ses.append(np.sqrt(_sigma2_variance(gamma, s, float(x.mean()), list(v), list(e),
                                            list(x))))
    spread = float(np.std(values, ddof=1))
    # the sd of `sets` draws is known to about 1/sqrt(2 (sets-1)): a 4-sigma band
    tol = 4 / np.sqrt(2 * (sets - 1))
    assert abs(np.mean(ses) / spread - 1) < tol, (np.mean(ses), spread)
