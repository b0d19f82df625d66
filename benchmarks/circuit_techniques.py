"""DDD, LRE, CDR and their compositions with REM (issue 13 part A's closing figures):
raw and equal-precision multipliers with intervals, bias, projected QPU time and CDR's
classical training time, each against the same run's unmitigated baseline.

python benchmarks/circuit_techniques.py ising:n=4,depth=4 [--device sherbrooke] [--trials 100]
"""

from __future__ import annotations

import argparse

import mitprof
from mitprof.lowering import is_clifford

STRATEGIES = ["ddd", "ddd:rule=xyxy", "lre:chunks=3", "cdr", "cdr:replace=uniform", "rem+cdr",
              "rem+cdr:replace=uniform", "rem+lre:chunks=3"]


def _interval(d: dict | None, fmt: str) -> str:
    if not d:
        return "-"
    return f"{d['estimate']:{fmt}} ({d['ci_low']:{fmt}}, {d['ci_high']:{fmt}})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("circuit")
    ap.add_argument("--device", default=None)
    ap.add_argument("--noise", type=float, default=0.01)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--shots", type=int, default=1000)
    args = ap.parse_args()
    from mitprof.circuits import resolve

    # CDR refuses Clifford circuits (mirror): nothing to learn
    clifford = is_clifford(resolve(args.circuit).circuit)
    strategies = [s for s in STRATEGIES if not (clifford and "cdr" in s)]
    kw = {"device": args.device} if args.device else {"noise": args.noise}
    res = mitprof.profile(args.circuit, strategies=strategies, shots=args.shots,
                          trials=args.trials, repeats=3, hardware="ibm_eagle", seed=0, **kw)
    print(f"{args.circuit}, {args.device or f'depolarizing {args.noise}'}: ideal "
          f"{res.ideal_value:+.4f}, noisy {res.noisy_value_exact:+.4f}, {args.trials} trials")
    print("| strategy | circuits | raw x | M (95% CI) | theory | bias (95% CI) | QPU s "
          "| classical training s | wall s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in res.results:
        theory = "-" if r.theory_multiplier is None else \
            f"{r.theory_multiplier:.3g} ({r.theory_bound})"
        print(f"| {r.strategy} | {r.n_circuits} | {r.shot_multiplier:.1f} | "
              f"{_interval(r.variance_multiplier, '.3g')} | {theory} | "
              f"{_interval(r.bias, '+.4f')} | {r.projected_qpu_seconds:.3g} | "
              f"{r.phase_seconds.get('classical_training', 0.0):.3g} | {r.wall_seconds:.3g} |")


if __name__ == "__main__":
    main()
