"""Peak memory per strategy, measured in a separate pass (never inside timed runs).

    python benchmarks/memory.py [CIRCUIT]

Each strategy is profiled in a fresh process (one thread) and its peak resident set
size read from the OS afterwards, next to a process that only imports the stack, so
the difference is what the strategy itself needs. tracemalloc is not used: it does not
see simulator memory and slows runs several-fold.
"""

from __future__ import annotations

import json
import subprocess
import sys

STRATEGIES = ["unmitigated", "zne", "pec:samples=100", "rem", "rem_tensored", "trex",
              "rem+zne"]

CHILD = r"""
import os, resource, sys, json
os.environ["OMP_NUM_THREADS"] = "1"
import mitprof, mitiq, qiskit_aer, cirq  # the stack every run pays for
circuit, strategy = sys.argv[1], sys.argv[2]
if strategy != "imports-only":
    mitprof.profile(circuit, strategies=[strategy], shots=1000, repeats=1, trials=20)
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
"""


def peak_mb(circuit: str, strategy: str) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, circuit, strategy], check=True,
                         capture_output=True, text=True).stdout
    return float(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    circuit = sys.argv[1] if len(sys.argv) > 1 else "mirror:n=4,depth=4,seed=1"
    base = peak_mb(circuit, "imports-only")
    print(f"{circuit}: peak RSS of a process that only imports the stack: {base:.0f} MB")
    for s in STRATEGIES:
        mb = peak_mb(circuit, s)
        print(f"  {s:18s} peak {mb:6.0f} MB   (+{mb - base:5.0f} MB over imports)", flush=True)


if __name__ == "__main__":
    main()
