"""Peak RSS of the coordinator and of every worker over sweeps of growing size.

    python benchmarks/worker_memory.py [--points 500 2000 10000] [--workers 2]

The quick spec's circuit mix (mirror 2-3 qubits, ising 3, ghz 3; ZNE, PEC-20, REM on
Aer and Cirq) with the statistics pass off and one timed repeat, replicated over as
many noise levels as it takes to reach the requested number of points. A thread in
the coordinator reads every worker's VmHWM (peak RSS, from /proc) every 0.2 s; the
coordinator's own peak is its ru_maxrss. Flat means the peaks do not grow with the
number of points. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent


def vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def run(points: int, workers: int) -> tuple[float, dict[int, float], float]:
    import tomllib

    import mitprof

    spec = tomllib.loads((ROOT / "circuits" / "quick.toml").read_text())
    per_level = 14  # points per noise level in the quick mix (42 / 3)
    levels = max(1, round(points / per_level))
    spec["sweep"].update(trials=0, repeats=1, name=f"memory-{points}",
                         noise_levels=[round(0.005 + 0.02 * i / levels, 7)
                                       for i in range(levels)])
    peaks: dict[int, float] = {}
    stop = threading.Event()

    def watch() -> None:
        me = os.getpid()
        while not stop.is_set():
            for c in children(me):
                for pid in [c, *children(c)]:
                    mb = vm_hwm_mb(pid)
                    if mb is not None:
                        peaks[pid] = max(peaks.get(pid, 0.0), mb)
            time.sleep(0.2)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        summary = mitprof.run_sweep(spec, out=Path(tmp) / "m", workers=workers, progress=False)
    stop.set()
    t.join()
    coordinator = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  ({summary}; {time.perf_counter() - t0:.0f} s)", flush=True)
    return coordinator, peaks, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, nargs="+", default=[500, 2000])
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    for n in args.points:
        coordinator, peaks, _ = run(n, args.workers)
        workers = sorted((mb for mb in peaks.values() if mb > 100), reverse=True)
        print(f"{n:6d} points: coordinator peak {coordinator:.0f} MB; worker peaks "
              f"{', '.join(f'{mb:.0f}' for mb in workers[:args.workers])} MB", flush=True)


if __name__ == "__main__":
    main()
