"""Where an executor's wall-clock goes, and how the statistics pass's cost cap behaves
(issue 16's closing figures). The same circuit through Qiskit Runtime's local testing mode
(`ibm_runtime:fake_manila`), a user's Aer-backed executor on the same device model, and
the loopback job service test double (tests/jobservice.py, queue latency 50 ms); each
against the same-run baseline of mitprof's own simulation (backend aer, device manila).

python benchmarks/executor_latency.py [--shots 1000] [--trials 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import mitprof

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import jobservice as js  # noqa: E402


def _s(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _ratio(plan: dict) -> str:
    est = plan["estimated_seconds"]
    return f"{plan.get('spent_call_seconds', 0) / est:.2f}" if est else "n/a"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shots", type=int, default=1000)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--circuit", default="ghz:n=3")
    args = ap.parse_args()
    kw = {"strategies": ["zne", "rem"], "shots": args.shots, "repeats": 3, "seed": 1}
    base = mitprof.profile(args.circuit, device="manila", trials=0, **kw)
    ibm = mitprof.profile(args.circuit, backend="ibm_runtime:fake_manila", trials=0, **kw)
    layout = tuple(ibm.executor["layout"])
    print(f"{args.circuit}, {args.shots} shots/circuit, median of 3 timed runs; "
          "wall in s; ratio = wall / simulated wall (aer, device manila, same run)")
    print(f"{'path':28} {'strategy':30} {'calls':>5} {'batches':>9} {'wall':>7} {'exec':>7} "
          f"{'queue+net':>9} {'ratio':>6}")
    with js.JobService(max_circuits=3, queue_seconds=0.05) as svc:
        js.configure(svc.url, layout)
        paths = [("ibm_runtime:fake_manila", ibm),
                 ("executor (Aer, same model)", mitprof.profile(
                     args.circuit, executor=js.aer_execute, trials=0, **kw)),
                 ("executor (test service)", mitprof.profile(
                     args.circuit, executor=js.execute, trials=0, **kw))]
        for name, r in paths:
            for res in r.results:
                lat = res.latency or {}
                sim = base[res.strategy].wall_seconds
                print(f"{name:28} {res.strategy:30} {lat.get('calls', 0):>5} "
                      f"{','.join(map(str, lat.get('batch_sizes', []))):>9} "
                      f"{res.wall_seconds:7.3f} {_s(lat.get('execution_seconds')):>7} "
                      f"{_s(lat.get('queue_network_seconds')):>9} "
                      f"{res.wall_seconds / sim:6.1f}")
        print("\nstatistics pass on the test service, capped at half the planned shots:")
        plan = paths[2][1].results  # the per-trial cost: every strategy's shots
        per_trial = sum(x.total_shots for x in plan)
        for cap in (None, per_trial * args.trials // 2, per_trial):
            r = mitprof.profile(args.circuit, executor=js.execute, trials=args.trials,
                                max_shots=cap, **{**kw, "repeats": 1})
            p = r.statistics_plan
            print(f"  max_shots={cap}: {p['trials_planned']} of {p['trials_asked']} trials, "
                  f"estimated {p['estimated_shots']} shots / {p['estimated_seconds']:.2f} s, "
                  f"spent {p.get('spent_shots', 0)} shots / {p.get('spent_call_seconds', 0):.2f} s"
                  f" in calls (time ratio spent/estimated {_ratio(p)})")


if __name__ == "__main__":
    main()
