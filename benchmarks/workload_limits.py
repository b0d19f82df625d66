"""Two heavy single profiles against their goals (issue 18), each in a fresh process:

    python benchmarks/workload_limits.py external   # ~1,000 gates on 4 qubits
    python benchmarks/workload_limits.py device     # mirror on fake_sherbrooke
    python benchmarks/workload_limits.py            # both

external: a QASMBench-style input built in Qiskit, a Trotterised basis-change circuit
(per step: every qubit into the X or Y basis, a CNOT ladder with an rz, back again) of
about 1,000 gates on 4 qubits, profiled with ZNE, PEC (50 samples) and REM at 50 trials.
Goal: under 60 s and 1 GB on one core.
device: mirror:n=4,depth=4 routed onto fake_sherbrooke under its calibrated noise, ZNE,
PEC and REM at 100 trials. Goal: under 60 s on one core.

Prints the wall time of the profile (imports excluded: the stack is imported first), the
peak RSS of the process, and the machine's load (timings on a shared machine are noisy).
No assertions: figures for the README.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = r"""
import json, os, resource, sys, time, warnings
os.environ["OMP_NUM_THREADS"] = "1"
warnings.filterwarnings("ignore")
import mitprof, mitprof.engine, mitiq.pec, mitiq.zne, qiskit_aer, cirq  # imports untimed
case = sys.argv[1]
strategies = ["zne", "pec:samples=50", "rem"]
if case == "external":
    from qiskit import QuantumCircuit
    qc = QuantumCircuit(4)
    step = 0
    while qc.size() < 980:
        basis = "xy"[step % 2]
        for q in range(4):
            if basis == "y":
                qc.sdg(q)
            qc.h(q)
        for q in range(3):
            qc.cx(q, q + 1)
        qc.rz(0.1 * (step + 1), 3)
        for q in reversed(range(3)):
            qc.cx(q, q + 1)
        for q in range(4):
            qc.h(q)
            if basis == "y":
                qc.s(q)
        step += 1
    args = dict(circuit=qc, observable="ZZZZ", trials=50)
    size = qc.size()
else:
    args = dict(circuit="mirror:n=4,depth=4,seed=1", device="sherbrooke", trials=100)
    strategies = ["zne", "pec", "rem"]
    size = None
t0 = time.perf_counter()
r = mitprof.profile(strategies=strategies, shots=1000, repeats=1, **args)
wall = time.perf_counter() - t0
rows = {s.strategy: {"circuits": s.n_circuits, "distinct": s.n_distinct_circuits,
                     "wall": s.wall_seconds, "stats": s.stats_seconds,
                     "M": (s.variance_multiplier or {}).get("estimate")} for s in r.results}
print(json.dumps({"gates": size or r.n_gates, "wall": wall, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

GOALS = {"external": "goal < 60 s and < 1 GB", "device": "goal < 60 s"}


def run(case: str) -> None:
    load = os.getloadavg()[0]
    out = subprocess.run([sys.executable, "-c", CHILD, case], check=True,
                         capture_output=True, text=True).stdout
    d = json.loads(out.strip().splitlines()[-1])
    print(f"{case}: {d['gates']} gates, profile {d['wall']:.1f} s, peak RSS "
          f"{d['peak_mb']:.0f} MB ({GOALS[case]}; load {load:.1f} at the start on "
          f"{os.cpu_count()} cores)")
    for name, row in d["rows"].items():
        stats = row["stats"] or 0.0
        print(f"  {name:28s} circuits {row['circuits']:4d} (distinct {row['distinct']:4d}) "
              f"timed {row['wall']:6.2f} s  statistics {stats:6.2f} s  M {row['M']}")


def main() -> None:
    for case in sys.argv[1:] or ["external", "device"]:
        run(case)


if __name__ == "__main__":
    main()
