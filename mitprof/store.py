"""The results store: one SQLite file per sweep directory, one writer, many readers.

`DIR/results.sqlite` holds the resolved spec, one row per run of the sweep (with the
environment: package versions, CPU, runner, workers, threads), one row per planned
point (pending, done or failed, with its error) and one row per point and strategy
with the full result as JSON. It is in WAL mode and every finished point is its own
transaction, so a sweep killed at any moment (SIGKILL included) leaves every
finished point intact and the rest pending. Readers (`mitprof status`, `export`)
never block the writer.

Only one sweep may write a store: the writer holds an exclusive lock on
`DIR/results.lock` (`flock` on POSIX, `msvcrt.locking` on Windows, behind `try_lock`).
The operating system drops the lock when the process dies, however it dies, so a
killed sweep never blocks its own resume.

The schema version is `PRAGMA user_version`; `MIGRATIONS[v]` upgrades a store from
version v to v + 1 (in one transaction, when a sweep next writes it). Readers of an
older store migrate an in-memory copy and leave the file alone.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import MitprofError
from .spec import Point

STORE_NAME = "results.sqlite"
LOCK_NAME = "results.lock"
APPLICATION_ID = 0x6D697470  # "mitp"
SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    state TEXT NOT NULL,            -- running | finished | interrupted
    runner TEXT NOT NULL,           -- serial | process | dask
    workers INTEGER NOT NULL,
    threads_per_worker INTEGER,
    pid INTEGER NOT NULL,
    spec TEXT NOT NULL,             -- the resolved spec (JSON)
    environment TEXT NOT NULL,      -- packages, Python, platform, CPU (JSON)
    points_total INTEGER NOT NULL,
    points_run INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE points (
    point_id TEXT PRIMARY KEY,      -- hash of the point's full configuration
    seq INTEGER NOT NULL,           -- position in spec order
    planned INTEGER NOT NULL DEFAULT 1,  -- 1: in the current spec
    circuit TEXT NOT NULL,
    family TEXT,
    n_qubits INTEGER,
    depth INTEGER,
    backend TEXT NOT NULL,
    noise_level REAL,               -- depolarizing p2; null on a device point
    shots INTEGER NOT NULL,
    labels TEXT NOT NULL,           -- strategy labels, baseline first (JSON list)
    config TEXT NOT NULL,           -- the configuration the id is derived from (JSON)
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    error TEXT,
    traceback TEXT,
    run_id INTEGER REFERENCES runs (run_id),
    worker TEXT,                    -- host:pid that ran it
    seconds REAL,                   -- the point's wall time in its worker
    finished_at TEXT,
    record TEXT,                    -- the profile without its per-strategy results (JSON)
    device TEXT,                    -- device name (device noise), else null
    noise_scale REAL                -- the device's noise scale, else null
);
CREATE INDEX points_by_plan ON points (planned, status, seq);
CREATE TABLE results (
    point_id TEXT NOT NULL REFERENCES points (point_id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,           -- the strategy's position in the spec
    strategy TEXT NOT NULL,         -- configuration label
    value REAL,
    abs_error REAL,
    shot_multiplier REAL,
    wall_seconds REAL,
    data TEXT NOT NULL,             -- the strategy's full result (JSON)
    PRIMARY KEY (point_id, strategy)
);
"""



def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Device points: `device` and `noise_scale` columns, `noise_level` nullable. SQLite
    cannot drop a NOT NULL, so the table is rebuilt (foreign keys are off here: dropping
    the old table cascades nothing)."""
    new = SCHEMA[SCHEMA.index("CREATE TABLE points"):SCHEMA.index("CREATE INDEX points_by_plan")]
    cols = [str(r[1]) for r in conn.execute("PRAGMA table_info(points)")]
    conn.execute(new.replace("CREATE TABLE points", "CREATE TABLE points_v2", 1))
    conn.execute(f"INSERT INTO points_v2 ({', '.join(cols)}) SELECT {', '.join(cols)} "
                 "FROM points")
    conn.execute("DROP TABLE points")
    conn.execute("ALTER TABLE points_v2 RENAME TO points")
    conn.execute("CREATE INDEX points_by_plan ON points (planned, status, seq)")


# MIGRATIONS[v](conn) upgrades schema v to v + 1 inside a transaction.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1_to_v2}

# Where a point's record (`points.record`) keeps the version of mitprof that profiled it:
# the worker's `engine.environment()`.
VERSION_PATH = ("environment", "packages", "mitprof")


def mitprof_version(record: Mapping[str, Any] | None) -> str | None:
    """The version of mitprof that made a point's record (None if it does not say)."""
    value: Any = record
    for key in VERSION_PATH:
        value = value.get(key) if isinstance(value, Mapping) else None
    return None if value is None else str(value)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class DamagedStoreError(MitprofError):
    """The store's file is damaged (or has unreadable rows); what is readable is still read."""


