"""`mitprof project STORE --to "width=50,100,127"`: projected multipliers from a store's
measured points, with held-out validation (`mitprof.projection`).

A thin click command; nothing heavy is imported until the command runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TextIO

import click


def _write(fh: TextIO, body: str) -> None:
    fh.write(body)


def register(group: click.Group, user_errors: Callable[..., Any]) -> None:
    """Add the project command to `group`, with the CLI's error handling."""

    @group.command()
    @click.argument("stores", metavar="STORE...", nargs=-1, required=True,
                    type=click.Path(path_type=Path))
    @click.option("--to", "to", default="width=50,100,127", show_default=True,
                  help="Widths to project to: width=N[,N...].")
    @click.option("--depth", "depth", default=None,
                  help="Depths to project to, e.g. 2,4,8 [default: the measured ones].")
    @click.option("--device", default=None,
                  help="Compute the projected circuits' regressors under this device's noise.")
    @click.option("--fit-max-width", default=10, show_default=True,
                  type=click.IntRange(min=1), help="Fit on widths up to this; wider measured "
                  "points are held out and compared with their predictions.")
    @click.option("--target-error", type=float, default=None,
                  help="RMSE the projected shots and QPU seconds reach [default: the store's "
                  "sweep target, else each row's unmitigated bias].")
    @click.option("--hardware", default=None,
                  help="Hardware model for QPU seconds (a preset) [default: the store's, "
                  "else ibm_eagle].")
    @click.option("--json", "json_out", metavar="FILE",
                  type=click.Path(dir_okay=False, path_type=Path),
                  help="Also write the projection as JSON.")
    @click.option("--html", "html_out", metavar="FILE",
                  type=click.Path(dir_okay=False, path_type=Path),
                  help="Also write an offline HTML page: prediction bands with the measured "
                  "points on them.")
    @user_errors
    def project(stores: tuple[Path, ...], to: str, depth: str | None, device: str | None,
                fit_max_width: int, target_error: float | None, hardware: str | None,
                json_out: Path | None, html_out: Path | None) -> None:
        """Fit cost models to the measured multipliers in STORE (several: pooled) and
        project them.

        Per circuit family, noise and strategy: a physical model of the equal-precision
        multiplier M (PEC: M = A n_terms (gamma^2 - 1), gamma from the gates' error
        rates; ZNE: the noisy decay through the extrapolation coefficients; readout: the
        confusion factors), fitted by weighted least squares on widths <= --fit-max-width,
        checked on the wider measured points (held out), and predicted at --to with 95%
        intervals, with the bias, the total shots to --target-error and the QPU seconds
        they imply. A fit inconsistent with the measured intervals predicts nothing and
        says so.
        """
        from .atomic import check_target, write_atomically
        from .projection import project as run

        for target in (json_out, html_out):
            if target is not None:
                check_target(target)  # refused before anything is computed
        proj = run(list(stores), widths=to, depths=depth, device=device,
                   fit_max_width=fit_max_width, target_error=target_error, hardware=hardware)
        outputs = []
        if json_out is not None:
            outputs.append((json_out, json.dumps(proj.to_dict(), indent=1) + "\n"))
        if html_out is not None:
            from .report.projection_page import render

            title = "Projection of " + ", ".join(s.name for s in stores)
            outputs.append((html_out, render(proj, title=title)))
        for target, body in outputs:
            write_atomically(target, partial(_write, body=body))
        click.echo(proj.table())
