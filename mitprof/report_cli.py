"""`mitprof report DIR [-o FILE]`: the sweep in DIR as one offline HTML file.

A thin click command over `mitprof.report.write_report`; `mitprof.cli` adds it to its
group with `register`. Nothing heavy is imported until the command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def register(group: click.Group, user_errors: Callable[..., Any]) -> None:
    """Add the report command to `group`, with the CLI's error handling."""

    @group.command()
    @click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
    @click.option("--output", "-o", "output", metavar="FILE",
                  type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the report here [default: DIR/report.html].")
    @click.option("--title", help="Report title [default: the sweep's name].")
    @user_errors
    def report(directory: Path, output: Path | None, title: str | None) -> None:
        """Render the sweep in DIR (DIR/results.sqlite) as one self-contained HTML file.

        Works on a finished, running or interrupted sweep and says how complete it
        is. The file opens from disk with no network: figures are inline SVG.
        """
        from .report import write_report

        path = write_report(directory, output, title=title)
        size = path.stat().st_size
        click.echo(f"report -> {path} ({size / 1024:.0f} KiB)")
