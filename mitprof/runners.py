"""Runners: map a function over a stream of tasks, yielding outcomes as they complete.

`SerialRunner` runs in this process; `ProcessRunner` (the default) uses a pool of
spawned processes with one simulator thread each; `DaskRunner` uses a Dask
distributed cluster, an existing one (`scheduler=ADDRESS`) or a LocalCluster bound
to 127.0.0.1. All three take tasks lazily and keep at most a small window in
flight, so the coordinator's memory does not grow with the number of tasks.

A runner never raises for a task: a worker that dies (killed, out of memory) is
reported as an `Outcome` with `error` set, and the rest goes on.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol

from . import measure
from .errors import MitprofError, SpecError

EXECUTORS = ("process", "serial", "dask")

# Pinned in every worker process, before any numerical library starts its threads.
PIN_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}
WORKER_DIED_ALONE = "worker process died while running this point alone"
WORKER_DIED = WORKER_DIED_ALONE  # the start of every such message


@dataclass
class Outcome:
    task: Any
    result: Any = None
    error: str | None = None  # set when the runner could not obtain a result


class Runner(Protocol):
    name: str
    workers: int
    threads_per_worker: int | None

    def start(self) -> None: ...

    def imap(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Outcome]: ...

    def close(self) -> None: ...

    def describe(self) -> dict[str, Any]: ...


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def make_runner(executor: str = "process", workers: int | None = None,
                scheduler: str | None = None) -> Runner:
    if executor not in EXECUTORS:
        raise SpecError(f"unknown executor {executor!r}; valid: {', '.join(EXECUTORS)}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise SpecError(f"workers must be a positive integer, got {workers!r}")
    if scheduler is not None and executor != "dask":
        raise SpecError("a scheduler address needs the dask executor (--executor dask)")
    if executor == "serial":
        if workers not in (None, 1):
            raise SpecError("the serial executor runs one point at a time; drop --workers")
        return SerialRunner()
    if executor == "dask":
        return DaskRunner(workers, scheduler)
    return ProcessRunner(workers or default_workers())


# ---------------------------------------------------------------- serial


class SerialRunner:
    name = "serial"
    workers = 1
    threads_per_worker: int | None = 1

    def start(self) -> None:
        pass

    def imap(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Outcome]:
        for task in tasks:
            yield Outcome(task, fn(task))

    def close(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"runner": self.name, "workers": 1, "threads_per_worker": 1}


# ---------------------------------------------------------------- process pool


_STARTED: Any = None  # in a worker: the queue that says which process runs which task


def _init_worker(started: Any = None) -> None:
    global _STARTED
    _STARTED = started
    os.environ.update(PIN_ENV)
    # Ctrl-C is the coordinator's to handle: it stops the pool after storing what finished.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()


def _tracked(fn: Callable[[Any], Any], key: int, task: Any) -> Any:
    """Run `fn(task)` after telling the coordinator which process runs it, so that when a
    worker dies the coordinator knows which point was in it."""
    if _STARTED is not None:
        _STARTED.put((key, os.getpid()))
    return fn(task)


def _first_dead(codes: dict[int, int]) -> set[int]:
    """The processes that died first: a broken pool stops the others with SIGTERM."""
    return {pid for pid, code in codes.items() if code != -signal.SIGTERM} or set(codes)


def death_cause(exitcode: int | None) -> str:
    """How a worker process ended, from its exit status."""
    if exitcode is None:
        return "died (exit status unknown)"
    if exitcode < 0:
        sig = -exitcode
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        if sig == signal.SIGKILL:
            return f"killed by signal {sig} (SIGKILL; often the out-of-memory killer)"
        return f"killed by signal {sig} ({name})"
    return f"exited with status {exitcode}"


def _exit_with_parent(interval: float = 1.0) -> None:
    """End this worker when the coordinator dies (SIGKILL included): an orphaned pool
    worker would otherwise wait on its task queue forever."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="mitprof-parent-watch", daemon=True).start()


