"""Issue #11, continued: legitimate edge values work, impossible requests are refused
before they start (with the figure they would need), and sweeps survive worker deaths."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mitprof.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error(res, *needles):
    """Exit status 2, one `error: ` line on stderr (and no traceback) naming the needles."""
    assert res.exit_code == 2, (res.output, res.exception)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.output and res.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ---------------------------------------------------------------- noise 0


@pytest.mark.parametrize("backend", ["aer", "cirq"])
@pytest.mark.parametrize("trials", ["0", "10"])
def test_noise_zero_is_a_point_like_any_other(backend, trials):
    import json

    res = run("profile", "ghz:n=2", "--noise", "0", "--backend", backend, "--trials", trials,
              "--repeats", "1", "--shots", "50", "-s", "zne", "-s", "rem", "--json")
    assert res.exit_code == 0, (res.output, res.exception)
    doc = json.loads(res.stdout)
    assert doc["noisy_value_exact"] == pytest.approx(1.0)
    for r in doc["results"]:
        assert r["value"] == pytest.approx(1.0)
        if trials != "0":  # every baseline trial is +1: no multiplier, no theory, a reason
            assert r["variance_multiplier"] is None and r["theory_multiplier"] is None
            assert "zero variance" in r["variance_multiplier_reason"]
            assert "zero variance" in r["theory_reason"]


def test_noise_zero_with_a_nonzero_variance_keeps_its_multipliers():
    import mitprof

    r = mitprof.profile("ising:n=2,depth=1", backend="cirq", noise=0, strategies=["zne"],
                        shots=50, trials=10, repeats=1)
    assert r["zne"].variance_multiplier is not None
    assert r["zne"].theory_multiplier is not None


# ---------------------------------------------------------------- API arguments


@pytest.mark.parametrize("kwargs, needle", [
    ({"backend": None}, "backend must be a backend name"),
    ({"readout": (0.1, 0.1, 0.1)}, "readout must be a number P or a pair"),
    ({"readout": "0.1"}, "readout must be"),
    ({"p1": "x"}, "p1 must be a number"),
    ({"observable": 5}, "observable must be a Pauli string"),
    ({"strategies": [None]}, "strategies must be a list"),
    ({"budgets": None, "target_error": "small"}, "target error must be a positive number"),
    ({"budgets": 5}, "budgets must be a list"),
    ({"seed": -1}, "seed: must be >= 0"),
    ({"seed": 2**64}, "seed: must be <= 2**63 - 1"),
    ({"seed": 1.5}, "seed: expected an integer"),
    ({"shots": True}, "shots must be a positive integer"),
    ({"timeout": 0}, "timeout must be a positive number"),
    ({"timeout": "soon"}, "timeout must be a positive number"),
])
def test_profile_names_the_wrong_argument(kwargs, needle):
    import mitprof
    from mitprof.errors import SpecError

    with pytest.raises(SpecError, match=needle.replace("(", r"\(").replace("*", r"\*")):
        mitprof.profile("ghz:n=2", **{"trials": 0, "repeats": 1, "shots": 10, **kwargs})


def test_profile_and_spec_share_one_seed_rule():
    import mitprof
    from mitprof.errors import SpecError
    from mitprof.seeds import MAX_SEED
    from mitprof.spec import load_spec
    from mitprof.sweep import point_seed

    for bad in (-1, MAX_SEED + 1):
        with pytest.raises(SpecError, match="seed"):
            load_spec({"sweep": {"seed": bad}, "circuits": [{"family": "ghz", "qubits": [2]}]})
        with pytest.raises(SpecError, match="seed"):
            mitprof.profile("ghz:n=2", seed=bad, trials=0, repeats=1, shots=10)
    spec = load_spec({"sweep": {"seed": MAX_SEED}, "circuits": [{"family": "ghz",
                                                                 "qubits": [2]}]})
    point = next(spec.points())
    # a stored point's engine seed can be given back to profile
    r = mitprof.profile("ghz:n=2", seed=point_seed(point), strategies=[], trials=0,
                        repeats=1, shots=10)
    assert r.seed == point_seed(point)
    # a family whose generator takes 32-bit seeds does not silently take a 63-bit one
    with pytest.raises(SpecError, match=r"circuits\[0\].params.seed"):
        load_spec({"sweep": {"seed": MAX_SEED},
                   "circuits": [{"family": "mirror", "qubits": [2]}]})


@pytest.mark.parametrize("out", [None, 5, ""])
def test_run_sweep_needs_a_directory(out):
    from mitprof.errors import MitprofError
    from mitprof.sweep import run_sweep

    spec = {"sweep": {"trials": 0}, "circuits": [{"family": "ghz", "qubits": [2]}]}
    with pytest.raises(MitprofError, match="out: the sweep directory"):
        run_sweep(spec, out=out, executor="serial")


def test_run_sweep_needs_a_spec(tmp_path):
    from mitprof.errors import SpecError
    from mitprof.sweep import run_sweep

    with pytest.raises(SpecError, match="spec: expected a TOML file"):
        run_sweep(None, out=tmp_path / "out", executor="serial")  # type: ignore[arg-type]


# ---------------------------------------------------------------- observables, names


@pytest.mark.parametrize("observable", ["1e999*ZZ", "1e999*ZZ-1e999*ZZ", "1e200*ZZ",
                                        "-1e999*ZZ+XX"])
def test_observable_weights_must_be_finite(observable):
    from mitprof.errors import SpecError
    from mitprof.observables import parse_observable

    with pytest.raises(SpecError, match="must be finite"):
        parse_observable(observable, 2)
    one_error(run("profile", "ghz:n=2", "--observable", observable, "--trials", "0"),
              "weights must be finite")


def test_a_non_finite_observable_in_a_sweep_is_refused_with_the_spec(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('[sweep]\ntrials = 0\n[[circuits]]\nfamily = "ghz"\nqubits = [2]\n'
                    'observable = "1e999*ZZ"\n')
    res = run("run", spec, "--out", tmp_path / "out", "--executor", "serial")
    one_error(res, "weights must be finite")
    assert not (tmp_path / "out").exists()


def test_a_circuit_name_too_long_for_a_file_name():
    line = one_error(run("profile", "x" * 6000 + ":n=2", "--trials", "0"),
                     "unknown circuit family")
    assert len(line) < 500
    one_error(run("profile", "y" * 6000 + ".qasm", "--trials", "0"), "does not exist")


def test_profile_timeout():
    import time

    t0 = time.perf_counter()
    one_error(run("profile", "mirror:n=3,depth=4", "-s", "pec:samples=100000", "--trials",
                  "0", "--repeats", "1", "--timeout", "0.5"), "timed out after 0.5 s")
    assert time.perf_counter() - t0 < 20


# ---------------------------------------------------------------- sizes, before anything runs


@pytest.mark.parametrize("args, needles", [
    (["ghz:n=2", "--shots", "1000000000000"], ["1,000,000,000,000 shots", "MAX_SHOTS"]),
    (["ghz:n=100000000"], ["100,000,000 qubits", "MAX_QUBITS"]),
    (["ghz:n=1e9"], ["1,000,000,000 qubits", "MAX_QUBITS"]),
    (["mirror:n=4,depth=100000"], ["400,000 gates", "MAX_GATES"]),
    (["ghz:n=2", "-s", "pec:samples=1000000000000"], ["circuits per estimate", "MAX_CIRCUITS"]),
    (["ghz:n=2", "-s", "pec:precision=0.00001"], ["circuits per estimate"]),
    (["ghz:n=2", "-s", "trex:randomizations=10000000"], ["circuits per estimate"]),
    (["ghz:n=2", "--shots", "100000000", "--trials", "100"], ["MAX_TOTAL_SHOTS"]),
])
def test_oversized_requests_are_refused_with_the_figure(args, needles):
    extra = [] if "--trials" in args else ["--trials", "0"]
    one_error(run("profile", *args, "--repeats", "1", *extra), *needles)


def test_the_memory_of_the_shots_is_checked_against_the_machine(monkeypatch):
    from mitprof import limits

    monkeypatch.setattr(limits, "available_memory", lambda: 100_000_000)
    one_error(run("profile", "ghz:n=4", "--shots", "10000000", "-s", "zne", "--trials", "0",
                  "--repeats", "1"), "need about 240.0 MB of memory", "50.0 MB is available")


def test_large_qasm_files_are_refused_before_they_are_read(tmp_path):
    big = tmp_path / "big.qasm"
    with open(big, "wb") as fh:
        fh.truncate(50_000_000)  # sparse: 50 MB without writing them
    one_error(run("profile", big, "--trials", "0"), "50.0 MB of OpenQASM", "MAX_QASM_BYTES")
    many = tmp_path / "many.qasm"
    many.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n'
                    + "cx q[0],q[1];\n" * 25_000)
    one_error(run("profile", many, "--trials", "0"), "25,000 gates", "MAX_GATES")


def test_an_oversized_point_in_a_sweep_is_failed_and_the_sweep_goes_on(tmp_path):
    from mitprof.store import Reader
    from mitprof.sweep import run_sweep

    spec = {"sweep": {"trials": 0, "repeats": 1, "shots": 10},
            "circuits": [{"family": "ghz", "qubits": [2, 5000]}],
            "strategies": [{"name": "rem"}]}
    summary = run_sweep(spec, tmp_path / "out", executor="serial")
    assert (summary.done, summary.failed) == (1, 1)
    with Reader(tmp_path / "out") as reader:
        [(_, _, error)] = reader.failures()
    assert "5,000 qubits is over the limit" in error


# ---------------------------------------------------------------- worker deaths


def _fake(point):
    import json
    import os

    rows = [(label, 1.0, 0.0, 1.0, 0.01, json.dumps({"strategy": label, "value": 1.0}))
            for label in point.labels]
    return {"point_id": point.point_id, "status": "done", "record": json.dumps({}),
            "results": rows, "worker": f"test:{os.getpid()}", "seconds": 0.0}


def _siblings():
    """The other pool workers of this worker's coordinator (not its resource tracker)."""
    import os
    from pathlib import Path

    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getppid() and b"spawn_main" in cmd:
            out.append(int(proc.name))
    return out


