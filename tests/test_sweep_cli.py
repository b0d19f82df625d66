"""The sweep commands: run, status, export, demo; bad input; SIGKILL and resume."""

import csv
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mitprof.cli import main
from mitprof.export import COLUMNS
from mitprof.spec import CircuitSpec, SweepSpec
from mitprof.store import Reader, Store

SPEC = """
[sweep]
name = "clitest"
seed = 2
shots = 200
repeats = 1
trials = 0
backends = ["aer"]
noise_levels = [0.01, 0.02]

[[circuits]]
family = "ghz"
qubits = [2, 3]

[[strategies]]
name = "zne"
options = { factory = "linear", scale = [1, 3] }

[[strategies]]
name = "rem"
"""


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "mitprof.cli", *map(str, args)],
                          capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """One finished sweep: 4 points x 3 strategies, run serially in this process."""
    root = tmp_path_factory.mktemp("swept")
    spec = root / "spec.toml"
    spec.write_text(SPEC)
    res = run("run", spec, "--out", root / "out", "--executor", "serial")
    assert res.exit_code == 0, res.output
    assert "clitest: 4 points: 4 done, 0 failed, 0 pending; ran 4" in res.stdout
    return root


def test_status_counts(swept):
    res = run("status", swept / "out")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("clitest: 4 points: 4 done, 0 failed, 0 pending\n")
    assert "finished; last run" in res.stdout and "serial, 1 worker x 1 thread" in res.stdout
    assert "points by version" not in res.stdout  # one version made them all
    doc = json.loads(run("status", swept / "out", "--json").stdout)
    assert (doc["done"], doc["failed"], doc["pending"], doc["state"]) == (4, 0, 0, "finished")


def test_status_and_export_say_which_mitprof_version_made_each_point(tmp_path):
    spec = SweepSpec(name="v", circuits=[CircuitSpec(family="ghz", qubits=[2, 3])],
                     strategies=["rem"], shots=100, noise_levels=[0.01, 0.02], repeats=1,
                     trials=0)
    points = list(spec.points())
    made_by = ["0.1.0", "0.1.0", "0.1.0", "0.2.0"]
    with Store.open_writer(tmp_path) as st:
        run_id = st.begin_run(spec.to_dict(), {}, "serial", 1, 1, len(spec))
        st.plan(points)
        for point, version in zip(points, made_by, strict=True):
            record = {"environment": {"packages": {"mitprof": version}}}
            results = [(label, 0.5, 0.1, 1.0, 0.01, json.dumps({"strategy": label}))
                       for label in point.labels]
            st.record(point.point_id, {"status": "done", "record": json.dumps(record),
                                       "results": results}, run_id)
        st.end_run(run_id, "finished")
    versions = list(dict.fromkeys(made_by))
    res = run("status", tmp_path)
    line = ", ".join(f"mitprof {v}: {made_by.count(v)}" for v in versions)
    assert f"\n  points by version: {line}\n" in res.stdout
    doc = json.loads(run("status", tmp_path, "--json").stdout)
    assert doc["versions"] == [{"mitprof": v, "points": made_by.count(v)} for v in versions]
    table = csv.DictReader(io.StringIO(run("export", tmp_path).stdout))
    assert {(r["point_id"], r["mitprof_version"]) for r in table} == {
        (p.point_id, v) for p, v in zip(points, made_by, strict=True)}


def test_dry_run_shows_what_would_run_and_writes_nothing(swept, tmp_path):
    more = tmp_path / "more.toml"
    more.write_text(SPEC.replace("[0.01, 0.02]", "[0.01, 0.02, 0.03]"))
    before = snapshot(swept / "out")
    res = run("run", more, "--out", swept / "out", "--dry-run")
    assert res.exit_code == 0, res.output
    assert res.stdout == ("clitest: 6 points x 3 strategies (unmitigated, "
                          "zne[linear,1-3,global], rem[tensored])\n"
                          f"{swept / 'out'}: 4 done, 0 failed; 2 points to run\n")
    assert snapshot(swept / "out") == before
    res = run("run", more, "--out", tmp_path / "none", "--dry-run")
    assert "no store in" in res.stdout and not (tmp_path / "none").exists()


