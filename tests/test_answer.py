"""The ranking's edge: the unmitigated run never reaches its own |bias| (the default
target), whatever floating-point rounding does to E^2 - bias^2."""

import numpy as np

from mitprof.answer import REACHES, rank


def _doc(name, bias, sigma2, shots=1000, trials=50):
    half = 0.01 * abs(bias) + 1e-3
    return {"strategy": name, "bias": {"estimate": bias, "ci_low": bias - half,
                                       "ci_high": bias + half},
            "sigma2_per_shot": sigma2, "total_shots": shots, "trials": trials}


def test_the_baseline_never_reaches_its_own_bias_and_the_sentence_is_written():
    rng = np.random.default_rng(3)
    for _ in range(2000):
        base = _doc("unmitigated", float(rng.uniform(-1, 1)), float(rng.uniform(0.01, 2)))
        other = _doc("zne", float(rng.uniform(-0.2, 0.2)) * 0.1, float(rng.uniform(1, 50)))
        answer = rank([base, other])
        if answer.target.baseline_bias:
            entry = next(e for e in answer.entries if e.strategy == "unmitigated")
            assert entry.status != REACHES, (base, answer)
        assert answer.sentence  # written without dividing by a zero error budget