class ProcessRunner:
    """A pool of spawned worker processes (fork after Qiskit/Aer start threads is unsafe).

    Every worker reports which task it starts. When a worker dies, the point that was
    running in it (the dead process, told apart from the ones the pool then stops by its
    exit status) is re-run alone; the other points in flight are re-queued as they were.
    A point is reported failed only when its own worker died while it ran alone (an idle
    worker's death does not count), with the cause: `killed by signal N` or `exited with
    status N`.
    """

    name = "process"
    threads_per_worker: int | None = 1
    MAX_UNEXPLAINED = 3  # deaths in flight, none attributable to it, before a point is isolated

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Any = None
        self._started: Any = None

    def start(self) -> None:
        pass  # workers are spawned on first use

    def _new_pool(self) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("spawn")
        # a fresh queue per pool: a worker killed while writing may leave a queue's lock held
        self._started = ctx.SimpleQueue()
        return ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker,
                                   initargs=(self._started,), mp_context=ctx)

    def _drain(self, into: dict[int, int]) -> None:
        queue = self._started
        with suppress(Exception):
            while queue is not None and not queue.empty():
                key, pid = queue.get()
                into[key] = pid

    def imap(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Outcome]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        source = iter(tasks)
        suspects: deque[Any] = deque()  # ran in a worker that died: re-run alone
        ready: deque[Any] = deque()  # to run again as usual (bystanders, refused by a broken pool)
        alone: list[Any] = []  # the suspect now running by itself, if any
        unexplained: dict[int, int] = {}  # id(task) -> deaths it was in flight for, unblamed
        pending: dict[Any, tuple[int, Any]] = {}  # future -> (key, task)
        where: dict[int, int] = {}  # key -> pid of the worker that started it
        counter = iter(range(1 << 62))
        exhausted = False
        completed = 0  # tasks a worker has returned (a pool that never ran one may be unusable)
        self._pool = self._new_pool()
        try:
            while True:
                refused = False
                while not alone:
                    if suspects:
                        if pending:
                            break  # let the rest finish, then isolate
                        task = suspects.popleft()
                        alone.append(task)
                    elif len(pending) >= 2 * self.workers:
                        break
                    elif ready:
                        task = ready.popleft()
                    elif exhausted:
                        break
                    else:
                        task = next(source, _END)
                        if task is _END:
                            exhausted = True
                            break
                    key = next(counter)
                    try:
                        pending[self._pool.submit(_tracked, fn, key, task)] = (key, task)
                    except BrokenProcessPool:  # a worker died since the last wait
                        refused = True
                        if alone:
                            suspects.appendleft(alone.pop())
                        else:
                            ready.appendleft(task)
                        break
                if not pending:
                    if refused:
                        self._pool = self._renew(self._pool)
                        continue
                    return
                processes = dict(getattr(self._pool, "_processes", None) or {})
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                self._drain(where)
                broken: list[tuple[int, Any]] = []
                for fut in done:
                    key, task = pending.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken.append((key, task))
                        continue
                    except Exception as exc:  # unpicklable result and the like
                        outcome = Outcome(task, error=f"{type(exc).__name__}: {exc}")
                    else:
                        outcome = Outcome(task, result)
                    where.pop(key, None)
                    unexplained.pop(id(task), None)
                    if alone and alone[0] is task:
                        alone.clear()
                    completed += 1
                    yield outcome
                if broken or refused:
                    _refuse_unguarded_main(self._pool, completed)
                    in_flight = broken + list(pending.values())
                    pending.clear()
                    processes.update(getattr(self._pool, "_processes", None) or {})
                    self._drain(where)
                    codes = self._exit_codes(processes)
                    self._pool = self._renew(self._pool)
                    if alone:
                        task = alone.pop()
                        keys = [k for k, t in in_flight if t is task]
                        pid = where.pop(keys[0], None) if keys else None
                        if pid in _first_dead(codes):  # its own worker died: blamed
                            yield Outcome(task, error=f"{WORKER_DIED_ALONE}: "
                                                      f"{death_cause(codes[pid])}")
                            continue
                        # another (idle) worker died: run it alone again, within reason
                        unexplained[id(task)] = unexplained.get(id(task), 0) + 1
                        if unexplained[id(task)] >= self.MAX_UNEXPLAINED:
                            yield Outcome(task, error=f"{WORKER_DIED_ALONE}: "
                                                      f"{death_cause(None)}")
                            continue
                        suspects.appendleft(task)
                        continue
                    self._triage(in_flight, where, codes, suspects, ready, unexplained)
        finally:
            self._stop(self._pool, graceful=exhausted and not pending and not suspects)
            self._pool = None

    @staticmethod
    def _exit_codes(processes: dict[int, Any], patience: float = 2.0) -> dict[int, int]:
        """Exit statuses of a broken pool's processes. The pool stops the survivors and its
        manager thread may be reaping the dead one as we look: wait a moment (at most
        `patience` seconds in all) until one that did not end by SIGTERM is seen."""
        import time

        end = measure.now() + patience
        codes: dict[int, int] = {}
        while True:
            for pid, proc in processes.items():
                with suppress(Exception):
                    if proc.exitcode is not None:
                        codes[pid] = proc.exitcode
            if any(c != -signal.SIGTERM for c in codes.values()) or len(codes) == len(
                    processes) or measure.now() > end:
                return codes
            time.sleep(0.01)

    def _triage(self, in_flight: list[tuple[int, Any]], where: dict[int, int],
                codes: dict[int, int], suspects: deque[Any], ready: deque[Any],
                unexplained: dict[int, int]) -> None:
        """After a worker died: the points that ran in a dead process are suspects, the
        others go back to the queue. The pool stops the surviving workers with SIGTERM, so
        a process that ended otherwise is the one that died first."""
        first = _first_dead(codes)
        culprits = [(k, t) for k, t in in_flight if where.get(k) in first]
        innocent = [(k, t) for k, t in in_flight if where.get(k) not in first]
        for k, _ in in_flight:
            where.pop(k, None)
        for _, task in innocent:
            # a death that no point explains (an idle worker killed): counted, and a point
            # in flight for too many of them is isolated like a suspect
            unexplained[id(task)] = unexplained.get(id(task), 0) + (not culprits)
        again = [t for _, t in innocent if unexplained[id(t)] < self.MAX_UNEXPLAINED]
        suspects.extend(t for _, t in culprits)
        suspects.extend(t for _, t in innocent if unexplained[id(t)] >= self.MAX_UNEXPLAINED)
        ready.extendleft(reversed(again))

    def _renew(self, pool: Any) -> Any:
        with suppress(Exception):
            pool.shutdown(wait=False, cancel_futures=True)
        return self._new_pool()

    @staticmethod
    def _stop(pool: Any, graceful: bool) -> None:
        if pool is None:
            return
        if graceful:
            pool.shutdown(wait=True)
            return
        # interrupted: do not wait for points in flight (they are re-run on resume)
        procs = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)

    def close(self) -> None:
        self._stop(self._pool, graceful=False)
        self._pool = None

    def describe(self) -> dict[str, Any]:
        return {"runner": self.name, "workers": self.workers, "threads_per_worker": 1}


