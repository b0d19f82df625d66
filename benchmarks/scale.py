"""Scale benchmark: Clifford points at 50 and 100 qubits on one core, and the cost growth
of Mitiq's dense readout inversion against the scalable tensored correction.

    python benchmarks/scale.py            # full run
    python benchmarks/scale.py --quick    # 50 qubits only, fewer trials

Points (clifford_mirror, depth 4): ZNE with 3 scale factors x 1000 shots and PEC with 100
samples x 100 shots, 10 re-simulated trials each, on the stim backend. Aer's stabilizer
method samples every shot as a full tableau trajectory; one ZNE estimate at 50 qubits is
timed on it for comparison. Prints wall-clock per point (timed pass + statistics pass)
and peak RSS. No assertions: figures for the README.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import mitprof  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def point(n: int, strategy: str, shots: int, trials: int, backend: str = "stim") -> float:
    t0 = time.perf_counter()
    r = mitprof.profile(f"clifford_mirror:n={n},depth=4,seed=1", noise=0.002, shots=shots,
                        strategies=[strategy], repeats=1, trials=trials, backend=backend)
    wall = time.perf_counter() - t0
    s = r.results[1]
    vm = s.variance_multiplier or {}
    stats = s.stats_seconds or 0.0
    print(f"n={n:3d} {s.strategy:32s} {r.simulation_method:11s} circuits={s.n_circuits:4d} "
          f"shots={s.total_shots:7d} timed={s.wall_seconds:7.2f}s stats={stats:7.2f}s "
          f"total={wall:7.2f}s M={vm.get('estimate', float('nan')):.3g} "
          f"peak_rss={rss_mb():.0f}MB", flush=True)
    return s.wall_seconds


def readout_growth(widths: list[int]) -> None:
    print("\nreadout correction cost per estimate (combine phase, 1000 shots, ghz):")
    for n in widths:
        r = mitprof.profile(f"ghz:n={n}", noise=0.01, shots=1000, repeats=1, trials=0,
                            strategies=["rem", "rem_tensored"])
        rem, tens = r["rem"], r["rem_tensored"]
        print(f"  n={n:2d}  mitiq rem combine={rem.phase_seconds['combine']:8.3f}s  "
              f"rem_tensored combine={tens.phase_seconds['combine']:8.4f}s  "
              f"ratio={rem.phase_seconds['combine'] / tens.phase_seconds['combine']:7.0f}x",
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    widths = [50] if args.quick else [50, 100]
    trials = 3 if args.quick else 10
    for n in widths:
        stim_zne = point(n, "zne:scale=1-2-3", 1000, trials)
        point(n, "pec:samples=100", 100, trials)
        if n == 50:
            aer_zne = point(n, "zne:scale=1-2-3", 1000, 0, backend="aer")
            print(f"  one ZNE estimate at n=50: aer stabilizer {aer_zne:.1f}s vs stim "
                  f"{stim_zne:.2f}s ({aer_zne / stim_zne:.0f}x)", flush=True)
    readout_growth([4, 6, 8, 9, 10] if not args.quick else [4, 6, 8])


if __name__ == "__main__":
    main()
