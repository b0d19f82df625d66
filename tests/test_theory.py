"""The closed forms in code against the check values printed in THEORY.md."""

import numpy as np
import pytest

from mitprof import theory


@pytest.mark.parametrize("p, g1, g2g, g2l", [
    (0.001, 1.002003, 1.002002, 1.004009),
    (0.01, 1.020270, 1.020216, 1.040951),
])
def test_pec_gammas_match_theory_table(p, g1, g2g, g2l):
    assert theory.gamma_1q(p) == pytest.approx(g1, abs=5e-7)
    assert theory.gamma_2q_global(p) == pytest.approx(g2g, abs=5e-7)
    assert theory.gamma_2q_local(p) == pytest.approx(g2l, abs=5e-7)


@pytest.mark.parametrize("scales, fit, g, equal, optimal", [
    ((1, 2, 3), "richardson", (3, -3, 1), 57, 49),
    ((1, 3, 5), "richardson", (15 / 8, -5 / 4, 3 / 8), 15.656, 12.25),
    ((1, 2, 3), "linear", (4 / 3, 1 / 3, -2 / 3), 7.0, 5.444),
])
def test_zne_coefficients_and_multipliers_match_theory_table(scales, fit, g, equal, optimal):
    coeffs = (theory.richardson_coefficients(scales) if fit == "richardson"
              else theory.polyfit_coefficients(scales, 1))
    np.testing.assert_allclose(coeffs, g, atol=1e-12)
    assert coeffs.sum() == pytest.approx(1.0)
    ones = np.ones(len(scales))
    assert theory.zne_multiplier(coeffs, ones, 1.0) == pytest.approx(equal, abs=5e-3)
    assert theory.zne_multiplier_optimal(coeffs, ones, 1.0) == pytest.approx(optimal, abs=5e-3)
    # the optimal split is never worse than the equal split
    assert theory.zne_multiplier_optimal(coeffs, ones, 1.0) <= theory.zne_multiplier(
        coeffs, ones, 1.0)


@pytest.mark.parametrize("p, n_gates, floor, pec", [
    (0.01, 10, 1.308, 1.494), (0.01, 100, 14.65, 55.34), (0.05, 10, 3.974, 7.657),
])
def test_unbiased_floor_and_pec_cost_match_theory_table(p, n_gates, floor, pec):
    assert theory.unbiased_floor(p, n_gates) == pytest.approx(floor, rel=1e-3)
    assert theory.gamma_1q(p) ** (2 * n_gates) == pytest.approx(pec, rel=1e-3)
    assert theory.gamma_1q(p) ** (2 * n_gates) > theory.unbiased_floor(p, n_gates)


def test_pec_variance_grows_with_shots_per_sample():
    v1 = theory.pec_variance_per_shot(1.5, 0.5, 0.3, 1)
    assert v1 == pytest.approx(1.5**2 - 0.25)
    assert theory.pec_variance_per_shot(1.5, 0.5, 0.3, 10) > v1


def test_rem_ratio_is_one_over_d_squared():
    assert theory.rem_z_ratio(0.02, 0.04) == pytest.approx(1 / 0.94**2)