_END = object()

UNGUARDED_MAIN = (
    "worker processes died while starting: the process executor spawns fresh Python "
    "processes, and each one re-imports your script {path} as it starts. Without an "
    "`if __name__ == \"__main__\":` guard the script starts the sweep again inside every "
    "worker, which Python refuses (\"An attempt has been made to start a new process before "
    "the current process has finished its bootstrapping phase\"). Put the code that calls "
    "run_sweep under `if __name__ == \"__main__\":`, or use executor=\"serial\"")


def unguarded_main() -> str | None:
    """The main script's path if it is a file that spawned workers re-import and it has no
    top-level `if __name__ == "__main__":` block; None otherwise (interactive sessions,
    notebooks, `python -c`, guarded scripts)."""
    import ast
    import sys

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not str(path).endswith(".py"):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.If):
            test = ast.unparse(node.test)
            if "__name__" in test and "__main__" in test:
                return None
    return str(path)


def _refuse_unguarded_main(pool: Any, completed: int) -> None:
    """A pool broke: if no worker ever returned a task (or one exited with status 1, as a
    start-up failure does; signals give negative codes) and the main script has no
    `__main__` guard, that is the cause: say so instead of failing every point."""
    path = unguarded_main()
    if path is None:
        return
    procs = list((getattr(pool, "_processes", None) or {}).values())
    if completed == 0 or any(p.exitcode == 1 for p in procs):
        raise MitprofError(UNGUARDED_MAIN.format(path=path))


