"""Theory values for each strategy *as run* (THEORY.md), from exact distributions.

Every prediction is an equal-precision shot multiplier: per-total-shot variance
of the mitigated estimator over that of the unmitigated one. Inputs are the
circuits the strategy actually executed and their exact noisy output
distributions; nothing here samples. The formulas live with their techniques
(`mitprof.techniques`); this module holds what they share.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .techniques.base import Prediction, PredictionContext, Probabilities

if TYPE_CHECKING:
    from .circuits import Workload
    from .noise import NoiseModel
    from .techniques.compose import Estimate

__all__ = ["Prediction", "baseline_sigma2", "predict"]


def baseline_sigma2(workload: Workload, probs: Probabilities) -> float:
    """Per-total-shot variance of the unmitigated estimator (one circuit per group)."""
    groups = workload.observable.groups
    var = sum(g.variance_from_probabilities(probs(g.measure_in(workload.circuit)))
              for g in groups)
    return float(len(groups) * var)


def predict(est: Estimate, trial_estimates: Sequence[Estimate], workload: Workload,
            noise: NoiseModel, probs: Probabilities, sigma0_2: float) -> Prediction:
    """The strategy's theory value for the estimate `est` (its timed run), or the reason
    there is none; `trial_estimates` are the statistics pass's estimates."""
    ctx = PredictionContext(workload, noise, probs, sigma0_2, trial_estimates)
    return est.strategy.predict(est, ctx)