def test_running_again_resumes_and_runs_nothing(swept):
    before = (swept / "out" / "results.sqlite").stat().st_size
    res = run("run", swept / "spec.toml", "--out", swept / "out", "--executor", "serial")
    assert res.exit_code == 0 and "ran 0 in" in res.stdout
    with Reader(swept / "out") as r:
        assert len(r.runs()) == 2 and r.counts().done == 4
    assert (swept / "out" / "results.sqlite").stat().st_size >= before


def test_export_csv_to_stdout_is_only_the_table(swept):
    res = run("export", swept / "out", "--format", "csv")
    assert res.exit_code == 0 and res.stderr == ""
    table = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(table) == 4 * 3
    header = res.stdout.splitlines()[0].split(",")
    assert tuple(header[:len(COLUMNS)]) == COLUMNS
    assert {r["strategy"] for r in table} == {"unmitigated", "zne[linear,1-3,global]",
                                              "rem[tensored]"}
    assert all(r["status"] == "ok" and r["error"] == "" for r in table)
    assert {r["noise_level"] for r in table} == {"0.01", "0.02"}
    assert "phase_seconds.execute" in header and "details.factory" in header
    zne = next(r for r in table if r["strategy"].startswith("zne"))
    assert int(zne["total_shots"]) == 400 and float(zne["shot_multiplier"]) == 2.0


def test_export_jsonl_keeps_nested_fields_and_writes_files_atomically(swept):
    out = swept / "rows.jsonl"
    res = run("export", swept / "out", "--format", "jsonl", "-o", out)
    assert res.exit_code == 0 and res.stdout == ""
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 12 and list(lines[0])[:len(COLUMNS)] == list(COLUMNS)
    assert isinstance(lines[0]["phase_seconds"], dict) and lines[0]["n_qubits"] == 2
    assert [p.name for p in swept.iterdir() if p.name.startswith(".rows")] == []


def test_load_results_is_a_dataframe(swept):
    import mitprof

    df = mitprof.load_results(swept / "out")
    assert len(df) == 12 and tuple(df.columns[:len(COLUMNS)]) == COLUMNS
    assert set(df["backend"]) == {"aer"} and df["value"].notna().all()


def test_fresh_asks_first(swept, tmp_path):
    spec = swept / "spec.toml"
    out = tmp_path / "copy"
    out.mkdir()
    src = sqlite3.connect(swept / "out" / "results.sqlite")
    dst = sqlite3.connect(out / "results.sqlite")
    src.backup(dst)
    src.close()
    dst.close()
    res = run("run", spec, "--out", out, "--executor", "serial", "--fresh", input="n\n")
    assert res.exit_code == 1 and "Delete the 4 finished points" in res.stderr
    with Reader(out) as r:
        assert r.counts().done == 4 and len(r.runs()) >= 1


# ---------------------------------------------------------------- bad input


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bad_cases(tmp_path, swept):
    spec = swept / "spec.toml"
    bad_spec = tmp_path / "bad.toml"
    bad_spec.write_text(SPEC.replace("qubits = [2, 3]", "qubits = [2, 'x']"))
    missing = tmp_path / "missing.toml"
    missing.write_text(SPEC.replace('family = "ghz"\nqubits = [2, 3]', 'file = "gone.qasm"'))
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    newer = tmp_path / "newer"
    Store.open_writer(newer).close()
    raw = sqlite3.connect(newer / "results.sqlite")
    raw.execute("PRAGMA user_version = 7")
    raw.commit()
    raw.close()
    return [
        (["run", bad_spec, "--out", tmp_path / "o1"], "circuits[0].qubits[1]: expected an integer",
         tmp_path / "o1"),
        (["run", missing, "--out", tmp_path / "o2"], "circuits[0].file: no such circuit file",
         tmp_path / "o2"),
        (["run", tmp_path / "nope.toml", "--out", tmp_path / "o3"], "no such spec file",
         tmp_path / "o3"),
        (["run", spec, "--out", a_file], "exists and is not a directory", None),
        (["run", spec, "--out", a_file / "sub"], "is a file", None),
        (["run", spec, "--out", newer], "schema version 7 is newer", newer),
        (["run", spec, "--out", tmp_path / "o4", "--executor", "dask", "--scheduler",
          f"tcp://127.0.0.1:{free_port()}"], "cannot reach the Dask scheduler", tmp_path / "o4"),
        (["status", tmp_path / "o5"], "no such directory", tmp_path / "o5"),
        (["export", newer, "--format", "csv"], "schema version 7 is newer", newer),
    ]


