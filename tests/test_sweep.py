"""Sweeps: runners agree, failures are stored, resume runs each point once, workers may die."""

import io
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from mitprof.export import rows
from mitprof.runners import WORKER_DIED, ProcessRunner, SerialRunner, make_runner
from mitprof.spec import CircuitSpec, SweepSpec
from mitprof.store import Reader
from mitprof.sweep import (
    PointTimeout,
    Progress,
    deadline,
    profile_kwargs,
    run_point,
    run_sweep,
)

# timing fields differ between runs; everything else must be bit-identical
TIMING = ("seconds", "wall_", "overhead", "classical_ratio", "simulator", "phase_", "worker",
          "run_id", "qpu_vs_classical")


def tiny(**kw):
    base = dict(name="t", seed=5, shots=200, repeats=1, trials=0, backends=["aer", "cirq"],
                noise_levels=[0.02],
                circuits=[CircuitSpec(family="ghz", qubits=[2]),
                          CircuitSpec(family="mirror", qubits=[2], depths=[1]),
                          CircuitSpec(family="rb", qubits=[3], depths=[1])],  # rb: 1-2 qubits
                strategies=["zne:factory=linear,scale=1-3", "pec:samples=4", "rem"])
    base.update(kw)
    return SweepSpec(**base)


def without_timings(doc):
    """A JSON document without its timing fields, at any depth."""
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items() if not any(t in k for t in TIMING)}
    if isinstance(doc, list):
        return [without_timings(v) for v in doc]
    return doc


def as_bytes(doc):
    """Canonical JSON: equal bytes iff every value is bit-identical (-0.0, NaN included)."""
    return json.dumps(doc, sort_keys=True).encode()


def comparable(directory):
    return {f"{row['point_id']} {row['strategy']}": without_timings(row)
            for row in rows(directory)}


# ---------------------------------------------------------------- real points


def test_serial_process_and_dask_runners_store_identical_records(tmp_path):
    pytest.importorskip("distributed")
    spec = tiny(trials=4)
    results = {}
    for executor, workers in (("serial", None), ("process", 2), ("dask", 2)):
        out = tmp_path / executor
        summary = run_sweep(spec, out, executor=executor, workers=workers, progress=False)
        assert (summary.total, summary.done, summary.failed, summary.ran) == (6, 4, 2, 6)
        results[executor] = comparable(out)
    serial = results["serial"]
    assert len(serial) == 6 * 4  # points x (baseline + 3 strategies)
    assert as_bytes(results["process"]) == as_bytes(serial)
    assert as_bytes(results["dask"]) == as_bytes(serial)
    ok = [r for r in serial.values() if r["status"] == "ok"]
    assert len(ok) == 16 and all(isinstance(r["value"], float) for r in ok)
    assert all(r["variance_multiplier"] is not None for r in ok if r["strategy"] != "unmitigated")
    failed = [r for r in serial.values() if r["status"] == "failed"]
    assert len(failed) == 8 and all("rb: n must be 1 or 2" in r["error"] for r in failed)
    with Reader(tmp_path / "process") as r:
        (run,) = r.runs()
        env = json.loads(run["environment"])
        assert env["runner"] == {"runner": "process", "workers": 2, "threads_per_worker": 1}
        assert env["packages"]["mitiq"] and run["threads_per_worker"] == 1
        workers = {p["worker"] for p in r.points()}
    assert len(workers) == 2  # both workers took points


def test_a_profile_is_bit_identical_across_processes_and_hash_seeds():
    """Two processes with different string hashing (and fresh global random state) give
    the same bytes: term and group order, hence rounding and random draws, are fixed.
    Two measurement groups of several terms each."""
    args = [sys.executable, "-m", "mitprof.cli", "profile", "ising:n=3,depth=1",
            "--observable", "0.4*ZZI+0.3*IZZ+0.2*ZIZ+0.5*XXI+0.1*IXX",
            "--strategy", "zne:factory=linear,scale=1-3", "--strategy", "pec:samples=4",
            "--strategy", "rem", "--shots", "100", "--trials", "3", "--repeats", "1", "--json"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
             for hash_seed in ("1", "2")]  # side by side: most of the time is imports
    docs = [as_bytes(without_timings(json.loads(p.communicate()[0]))) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert docs[0] == docs[1]
    assert b'"value": null' not in docs[0]  # every strategy gave a value to compare


def test_a_point_over_its_timeout_fails_with_the_reason():
    point = next(tiny(timeout=0.001, circuits=[CircuitSpec(family="mirror", qubits=[2],
                                                           depths=[2])]).points())
    rec = run_point(point)
    assert rec["status"] == "failed" and rec["error"] == "timed out after 0.001 s"


def test_deadline_interrupts_a_worker_thread():
    seen = []

    def body():
        try:
            with deadline(0.05):
                for _ in range(10**10):
                    pass
        except PointTimeout:
            seen.append("timeout")

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert seen == ["timeout"]


def test_statistics_options_are_passed_only_where_profile_takes_them():
    point = next(tiny(trials=3, hardware="ibm_heron", budgets=[1000]).points())
    old = profile_kwargs(point, {"shots": None})
    assert not {"trials", "hardware", "budgets", "target_error"} & set(old)
    new = profile_kwargs(point, dict.fromkeys(["trials", "hardware", "budgets", "target_error"]))
    assert new["trials"] == 3 and new["hardware"] == "ibm_heron" and new["budgets"] == [1000]
    assert "target_error" not in new  # not set in the spec: the engine's default


# ---------------------------------------------------------------- coordinator (fake points)


def fake(point):
    rows_ = [(label, 1.0, 0.0, 1.0, 0.01, json.dumps({"strategy": label, "value": 1.0}))
             for label in point.labels]
    return {"point_id": point.point_id, "status": "done", "record": json.dumps({}),
            "results": rows_, "worker": f"test:{os.getpid()}", "seconds": 0.0}


def crash_on_cirq(point):
    """Kills its worker process on cirq points (as the OOM killer would)."""
    if point.backend == "cirq":
        os._exit(9)
    return fake(point)


def grid(n_levels=4):
    return tiny(noise_levels=[0.001 * (i + 1) for i in range(n_levels)],
                circuits=[CircuitSpec(family="ghz", qubits=[2, 3])])


def test_resume_runs_every_point_exactly_once(tmp_path):
    spec = grid()  # 2 widths x 2 backends x 4 levels = 16 points
    calls = []

    def interrupted(point):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(point.point_id)
        return fake(point)

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, tmp_path, executor="serial", point_fn=interrupted)
    with Reader(tmp_path) as r:
        assert (r.counts().done, r.counts().pending) == (5, 11)
        assert r.runs()[0]["state"] == "interrupted"
        before = {p["point_id"]: p["run_id"] for p in r.points()}
    resumed = []
    summary = run_sweep(spec, tmp_path, executor="serial",
                        point_fn=lambda p: resumed.append(p.point_id) or fake(p))
    assert summary.ran == 11 and summary.done == 16
    assert not set(resumed) & set(calls) and len(set(resumed)) == 11
    with Reader(tmp_path) as r:
        after = {p["point_id"]: p["run_id"] for p in r.points()}
    assert {k: after[k] for k in before} == before  # finished points untouched
    assert run_sweep(spec, tmp_path, executor="serial", point_fn=fake).ran == 0