@dataclass(frozen=True)
class Counts:
    done: int
    failed: int
    pending: int
    other: int  # finished points of an earlier spec, kept but not in the current plan

    @property
    def total(self) -> int:
        return self.done + self.failed + self.pending


# ---------------------------------------------------------------- opening


def store_path(directory: str | Path) -> Path:
    return Path(directory) / STORE_NAME


def _connect_ro(path: Path) -> sqlite3.Connection:
    """A read-only connection that leaves a closed store exactly as it is.

    A store with no write-ahead log was closed cleanly: its file is complete, and it is
    read as immutable, which creates no -wal/-shm files beside it. With a log (a writer
    is running, or was killed) it is read through the log, as SQLite requires."""
    wal = path.with_name(path.name + "-wal")
    mode = "ro" if wal.exists() else "ro&immutable=1"
    conn = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _identify(conn: sqlite3.Connection, path: Path) -> int:
    """The store's schema version; refuses files that are not mitprof stores."""
    try:
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        if "malformed" in str(exc) or "disk I/O" in str(exc):
            raise DamagedStoreError(_damaged(path, str(exc), readable=False)) from None
        raise MitprofError(f"{path}: not a mitprof results store ({exc})") from None
    if app != APPLICATION_ID or "points" not in tables:
        raise MitprofError(f"{path}: not a mitprof results store")
    if version > SCHEMA_VERSION:
        raise MitprofError(
            f"{path}: store schema version {version} is newer than this mitprof reads "
            f"(version {SCHEMA_VERSION}); upgrade mitprof or use another --out directory")
    missing = [v for v in range(version, SCHEMA_VERSION) if v not in MIGRATIONS]
    if missing:
        raise MitprofError(f"{path}: store schema version {version} cannot be migrated to "
                           f"version {SCHEMA_VERSION}; start a new store with --fresh")
    return version


def _check_files(directory: str | Path) -> None:
    """Refuse a directory where the store or its lock file should be."""
    for name in (STORE_NAME, LOCK_NAME):
        path = Path(directory) / name
        if path.is_dir():
            raise MitprofError(f"{path}: is a directory, not a {name}; move it out of the way "
                               "or use another --out directory")


def _damage(conn: sqlite3.Connection) -> str | None:
    """What `PRAGMA quick_check` finds wrong with the file (None: nothing)."""
    try:
        found = [str(r[0]) for r in conn.execute("PRAGMA quick_check(3)").fetchall()]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if found == ["ok"] else "; ".join(found)


def _damaged(path: Path, problem: str, readable: bool = True, lost: int | None = None) -> str:
    """The message for a damaged store: which file, what is wrong, how to recover."""
    detail = " ".join(problem.split())[:80]
    skipped = "" if lost is None else f", {_rows(lost)} unreadable, skipped"
    save = "`mitprof export DIR -o FILE` saves every readable row, then " if readable else ""
    return (f"{path} is damaged ({detail}{skipped}); to recover, {save}`mitprof run SPEC "
            f"--out DIR --fresh` starts anew (keeping it as {STORE_NAME}.damaged)")


def _rows(n: int) -> str:
    return f"{n} row{'s' * (n != 1)}"


def set_aside(directory: str | Path) -> Path:
    """Rename a damaged store (and its log) to results.sqlite.damaged; returns the new path."""
    path = store_path(directory)
    target = path.with_name(STORE_NAME + ".damaged")
    for suffix in ("", "-wal", "-shm"):
        src = path.with_name(path.name + suffix)
        if src.exists():
            os.replace(src, target.with_name(target.name + suffix))
    return target


