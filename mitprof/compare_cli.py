"""`mitprof compare A B`: store B against store A, point by point (`mitprof.comparison`).

Exit status 0: no regression; 1: a multiplier regression beyond --threshold (as
`asv continuous` does, so CI can gate on it); 2: bad input. Nothing heavy is imported
until the command runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

IGNORABLE = ("circuit", "n_qubits", "depth", "backend", "noise_level", "shots")


def register(group: click.Group, user_errors: Callable[..., Any]) -> None:
    """Add the compare command to `group`, with the CLI's error handling."""

    @group.command()
    @click.argument("a", metavar="A", type=click.Path(path_type=Path))
    @click.argument("b", metavar="B", type=click.Path(path_type=Path))
    @click.option("--threshold", type=click.FloatRange(min=0), default=0.1, show_default=True,
                  help="A regression: the multiplier ratio B/A has its corrected lower bound "
                       "above 1 + THRESHOLD.")
    @click.option("--ignore", "ignore", multiple=True, type=click.Choice(IGNORABLE),
                  help="Repeatable: a field not to pair points on (e.g. compare two shot "
                       "counts with --ignore shots).")
    @click.option("--json", "as_json", is_flag=True, help="One JSON document.")
    @click.option("--html", "html", metavar="FILE", type=click.Path(dir_okay=False,
                                                                     path_type=Path),
                  help="Also write the comparison as one self-contained HTML page.")
    @click.option("--seed", default=0, show_default=True, type=int, help="Bootstrap seed.")
    @user_errors
    def compare(a: Path, b: Path, threshold: float, ignore: tuple[str, ...], as_json: bool,
                html: Path | None, seed: int) -> None:
        """Compare the sweep in B against the sweep in A (directories of results.sqlite).

        Pairs the points of both stores (circuit, width, depth, backend, noise, shots,
        strategy) and gives, for each pair, the ratio of equal-precision multipliers and
        the change of |bias| with bootstrap intervals from the stored trials, and the
        wall-clock ratio. Changes are flagged with a Bonferroni correction over every test;
        points in only one store are listed. Exits 1 on a multiplier regression.
        """
        from .atomic import write_atomically
        from .comparison import compare as run_compare
        from .comparison import to_json

        result = run_compare(a, b, threshold=threshold, ignore=ignore, seed=seed)
        click.echo(to_json(result) if as_json else result.text())
        if html is not None:
            page = result.html()
            write_atomically(html, lambda fh: fh.write(page))
            click.echo(f"comparison -> {html}", err=True)
        if result.regressions:
            sys.stdout.flush()
            sys.exit(1)
