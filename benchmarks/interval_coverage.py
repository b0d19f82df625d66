"""How often does the measured 95% interval of M cover an exact theory value?

Repeats the statistics pass (exact output distributions, fresh seeds) REPS times for one
configuration whose theory is exact, and counts how often the BCa interval of the
equal-precision multiplier contains the theory value:

    python benchmarks/interval_coverage.py CIRCUIT STRATEGY NOISE TRIALS REPS
    python benchmarks/interval_coverage.py "mirror:n=3,depth=2,seed=3" \\
        "zne:factory=linear,scale=1-2-3,fold=global" 0.02 100 100

Measured on mitprof 0.2.0 with BCa intervals (that example, theory 8.33, exact): covered 90
of 100; 7
intervals above the theory value, 3 below. At 100 trials the interval undercovers.
"""

import sys

from mitprof import stats
from mitprof.backends import get_backend
from mitprof.circuits import resolve
from mitprof.engine import count_jobs
from mitprof.noise import Noise
from mitprof.predict import baseline_sigma2, predict
from mitprof.techniques import StrategySpec
from mitprof.trials import ExactSampler, run_trials


def main(circuit: str, strategy: str, level: float, trials: int, reps: int) -> None:
    w = resolve(circuit)
    noise = Noise.from_level(level)
    sampler = ExactSampler(get_backend("aer"), noise, w.n_qubits)
    base_spec, spec = StrategySpec.parse("unmitigated"), StrategySpec.parse(strategy)
    theory, hits, above, below = None, 0, 0, 0
    for r in range(reps):
        b = run_trials(base_spec, w, noise, 200, 1000 + r, trials, sampler)
        m = run_trials(spec, w, noise, 200, 5000 + r, trials, sampler)
        n0 = count_jobs(b.estimates[0].history)["total_shots"]
        n = count_jobs(m.estimates[0].history)["total_shots"]
        if theory is None:
            pred = predict(m.estimates[0], m.estimates, w, noise, sampler.probabilities,
                           baseline_sigma2(w, sampler.probabilities))
            theory = pred.multiplier
            print(f"theory {theory} ({pred.label}: {pred.reason})", flush=True)
        iv = stats.variance_multiplier(m.ok, n, b.ok, n0, seed=r)
        hits += iv.contains(theory)
        above += iv.ci_low > theory
        below += iv.ci_high < theory
        if r % 10 == 9:
            print(f"{r + 1} repetitions: covered {hits}", flush=True)
    print(f"{circuit} {strategy} p={level} trials={trials}: covered {hits}/{reps}; "
          f"interval above theory {above}, below {below}")


if __name__ == "__main__":
    c, s, p, t, k = sys.argv[1:6]
    main(c, s, float(p), int(t), int(k))
