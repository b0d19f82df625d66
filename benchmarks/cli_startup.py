"""Start-up time of the `mitprof` command: `--help` and each `mitprof list ...`.

    python benchmarks/cli_startup.py [--repeats 5]

Each command runs in a fresh interpreter (as a user types it); the median of the repeats
is printed, next to a bare `python -c pass` measured in the same run (the floor no
command can go under). No assertions: figures for the README.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS = [["--help"], ["list", "circuits"], ["list", "strategies"], ["list", "backends"],
            ["list", "hardware"], ["list", "devices"]]


def seconds(argv: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} cores")
    floor = seconds([sys.executable, "-c", "pass"], args.repeats)
    print(f"{'python -c pass':24s} {floor:6.3f} s")
    for cmd in COMMANDS:
        t = seconds([sys.executable, "-m", "mitprof.cli", *cmd], args.repeats)
        label = "mitprof " + " ".join(cmd)
        print(f"{label:24s} {t:6.3f} s  ({t / floor:.1f}x the bare interpreter)")


if __name__ == "__main__":
    main()
