"""The results store: schema version and migration, plan and records, the writer lock."""

import json
import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from mitprof import store as store_mod
from mitprof.errors import MitprofError
from mitprof.spec import CircuitSpec, SweepSpec
from mitprof.store import Reader, Store, check_existing, lock_holder


def spec(levels=(0.01, 0.02)):
    return SweepSpec(name="s", circuits=[CircuitSpec(family="ghz", qubits=[2, 3])],
                     strategies=["rem"], shots=100, noise_levels=list(levels), repeats=1,
                     trials=0)


def fake_record(point, value=0.5):
    rows = [(label, value, 0.1, 1.0, 0.01, json.dumps({"strategy": label, "value": value}))
            for label in point.labels]
    return {"status": "done", "record": json.dumps({"depth": 3}), "results": rows,
            "worker": "here:1", "seconds": 0.1}


def new_store(tmp_path, s=None):
    s = s or spec()
    st = Store.open_writer(tmp_path)
    run_id = st.begin_run(s.to_dict(), {"cpu": "x"}, "serial", 1, 1, len(s))
    st.plan(s.points())
    return st, run_id, s


def test_a_new_store_records_schema_spec_and_environment(tmp_path):
    st, run_id, s = new_store(tmp_path)
    points = list(s.points())
    st.record(points[0].point_id, fake_record(points[0]), run_id)
    st.record(points[1].point_id, {"status": "failed", "error": "boom"}, run_id)
    st.end_run(run_id, "finished")
    st.close()
    with Reader(tmp_path) as r:
        assert r.version == store_mod.SCHEMA_VERSION
        assert json.loads(r.meta()["spec"]) == s.to_dict()
        assert r.counts() == store_mod.Counts(done=1, failed=1, pending=2, other=0)
        (run,) = r.runs()
        assert run["state"] == "finished" and run["points_run"] == 2
        assert json.loads(run["environment"]) == {"cpu": "x"}
        done = list(r.points())
        assert [p["status"] for p in done] == ["done", "failed"]
        assert [res["strategy"] for res in done[0]["results"]] == ["unmitigated",
                                                                   "rem[tensored]"]
        assert r.failures()[0][2] == "boom"
    raw = sqlite3.connect(tmp_path / "results.sqlite")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION


def test_a_new_plan_keeps_finished_points_and_drops_stale_pending_ones(tmp_path):
    st, run_id, s = new_store(tmp_path)
    first = next(s.points())
    st.record(first.point_id, fake_record(first), run_id)
    narrower = spec(levels=(0.02,))  # drops noise 0.01, which holds the finished point
    st.plan(narrower.points())
    st.close()
    with Reader(tmp_path) as r:
        assert r.counts() == store_mod.Counts(done=0, failed=0, pending=2, other=1)
        assert list(r.points()) == []
        assert [p["point_id"] for p in r.points(include_stale=True)] == [first.point_id]


def test_newer_or_foreign_stores_are_refused(tmp_path):
    st, _, _ = new_store(tmp_path)
    st.close()
    raw = sqlite3.connect(tmp_path / "results.sqlite")
    raw.execute("PRAGMA user_version = 99")
    raw.commit()
    raw.close()
    for attempt in (lambda: check_existing(tmp_path), lambda: Reader(tmp_path),
                    lambda: Store.open_writer(tmp_path)):
        with pytest.raises(MitprofError, match="schema version 99 is newer"):
            attempt()
    other = tmp_path / "other"
    other.mkdir()
    sqlite3.connect(other / "results.sqlite").execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(MitprofError, match="not a mitprof results store"):
        check_existing(other)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "results.sqlite").write_bytes(b"not sqlite at all, just some bytes" * 10)
    with pytest.raises(MitprofError, match="not a mitprof results store"):
        Reader(junk)


