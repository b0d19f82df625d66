"""The utility case in one table: per point and strategy, the measured multiplier, the shots
and projected QPU time to reach the spec's target error, and the exact classical
(stabilizer) time of the same number on this machine.

    mitprof run circuits/utility.toml --out reports/utility
    python benchmarks/utility_summary.py reports/utility

QPU time for the target: the projected time of the run as executed, per shot, times the
shots the target needs (`shots_for_error`, from the statistics pass), plus the job overhead.
"""

from __future__ import annotations

import sys

from mitprof.report.data import interval, load, number


def main(directory: str) -> None:
    ds = load(directory)
    target = (ds.spec or {}).get("sweep", {}).get("target_error")
    print(f"{ds.name}: {len(ds.done)} points done; target error {target}")
    for p in sorted(ds.done, key=lambda p: (p.noise_level or 0, p.depth or 0)):
        classical = number(p.doc.get("classical_seconds")) or float("nan")
        routing = p.doc.get("routing") or {}
        print(f"\n{p.circuit}, noise scale {p.noise_level:g}, {routing.get('swaps')} SWAPs, "
              f"2q gates {routing.get('two_qubit_after')}; exact classical "
              f"({p.doc.get('classical_method')}) {classical:.3g} s")
        hw = (p.doc.get("hardware") or {})
        for r in p.results:
            m = interval(r.get("variance_multiplier"))
            qpu = number(r.get("projected_qpu_seconds"))
            shots = number(r.get("total_shots"))
            need = r.get("shots_for_error")
            t_job = float(hw.get("t_job") or 0.0)
            if qpu is not None and shots and isinstance(need, int | float):
                t_target = t_job + (qpu - t_job) / shots * float(need)
                verdict = ("mitigation costs more than classical" if t_target > classical
                           else "cheaper than classical")
                when = f"{t_target:.3g} s = {t_target / classical:.3g}x classical: {verdict}"
            else:
                when = f"shots for target: {need if need is not None else 'n/a'}"
            gamma = (r.get("details") or {}).get("gamma")
            ms = "-" if m is None else f"{m[0]:.3g} ({m[1]:.3g}-{m[2]:.3g})"
            print(f"  {r.get('strategy'):32s} M = {ms:24s}"
                  f"{'' if gamma is None else f' gamma^2 = {gamma**2:.3g}'}  QPU to target: "
                  f"{when}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reports/utility")
