"""The sweep commands of `mitprof`: run, status, export, demo.

Thin click commands over `mitprof.sweep`, `mitprof.store` and `mitprof.export`;
`mitprof.cli` adds them to its group with `register`. Like the rest of the CLI,
they import nothing heavy until they run, so `mitprof --help` stays instant.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

DEFAULT_DEMO_OUT = "reports/demo"


def _executor_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--workers", "-w", type=click.IntRange(min=1),
                     help="Worker processes [default: every available core]."),
        click.option("--executor", "-e", type=click.Choice(["process", "serial", "dask"]),
                     default="process", show_default=True,
                     help="process pool, serial in this process, or Dask distributed."),
        click.option("--scheduler", metavar="ADDRESS",
                     help="Dask scheduler (tcp://HOST:PORT) of an existing cluster; without "
                          "it, --executor dask starts a LocalCluster on 127.0.0.1."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
                     help="Seconds per point; a point over it is stored as failed."),
        click.option("--fresh", is_flag=True,
                     help="Forget every stored result first (asks unless --yes)."),
        click.option("--yes", "-y", is_flag=True, help="Do not ask before --fresh."),
        click.option("--retry-failed", is_flag=True, help="Run failed points again."),
        click.option("--progress/--no-progress", default=None,
                     help="Progress bar on stderr [default: when stderr is a terminal]."),
    ]):
        fn = option(fn)
    return fn


def _run(spec_source: Any, out: str, workers: int | None, executor: str,
         scheduler: str | None, timeout: float | None, fresh: bool, yes: bool,
         retry_failed: bool, progress: bool | None) -> Any:
    from .errors import MitprofError
    from .spec import load_spec
    from .store import Reader, check_existing, store_path
    from .sweep import check_output_dir, run_sweep

    spec = load_spec(spec_source)
    out_dir = Path(out)
    check_output_dir(out_dir)
    if fresh:
        _set_damaged_aside(out_dir, yes)
    if fresh and check_existing(out_dir) is not None and not yes:
        with Reader(out_dir) as reader:
            counts = reader.counts()
        kept = counts.done + counts.failed + counts.other
        if kept and not click.confirm(f"Delete the {kept} finished points in "
                                      f"{store_path(out_dir)}?", err=True):
            click.echo("nothing deleted", err=True)
            sys.exit(1)
    try:
        summary = run_sweep(spec, out_dir, workers=workers, executor=executor,
                            scheduler=scheduler, fresh=fresh, retry_failed=retry_failed,
                            timeout=timeout, progress=progress)
    except KeyboardInterrupt:
        try:
            with Reader(out_dir) as reader:
                c = reader.counts()
            where = f"{c.done + c.failed} of {c.total} points are stored in {out_dir}"
        except MitprofError:
            where = "nothing was stored"
        click.echo(f"\ninterrupted: {where}; run the same command again to resume", err=True)
        sys.exit(130)
    click.echo(str(summary))
    with Reader(out_dir) as reader:  # a resume after an upgrade: say what came from where
        versions = [(v, n) for v, n in reader.versions() if v is not None]
    if len(versions) > 1:
        click.echo("note: this store mixes mitprof versions: " + ", ".join(
            f"{v}: {n} points" for v, n in versions) + " (`mitprof status` lists them; "
            "`export` has a mitprof_version column)", err=True)
    return summary


def _set_damaged_aside(out: Path, yes: bool) -> None:
    """`--fresh` on a damaged store: keep the file as results.sqlite.damaged (asks first)."""
    from .store import DamagedStoreError, check_existing, set_aside, store_path

    try:
        check_existing(out)
    except DamagedStoreError as exc:
        click.echo(f"{exc}", err=True)
        if not yes and not click.confirm(f"Set {store_path(out)} aside and start a new store?",
                                         err=True):
            click.echo("nothing changed", err=True)
            sys.exit(1)
        click.echo(f"damaged store kept as {set_aside(out)}", err=True)


def default_out(name: str) -> Path:
    """results/<name>, with the name made a single safe path component (a spec named
    `../../x` or `/etc` must not write outside results/)."""
    safe = re.sub(r"[^\w.-]+", "_", name).strip("._-")
    return Path("results") / (safe or "sweep")


def _dry_run(spec: Any, out: Path, retry_failed: bool) -> None:
    from .store import Reader, check_existing

    click.echo(f"{spec.name}: {len(spec)} points x {len(spec.labels)} strategies "
               f"({', '.join(spec.labels)})")
    if check_existing(out) is None:
        click.echo(f"no store in {out} yet: {len(spec)} points to run")
        return
    done = failed = 0
    with Reader(out) as reader:
        for point in spec.points():
            status = reader.status_of(point.point_id)
            done += status == "done"
            failed += status == "failed"
    todo = len(spec) - done - (0 if retry_failed else failed)
    click.echo(f"{out}: {done} done, {failed} failed; {todo} points to run")


def register(group: click.Group, user_errors: Callable[..., Any]) -> None:
    """Add the sweep commands to `group`, with the CLI's error handling."""

    @group.command()
    @click.argument("spec")
    @click.option("--out", "-o", "out", metavar="DIR",
                  help="Sweep directory for results.sqlite [default: results/<sweep name>].")
    @click.option("--dry-run", is_flag=True,
                  help="Check the spec and show what would run; run and write nothing.")
    @_executor_options
    @user_errors
    def run(spec: str, out: str | None, dry_run: bool, **opts: Any) -> None:
        """Run the sweep in SPEC (a TOML file); run it again to resume.

        Finished points are skipped, none is run twice and none is lost: the store
        in DIR commits every point as it finishes. A point that fails is stored with
        its error and the sweep goes on.
        """
        from .spec import load_spec

        loaded = load_spec(spec)
        out_dir = out or str(default_out(loaded.name))
        if dry_run:
            _dry_run(loaded, Path(out_dir), opts["retry_failed"])
            return
        _run(loaded, out_dir, **opts)
        _maybe_report(Path(out_dir))

    @group.command()
    @click.option("--out", "-o", default=DEFAULT_DEMO_OUT, show_default=True, metavar="DIR")
    @_executor_options
    @user_errors
    def demo(out: str, **opts: Any) -> None:
        """Run the built-in demo sweep: ghz, mirror and ising circuits on Aer and Cirq,
        3 noise levels, 3 depths, unmitigated + ZNE + PEC + REM (about 80 s on 2 cores)."""
        from .sweep import demo_spec

        _run(demo_spec(), out, **opts)
        _maybe_report(Path(out))

    @group.command()
    @click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
    @click.option("--json", "as_json", is_flag=True, help="One JSON document.")
    @user_errors
    def status(directory: Path, as_json: bool) -> None:
        """Done / failed / pending points of the sweep in DIR (safe while it runs)."""
        from .errors import shorten
        from .store import DamagedStoreError, Reader, lock_holder

        with Reader(directory) as reader:
            meta = reader.meta()
            counts = reader.counts()
            runs = reader.runs()
            failures = reader.failures()
            problem = reader.problem()
            versions = reader.versions()
        holder = lock_holder(directory)
        last = runs[-1] if runs else None
        state = ("running" if holder else
                 "interrupted" if last and last["state"] != "finished" else
                 "finished" if last else "empty")
        if as_json:
            click.echo(json.dumps({
                "name": meta.get("name"), "store": str(reader.path), "schema": reader.version,
                "state": state, "pid": holder, "total": counts.total, "done": counts.done,
                "failed": counts.failed, "pending": counts.pending, "other": counts.other,
                "runs": [{k: v for k, v in r.items() if k != "environment"} for r in runs],
                "failures": [{"point_id": p, "point": w, "error": e} for p, w, e in failures],
                "unreadable_rows": reader.unreadable,
                "versions": [{"mitprof": v, "points": n} for v, n in versions],
            }, indent=2))
            if problem:
                raise DamagedStoreError(problem)
            return
        click.echo(f"{meta.get('name', '?')}: {counts.total} points: {counts.done} done, "
                   f"{counts.failed} failed, {counts.pending} pending")
        if sum(v is not None for v, _ in versions) > 1:
            click.echo("  points by version: " + ", ".join(
                f"mitprof {v}: {n}" if v is not None else f"not recorded: {n}"
                for v, n in versions))
        if counts.other:
            click.echo(f"  ({counts.other} finished points of an earlier spec are kept; "
                       "export --all includes them)")
        if last:
            threads = last["threads_per_worker"]
            click.echo(f"  {state}{f' (pid {holder})' if holder else ''}; last run "
                       f"{last['started_at']}: {last['runner']}, {last['workers']} worker"
                       f"{'s' * (last['workers'] != 1)}"
                       f"{f' x {threads} thread' if threads else ''}, ran "
                       f"{last['points_run']}")
        for point_id, where, error in failures:
            click.echo(f"  failed {point_id} {where}: {shorten(str(error))}")
        if counts.failed > len(failures):
            click.echo(f"  ... and {counts.failed - len(failures)} more failed points")
        if problem:
            raise DamagedStoreError(problem)

    @group.command()
    @click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
    @click.option("--format", "-f", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
                  show_default=True)
    @click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write to FILE (atomically) instead of stdout.")
    @click.option("--all", "include_stale", is_flag=True,
                  help="Include finished points of earlier specs.")
    @user_errors
    def export(directory: Path, fmt: str, output: Path | None, include_stale: bool) -> None:
        """One row per point and strategy, as CSV or JSON Lines."""
        from .export import export as do_export

        n = do_export(directory, fmt, output, include_stale)
        if output is not None:
            click.echo(f"{n} rows -> {output}", err=True)


def _maybe_report(out: Path) -> None:
    """Render the HTML report when the report module provides `write_report(dir)`."""
    import importlib
    import importlib.util

    if importlib.util.find_spec("mitprof.report") is None:
        return
    report = importlib.import_module("mitprof.report")
    writer = getattr(report, "write_report", None)
    if callable(writer):
        path = writer(out)
        click.echo(f"report -> {path}", err=True)
