"""Equal-precision multipliers under a device's noise vs depolarizing noise of the same
average gate error, on the same routed circuits (issue 12's closing figures).

python benchmarks/device_vs_depolarizing.py [--trials 50] [--device sherbrooke]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

import mitprof
from mitprof.circuits import resolve
from mitprof.devices import get_device, route
from mitprof.noise import Noise
from mitprof.noise.device import DeviceNoise

STRATEGIES = ["zne", "pec", "rem"]


def matched_depolarizing(noise: DeviceNoise, circuit) -> Noise:
    """Depolarizing noise with the device's mean average gate error over the gates the
    circuit uses (p = e (d + 1) / d in Cirq's convention) and its mean readout errors."""
    e1, e2 = [], []
    for op in circuit.all_operations():
        kraus, _ = noise.gate_channel(op)
        if kraus is None:
            continue
        (e2 if len(op.qubits) == 2 else e1).append(noise.gate_depolarizing(op))
    p01, p10 = noise.readout
    return Noise(p2=float(np.mean(e2)), p1=float(np.mean(e1)) if e1 else 0.0, p01=p01, p10=p10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--device", default="sherbrooke")
    ap.add_argument("--shots", type=int, default=1000)
    ap.add_argument("circuits", nargs="*", default=["ghz:n=5", "mirror:n=4,depth=4,seed=1"])
    args = ap.parse_args()
    cal = get_device(args.device)
    out = []
    for spec in args.circuits:
        w, info = route(resolve(spec), cal)
        dev = mitprof.profile(spec, device=args.device, strategies=STRATEGIES, shots=args.shots,
                              trials=args.trials, repeats=1, seed=1)
        dn = DeviceNoise(cal, info.layout)
        dep_noise = matched_depolarizing(dn, w.circuit)
        dep = mitprof.profile(w.circuit, observable=str(w.observable), noise=dep_noise,
                              strategies=STRATEGIES, shots=args.shots, trials=args.trials,
                              repeats=1, seed=1)
        row = {"circuit": spec, "routing": info.to_dict(), "depolarizing": dep_noise.to_dict(),
               "ideal": dev.ideal_value, "noisy_device": dev.noisy_value_exact,
               "noisy_depolarizing": dep.noisy_value_exact, "strategies": {}}
        for r_dev, r_dep in zip(dev.results, dep.results, strict=True):
            row["strategies"][r_dev.strategy] = {
                kind: {"M": r.variance_multiplier, "theory": r.theory_multiplier,
                       "bias": r.bias, "value": r.value,
                       "gamma": (r.theory_details or {}).get("gamma")}
                for kind, r in (("device", r_dev), ("depolarizing", r_dep))}
        out.append(row)
        print(json.dumps(row, indent=1, default=str), flush=True)


if __name__ == "__main__":
    main()