def snapshot(path):
    """Every file in the directory; the -shm index only exists while a writer runs and
    holds no data (readers record their read marks in it)."""
    if path is None or not path.exists():
        return None
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())
            if p.is_file() and not p.name.endswith("-shm")}


def test_bad_input_is_one_error_line_status_2_and_nothing_written(tmp_path, swept):
    for args, message, touched in bad_cases(tmp_path, swept):
        before = snapshot(touched)
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
        assert message in proc.stderr, (message, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stdout == ""
        assert snapshot(touched) == before, args  # the store (or its absence) is untouched


def test_a_second_sweep_on_a_store_in_use_is_refused(swept, tmp_path):
    out = tmp_path / "busy"
    writer = Store.open_writer(out)  # as a running sweep holds it
    try:
        before = snapshot(out)
        proc = cli("run", swept / "spec.toml", "--out", out, "--executor", "serial")
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr == (f"error: {out}: another sweep (pid {os.getpid()}) is writing "
                               "this store; wait for it to finish or use another --out "
                               "directory\n")
        assert snapshot(out) == before
    finally:
        writer.close()


# ---------------------------------------------------------------- SIGKILL


def children(pid):
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate, what, proc):
    while not predicate():
        assert proc.poll() is None, f"sweep exited before {what}: {proc.stderr.read()}"
        time.sleep(0.05)


def test_a_sigkilled_sweep_resumes_with_an_intact_store(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.replace("noise_levels = [0.01, 0.02]",
                                 "noise_levels = [0.01, 0.02, 0.03, 0.04, 0.05]"))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "mitprof.cli", "run", str(spec), "--out",
                             str(out), "--workers", "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        def done():
            if not (out / "results.sqlite").exists():
                return False
            try:
                with Reader(out) as r:
                    return r.counts().done >= 1
            except Exception:
                return False

        wait_for(done, "the first point was stored", proc)
        status = run("status", out)  # readable while the sweep writes
        assert status.exit_code == 0 and f"running (pid {proc.pid})" in status.stdout
        workers = children(proc.pid)
        assert len(workers) >= 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # orphaned pool workers notice and exit (bounded wait, so a failure cannot hang)
        for _ in range(600):
            if not any(alive(w) for w in workers):
                break
            time.sleep(0.1)
        assert not [w for w in workers if alive(w)]
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    with Reader(out) as r:
        assert r.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        kept = {p["point_id"]: [x["value"] for x in p["results"]] for p in r.points()}
        assert 1 <= len(kept) < 10 and r.runs()[-1]["state"] == "running"
    assert "interrupted" in cli("status", out).stdout
    resumed = cli("run", spec, "--out", out, "--executor", "serial")
    assert resumed.returncode == 0, resumed.stderr
    assert f"10 done, 0 failed, 0 pending; ran {10 - len(kept)} in" in resumed.stdout
    with Reader(out) as r:
        points = list(r.points())
        assert len(points) == 10 and all(len(p["results"]) == 3 for p in points)
        assert {p["point_id"]: [x["value"] for x in p["results"]] for p in points
                if p["point_id"] in kept} == kept
        assert [x["state"] for x in r.runs()] == ["interrupted", "finished"]


def test_help_lists_the_sweep_commands_and_stays_light():
    res = run("--help")
    for name in ("run", "status", "export", "demo"):
        assert f"  {name} " in res.stdout
    assert run("demo", "--help").exit_code == 0
    heavy = subprocess.run([sys.executable, "-c", "import mitprof.cli, sys; print(sorted(m for "
                            "m in ('mitiq', 'qiskit', 'cirq', 'numpy', 'distributed') if m in "
                            "sys.modules))"], capture_output=True, text=True, check=True)
    assert heavy.stdout.strip() == "[]"


def test_the_readme_documents_the_demo():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "pip install -e . && mitprof demo\n" in readme