def _marker(point, tag):
    """True the first time a worker reaches this (point, tag) in this test's directory."""
    import os

    try:
        os.close(os.open(os.path.join(os.environ["MITPROF_TEST_DIR"],
                                      f"{point.point_id}-{tag}"), os.O_CREAT | os.O_EXCL))
        return True
    except FileExistsError:
        return False


def kills_a_sibling_twice(point):
    """The first point's first two runs SIGKILL the other workers (as an outside kill
    would): the points in them are re-run, none is blamed."""
    import os
    import signal
    import time

    if point.noise_level == 0.001:
        for tag in ("a", "b"):
            if _marker(point, tag):
                time.sleep(0.3)  # the others have started
                for pid in _siblings():
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.5)
                break
    else:
        time.sleep(0.3)
    return _fake(point)


def kills_itself_once(point):
    import os
    import signal

    if point.noise_level == 0.002 and _marker(point, "self"):
        os.kill(os.getpid(), signal.SIGKILL)
    return _fake(point)


def always_killed(point):
    import os
    import signal

    if point.noise_level == 0.002:
        os.kill(os.getpid(), signal.SIGKILL)
    return _fake(point)


def _grid():
    from mitprof.spec import load_spec

    return load_spec({"sweep": {"name": "deaths", "trials": 0, "repeats": 1,
                                "noise_levels": [0.001, 0.002, 0.003, 0.004]},
                      "circuits": [{"family": "ghz", "qubits": [2]}],
                      "strategies": [{"name": "rem"}]})


