"""Issue #11: hostile or damaged input ends in one `error: ...` line and exit status 2,
with no traceback and nothing half-written; damaged stores give up no readable point."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mitprof.cli import main
from mitprof.errors import MitprofError, SpecError, shorten
from mitprof.spec import SweepSpec, load_spec
from mitprof.store import DamagedStoreError, Reader, Store

SPEC = """
[sweep]
name = "tiny"
shots = 50
trials = 0
repeats = 1
backends = ["aer"]

[[circuits]]
family = "ghz"
qubits = [2]

[[strategies]]
name = "rem"
"""


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def one_error(res, *needles):
    """Exit status 2, one `error: ` line on stderr (and no traceback) naming the needles."""
    assert res.exit_code == 2, (res.output, res.exception)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def snapshot(path: Path):
    if not path.exists():
        return None
    return {p.name: (p.is_dir() or p.read_bytes()) for p in sorted(path.iterdir())
            if not p.name.endswith("-shm")}


# ---------------------------------------------------------------- circuits and specs


def test_binary_circuit_file_is_refused(tmp_path):
    binary = tmp_path / "noise.qasm"
    binary.write_bytes(bytes(range(256)) * 8)
    one_error(run("profile", binary), "noise.qasm: not a UTF-8 text file")


def test_binary_circuit_in_a_sweep_is_a_failed_point(tmp_path):
    binary = tmp_path / "noise.qasm"
    binary.write_bytes(b"\xff\xfe\x00garbage" * 100)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.replace('family = "ghz"\nqubits = [2]', 'file = "noise.qasm"'))
    res = run("run", spec, "--out", tmp_path / "out", "--executor", "serial")
    assert res.exit_code == 0, res.output
    assert "1 points: 0 done, 1 failed" in res.stdout
    with Reader(tmp_path / "out") as reader:
        [(_, _, error)] = reader.failures()
    assert "not a UTF-8 text file" in error


def wide_spec(n: int) -> SweepSpec:
    return load_spec({"sweep": {"name": "wide", "shots": 10, "trials": 0, "repeats": 1,
                                "backends": ["stim"]},
                      "circuits": [{"family": "clifford_mirror", "qubits": [4, n],
                                    "depths": [2]}],
                      "strategies": [{"name": "zne"}]})


def test_wide_sweeps_plan_without_overflow(tmp_path):
    """4.0 ** 600 overflows a float: the cost used for ordering is a logarithm."""
    spec = wide_spec(600)
    order = [p.n_qubits for p in spec.execution_order()]
    assert order == [600, 4]
    assert all(math.isfinite(p.cost) for p in spec.points())


def test_wide_sweep_runs_through_the_coordinator(tmp_path):
    from mitprof.sweep import run_sweep

    seen = []

    def fake(point):
        seen.append(point.n_qubits)
        return {"status": "failed", "error": "not run in this test"}

    summary = run_sweep(wide_spec(600), tmp_path / "out", executor="serial", point_fn=fake)
    assert seen == [600, 4] and summary.ran == 2


def test_wide_sweep_dry_run(tmp_path):
    spec = tmp_path / "wide.toml"
    spec.write_text(SPEC.replace('family = "ghz"\nqubits = [2]',
                                 'family = "clifford_mirror"\nqubits = [600]\ndepths = [2]')
                    .replace('["aer"]', '["stim"]'))
    res = run("run", spec, "--out", tmp_path / "out", "--dry-run")
    assert res.exit_code == 0, res.output
    assert "1 points to run" in res.stdout


def test_deeply_nested_spec_is_a_spec_error(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("[sweep]\nname = " + "[" * 200_000 + "\n")
    with pytest.raises(SpecError, match="nested too deeply"):
        load_spec(deep)
    one_error(run("run", deep, "--dry-run"), "deep.toml: invalid TOML")


def test_spec_name_cannot_escape_results(tmp_path):
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path):
        for name, expected in [("../../x", "results/x"), ("/tmp/abs", "results/tmp_abs"),
                               ("..", "results/sweep")]:
            Path("spec.toml").write_text(SPEC.replace('"tiny"', json.dumps(name)))
            res = runner.invoke(main, ["run", "spec.toml", "--dry-run"])
            assert res.exit_code == 0, res.output
            assert f"no store in {expected} yet" in res.stdout


def test_a_path_to_a_missing_file_does_not_fall_back_to_a_shipped_circuit(tmp_path):
    spec = {"sweep": {"name": "f"}, "circuits": [{"file": "/nonexistent/dir/bell.qasm"}]}
    with pytest.raises(SpecError, match="no such circuit file: /nonexistent/dir/bell.qasm"):
        load_spec(spec)
    spec["circuits"] = [{"file": "sub/bell.qasm"}]
    with pytest.raises(SpecError, match="no such circuit file"):
        SweepSpec.from_dict(spec, base_dir=tmp_path)
    spec["circuits"] = [{"file": "bell.qasm"}]  # a bare name: the shipped circuit
    found = SweepSpec.from_dict(spec, base_dir=tmp_path).circuits[0].resolved_file
    assert found is not None and found.endswith("circuits/bell.qasm")


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_hardware_parameters_must_be_finite_and_not_negative(value):
    from mitprof.hardware import get_model

    with pytest.raises(SpecError, match=f"t_1q={float(value)!r}"):
        get_model({"t_1q": float(value), "t_2q": 1e-7})
    one_error(run("profile", "ghz:n=2", "--hardware", f"t_1q={value},t_2q=1e-7", "--trials",
                  "0", "--repeats", "1", "--shots", "10"), "t_1q", "finite")


@pytest.mark.parametrize("source, missing", [
    ([{"garbage": 1}], "missing 'circuit', 'backend', 'results'"),
    ([{"circuit": "c", "backend": "aer"}], "missing 'results'"),
    ([7], "got int"),
    (7, "got int"),
])
def test_render_report_refuses_what_is_not_a_profile_result(source, missing):
    from mitprof.report import render_report

    with pytest.raises(SpecError, match=missing):
        render_report(source)


# ---------------------------------------------------------------- long messages


def test_shorten():
    assert shorten("short") == "short"
    assert shorten("a\n  b") == "a b"
    cut = shorten("x" * 1000 + "the end", limit=300)
    assert cut == "x" * 200 + " [... 707 characters cut ...] " + "x" * 93 + "the end"


def test_long_errors_are_cut(tmp_path):
    spec = tmp_path / "long.toml"
    spec.write_text(SPEC.replace("[sweep]\n", "[sweep]\n" + "k" * 50_000 + " = 1\n"))
    line = one_error(run("run", spec, "--dry-run"), "unknown key", "characters cut")
    assert len(line) < 500


def test_a_huge_register_error_is_cut(tmp_path):
    big = tmp_path / "big.qasm"
    big.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[100000];\nh q[0];\n')
    line = one_error(run("profile", big, "--trials", "0", "--repeats", "1"), "big.qasm")
    # refused by its size before anything lists the register (mitprof.limits)
    assert len(line) < 500 and "100,000 qubits is over the limit" in line


# ---------------------------------------------------------------- writing output


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", ["export", "status"])
def test_output_to_a_full_disk(tmp_path, command):
    out = make_store(tmp_path / "s", points=3)
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "mitprof.cli", command, str(out)],
                              stdout=full, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: "), proc.stderr
    assert "cannot write" in proc.stderr and "No space left on device" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- damaged stores


def make_store(out: Path, points: int = 12) -> Path:
    """A finished store of `points` ghz points, written directly (no simulation); every
    point's record holds a marker `@<point_id>@` and padding, so each fills a page."""
    spec = load_spec({"sweep": {"name": "dmg", "trials": 0, "repeats": 1},
                      "circuits": [{"family": "ghz", "qubits": list(range(2, 2 + points))}],
                      "strategies": [{"name": "rem"}]})
    with Store.open_writer(out) as store:
        run_id = store.begin_run(spec.to_dict(), {}, "serial", 1, None, len(spec))
        store.plan(spec.points())
        for p in spec.points():
            record = {"circuit": p.circuit, "n_qubits": p.n_qubits, "backend": p.backend,
                      "pad": f"@{p.point_id}@" + "x" * 3000}
            results = [(label, 0.5, 0.1, 1.0, 0.01,
                        json.dumps({"strategy": label, "value": 0.5, "pad": "y" * 3000}))
                       for label in p.labels]
            store.record(p.point_id, {"status": "done", "record": json.dumps(record),
                                      "results": results, "seconds": 0.1, "worker": "w"},
                         run_id)
        store.end_run(run_id, "finished")
    return out