def test_a_resume_after_an_upgrade_says_which_points_came_from_which_version(tmp_path):
    import mitprof
    from mitprof.spec import load_spec

    spec_file = tmp_path / "spec.toml"
    spec_file.write_text('[sweep]\nname = "up"\nshots = 100\nrepeats = 1\ntrials = 0\n'
                         'noise_levels = [0.01, 0.02]\n[[circuits]]\nfamily = "ghz"\n'
                         'qubits = [2]\n[[strategies]]\nname = "rem"\n')
    spec = load_spec(spec_file)
    old = next(iter(spec.points()))
    with Store.open_writer(tmp_path / "out") as st:  # one point made by an older mitprof
        run_id = st.begin_run(spec.to_dict(), {}, "serial", 1, 1, len(spec))
        st.plan(spec.points())
        record = {"environment": {"packages": {"mitprof": "0.0.1"}}}
        results = [(label, 0.5, 0.1, 1.0, 0.01, json.dumps({"strategy": label}))
                   for label in old.labels]
        st.record(old.point_id, {"status": "done", "record": json.dumps(record),
                                 "results": results}, run_id)
        st.end_run(run_id, "finished")
    res = run("run", spec_file, "--out", tmp_path / "out", "--executor", "serial")
    assert res.exit_code == 0, res.output
    assert "ran 1 in" in res.stdout
    assert (f"note: this store mixes mitprof versions: 0.0.1: 1 points, "
            f"{mitprof.__version__}: 1 points") in res.stderr


def test_a_real_dask_cluster_loses_no_point_when_a_worker_dies(tmp_path):
    """The distributed engine as users deploy it: `dask scheduler` and two `dask worker`
    processes (here all on 127.0.0.1), a sweep given `--scheduler`, one worker SIGKILLed
    after it stored a point. The scheduler re-runs that worker's tasks on the survivor:
    every point is stored once, with the values of a serial run."""
    pytest.importorskip("distributed")
    from distributed import Client
    from test_sweep import as_bytes, comparable

    from mitprof.spec import load_spec
    from mitprof.sweep import run_sweep

    dask = Path(sys.executable).with_name("dask")
    if not dask.exists():
        pytest.skip("no `dask` command next to this interpreter")
    root = str(Path(__file__).resolve().parents[1])  # the workers import this mitprof
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [root, os.environ.get("PYTHONPATH")])), "OMP_NUM_THREADS": "1"}
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.replace("noise_levels = [0.01, 0.02]",
                                 "noise_levels = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]"))
    info = tmp_path / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env,
             "start_new_session": True}
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", info], **quiet)]
    try:
        for _ in range(600):  # bounded wait for the scheduler's address
            if info.exists() and info.stat().st_size:
                break
            time.sleep(0.05)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        workers = [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-nanny",
                                     "--no-dashboard", "--host", "127.0.0.1"], **quiet)
                   for _ in range(2)]
        procs += workers
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        out = tmp_path / "cluster"
        sweep = subprocess.Popen([sys.executable, "-m", "mitprof.cli", "run", spec, "--out",
                                  out, "--executor", "dask", "--scheduler", address],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=env)
        procs.append(sweep)
        victim = {w.pid: w for w in workers}

        def stored_by_a_worker():
            try:
                with Reader(out) as r:
                    return {int(p["worker"].rpartition(":")[2]) for p in r.points()
                            if p["status"] == "done"} & set(victim)
            except Exception:  # the store is not created yet
                return set()

        wait_for(stored_by_a_worker, "a worker stored a point", sweep)
        killed = victim[min(stored_by_a_worker())]
        killed.kill()
        killed.wait()
        with Reader(out) as r:
            assert r.counts().done < 12, "the sweep ended before the kill: it proves nothing"
        stdout, stderr = sweep.communicate(timeout=120)
        assert sweep.returncode == 0, stderr
        assert "12 done, 0 failed, 0 pending; ran 12" in stdout
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.kill()
                p.wait()
    with Reader(out) as r:
        points = list(r.points())
        assert len(points) == 12 and len({p["point_id"] for p in points}) == 12
        by = {int(p["worker"].rpartition(":")[2]) for p in points}
        assert by <= {w.pid for w in workers} and killed.pid in by and len(by) == 2
        counts = r.counts()
        assert (counts.done, counts.failed, counts.pending) == (12, 0, 0)
    serial = tmp_path / "serial"
    run_sweep(load_spec(spec), serial, executor="serial", progress=False)
    assert as_bytes(comparable(out)) == as_bytes(comparable(serial))
