"""Sweep scaling: parallel efficiency, coordinator overhead, coordinator memory.

    python benchmarks/sweep_scaling.py                       # all three, on circuits/quick.toml
    python benchmarks/sweep_scaling.py --only memory --points 100
    python benchmarks/sweep_scaling.py --json results.json   # the figures as JSON too

1. Parallel efficiency: the quick spec run serially and on a pool of `--workers`
   processes, each in a fresh process and a fresh store (wall time of the whole
   command, imports included). Next to it, the same ratio for a pure-Python CPU burn
   in the same number of processes: the machine's own ceiling (a VM whose "cores"
   share one physical core cannot do better than that, whatever the sweep does).
2. Coordinator overhead: the coordinator's own time (expanding the grid, looking up
   finished points, storing records, drawing progress) over the sweep's wall time,
   as `run_sweep` measures it, and the coordinator process's CPU time.
3. Memory: the coordinator's peak RSS (ru_maxrss of its process, the workers are
   other processes) for a sweep of N and of 10 N cheap points (ghz:n=2, baseline only).

Nothing here asserts: it prints ratios for the README.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from mitprof.sweep import run_sweep
spec, out, executor, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
if spec.startswith("{"):
    spec = json.loads(spec)
s = run_sweep(spec, out, executor=executor, workers=None if executor == "serial" else workers,
              progress=False)
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": time.perf_counter() - t0, "sweep_wall": s.wall_seconds,
                  "coordinator": s.coordinator_seconds, "done": s.done, "failed": s.failed,
                  "cpu": ru.ru_utime + ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024}))
"""


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all processes, all CPUs)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def sweep(spec: str | dict, executor: str, workers: int) -> dict:
    """Run a sweep in a fresh process; `other_cpu` is what the rest of the machine used
    meanwhile (another job on a shared machine makes the timing meaningless)."""
    import resource

    with tempfile.TemporaryDirectory() as tmp:
        arg = spec if isinstance(spec, str) else json.dumps(spec)
        ours0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy0 = busy_seconds()
        proc = subprocess.run([sys.executable, "-c", CHILD, arg, str(Path(tmp) / "out"),
                               executor, str(workers)], capture_output=True, text=True,
                              cwd=ROOT)
        busy = busy_seconds() - busy0
        ours1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode:
            raise SystemExit(proc.stderr)
        out = json.loads(proc.stdout.splitlines()[-1])
        ours = (ours1.ru_utime + ours1.ru_stime) - (ours0.ru_utime + ours0.ru_stime)
        out["other_cpu"] = max(0.0, busy - ours)
        out["own_cpu"] = ours
        return out


def _burn(n: int) -> float:
    t = time.perf_counter()
    x = 0
    for i in range(n):
        x += i
    return time.perf_counter() - t


def cpu_ceiling(workers: int, n: int = 30_000_000) -> float:
    """Speed-up of `workers` processes over one on pure CPU work: the machine's ceiling."""
    t0 = time.perf_counter()
    for _ in range(workers):
        _burn(n)
    serial = time.perf_counter() - t0
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        pool.map(_burn, [1000] * workers)  # start the workers first
        t0 = time.perf_counter()
        pool.map(_burn, [n] * workers)
        parallel = time.perf_counter() - t0
    return serial / parallel


def cheap_spec(n_points: int) -> dict:
    return {"sweep": {"name": f"mem{n_points}", "shots": 10, "repeats": 1, "trials": 0,
                      "backends": ["aer"],
                      "noise_levels": [round(0.0001 * (i + 1), 6) for i in range(n_points)]},
            "circuits": [{"family": "ghz", "qubits": [2]}],
            "strategies": [{"name": "unmitigated"}]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(ROOT / "circuits" / "quick.toml"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--points", type=int, default=100, help="N for the memory test")
    ap.add_argument("--only", choices=["parallel", "memory"])
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    figures: dict[str, object] = {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}

    if args.only in (None, "parallel"):
        ceiling = cpu_ceiling(args.workers)
        serial = sweep(args.spec, "serial", 1)
        pool = sweep(args.spec, "process", args.workers)
        speedup = serial["wall"] / pool["wall"]
        figures.update(
            cpu_ceiling=ceiling, serial=serial, process=pool, speedup=speedup,
            sweep_speedup=serial["sweep_wall"] / pool["sweep_wall"],
            efficiency_vs_ceiling=speedup / ceiling,
            coordinator_share=pool["coordinator"] / pool["sweep_wall"],
            coordinator_cpu_share=pool["cpu"] / pool["wall"])
        figures["other_cpu"] = serial["other_cpu"] + pool["other_cpu"]
        print(f"machine ceiling (CPU burn, {args.workers} processes): {ceiling:.2f}x; other "
              f"processes used {serial['other_cpu']:.1f} + {pool['other_cpu']:.1f} CPU s "
              "during the two runs (should be ~0 for a clean figure)")
        print(f"serial {serial['wall']:.1f} s, {args.workers} workers {pool['wall']:.1f} s: "
              f"{speedup:.2f}x ({speedup / ceiling:.0%} of the machine's ceiling)")
        print(f"coordinator: {pool['coordinator']:.3f} s of {pool['sweep_wall']:.1f} s "
              f"({pool['coordinator'] / pool['sweep_wall']:.2%}); coordinator process CPU "
              f"{pool['cpu']:.1f} s (imports and spec checks included, "
              f"{pool['cpu'] / pool['wall']:.1%} of the wall time)")

    if args.only in (None, "memory"):
        small = sweep(cheap_spec(args.points), "process", args.workers)
        large = sweep(cheap_spec(10 * args.points), "process", args.workers)
        figures.update(memory_small=small, memory_large=large,
                       rss_ratio=large["maxrss_mb"] / small["maxrss_mb"])
        print(f"coordinator peak RSS: {small['maxrss_mb']:.0f} MB for {args.points} points, "
              f"{large['maxrss_mb']:.0f} MB for {10 * args.points} points "
              f"(x{large['maxrss_mb'] / small['maxrss_mb']:.3f}); coordinator share "
              f"{large['coordinator'] / large['sweep_wall']:.2%} at {10 * args.points} points")
    figures["load_after"] = os.getloadavg()[0]
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