def damage_page_of(out: Path, point_index: int) -> str:
    """Overwrite the page holding one point's record; returns that point's id."""
    path = out / "results.sqlite"
    with Reader(out) as reader:
        point_id = [p["point_id"] for p in reader.points()][point_index]
    data = path.read_bytes()
    page_size = int.from_bytes(data[16:18], "big")
    at = data.index(f"@{point_id}@".encode())
    with open(path, "r+b") as fh:
        fh.seek(at // page_size * page_size)
        fh.write(b"\xde\xad" * (page_size // 2))
    return point_id


def test_damaged_pages_lose_only_their_rows(tmp_path):
    out = make_store(tmp_path / "s")
    lost = damage_page_of(out, 6)
    before = snapshot(out)

    res = run("export", out, "--format", "jsonl")
    line = one_error(res, "results.sqlite is damaged", "unreadable, skipped", "--fresh",
                     "mitprof export DIR -o FILE")
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    ids = {r["point_id"] for r in rows}
    assert lost not in ids and len(ids) == 11 and len(rows) == 22
    assert line.startswith("error: 22 rows exported;")

    target = tmp_path / "rows.csv"
    one_error(run("export", out, "-o", target), "22 rows exported to")
    assert len(target.read_text().splitlines()) == 23

    res = run("status", out)
    one_error(res, "is damaged", "1 row unreadable")
    assert res.stdout.startswith("dmg: 11 points: 11 done")

    res = run("report", out)
    one_error(res, "wrote", "from the readable points", "is damaged")
    html = (out / "report.html").read_text()
    assert "The store is damaged: 1 unreadable rows were skipped" in html
    (out / "report.html").unlink()

    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    one_error(run("run", spec, "--out", out, "--executor", "serial"), "is damaged", "--fresh")
    one_error(run("run", spec, "--out", out, "--dry-run"), "is damaged")
    assert snapshot(out) == before

    with pytest.raises(DamagedStoreError):
        Store.open_writer(out)
    assert snapshot(out) == before


def test_fresh_sets_a_damaged_store_aside(tmp_path):
    out = make_store(tmp_path / "s", points=6)
    damage_page_of(out, 3)
    damaged = (out / "results.sqlite").read_bytes()
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    res = run("run", spec, "--out", out, "--executor", "serial", "--fresh", input="n\n")
    assert res.exit_code == 1 and (out / "results.sqlite").read_bytes() == damaged
    res = run("run", spec, "--out", out, "--executor", "serial", "--fresh", "--yes")
    assert res.exit_code == 0, res.output
    assert "damaged store kept as" in res.stderr
    assert (out / "results.sqlite.damaged").read_bytes() == damaged
    with Reader(out) as reader:
        assert reader.counts().done == 1 and reader.damage is None


def test_a_damaged_store_without_a_lock_leaves_none(tmp_path):
    out = make_store(tmp_path / "s", points=6)
    damage_page_of(out, 2)
    (out / "results.lock").unlink()
    with pytest.raises(DamagedStoreError):
        Store.open_writer(out)
    assert not (out / "results.lock").exists()


@pytest.mark.parametrize("table", ["results", "points"])
def test_invalid_json_rows_are_skipped_and_counted(tmp_path, table):
    out = make_store(tmp_path / "s", points=4)
    conn = sqlite3.connect(out / "results.sqlite")
    column = "data" if table == "results" else "record"
    conn.execute(f"UPDATE {table} SET {column} = '{{not json' WHERE rowid = "
                 f"(SELECT min(rowid) FROM {table})")
    conn.commit()
    conn.close()

    res = run("export", out)
    one_error(res, "1 row with invalid data skipped")
    assert len(res.stdout.splitlines()) == 1 + (7 if table == "results" else 6)

    res = run("report", out)
    one_error(res, "from the readable points")
    assert (out / "report.html").exists()

    res = run("status", out)
    assert res.exit_code == 0 and res.stdout.startswith("dmg: 4 points: 4 done")


def test_a_directory_where_the_store_should_be(tmp_path):
    out = tmp_path / "s"
    (out / "results.sqlite").mkdir(parents=True)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    for args in (["status", out], ["export", out], ["report", out],
                 ["run", spec, "--out", out, "--executor", "serial"]):
        one_error(run(*args), "results.sqlite: is a directory")
    assert sorted(p.name for p in out.iterdir()) == ["results.sqlite"]  # no lock left behind


def test_a_directory_where_the_lock_should_be(tmp_path):
    out = make_store(tmp_path / "s", points=2)
    (out / "results.lock").unlink()
    (out / "results.lock").mkdir()
    before = snapshot(out)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    one_error(run("run", spec, "--out", out, "--executor", "serial"),
              "results.lock: is a directory")
    assert snapshot(out) == before
    assert run("status", out).exit_code == 0


def test_reader_of_a_damaged_store_is_read_only(tmp_path):
    out = make_store(tmp_path / "s", points=4)
    damage_page_of(out, 1)
    before = snapshot(out)
    with Reader(out) as reader:
        assert reader.damage is not None
        assert len(list(reader.points())) == 3 and reader.unreadable == 1
        assert isinstance(reader.problem(), str)
    assert snapshot(out) == before
    with pytest.raises(MitprofError):
        from mitprof.export import export

        export(out, "jsonl", tmp_path / "x.jsonl")
    assert len((tmp_path / "x.jsonl").read_text().splitlines()) == 6
