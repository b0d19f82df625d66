"""The only module that reads clocks: phase timers, repeated timing, deadlines."""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

PHASES = ("construct", "compile", "execute", "combine")
# a technique's own classical computation (CDR simulating its training circuits), apart
CLASSICAL_PHASE = "classical_training"


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


# ---------------------------------------------------------------- deadlines


class PointTimeout(BaseException):
    """Raised inside a point that ran out of time (a BaseException, so that no
    `except Exception` in the engine mistakes it for a fit failure)."""


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise PointTimeout in this thread after `seconds` (checked whenever Python runs:
    a single simulator call in C++ finishes before the timeout is noticed)."""
    if not seconds:
        yield
        return
    if threading.current_thread() is threading.main_thread():
        def _alarm(signum: int, frame: Any) -> None:
            raise PointTimeout

        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    # worker threads (Dask): raise asynchronously in this thread
    tid = threading.get_ident()
    guard = threading.Lock()
    state = {"active": True, "fired": False}

    def _fire() -> None:
        with guard:
            if state["active"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid),
                                                           ctypes.py_object(PointTimeout))

    timer = threading.Timer(seconds, _fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with guard:
            state["active"] = False
            if state["fired"]:  # not raised yet: withdraw it
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)