def test_fresh_and_retry_failed(tmp_path):
    spec = grid(2)

    def half_fail(point):
        rec = fake(point)
        if point.backend == "cirq":
            rec = {"status": "failed", "error": "no"}
        return rec

    first = run_sweep(spec, tmp_path, executor="serial", point_fn=half_fail)
    assert (first.done, first.failed) == (4, 4)
    assert run_sweep(spec, tmp_path, executor="serial", point_fn=fake).ran == 0
    retried = run_sweep(spec, tmp_path, executor="serial", point_fn=fake, retry_failed=True)
    assert (retried.ran, retried.done, retried.failed) == (4, 8, 0)
    fresh = run_sweep(spec, tmp_path, executor="serial", point_fn=fake, fresh=True)
    assert fresh.ran == 8
    with Reader(tmp_path) as r:
        assert len(r.runs()) == 1  # --fresh forgot the earlier runs too


def test_a_point_that_kills_its_worker_is_failed_and_the_rest_goes_on(tmp_path):
    summary = run_sweep(grid(2), tmp_path, executor="process", workers=2,
                        point_fn=crash_on_cirq)
    assert (summary.done, summary.failed) == (4, 4)
    with Reader(tmp_path) as r:
        errors = {p["backend"]: p["error"] for p in r.points() if p["status"] == "failed"}
    assert errors == {"cirq": f"{WORKER_DIED}: exited with status 9"}


def square(x):
    return x * x


def square_or_die(x):
    if x == 0:
        os._exit(9)
    return x * x


def test_a_pool_broken_between_submissions_loses_no_task():
    runner = ProcessRunner(2)

    def source():
        yield 0  # kills its worker
        for _ in range(600):  # wait (bounded) until the pool knows, so the next submit fails
            if runner._pool is not None and getattr(runner._pool, "_broken", False):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the pool never broke")
        yield from range(1, 6)

    outcomes = {o.task: o for o in runner.imap(square_or_die, source())}
    assert sorted(outcomes) == list(range(6))
    assert outcomes[0].error == f"{WORKER_DIED}: exited with status 9"
    assert {t: o.result for t, o in outcomes.items() if t} == {t: t * t for t in range(1, 6)}


def test_runners_pull_tasks_lazily():
    pulled = [0]

    def source():
        for i in range(40):
            pulled[0] += 1
            yield i

    for runner in (SerialRunner(), ProcessRunner(2)):
        pulled[0] = 0
        ahead = 0
        out = []
        for n, outcome in enumerate(runner.imap(square, source()), start=1):
            ahead = max(ahead, pulled[0] - n)
            out.append(outcome.result)
        assert sorted(out) == [i * i for i in range(40)]
        assert ahead <= 2 * runner.workers  # memory does not grow with the number of points


def test_runner_arguments_are_checked():
    from mitprof.errors import SpecError

    for kwargs in ({"executor": "mpi"}, {"workers": 0}, {"executor": "serial", "workers": 2},
                   {"executor": "process", "scheduler": "tcp://127.0.0.1:1"}):
        with pytest.raises(SpecError):
            make_runner(**kwargs)


def test_progress_bar_reports_counts_and_stays_quiet_off_a_terminal():
    stream = io.StringIO()
    bar = Progress("t", total=3, finished=0, stream=stream, enabled=True)
    for failed in (False, True, False):
        bar.update(failed)
    bar.close()
    assert "3/3 points, 1 failed, ETA 00:00" in stream.getvalue()  # tqdm's clock
    quiet = io.StringIO()
    bar = Progress("t", total=3, finished=0, stream=quiet)  # StringIO is not a tty
    bar.update(False)
    bar.close()
    assert quiet.getvalue() == ""
