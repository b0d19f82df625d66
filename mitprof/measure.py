"""The only module that reads clocks: phase timers and repeated timing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import numpy as np

T = TypeVar("T")

PHASES = ("construct", "compile", "execute", "combine")


def now() -> float:
    """Seconds on the performance clock: every duration mitprof reports is a difference
    of two readings of this one clock."""
    return time.perf_counter()


class PhaseClock:
    """Accumulates wall-clock seconds per named phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t0 = now()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + now() - t0

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    @property
    def total(self) -> float:
        return sum(v for k, v in self.seconds.items() if k in PHASES)


def median_time(fn: Callable[[], T], repeats: int = 5, warmup: int = 1) -> tuple[T, float, float]:
    """(last result, median seconds, interquartile range) after warm-up runs are discarded."""
    result = fn()
    for _ in range(warmup - 1):
        result = fn()
    times = []
    for _ in range(max(1, repeats)):
        t0 = now()
        result = fn()
        times.append(now() - t0)
    q1, med, q3 = np.percentile(times, [25, 50, 75])
    return result, float(med), float(q3 - q1)

