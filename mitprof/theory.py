"""Closed-form overheads (THEORY.md): pure functions, no simulation.

Every measured multiplier is reported next to one of these. Conventions: p is
the Cirq depolarizing probability; variances are per shot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def gamma_1q(p: float) -> float:
    """One-norm of Mitiq's 1-qubit depolarizing representation: (3 + 2p) / (3 - 4p)."""
    return (3 + 2 * p) / (3 - 4 * p)


def gamma_2q_global(p: float) -> float:
    """One-norm of Mitiq's global 2-qubit depolarizing representation: (15 + 14p) / (15 - 16p)."""
    return (15 + 14 * p) / (15 - 16 * p)


def gamma_2q_local(p: float) -> float:
    """Product of two 1-qubit representations at rate p."""
    return gamma_1q(p) ** 2


def circuit_gamma(n_1q: int, n_2q: int, p1: float, p2: float, model: str = "global") -> float:
    g2 = gamma_2q_global(p2) if model == "global" else gamma_2q_local(p2)
    return float(gamma_1q(p1) ** n_1q * g2**n_2q)


def richardson_coefficients(scales: Sequence[float]) -> np.ndarray:
    """g_i = prod_{j != i} l_j / (l_j - l_i); E0 = sum_i g_i E_i."""
    s = np.asarray(scales, dtype=float)
    return np.array([np.prod([s[j] / (s[j] - s[i]) for j in range(len(s)) if j != i])
                     for i in range(len(s))])


def polyfit_coefficients(scales: Sequence[float], order: int) -> np.ndarray:
    """First row of (X^T X)^-1 X^T with X_ij = l_i^j: least-squares intercept weights."""
    s = np.asarray(scales, dtype=float)
    x = np.vander(s, order + 1, increasing=True)
    return np.asarray(np.linalg.pinv(x)[0])


def zne_multiplier(coeffs: Sequence[float], sigmas2: Sequence[float], sigma0_2: float,
                   shot_fractions: Sequence[float] | None = None) -> float:
    """Equal-precision multiplier of a linear extrapolation with shot fractions f_i
    (default: equal split): M = sum_i g_i^2 sigma_i^2 / f_i / sigma_0^2."""
    g = np.asarray(coeffs, dtype=float)
    s2 = np.asarray(sigmas2, dtype=float)
    f = (np.full(len(g), 1.0 / len(g)) if shot_fractions is None
         else np.asarray(shot_fractions, dtype=float))
    return float(np.sum(g**2 * s2 / f) / sigma0_2)


def zne_multiplier_optimal(coeffs: Sequence[float], sigmas2: Sequence[float],
                           sigma0_2: float) -> float:
    """Optimal split N_i ~ |g_i| sigma_i: M = (sum_i |g_i| sigma_i)^2 / sigma_0^2."""
    g = np.abs(np.asarray(coeffs, dtype=float))
    return float(np.sum(g * np.sqrt(np.asarray(sigmas2, dtype=float))) ** 2 / sigma0_2)


def optimal_shot_fractions(coeffs: npt.ArrayLike, sigmas2: npt.ArrayLike) -> np.ndarray:
    w = np.abs(np.asarray(coeffs, dtype=float)) * np.sqrt(np.asarray(sigmas2, dtype=float))
    return np.asarray(w / w.sum())


def pec_variance_per_shot(gamma: float, mu: float, mean_e2: float, shots_per_sample: int) -> float:
    """sigma^2(s) = gamma^2 - mu^2 + (s - 1)(gamma^2 E_q[E_j^2] - mu^2)."""
    s = shots_per_sample
    return float(gamma**2 - mu**2 + (s - 1) * (gamma**2 * mean_e2 - mu**2))


def rem_z_ratio(p01: float, p10: float) -> float:
    """Variance ratio of inverse-confusion correction for Z on one qubit: 1 / D^2."""
    return float(1.0 / (1.0 - p01 - p10) ** 2)


def depolarizing_fraction_1q(p: float) -> float:
    """e = 4p/3: the fraction of the Bloch vector a 1-qubit depolarize(p) removes."""
    return 4.0 * p / 3.0


def unbiased_floor(p: float, n_gates: int) -> float:
    """Single-qubit floor (1 - e)^(-2L) on the multiplier of any unbiased estimator."""
    return float((1.0 - depolarizing_fraction_1q(p)) ** (-2 * n_gates))
