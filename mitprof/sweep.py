"""Run a sweep: expand the spec, skip finished points, run the rest, stream records to the store.

The coordinator (this module, in the calling process) validates the spec, opens the
store as its only writer, and hands points lazily to a runner; each finished point
is committed at once, so an interrupted sweep loses at most the points in flight,
and running it again runs exactly the points that are not finished.

`run_point` is the worker side: it profiles one point with `mitprof.engine.profile`,
seeded from the sweep seed and the point's physical configuration (never from its
position in a batch), and never raises: a failure is a record with its message.
"""

from __future__ import annotations

import inspect
import os
import socket
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from . import measure
from .errors import MitprofError
from .measure import PointTimeout, deadline
from .spec import Point, SweepSpec, load_spec

# ---------------------------------------------------------------- worker side


def point_seed(point: Point) -> int:
    """The engine seed of a point: from the sweep seed and the point's physical
    configuration, so it is the same in any order, batch, worker count or runner."""
    from .engine import derive_seed

    return derive_seed(point.sweep_seed, point.seed_key)


def profile_kwargs(point: Point, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for `profile`; the statistics options only where it takes them."""
    kwargs: dict[str, Any] = {
        "observable": point.observable, "backend": point.backend, "noise": point.noise_level,
        "strategies": list(point.strategies), "shots": point.shots, "seed": point_seed(point),
        "repeats": point.repeats,
    }
    if point.device is not None:  # the level is the device's noise scale
        del kwargs["noise"]
        kwargs.update(device=point.device, noise_scale=point.noise_level)
    optional = {"trials": point.trials, "hardware": point.hardware,
                "target_error": point.target_error,
                "budgets": list(point.budgets) if point.budgets else None}
    for key, value in optional.items():
        if value is not None and key in parameters:
            kwargs[key] = value
    return kwargs


def run_point(point: Point) -> dict[str, Any]:
    """Profile one point; returns a record for the store (JSON already encoded here,
    in the worker, to keep the coordinator light). Never raises for a bad point."""
    import json
    import traceback

    t0 = measure.now()
    rec: dict[str, Any] = {"point_id": point.point_id,
                           "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        from .engine import profile

        kwargs = profile_kwargs(point, inspect.signature(profile).parameters)
        with warnings.catch_warnings(record=True) as caught, deadline(point.timeout):
            warnings.simplefilter("always")
            result = profile(point.run_circuit, **kwargs)
        d = result.to_dict()
        rows = d.pop("results")
        if caught:  # kept with the point instead of garbling the terminal
            seen = dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught)
            d["warnings"] = list(seen)[:20]
        rec.update(status="done", n_qubits=d.get("n_qubits"), record=json.dumps(d), results=[
            (r["strategy"], r.get("value"), r.get("abs_error"), r.get("shot_multiplier"),
             r.get("wall_seconds"), json.dumps(r)) for r in rows])
    except PointTimeout:
        rec.update(status="failed", error=f"timed out after {point.timeout:g} s")
    except MitprofError as exc:
        rec.update(status="failed", error=str(exc))
    except MemoryError:
        rec.update(status="failed", error="out of memory")
    except Exception as exc:
        rec.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc())
    rec["seconds"] = measure.now() - t0
    return rec


# ---------------------------------------------------------------- progress


class Progress:
    """`name [#####.....] 12/40 points, 1 failed, ETA 0:35` on stderr; silent when not a tty."""

    def __init__(self, name: str, total: int, finished: int, stream: TextIO | None = None,
                 enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.enabled = isatty() if enabled is None else enabled
        self.name, self.total, self.finished = name, total, finished
        self.failed = 0
        self.ran = 0
        self.t0 = measure.now()
        self.last = 0.0
        self.shown = False

    def update(self, failed: bool) -> None:
        self.finished += 1
        self.ran += 1
        self.failed += failed
        now = measure.now()
        if self.enabled and (now - self.last > 0.2 or self.finished == self.total):
            self.last = now
            self.render(now)

    def render(self, now: float | None = None) -> None:
        if not self.enabled:
            return
        now = measure.now() if now is None else now
        width = 24
        filled = int(width * self.finished / self.total) if self.total else width
        left = self.total - self.finished
        eta = "--:--" if not self.ran else _clock((now - self.t0) / self.ran * left)
        failed = f", {self.failed} failed" if self.failed else ""
        line = (f"{self.name} [{'#' * filled}{'.' * (width - filled)}] {self.finished}/"
                f"{self.total} points{failed}, ETA {eta}")
        self.stream.write("\r" + line + " " * 4)
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.enabled and self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


# ---------------------------------------------------------------- coordinator


@dataclass(frozen=True)
class SweepSummary:
    name: str
    out: Path
    store: Path
    total: int  # points in the spec
    done: int  # finished without error (all runs)
    failed: int
    pending: int
    ran: int  # points run by this call
    ran_failed: int
    wall_seconds: float
    coordinator_seconds: float  # expanding, storing, progress (not waiting)
    runner: str
    workers: int

    def __str__(self) -> str:
        return (f"{self.name}: {self.total} points: {self.done} done, {self.failed} "
                f"failed, {self.pending} pending; ran {self.ran} in {self.wall_seconds:.1f} s "
                f"({self.runner}, {self.workers} worker{'s' * (self.workers != 1)}) -> "
                f"{self.store}")


def check_output_dir(out: Path) -> None:
    """Refuse an output path that cannot hold a store, before anything is written."""
    if out.exists() and not out.is_dir():
        raise MitprofError(f"{out}: exists and is not a directory")
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise MitprofError(f"{out}: cannot create the output directory ({probe} is a file)")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise MitprofError(f"{out}: output directory is not writable")
    from .store import store_path

    store = store_path(out)
    if store.exists() and not os.access(store, os.R_OK | os.W_OK):
        raise MitprofError(f"{store}: results store is not writable")


def environment(runner: dict[str, Any]) -> dict[str, Any]:
    """The coordinator's environment (each point also records its worker's)."""
    from .engine import environment as engine_environment

    env = engine_environment()
    env["runner"] = runner
    env["hostname"] = socket.gethostname()
    return env


def run_sweep(
    spec: SweepSpec | str | Path | Mapping[str, Any],
    out: str | Path,
    *,
    workers: int | None = None,
    executor: str = "process",
    scheduler: str | None = None,
    fresh: bool = False,
    retry_failed: bool = False,
    timeout: float | None = None,
    progress: bool | None = None,
    point_fn: Callable[[Point], dict[str, Any]] = run_point,
) -> SweepSummary:
    """Run (or resume) the sweep `spec` into `out/results.sqlite`.

    Finished points (done or failed) are skipped; `retry_failed` runs failed ones again;
    `fresh` forgets every stored result first. `executor` is "process" (default, `workers`
    processes, one simulator thread each), "serial" or "dask" (`scheduler` address, or a
    LocalCluster on 127.0.0.1). `timeout` (seconds per point) overrides the spec's.
    Bad input raises MitprofError before the store is touched.
    """
    from .runners import make_runner
    from .store import Store, check_existing

    t_start = measure.now()
    if not isinstance(out, str | os.PathLike) or not str(out).strip():
        raise MitprofError(f"out: the sweep directory to store results in (a path) is "
                           f"required, got {out!r}")
    spec = load_spec(spec)
    if timeout is not None:
        from .spec import _float

        spec = spec.with_timeout(_float(timeout, "timeout", positive=True))
    out = Path(out)
    check_output_dir(out)
    check_existing(out)
    runner = make_runner(executor, workers, scheduler)
    coordinator = 0.0
    try:
        runner.start()
        info = runner.describe()
        env = environment(info)
        with Store.open_writer(out) as store:
            t = measure.now()
            if fresh:
                store.clear()
            total = len(spec)
            run_id = store.begin_run(spec.to_dict(), env, runner.name, runner.workers,
                                     runner.threads_per_worker, total)
            wanted = ("pending", "failed") if retry_failed else ("pending",)
            digest = spec.plan_digest()
            planner = None
            if store.plan_complete(digest):  # a resume: read only the rows still to run
                counts = store.counts()
                todo = counts.pending + (counts.failed if retry_failed else 0)
            else:  # run while the plan is written (first run, edited spec, unfinished plan)
                store.start_plan(digest)
                planner = store.planner(spec.points(), digest).start()
                counts = store.counts()
                todo = total - counts.done - counts.failed * (not retry_failed)
            bar = Progress(spec.name, total, total - todo, enabled=progress)
            bar.render()
            coordinator += measure.now() - t
            clock = [0.0]

            def tasks() -> Iterator[Point]:
                if planner is None:
                    for seq, point_id in store.to_run(wanted):
                        t0 = measure.now()
                        found = spec.point_at(seq)
                        clock[0] += measure.now() - t0
                        if found is not None and found.point_id == point_id:
                            yield found
                    return
                # statuses of points the plan has not reached yet are unknown: pending
                stream = spec.execution_order()
                while True:
                    t0 = measure.now()
                    point = next(stream, None)
                    while point is not None and store.status_of(point.point_id) not in (
                            *wanted, None):
                        point = next(stream, None)
                    clock[0] += measure.now() - t0
                    if point is None:
                        return
                    yield point

            ran = ran_failed = 0
            try:
                for outcome in runner.imap(point_fn, tasks()):
                    t0 = measure.now()
                    rec = outcome.result
                    if outcome.error is not None or not isinstance(rec, dict):
                        rec = {"status": "failed", "error": outcome.error or "no result"}
                    store.record(outcome.task.point_id, rec, run_id, outcome.task)
                    ran += 1
                    ran_failed += rec["status"] == "failed"
                    bar.update(rec["status"] == "failed")
                    coordinator += measure.now() - t0
            except KeyboardInterrupt:  # the plan gets its patience in _finish
                store.end_run(run_id, "interrupted")
                raise
            finally:
                bar.close()
                if planner is not None:
                    _finish(planner, failing=sys.exc_info()[0] is not None)
            t0 = measure.now()
            store.end_run(run_id, "finished")
            final = store.counts()
            coordinator += measure.now() - t0 + clock[0]
    finally:
        runner.close()
    return SweepSummary(
        name=spec.name, out=out, store=store.path, total=total, done=final.done,
        failed=final.failed, pending=final.pending, ran=ran, ran_failed=ran_failed,
        wall_seconds=measure.now() - t_start, coordinator_seconds=coordinator,
        runner=runner.name, workers=runner.workers)


def _finish(planner: Any, failing: bool, patience: float = 3.0) -> None:
    """Wait for the plan to be written (the final counts need it). When the sweep is
    failing or interrupted, give the plan `patience` seconds to end (small plans are
    then complete, and `status` counts every point), then stop it, keeping the sweep's
    own exception; the next run completes it."""
    if failing:
        with suppress(BaseException):
            if not planner.join(patience):
                planner.stop()
                planner.join()
        return
    planner.join()


def demo_spec() -> SweepSpec:
    """The built-in demo sweep (mitprof/data/demo.toml)."""
    return load_spec(Path(__file__).resolve().parent / "data" / "demo.toml")
