"""Pauli twirling and PEC's noise models on a device: the closing note's table.

    python benchmarks/twirling_and_pec_models.py              # mirror:n=4,depth=4, sherbrooke
    python benchmarks/twirling_and_pec_models.py --quick      # fewer trials (a smoke run)

One profile (Aer, the device's calibrated noise routed onto its coupling map) of
pt, pt+zne, pt+pec and PEC with the device's twirled channels (model=device), with the
mis-specified depolarizing model (model=depolarizing) and, with --learned, with
Mitiq-learned depolarizing noise. Prints per strategy: raw shot multiplier, the
equal-precision multiplier with its 95% interval (measured) and theory, bias with its
interval, RMSE, projected QPU seconds (ibm_eagle) and gamma^2 where PEC reports one.
"""

from __future__ import annotations

import argparse
import time

import mitprof

STRATEGIES = ["pt:twirls=8", "pt:twirls=4+zne:scale=1-2-3", "pt:twirls=1+pec:model=device",
              "pec:model=device", "pec:model=depolarizing", "pec:model=device,max_overhead=2"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--circuit", default="mirror:n=4,depth=4")
    ap.add_argument("--device", default="sherbrooke")
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--shots", type=int, default=1000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--learned", action="store_true")
    a = ap.parse_args()
    strategies = STRATEGIES + (["pec:model=learned"] if a.learned else [])
    t0 = time.perf_counter()
    r = mitprof.profile(a.circuit, device=a.device, strategies=strategies, shots=a.shots,
                        trials=10 if a.quick else a.trials, repeats=1, hardware="ibm_eagle")
    print(f"{a.circuit} on {a.device}: {r.results[0].trials} trials, {a.shots} shots per "
          f"circuit, {time.perf_counter() - t0:.0f} s")
    print(f"{'strategy':42} {'raw':>6} {'M [95% CI]':>24} {'theory':>8} "
          f"{'bias [95% CI]':>28} {'rmse':>7} {'qpu s':>7} {'gamma^2':>8}")
    for x in r.results:
        m = x.variance_multiplier or {}
        b = x.bias or {}
        mci = (f"{m['estimate']:.3g} [{m['ci_low']:.3g}, {m['ci_high']:.3g}]" if m else "-")
        bci = (f"{b['estimate']:+.4f} [{b['ci_low']:+.4f}, {b['ci_high']:+.4f}]" if b else "-")
        th = f"{x.theory_multiplier:.3g}" if x.theory_multiplier is not None else "null"
        g2 = x.details.get("gamma_squared_circuit")
        print(f"{x.strategy:42} {x.shot_multiplier:6.3g} {mci:>24} {th:>8} {bci:>28} "
              f"{(x.rmse or float('nan')):7.4f} {(x.projected_qpu_seconds or float('nan')):7.3g} "
              f"{'' if g2 is None else f'{g2:.3g}':>8}")
    for x in r.results:
        d = x.details
        if "learning" in d:
            print(f"{x.strategy}: learning {d['learning']}; with learning "
                  f"{d['total_circuits_with_learning']} circuits, "
                  f"{d['total_shots_with_learning']} shots per estimate")
        if "cancelled_fraction" in d:
            print(f"{x.strategy}: cancelled fraction {d['cancelled_fraction']:.4g}, gamma^2 "
                  f"{d['gamma_squared_circuit']:.4g} (full cancellation "
                  f"{d['gamma_squared_full_cancellation']:.4g})")
        if d.get("gamma_squared_lindblad") is not None:
            print(f"{x.strategy}: gamma^2 {d['gamma_squared_circuit']:.4g}, Pauli-Lindblad "
                  f"product form {d['gamma_squared_lindblad']:.4g}")


if __name__ == "__main__":
    main()
