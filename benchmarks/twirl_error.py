"""Error of Stim's Pauli-twirled device noise against the density-matrix value (issue 12).

    python benchmarks/twirl_error.py

For small Clifford circuits routed onto fake_sherbrooke: the exact noisy value under the
device model (Kraus channels, density matrix), under its Pauli twirl (what Stim runs), their
difference, the derived bound on it (noise.twirl.twirl_error_bound) and, for scale, the
noise's own bias. No assertions: figures for the README.
"""

from __future__ import annotations

from mitprof import exact
from mitprof.backends.cirq_density import CirqBackend
from mitprof.circuits import resolve
from mitprof.devices import get_device, route
from mitprof.engine import noisy_value_exact
from mitprof.noise.device import DeviceNoise
from mitprof.noise.twirl import PauliTwirled, twirl_error_bound
from mitprof.trials import ExactSampler

CASES = ["ghz:n=5", "ghz:n=8", "clifford_mirror:n=4,depth=4,seed=1",
         "clifford_mirror:n=6,depth=2,seed=1", "rb:n=2,depth=8,seed=1"]


def main() -> None:
    cal = get_device("sherbrooke")
    print(f"{'circuit':36s} {'zz':>5s} {'ideal':>8s} {'device':>9s} {'twirled':>9s} "
          f"{'|diff|':>9s} {'bound':>8s} {'|bias|':>8s}")
    for spec in CASES:
        w, info = route(resolve(spec), cal)
        ideal = exact.compute(w).value
        for zz in (0.0, 0.05):
            dev = DeviceNoise(cal, info.layout, coherent_zz=zz)
            vals = [noisy_value_exact(w, ExactSampler(CirqBackend(), m, w.n_qubits).probabilities)
                    for m in (dev, PauliTwirled(dev))]
            bound = twirl_error_bound(dev.apply(w.circuit),
                                      sum(abs(c) for c, _ in w.observable.terms))
            print(f"{spec:36s} {zz:5.2f} {ideal:+8.4f} {vals[0]:+9.5f} {vals[1]:+9.5f} "
                  f"{abs(vals[1] - vals[0]):9.2e} {bound:8.3f} {abs(vals[0] - ideal):8.4f}",
                  flush=True)


if __name__ == "__main__":
    main()
