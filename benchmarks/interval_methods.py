"""Coverage of two 95% intervals for the equal-precision multiplier M (a ratio of two
sample variances), on samples whose true variance ratio is known:

- BCa: scipy's bias-corrected and accelerated bootstrap of the ratio (mitprof <= 0.2);
- studentized: mitprof.stats.variance_multiplier, a bootstrap-t of log(s_a^2 / s_b^2)
  studentized by each resample's kurtosis-based standard error.

Distributions stand in for the estimates mitprof sees: Gaussian, binomial (a shot
average), Student-t(8) and exponential (heavy tail, skew), lognormal, and PEC-like
means of signed, gamma-scaled samples (moderate and heavy). The baseline side is
Gaussian; the true ratio is the variance of 400,000 draws.

    python benchmarks/interval_methods.py [TRIALS] [REPS]     (default 100 1000)
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from scipy.stats import bootstrap

from mitprof import stats


def bca(a: np.ndarray, b: np.ndarray, seed: int) -> tuple[float, float]:
    def ratio(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.var(x, axis=axis, ddof=1) / np.var(y, axis=axis, ddof=1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = bootstrap((a, b), ratio, n_resamples=stats.RESAMPLES, method="BCa",
                      vectorized=True, paired=False, rng=np.random.default_rng(seed))
    return float(r.confidence_interval.low), float(r.confidence_interval.high)


def studentized(a: np.ndarray, b: np.ndarray, seed: int) -> tuple[float, float]:
    iv = stats.variance_multiplier(a, 1, b, 1, seed=seed)
    return iv.ci_low, iv.ci_high


def distributions(rng: np.random.Generator) -> dict:
    def pec(p_minus: float, samples: int, shots: int, gamma: float):
        return lambda n: (rng.choice([-1, 1], p=[p_minus, 1 - p_minus], size=(n, samples))
                          * rng.binomial(shots, 0.8, size=(n, samples)) / shots * gamma
                          ).mean(axis=1)

    return {"gaussian": lambda n: rng.normal(size=n),
            "binomial(200, 0.8)": lambda n: rng.binomial(200, 0.8, size=n) / 200,
            "student-t(8)": lambda n: rng.standard_t(8, size=n),
            "exponential": lambda n: rng.exponential(size=n),
            "lognormal(0, 0.5)": lambda n: rng.lognormal(0, 0.5, size=n),
            "pec-like (20 samples)": pec(0.3, 20, 50, 3.0),
            "pec-like heavy (5)": pec(0.45, 5, 5, 10.0)}


def main(trials: int, reps: int) -> None:
    rng = np.random.default_rng(1)
    print(f"{'distribution':24s} {'BCa':>7s} {'studentized':>12s}   ({trials} trials, "
          f"{reps} repetitions; binomial sd {100 * np.sqrt(0.95 * 0.05 / reps):.1f}%)")
    for name, draw in distributions(rng).items():
        truth = float(np.var(draw(400_000)))
        hits = {"bca": 0, "studentized": 0}
        for r in range(reps):
            a, b = draw(trials), rng.normal(size=trials)
            for key, method in (("bca", bca), ("studentized", studentized)):
                lo, hi = method(a, b, r)
                hits[key] += lo <= truth <= hi
        print(f"{name:24s} {100 * hits['bca'] / reps:6.1f}% "
              f"{100 * hits['studentized'] / reps:11.1f}%", flush=True)


if __name__ == "__main__":
    main(*(int(x) for x in sys.argv[1:3]) if len(sys.argv) > 2 else (100, 1000))