def test_migration_path(tmp_path, monkeypatch):
    st, run_id, s = new_store(tmp_path)
    p = next(s.points())
    st.record(p.point_id, fake_record(p), run_id)
    st.close()

    def add_note(conn):
        conn.execute("ALTER TABLE points ADD COLUMN note TEXT DEFAULT 'migrated'")

    v = store_mod.SCHEMA_VERSION
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", v + 1)
    monkeypatch.setattr(store_mod, "MIGRATIONS", {v: add_note})
    with Reader(tmp_path) as r:  # readers migrate a copy in memory
        assert r.conn.execute("SELECT note FROM points LIMIT 1").fetchone() == ("migrated",)
    raw = sqlite3.connect(tmp_path / "results.sqlite")
    assert raw.execute("PRAGMA user_version").fetchone()[0] == v  # the file is untouched
    raw.close()
    Store.open_writer(tmp_path).close()  # a writer migrates the file, data kept
    raw = sqlite3.connect(tmp_path / "results.sqlite")
    assert raw.execute("PRAGMA user_version").fetchone()[0] == v + 1
    assert raw.execute("SELECT status, note FROM points WHERE point_id = ?",
                       (p.point_id,)).fetchone() == ("done", "migrated")
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", v + 2)
    with pytest.raises(MitprofError, match="cannot be migrated"):
        Reader(tmp_path)


# The points table of schema version 1 (before device points), as stores of that version have it
POINTS_V1 = """CREATE TABLE points (point_id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
    planned INTEGER NOT NULL DEFAULT 1, circuit TEXT NOT NULL, family TEXT, n_qubits INTEGER,
    depth INTEGER, backend TEXT NOT NULL, noise_level REAL NOT NULL, shots INTEGER NOT NULL,
    labels TEXT NOT NULL, config TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'done', 'failed')), error TEXT, traceback TEXT,
    run_id INTEGER REFERENCES runs (run_id), worker TEXT, seconds REAL, finished_at TEXT,
    record TEXT)"""


def test_version_1_store_gains_device_columns(tmp_path):
    """v1 -> v2 rebuilds `points` (noise_level becomes nullable, device and noise_scale
    added): every row and every result is kept, and device points can then be stored."""
    st, run_id, s = new_store(tmp_path)
    pts = list(s.points())
    st.record(pts[0].point_id, fake_record(pts[0]), run_id)
    st.close()
    raw = sqlite3.connect(tmp_path / "results.sqlite")
    before = raw.execute("SELECT * FROM points ORDER BY point_id").fetchall()
    n_results = raw.execute("SELECT count(*) FROM results").fetchone()[0]
    assert n_results > 0
    raw.execute("BEGIN")
    raw.execute("DROP TABLE points")
    raw.execute(POINTS_V1)
    raw.execute("CREATE INDEX points_by_plan ON points (planned, status, seq)")
    raw.executemany(f"INSERT INTO points VALUES ({', '.join('?' * 20)})",
                    [row[:20] for row in before])
    raw.execute("PRAGMA user_version = 1")
    raw.execute("COMMIT")
    raw.close()
    st = Store.open_writer(tmp_path)
    assert st.conn.execute("SELECT * FROM points ORDER BY point_id").fetchall() == before
    assert st.conn.execute("SELECT count(*) FROM results").fetchone()[0] == n_results
    assert st.conn.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION
    st.conn.execute("UPDATE points SET noise_level = NULL, device = 'x', noise_scale = 2")
    st.close()


def test_one_writer_at_a_time(tmp_path):
    st = Store.open_writer(tmp_path)
    assert lock_holder(tmp_path) == os.getpid()
    with pytest.raises(MitprofError, match="another sweep"):
        Store.open_writer(tmp_path)
    with pytest.raises(MitprofError, match="another sweep"):
        check_existing(tmp_path)
    st.close()
    assert lock_holder(tmp_path) is None
    Store.open_writer(tmp_path).close()


def test_a_lock_left_by_a_killed_writer_does_not_block(tmp_path):
    code = ("import sys, time; from mitprof.store import Store; "
            "s = Store.open_writer(sys.argv[1]); print('locked', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        assert lock_holder(tmp_path) == proc.pid
        with pytest.raises(MitprofError, match=f"pid {proc.pid}"):
            Store.open_writer(tmp_path)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert (tmp_path / "results.lock").read_text().strip() == str(proc.pid)  # left behind
    assert lock_holder(tmp_path) is None
    Store.open_writer(tmp_path).close()


def test_reader_errors(tmp_path):
    with pytest.raises(MitprofError, match="no such directory"):
        Reader(tmp_path / "nope")
    with pytest.raises(MitprofError, match="no results store here"):
        Reader(tmp_path)