def _salvage(conn: sqlite3.Connection) -> tuple[sqlite3.Connection, int]:
    """A temporary copy of every row of a damaged store that can still be read, and the
    number of rows that could not. Rows are found by scanning each table from both ends
    and along its indexes, and read one by one, so one bad page loses only its rows."""
    copy = sqlite3.connect("", isolation_level=None)
    lost = 0
    schema = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql "
                          "IS NOT NULL AND name NOT LIKE 'sqlite_%'").fetchall()
    copy.execute("BEGIN")
    for _, _, _, sql in schema:
        copy.execute(sql)
    for kind, table, _, _ in schema:
        if kind != "table":
            continue
        cols = [str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")]
        indexes = [name for k, name, tbl, _ in schema if k == "index" and tbl == table]
        rows, bad = _readable_rows(conn, table, cols, indexes)
        lost += bad
        copy.executemany(f"INSERT OR IGNORE INTO {table} (rowid, {', '.join(cols)}) VALUES "
                         f"({', '.join('?' * (len(cols) + 1))})", rows)
    for pragma in ("application_id", "user_version"):
        copy.execute(f"PRAGMA {pragma} = {int(conn.execute(f'PRAGMA {pragma}').fetchone()[0])}")
    copy.execute("COMMIT")
    return copy, lost


def _readable_rows(conn: sqlite3.Connection, table: str, cols: list[str],
                   indexes: list[str]) -> tuple[list[tuple[Any, ...]], int]:
    select = f"SELECT rowid, {', '.join(cols)} FROM {table}"
    found: dict[int, tuple[Any, ...]] = {}
    ids: set[int] = set()

    def scan(sql: str, into: dict[int, Any] | set[int]) -> None:
        try:
            for row in conn.execute(sql):
                if isinstance(into, dict):
                    into[row[0]] = tuple(row)
                else:
                    into.add(row[0])
        except sqlite3.DatabaseError:
            pass

    scan(select + " ORDER BY rowid", found)
    low = max(found, default=0)
    scan(select + " ORDER BY rowid DESC", found)
    high = min((i for i in found if i > low), default=None)
    for index in indexes:
        scan(f"SELECT rowid FROM {table} INDEXED BY {index}", ids)
    if high is None:  # the last rows are unreadable: probe up to the last id an index knows
        high = max(ids, default=low) + 1
    ids.update(range(low + 1, min(high, low + 1_000_000)))
    lost = 0
    for i in sorted(ids - set(found)):
        try:
            row = conn.execute(select + " WHERE rowid = ?", (i,)).fetchone()
        except sqlite3.DatabaseError:
            lost += 1
            continue
        if row is not None:
            found[i] = tuple(row)
    return [found[i] for i in sorted(found)], lost


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    for v in range(version, SCHEMA_VERSION):
        MIGRATIONS[v](conn)
        conn.execute(f"PRAGMA user_version = {v + 1}")


def check_existing(directory: str | Path) -> int | None:
    """Schema version of the store in `directory` (None if there is none), refusing
    incompatible stores and stores a live sweep is writing. Reads only."""
    path = store_path(directory)
    _check_files(directory)
    if not path.exists():
        return None
    conn = _connect_ro(path)
    try:
        version = _identify(conn, path)
        problem = _damage(conn)
    finally:
        conn.close()
    if problem is not None:
        raise DamagedStoreError(_damaged(path, problem))
    holder = lock_holder(directory)
    if holder is not None:
        raise MitprofError(f"{directory}: another sweep (pid {holder}) is writing this store; "
                           "wait for it to finish or use another --out directory")
    return version


def lock_holder(directory: str | Path) -> int | None:
    """The pid of the live sweep writing `directory`, if any (never takes the lock)."""
    lock = Path(directory) / LOCK_NAME
    try:
        text = lock.read_text().split()
    except OSError:
        return None
    if not text or not text[0].isdigit():
        return None
    pid = int(text[0])
    if pid == os.getpid():
        return pid if _held_here(lock) else None
    if _WINDOWS:  # os.kill(pid, 0) would terminate it: probe the lock instead
        return pid if _probe_locked(lock) else None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid if _locked(lock) else None


_WINDOWS = os.name == "nt"
_WINDOWS_LOCK_BYTE = 1 << 20


def try_lock(fd: int) -> bool:
    """Take an exclusive, non-blocking lock on the open file `fd`; False if another process
    holds it. POSIX: flock; Windows: msvcrt.locking of one byte far past the pid the file
    holds (a locked byte cannot be read by others, and the pid must stay readable). Both
    are released by the operating system when the process dies. Imported here, not at
    module level, so that the store imports on every platform."""
    if _WINDOWS:
        import msvcrt

        try:
            os.lseek(fd, _WINDOWS_LOCK_BYTE, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


_HELD: set[str] = set()  # lock files this process holds


def _held_here(lock: Path) -> bool:
    return str(lock.resolve()) in _HELD


def _locked(lock: Path) -> bool:
    """Whether some process holds the lock (a zombie pid in the file does not count).

    Probing would take the lock for an instant and could make a sweep starting at that
    moment fail, so the lock table is read instead."""
    try:
        ino = lock.stat().st_ino
        with open("/proc/locks") as fh:
            return any(f":{ino} " in line for line in fh)
    except OSError:
        return True  # no /proc: trust the live pid


def _probe_locked(lock: Path) -> bool:
    """Whether another process holds `lock`, by taking and at once dropping it (Windows,
    which has no lock table to read)."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        if not try_lock(fd):
            return True
        if _WINDOWS:
            import msvcrt

            os.lseek(fd, _WINDOWS_LOCK_BYTE, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return False
    finally:
        os.close(fd)


class WriterLock:
    """An exclusive lock on DIR/results.lock (`try_lock`), released by the OS if we die."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except IsADirectoryError:
            raise MitprofError(f"{self.path}: is a directory, not a lock file; move it out of "
                               "the way or use another --out directory") from None
        if not try_lock(fd):
            os.close(fd)
            holder = lock_holder(self.path.parent)
            who = f" (pid {holder})" if holder else ""
            raise MitprofError(f"{self.path.parent}: another sweep{who} is writing this store; "
                               "wait for it to finish or use another --out directory") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        _HELD.add(str(self.path.resolve()))

    def release(self, unlink: bool = False) -> None:
        """Drop the lock; `unlink` also removes the file (when this run created it and
        failed before writing anything, so that nothing of it is left behind)."""
        if self.fd is not None:
            _HELD.discard(str(self.path.resolve()))
            with suppress(OSError):
                os.ftruncate(self.fd, 0)
                if unlink:
                    os.unlink(self.path)
            os.close(self.fd)  # closing drops the flock
            self.fd = None


# ---------------------------------------------------------------- queries


class _Queries:
    """Reads that the writer and the readers share."""

    conn: sqlite3.Connection

    def counts(self) -> Counts:
        rows = dict(self.conn.execute(
            "SELECT status, count(*) FROM points WHERE planned = 1 GROUP BY status").fetchall())
        other = self.conn.execute(
            "SELECT count(*) FROM points WHERE planned = 0 AND status != 'pending'").fetchone()[0]
        return Counts(rows.get("done", 0), rows.get("failed", 0), rows.get("pending", 0), other)

    def status_of(self, point_id: str) -> str | None:
        row = self.conn.execute("SELECT status FROM points WHERE point_id = ?",
                                (point_id,)).fetchone()
        return None if row is None else str(row[0])


# ---------------------------------------------------------------- the writer


class Store(_Queries):
    """The single writer of a sweep directory's store (use `Store.open_writer`)."""

    def __init__(self, directory: Path, conn: sqlite3.Connection, lock: WriterLock | None):
        self.directory = directory
        self.path = store_path(directory)
        self.conn = conn
        self.lock = lock

    @classmethod
    def open_writer(cls, directory: str | Path) -> Store:
        """Create or open DIR/results.sqlite for writing: takes the lock, then migrates."""
        directory = Path(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MitprofError(f"{directory}: cannot create the output directory: "
                               f"{exc.strerror}") from None
        _check_files(directory)
        lock = WriterLock(directory)
        new_lock = not lock.path.exists()
        try:
            lock.acquire()
        except PermissionError:
            raise MitprofError(f"{directory}: output directory is not writable") from None
        try:
            path = store_path(directory)
            existed = path.exists() and path.stat().st_size > 0
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 10000")
            if existed:
                version = _identify(conn, path)
                problem = _damage(conn)
                if problem is not None:
                    conn.close()
                    raise DamagedStoreError(_damaged(path, problem))
                conn.execute("PRAGMA journal_mode = WAL")
                if version < SCHEMA_VERSION:
                    with _transaction(conn):
                        _migrate(conn, version)
            else:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute("PRAGMA journal_mode = WAL")
                with _transaction(conn):
                    for stmt in _statements(SCHEMA):
                        conn.execute(stmt)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    _set_meta(conn, created_at=_now(), schema_version=str(SCHEMA_VERSION))
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: safe against crashes
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            lock.release(unlink=new_lock)
            raise MitprofError(f"{directory}: cannot write the results store: {exc}") from None
        except BaseException:
            lock.release(unlink=new_lock)
            raise
        return cls(directory, conn, lock)

    def close(self) -> None:
        with suppress(sqlite3.Error):
            self.conn.close()
        if self.lock is not None:
            self.lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- writes

    def clear(self) -> None:
        """Forget every result (`--fresh`), atomically."""
        with _transaction(self.conn):
            for table in ("results", "points", "runs", "meta"):
                self.conn.execute(f"DELETE FROM {table}")
            _set_meta(self.conn, created_at=_now(), schema_version=str(SCHEMA_VERSION))

    def begin_run(self, spec: dict[str, Any], environment: dict[str, Any], runner: str,
                  workers: int, threads: int | None, total: int) -> int:
        with _transaction(self.conn):
            self.conn.execute("UPDATE runs SET state = 'interrupted' WHERE state = 'running'")
            cur = self.conn.execute(
                "INSERT INTO runs (started_at, state, runner, workers, threads_per_worker, pid, "
                "spec, environment, points_total) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?)",
                (_now(), runner, workers, threads, os.getpid(), json.dumps(spec),
                 json.dumps(environment), total))
            _set_meta(self.conn, spec=json.dumps(spec), name=str(spec["sweep"]["name"]))
        return int(cur.lastrowid or 0)

    def end_run(self, run_id: int, state: str) -> None:
        with _transaction(self.conn):
            self.conn.execute("UPDATE runs SET state = ?, finished_at = ? WHERE run_id = ?",
                              (state, _now(), run_id))

    def plan(self, points: Iterable[Point]) -> None:
        """Make `points` the plan: new ones pending, finished ones kept, stale pending dropped."""
        with _transaction(self.conn):
            self.conn.execute("UPDATE points SET planned = 0")
            self.conn.execute("DELETE FROM points WHERE status = 'pending'")
            self.conn.executemany(_PLAN_SQL, (_plan_row(p) for p in points))

    # ---------------------------------------------------------------- incremental plans
    #
    # meta `plan` is the digest of the spec's points (SweepSpec.plan_digest) being planned;
    # meta `plan_complete` equals it once every point is in the table. A sweep starts
    # running while its plan is written (by a `Planner` thread, in batches), and a resume
    # of a completely planned store reads only the rows still to run.

    def meta_value(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def plan_complete(self, digest: str) -> bool:
        return self.meta_value("plan_complete") == digest

    def start_plan(self, digest: str) -> None:
        """Begin planning `digest`: a different plan's rows leave the plan (finished ones are
        kept, pending ones dropped); rows of an interrupted plan of the same digest stay."""
        with _transaction(self.conn):
            if self.meta_value("plan") != digest:
                self.conn.execute("UPDATE points SET planned = 0 WHERE planned = 1")
                self.conn.execute("DELETE FROM points WHERE status = 'pending'")
            _set_meta(self.conn, plan=digest, plan_complete="")

    def planner(self, points: Iterable[Point], digest: str, batch: int = 5000) -> Planner:
        return Planner(self.path, points, digest, batch)

    def to_run(self, wanted: tuple[str, ...]) -> Iterator[tuple[int, str]]:
        """(seq, point_id) of the planned points with a status in `wanted`, the most
        expensive first (`Point.cost`), read in one query: work proportional to them."""
        import math

        import numpy as np

        marks = ", ".join("?" * len(wanted))
        rows = self.conn.execute(
            f"SELECT seq, point_id, n_qubits, depth, shots FROM points WHERE planned = 1 AND "
            f"status IN ({marks})", wanted).fetchall()
        log4 = math.log(4.0)
        cost = np.array([(n or 4) * log4 + math.log(d or 1) + math.log(s)
                         for _, _, n, d, s in rows])
        for i in np.argsort(-cost, kind="stable"):
            yield int(rows[i][0]), str(rows[i][1])

    def record(self, point_id: str, rec: dict[str, Any], run_id: int,
               point: Point | None = None) -> None:
        """Store one finished point (done or failed) and its results, atomically; with
        `point`, its row is created first if the plan has not reached it yet."""
        with _transaction(self.conn):
            if point is not None:
                self.conn.execute(_PLAN_SQL.replace("DO UPDATE SET planned = 1, seq = "
                                                    "excluded.seq", "DO NOTHING"),
                                  _plan_row(point))
            self.conn.execute(
                "UPDATE points SET status = ?, error = ?, traceback = ?, run_id = ?, worker = ?, "
                "seconds = ?, finished_at = ?, record = ?, n_qubits = coalesce(?, n_qubits) "
                "WHERE point_id = ?",
                (rec["status"], rec.get("error"), rec.get("traceback"), run_id,
                 rec.get("worker"), rec.get("seconds"), _now(), rec.get("record"),
                 rec.get("n_qubits"), point_id))
            self.conn.execute("DELETE FROM results WHERE point_id = ?", (point_id,))
            self.conn.executemany(
                "INSERT INTO results (point_id, ord, strategy, value, abs_error, "
                "shot_multiplier, wall_seconds, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ((point_id, i, *row) for i, row in enumerate(rec.get("results") or ())))
            self.conn.execute("UPDATE runs SET points_run = points_run + 1 WHERE run_id = ?",
                              (run_id,))


_PLAN_SQL = ("INSERT INTO points (point_id, seq, circuit, family, n_qubits, depth, backend, "
             "noise_level, shots, labels, config, device, noise_scale) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (point_id) DO UPDATE SET planned = 1, seq = excluded.seq")


def _plan_row(p: Point) -> tuple[Any, ...]:
    return (p.point_id, p.seq, p.circuit, p.family, p.n_qubits, p.depth, p.backend,
            p.noise_level, p.shots, json.dumps(p.labels), p.config, p.device, p.noise_scale)


class Planner:
    """Writes a plan's rows in batches on a connection of its own, in a thread, while the
    sweep runs; marks the plan complete at the end. `stop()` ends it between batches."""

    def __init__(self, path: Path, points: Iterable[Point], digest: str, batch: int) -> None:
        import threading

        self.path, self.points, self.digest, self.batch = path, points, digest, batch
        self.error: BaseException | None = None
        self.planned = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mitprof-planner", daemon=True)

    def start(self) -> Planner:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the plan (at most `timeout` seconds); True once it has ended."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        if self.error is not None:
            raise self.error
        return True

    def _run(self) -> None:
        import itertools

        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            try:
                conn.execute("PRAGMA busy_timeout = 60000")
                conn.execute("PRAGMA synchronous = NORMAL")
                stream = iter(self.points)
                while not self._stop.is_set():
                    rows = [_plan_row(p) for p in itertools.islice(stream, self.batch)]
                    if not rows:
                        with _transaction(conn):
                            _set_meta(conn, plan_complete=self.digest)
                        return
                    with _transaction(conn):
                        conn.executemany(_PLAN_SQL, rows)
                    self.planned += len(rows)
            finally:
                conn.close()
        except BaseException as exc:  # reported by join()
            self.error = exc


def _statements(script: str) -> list[str]:
    out, buf = [], []
    for line in script.splitlines():
        code = line.split("--", 1)[0]
        buf.append(code)
        if code.rstrip().endswith(";"):
            out.append("\n".join(buf))
            buf = []
    return [s for s in out if s.strip()]


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (KeyboardInterrupt too)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            with suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")


def _set_meta(conn: sqlite3.Connection, **items: str) -> None:
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value", items.items())


# ---------------------------------------------------------------- readers


class Reader(_Queries):
    """Read-only access for status and export, safe while a sweep is writing."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = store_path(self.directory)
        if not self.directory.exists():
            raise MitprofError(f"{self.directory}: no such directory")
        if self.path.is_dir():
            raise MitprofError(f"{self.path}: is a directory, not a results store")
        if not self.path.is_file():
            raise MitprofError(f"{self.directory}: no results store here (expected {STORE_NAME}; "
                               "run `mitprof run SPEC --out DIR` first)")
        self.damage: str | None = None  # what PRAGMA quick_check found wrong
        self.lost = 0  # rows on damaged pages, not read
        self.invalid = 0  # rows with invalid JSON, skipped by the last `points()`
        try:
            conn = _connect_ro(self.path)
            version = _identify(conn, self.path)
            self.damage = _damage(conn)
            if self.damage is not None:  # read what can be read into a private copy
                salvaged, self.lost = _salvage(conn)
                conn.close()
                conn = salvaged
        except sqlite3.Error as exc:
            raise MitprofError(f"{self.path}: cannot read the results store: {exc}") from None
        if version < SCHEMA_VERSION:  # migrate a private copy; the file is left as it is
            mem = sqlite3.connect(":memory:", isolation_level=None)
            conn.backup(mem)
            conn.close()
            with _transaction(mem):
                _migrate(mem, version)
            conn = mem
        self.conn = conn
        self.version = version

    def close(self) -> None:
        self.conn.close()

    @property
    def unreadable(self) -> int:
        return self.lost + self.invalid

    def problem(self) -> str | None:
        """What was skipped, for an error line after the output (None: nothing)."""
        if self.damage is not None:
            return _damaged(self.path, self.damage, lost=self.unreadable)
        if self.unreadable:
            return (f"{self.path} is damaged: {_rows(self.unreadable)} with invalid data "
                    "skipped; everything else was read")
        return None

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())

    def versions(self) -> list[tuple[str | None, int]]:
        """Finished points of the plan per mitprof version, oldest first (None: the point
        has no record to say, as when it failed before profiling)."""
        return [(None if v is None else str(v), int(n)) for v, n in self.conn.execute(
            # json_valid first: a damaged row counts as "not recorded", it does not raise
            "SELECT CASE WHEN json_valid(record) THEN json_extract(record, ?) END AS version, "
            "count(*) FROM points "
            "WHERE planned = 1 AND status != 'pending' GROUP BY version "
            "ORDER BY min(finished_at), version", ("$." + ".".join(VERSION_PATH),))]

    def runs(self) -> list[dict[str, Any]]:
        cur = self.conn.execute(
            "SELECT run_id, started_at, finished_at, state, runner, workers, threads_per_worker, "
            "pid, points_total, points_run, environment FROM runs ORDER BY run_id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def failures(self, limit: int = 10) -> list[tuple[str, str, str]]:
        return [(r[0], r[1], r[2]) for r in self.conn.execute(
            "SELECT point_id, circuit || ' ' || backend || coalesce(' device=' || device || "
            "' scale=' || noise_scale, ' noise=' || noise_level) || "
            "' shots=' || shots, error FROM points WHERE planned = 1 AND status = 'failed' "
            "ORDER BY seq LIMIT ?", (limit,))]

    def points(self, include_stale: bool = False) -> Iterator[dict[str, Any]]:
        """Finished points in spec order, each with its per-strategy results (streamed)."""
        where = "status != 'pending'" + ("" if include_stale else " AND planned = 1")
        cur = self.conn.execute(
            "SELECT point_id, circuit, family, n_qubits, depth, backend, noise_level, device, "
            "noise_scale, shots, labels, status, error, seconds, worker, run_id, record "
            f"FROM points WHERE {where} "
            "ORDER BY planned DESC, seq, point_id")
        names = [d[0] for d in cur.description]
        res = self.conn.cursor()
        self.invalid = 0
        for row in cur:
            point = dict(zip(names, row, strict=True))
            labels, record = _json(point["labels"]), _json(point["record"] or "null")
            if not isinstance(labels, list) or not isinstance(record, dict | None):
                self.invalid += 1  # the point is skipped, and counted
                continue
            point["labels"], point["record"], point["results"] = labels, record, []
            for (data,) in res.execute(
                    "SELECT data FROM results WHERE point_id = ? ORDER BY ord",
                    (point["point_id"],)):
                result = _json(data)
                if isinstance(result, dict):
                    point["results"].append(result)
                else:
                    self.invalid += 1
            yield point


_INVALID = object()


def _json(text: Any) -> Any:
    """Parsed JSON text; `_INVALID` for anything else."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return _INVALID
