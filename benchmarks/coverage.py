"""Coverage of theory values: is each theory multiplier inside the measured 95% interval
as often as its label claims?

Runs `mitprof.profile` over a fixed grid of configurations (circuit families, ZNE
factories and folding methods, PEC models, REM calibrations), each with its own seed,
and prints one row per configuration and a table by technique and theory label:
how many configurations, how many have the theory value inside the measured 95%
interval of the equal-precision multiplier M (for an upper bound: not below the
interval's bottom; for a lower bound: not above its top), and the 99.9% binomial
lower limit of what a 95% interval would give.

    python benchmarks/coverage.py [--trials 100] [--quick] [--json out.json]

`--quick` runs one configuration per strategy (the test suite's subset, at fewer trials:
tests/test_correctness.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from typing import Any

FAMILIES = ["ghz:n=3", "mirror:n=3,depth=2,seed=3", "ising:n=3,depth=2", "qaoa:n=3,depth=1",
            "rb:n=1,depth=12,seed=2"]
STRATEGIES = [
    "zne:factory=richardson,scale=1-2-3,fold=global",
    "zne:factory=linear,scale=1-2-3,fold=global",
    "zne:factory=poly,order=2,scale=1-2-3-4,fold=global",
    "zne:factory=richardson,scale=1-1.5-2,fold=random",
    "zne:factory=linear,scale=1-2-3,fold=random",
    "zne:factory=exp,scale=1-2-3,fold=global",
    "zne:factory=richardson,scale=1-3,fold=identity",
    "pec:model=global,samples=20",
    "pec:model=local,samples=20",
    "rem:calibration=tensored",
    "rem:calibration=per_qubit",
    "rem:calibration=full",
    "rem_tensored",
    "rem+zne:factory=linear,scale=1-2-3,fold=global",
]


def configurations(quick: bool = False) -> list[tuple[str, str, float]]:
    """(circuit, strategy, noise): every strategy on three families (quick: one)."""
    out = []
    for k, strategy in enumerate(STRATEGIES):
        fams = [FAMILIES[k % len(FAMILIES)]]
        if not quick:
            fams += [FAMILIES[(k + 2) % len(FAMILIES)], FAMILIES[(k + 4) % len(FAMILIES)]]
        for j, fam in enumerate(fams):
            if strategy.startswith("rem") and fam.startswith("rb:"):
                fam = "ghz:n=2"  # REM needs something to correct beyond a 1-qubit RB circuit
            noise = 0.02 if j % 2 == 0 else 0.04
            out.append((fam, strategy, noise))
    return out


def inside(row: dict[str, Any]) -> bool | None:
    """The engine's own check (Prediction.consistent_with): inside the interval, or on its
    side for a bound; a Monte Carlo / finite-draw theory value against the interval widened
    by its own standard error."""
    from mitprof.techniques import Prediction

    t, vm = row.get("theory_multiplier"), row.get("variance_multiplier")
    if t is None or not vm:
        return None
    bound = row.get("theory_bound") or "exact"
    pred = Prediction(t, bound=None if bound == "exact" else bound,
                      relative_se=row.get("theory_relative_se"))
    return pred.consistent_with(vm["ci_low"], vm["ci_high"], vm["estimate"])


def run(configs: list[tuple[str, str, float]], trials: int, shots: int = 200,
        verbose: bool = True) -> list[dict[str, Any]]:
    import mitprof

    rows = []
    for i, (circuit, strategy, noise) in enumerate(configs):
        t0 = time.perf_counter()
        r = mitprof.profile(circuit, noise=noise, strategies=[strategy], shots=shots,
                            seed=100 + i, repeats=1, trials=trials)
        d = r.to_dict()["results"][1]
        row = {"circuit": circuit, "strategy": d["strategy"], "technique": strategy.split(":")[0],
               "noise": noise, "theory_multiplier": d.get("theory_multiplier"),
               "theory_bound": d.get("theory_bound") or ("exact" if d.get("theory_multiplier")
                                                         is not None else None),
               "theory_reason": d.get("theory_reason"),
               "theory_relative_se": d.get("theory_relative_se"),
               "variance_multiplier": d.get("variance_multiplier"),
               "failed_trials": d.get("failed_trials"), "seconds": time.perf_counter() - t0}
        row["inside"] = inside(row)
        rows.append(row)
        if verbose:
            vm = row["variance_multiplier"] or {}
            t = row["theory_multiplier"]
            print(f"{circuit:28s} {row['strategy']:42s} p={noise:<5g} "
                  f"M={vm.get('estimate', float('nan')):10.4g} "
                  f"({vm.get('ci_low', float('nan')):.4g}-{vm.get('ci_high', float('nan')):.4g}) "
                  f"theory={'-' if t is None else f'{t:.4g}':>10s} {row['theory_bound'] or '-':12s}"
                  f" {'' if row['inside'] is None else ('in' if row['inside'] else 'OUT')}"
                  f"  {row['seconds']:.1f}s", file=sys.stderr, flush=True)
    return rows


def binomial_floor(n: int, p: float = 0.95, alpha: float = 0.001) -> int:
    """The smallest count k with P(Binomial(n, p) < k) <= alpha: fewer hits than this
    happen with probability at most alpha when intervals cover with probability p."""
    from scipy.stats import binom

    return int(binom.ppf(alpha, n, p))


def table(rows: list[dict[str, Any]]) -> str:
    groups: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for r in rows:
        if r["inside"] is None:
            groups[(r["technique"], "none")].append(False)
            continue
        groups[(r["technique"], r["theory_bound"])].append(r["inside"])
    lines = [f"{'technique':16s} {'label':12s} {'n':>3s} {'inside':>6s} {'rate':>6s}",
             "-" * 48]
    for (tech, label), hits in sorted(groups.items()):
        k = sum(hits) if label != "none" else 0
        rate = f"{k / len(hits):.2f}" if label != "none" else "-"
        lines.append(f"{tech:16s} {label:12s} {len(hits):3d} {k:6d} {rate:>6s}")
    labelled = [r for r in rows if r["inside"] is not None]
    k = sum(r["inside"] for r in labelled)
    lines.append("-" * 48)
    lines.append(f"{'all with theory':29s} {len(labelled):3d} {k:6d} "
                 f"{k / max(1, len(labelled)):6.2f}   (99.9% binomial floor at 95%: "
                 f"{binomial_floor(len(labelled))})")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()
    t0 = time.perf_counter()
    rows = run(configurations(a.quick), a.trials)
    print(table(rows))
    print(f"{len(rows)} configurations, {a.trials} trials each, "
          f"{time.perf_counter() - t0:.0f} s")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