# ---------------------------------------------------------------- Dask


class DaskRunner:
    """Dask distributed: an existing cluster, or a LocalCluster on 127.0.0.1 only."""

    name = "dask"

    def __init__(self, workers: int | None, scheduler: str | None,
                 connect_timeout: float = 10.0) -> None:
        self.requested = workers
        self.workers = workers or default_workers()
        self.threads_per_worker: int | None = 1
        self.scheduler = scheduler
        self.connect_timeout = connect_timeout
        self.client: Any = None
        self.cluster: Any = None

    def start(self) -> None:
        try:
            import distributed
        except ImportError:
            raise MitprofError(
                "the dask executor needs Dask: pip install 'mitprof[dask]'") from None
        import logging

        if self.scheduler:
            _check_reachable(self.scheduler, self.connect_timeout)
            try:
                self.client = distributed.Client(self.scheduler, timeout=self.connect_timeout,
                                                 set_as_default=False)
            except Exception as exc:
                raise MitprofError(f"cannot reach the Dask scheduler at {self.scheduler}: "
                                   f"{_one_line(exc)}") from None
            info = self.client.scheduler_info()
            threads = [w.get("nthreads", 1) for w in info.get("workers", {}).values()]
            self.workers = sum(threads) or 1
            self.threads_per_worker = None  # the cluster's own configuration
        else:
            with _pinned_environment():
                self.cluster = distributed.LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", scheduler_port=0, dashboard_address=None,
                    silence_logs=logging.ERROR)
            self.client = distributed.Client(self.cluster, set_as_default=False)

    def imap(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Outcome]:
        import uuid

        from distributed import as_completed

        source = iter(tasks)
        window = 2 * self.workers
        pending: dict[Any, Any] = {}
        batch = uuid.uuid4().hex[:8]
        ac = as_completed(loop=self.client.loop)

        def submit() -> bool:
            task = next(source, _END)
            if task is _END:
                return False
            key = f"mitprof-{batch}-{getattr(task, 'point_id', len(pending))}"
            fut = self.client.submit(fn, task, key=key, pure=False)
            pending[fut] = task
            ac.add(fut)
            return True

        try:
            for _ in range(window):
                if not submit():
                    break
            for fut in ac:
                task = pending.pop(fut)
                try:
                    result = fut.result()
                except Exception as exc:  # KilledWorker after repeated worker deaths, ...
                    outcome = Outcome(task, error=f"Dask: {type(exc).__name__}: {_one_line(exc)}")
                else:
                    outcome = Outcome(task, result)
                fut.release()
                submit()
                yield outcome
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        from contextlib import suppress

        if self.client is not None:
            with suppress(Exception):
                self.client.close()
            self.client = None
        if self.cluster is not None:
            with suppress(Exception):
                self.cluster.close()
            self.cluster = None

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"runner": self.name, "workers": self.workers,
                             "threads_per_worker": self.threads_per_worker}
        if self.scheduler:
            d["scheduler"] = self.scheduler
        return d


class _pinned_environment:
    """PIN_ENV in os.environ while local worker processes are spawned, then restored."""

    def __enter__(self) -> None:
        self.saved = {k: os.environ.get(k) for k in PIN_ENV}
        os.environ.update(PIN_ENV)

    def __exit__(self, *exc: object) -> None:
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _check_reachable(address: str, timeout: float) -> None:
    """Fail fast (connection refused, unknown host) before Dask retries until its timeout."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(address if "://" in address else f"tcp://{address}")
    if url.scheme not in ("tcp", "tls") or not url.hostname or url.port is None:
        raise MitprofError(f"invalid Dask scheduler address {address!r}; expected "
                           "tcp://HOST:PORT")
    try:
        with socket.create_connection((url.hostname, url.port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or _one_line(exc)
        raise MitprofError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