@pytest.mark.parametrize("point_fn", [kills_a_sibling_twice, kills_itself_once])
def test_worker_deaths_blame_no_point_that_did_not_die_alone(tmp_path, monkeypatch, point_fn):
    from mitprof.sweep import run_sweep

    monkeypatch.setenv("MITPROF_TEST_DIR", str(tmp_path))
    summary = run_sweep(_grid(), tmp_path / "out", executor="process", workers=2,
                        point_fn=point_fn)
    assert (summary.done, summary.failed) == (4, 0)


def test_a_point_killed_alone_is_failed_with_the_signal(tmp_path):
    from mitprof.store import Reader
    from mitprof.sweep import run_sweep

    summary = run_sweep(_grid(), tmp_path / "out", executor="process", workers=2,
                        point_fn=always_killed)
    assert (summary.done, summary.failed) == (3, 1)
    with Reader(tmp_path / "out") as reader:
        [(_, _, error)] = reader.failures()
    assert error == ("worker process died while running this point alone: killed by "
                     "signal 9 (SIGKILL; often the out-of-memory killer)")


# ---------------------------------------------------------------- planning large sweeps


def _big(levels=200):
    from mitprof.spec import load_spec

    return load_spec({"sweep": {"name": "big", "trials": 0, "repeats": 1,
                                "noise_levels": [round(1e-4 * (i + 1), 6)
                                                 for i in range(levels)]},
                      "circuits": [{"family": "mirror", "qubits": list(range(1, 11)),
                                    "depths": list(range(1, 11))}],
                      "strategies": [{"name": "rem"}]})  # 20,000 points


def _stored(point):
    return {"status": "failed", "error": "not run in this test"}


def test_a_large_sweep_runs_while_it_plans_and_resumes_without_planning(tmp_path,
                                                                         monkeypatch):
    import sqlite3

    from mitprof.spec import SweepSpec
    from mitprof.store import Reader
    from mitprof.sweep import run_sweep

    spec, out = _big(), tmp_path / "out"
    seen = []

    def first_then_stop(point):
        if seen:
            raise KeyboardInterrupt
        conn = sqlite3.connect(out / "results.sqlite")
        seen.append(conn.execute("SELECT count(*) FROM points").fetchone()[0])
        conn.close()
        return _stored(point)

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, out, executor="serial", point_fn=first_then_stop)
    assert seen[0] < len(spec)  # the first point ran before the plan was written

    summary = run_sweep(spec, out, executor="serial", point_fn=_stored)  # plans, runs all
    assert summary.ran == len(spec) - 1 and summary.failed == len(spec)

    with Reader(out) as reader:  # mark all but two as to be run again
        ids = [p["point_id"] for p in reader.points()][::10_000]
    conn = sqlite3.connect(out / "results.sqlite")
    conn.executemany("UPDATE points SET status = 'pending' WHERE point_id = ?",
                     [(i,) for i in ids])
    conn.commit()
    conn.close()

    def no_planning(self):
        raise AssertionError("a resume of a completely planned store walked the grid")

    monkeypatch.setattr(SweepSpec, "points", no_planning)
    monkeypatch.setattr(SweepSpec, "execution_order", no_planning)
    ran = []
    summary = run_sweep(spec, out, executor="serial",
                        point_fn=lambda p: ran.append(p.point_id) or _stored(p))
    assert sorted(ran) == sorted(ids) and summary.pending == 0
