"""The `mitprof` command: thin click commands over library calls.

Only click and the standard library are imported at start-up; every command
imports what it needs, so `mitprof --help` answers at once.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from . import __version__
from .errors import MitprofError, SpecError, shorten


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input becomes one `error: ...` line on stderr and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(*args, **kwargs)
            _flush_stdout()
            return result
        except MitprofError as exc:
            _flush_stdout(quiet=True)
            _fail(str(exc))
        except MemoryError:
            _fail("out of memory; reduce the number of qubits or shots")
        except OSError as exc:
            # a write with no file name that fails like this is the output's (stdout to a
            # full disk or a closed pipe); anything else is not ours to explain
            if exc.filename is not None or exc.errno not in _WRITE_ERRORS:
                raise
            _flush_stdout(quiet=True)
            _fail(f"cannot write the output: {exc.strerror or exc}")

    return wrapper


_WRITE_ERRORS = {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def _fail(message: str) -> None:
    click.echo(f"error: {shorten(message)}", err=True)
    sys.exit(2)


def _flush_stdout(quiet: bool = False) -> bool:
    """Flush stdout; False if it cannot be written (a full disk, a closed pipe), and then
    what is left in its buffer is dropped, so that exiting prints no second error."""
    try:
        sys.stdout.flush()
        return True
    except OSError as exc:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        if not quiet:
            _fail(f"standard output: cannot write: {exc.strerror or exc}")
        return False


def _readout(value: str | None) -> float | tuple[float, float] | None:
    if value is None:
        return None
    try:
        parts = [float(x) for x in value.split(",")]
    except ValueError:
        raise click.BadParameter("give P or P01,P10 (numbers)") from None
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return (parts[0], parts[1])
    raise click.BadParameter("give P or P01,P10")


def _target_error(value: str | None) -> float | None:
    """--target-error as a number; a bad one is a one-line error (the engine checks range)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise SpecError(f"target error must be a positive number (--target-error: an RMSE in "
                        f"observable units), got {value!r}") from None


def _hardware(value: str | None) -> str | dict[str, float] | None:
    if value is None or "=" not in value:
        return value
    params: dict[str, float] = {}
    for item in value.split(","):
        key, _, num = item.partition("=")
        try:
            params[key.strip()] = float(num)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not key=seconds") from None
    return params


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="mitprof")
def main() -> None:
    """Profile the cost of quantum error mitigation (ZNE, PEC, readout correction)."""


class _RegistryHelp(click.Command):
    """Help whose lists of families and backends come from their registries, filled in only
    when this command's help is shown (the registries import Cirq; `mitprof --help` shows
    the static short help and stays instant)."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from .backends import BACKENDS
        from .families import FAMILIES

        families = ", ".join(f"{f.name}:" + ",".join(f"{k}={v}" for k, v in f.defaults.items())
                             for f in FAMILIES.values())
        backends = ", ".join(f"{name}" + (f" ({name}:{'|'.join(cls.variants)})"
                                          if cls.variants else "")
                             for name, cls in BACKENDS.items())
        backends += ", executor:package.module:function, ibm_runtime:DEVICE"
        self.help = (self.help or "").replace("{families}", families)
        for param in self.params:
            if isinstance(param, click.Option) and param.help:
                param.help = param.help.replace("{backends}", backends)
        super().format_help(ctx, formatter)


@main.command(cls=_RegistryHelp, short_help="Profile mitigation strategies on one CIRCUIT.")
@click.argument("circuit")
@click.option("--observable", "-o", help="Pauli string or weighted sum, e.g. 0.5*ZZII+0.5*IIZZ.")
@click.option("--observable-order", type=click.Choice(["cirq", "qiskit"]),
              help="How to read the observable's characters: cirq (the first is qubit 0, "
                   "the default) or qiskit (the last is qubit 0, as in Qiskit's labels).")
@click.option("--backend", "-b", default="aer", show_default=True,
              help="{backends} (`mitprof list backends`).")
@click.option("--noise", "-n", "noise", default=None, type=float,
              help="2-qubit depolarizing probability (Cirq convention) [default: 0.01].")
@click.option("--device", "-d", help="Route onto a device and run under its calibrated noise: "
              "sherbrooke, torino, manila, ... (mitprof list devices) or generic:n=5,p2=0.01,...")
@click.option("--noise-scale", type=float, default=1.0, show_default=True,
              help="Device noise: multiply error rates, divide T1/T2.")
@click.option("--coherent", help="Device noise: coherent error after 2-qubit gates, zz:RADIANS.")
@click.option("--p1", type=float, help="1-qubit depolarizing probability [default: noise/10].")
@click.option("--readout", help="Readout error P or P01,P10 [default: noise, 2*noise].")
@click.option("--strategy", "-s", "strategies", multiple=True,
              help="Repeatable, e.g. zne:factory=richardson,scale=1-2-3,fold=global "
                   "[default: zne, pec, rem].")
@click.option("--shots", default=1000, show_default=True, type=int, help="Shots per circuit.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--repeats", default=3, show_default=True, type=int,
              help="Timed repeats after one warm-up run (medians are reported).")
@click.option("--trials", default=100, show_default=True, type=int,
              help="Independent estimates per strategy for intervals and multipliers (0: none; "
                   "100 gives a multiplier to about +-40% at 95%).")
@click.option("--hardware", help="Project QPU time: ibm_eagle, ibm_heron, google_sycamore, or "
                                 "parameters t_1q=..,t_2q=..,t_measure=..,t_rep=..,t_circuit=..,"
                                 "t_job=.. (seconds).")
@click.option("--target-error", metavar="E",
              help="Rank strategies by the total shots they need to reach RMSE E (observable "
                   "units) [default: the unmitigated run's |bias|].")
@click.option("--budget", "budgets", multiple=True, type=int,
              help="Repeatable: report RMSE at this total shot budget.")
@click.option("--force", is_flag=True,
              help="Run the statistics pass even for strategies predicted to cost more than "
                   "1e6 times the unmitigated shots at equal precision.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
              help="Stop with an error after this many seconds.")
@click.option("--max-shots", type=int, help="Executor backends: cap the statistics pass's "
              "re-runs at this many shots (fewer trials, or none, if the plan needs more).")
@click.option("--max-seconds", type=float, help="Executor backends: cap the statistics pass "
              "at this many seconds (planned from the timed runs, enforced per call).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document and nothing else.")
@user_errors
def profile(circuit: str, observable: str | None, observable_order: str | None, backend: str,
            noise: float | None, device: str | None, noise_scale: float, coherent: str | None,
            p1: float | None, readout: str | None, strategies: tuple[str, ...], shots: int,
            seed: int,
            repeats: int, trials: int, hardware: str | None, target_error: str | None,
            budgets: tuple[int, ...], force: bool, timeout: float | None,
            max_shots: int | None, max_seconds: float | None, as_json: bool) -> None:
    """Profile mitigation strategies on one CIRCUIT.

    CIRCUIT is a family spec, with its parameters' defaults: {families} (`mitprof list
    circuits`); or an OpenQASM 2/3 file.
    """
    from .engine import DEFAULT_STRATEGIES
    from .engine import profile as run_profile

    _show_executor_plans()

    result = run_profile(circuit, observable=observable, backend=backend, noise=noise,
                         strategies=list(strategies) or DEFAULT_STRATEGIES, shots=shots,
                         seed=seed, repeats=repeats, p1=p1, readout=_readout(readout),
                         trials=trials, hardware=_hardware(hardware),
                         target_error=_target_error(target_error),
                         budgets=list(budgets), force=force, observable_order=observable_order,
                         timeout=timeout, device=device, noise_scale=noise_scale,
                         coherent=coherent, max_shots=max_shots, max_seconds=max_seconds,
                         progress=False if as_json else None)
    for warning in result.warnings:
        click.echo(f"warning: {shorten(warning)}", err=True)
    for problem in result.errors:
        click.echo(f"error: {shorten(problem)}", err=True)
    if as_json:
        click.echo(json.dumps({**result.to_dict(), "answer": result.answer().to_dict()},
                              indent=2))
    else:
        click.echo(result.table())


def _show_executor_plans() -> None:
    """An executor's statistics-pass plan on stderr before it spends anything."""
    import logging

    class Stderr(logging.Handler):  # the stderr of the moment (click swaps it in tests)
        mitprof_cli = True

        def emit(self, record: logging.LogRecord) -> None:
            click.echo(shorten(record.getMessage()), err=True)

    log = logging.getLogger("mitprof.executor")
    if not any(getattr(h, "mitprof_cli", False) for h in log.handlers):
        log.addHandler(Stderr())
    log.setLevel(logging.INFO)


@main.command(short_help="Recommend the cheapest mitigation that reaches a target.")
@click.argument("circuit")
@click.option("--observable", "-o", help="Pauli string or weighted sum, e.g. 0.5*ZZII+0.5*IIZZ.")
@click.option("--observable-order", type=click.Choice(["cirq", "qiskit"]),
              help="How to read the observable's characters (as for `profile`).")
@click.option("--backend", "-b", default="aer", show_default=True,
              help="A backend with exact output distributions (aer, cirq).")
@click.option("--noise", "-n", "noise", default=0.01, show_default=True, type=float,
              help="2-qubit depolarizing probability (Cirq convention).")
@click.option("--p1", type=float, help="1-qubit depolarizing probability [default: noise/10].")
@click.option("--readout", help="Readout error P or P01,P10 [default: noise, 2*noise].")
@click.option("--target-error", type=float,
              help="Objective: the fewest total shots that reach this RMSE.")
@click.option("--budget", type=int, help="Objective: the lowest RMSE at this total shot budget.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--trials", default=64, show_default=True, type=int,
              help="Trials per candidate at the end of successive halving.")
@click.option("--family", "families", multiple=True,
              help="Repeatable: search only these families (zne, rem_tensored+zne, pec, "
                   "rem_tensored+pec, rem, rem_tensored; unmitigated is always included).")
@click.option("--check-trials", default=200, show_default=True, type=int,
              help="Fresh trials of the recommendation at the recommended shots (0: no check).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document and nothing else.")
@user_errors
def advise(circuit: str, observable: str | None, observable_order: str | None, backend: str,
           noise: float, p1: float | None, readout: str | None, target_error: float | None,
           budget: int | None, seed: int, trials: int, families: tuple[str, ...],
           check_trials: int, as_json: bool) -> None:
    """Recommend the cheapest mitigation configuration for CIRCUIT: the fewest total shots
    that reach --target-error, or the lowest RMSE at --budget (exactly one)."""
    if (target_error is None) == (budget is None):
        raise click.UsageError("give exactly one of --target-error and --budget")
    from .advise import advise as run_advise

    result = run_advise(circuit, observable=observable, noise=noise, backend=backend,
                        target_error=target_error, budget=budget, seed=seed,
                        trials=trials, final_trials=4 * trials,
                        first_trials=min(8, trials),
                        check_trials=check_trials, p1=p1, readout=_readout(readout),
                        families=list(families) or None,
                        observable_order=observable_order)
    click.echo(json.dumps(result.to_dict(), indent=2) if as_json else result.text())


@main.command(name="list")
@click.argument("what", type=click.Choice(["circuits", "strategies", "backends", "hardware",
                                          "devices"]))
@user_errors
def list_(what: str) -> None:
    """List built-in circuits, strategies, backends, hardware models or devices, one per line."""
    if what == "circuits":
        from .circuits import QASM_DIR
        from .families import FAMILIES

        for fam in FAMILIES.values():
            params = ",".join(f"{k}={v}" for k, v in fam.defaults.items())
            click.echo(f"{fam.name}:{params}  {fam.description}")
        for path in sorted(QASM_DIR.glob("*.qasm")):
            first = path.read_text().splitlines()
            about = next((ln.lstrip("/ ").strip() for ln in first[1:3] if ln.startswith("//")), "")
            click.echo(f"{path.name}  {about}")
    elif what == "strategies":
        from .techniques import strategy_help

        for name, text in strategy_help().items():
            click.echo(f"{name}  {text}")
    elif what == "devices":
        from .devices import GENERIC_DEFAULTS, device_summaries

        for name, d in device_summaries().items():
            click.echo(f"{name}  {d['n_qubits']} qubits, basis {d['basis']}, median errors "
                       f"1q {d['median_1q_error']:.2e} 2q {d['median_2q_error']:.2e} readout "
                       f"{d['median_readout_error']:.2e}, T1 {d['median_t1'] * 1e6:.0f} us "
                       f"T2 {d['median_t2'] * 1e6:.0f} us, snapshot {d['snapshot']}")
        params = ",".join(f"{k}={v:g}" for k, v in GENERIC_DEFAULTS.items())
        click.echo(f"generic:{params}  synthetic device, uniform calibration on a line "
                   "(seconds; p1/p2 average gate errors)")
    elif what == "hardware":
        from .hardware import PRESETS

        for name, model in PRESETS.items():
            click.echo(f"{name}  {model.source}")
    else:
        from .backends import BACKENDS

        for name, cls in BACKENDS.items():
            forms = f" (also {', '.join(f'{name}:{v}' for v in cls.variants)})" \
                if cls.variants else ""
            click.echo(f"{name}  {cls.help}{forms}")
        from .backends.registry import OWN_NOISE

        for name, text in OWN_NOISE.items():
            click.echo(f"{name}  {text}")


# run, status, export, demo: the sweep commands (mitprof/sweep_cli.py)
from .sweep_cli import register as _register_sweep_commands  # noqa: E402

_register_sweep_commands(main, user_errors)

# report: the HTML report (mitprof/report_cli.py)
from .report_cli import register as _register_report_command  # noqa: E402

_register_report_command(main, user_errors)

# compare: two stores, point by point (mitprof/compare_cli.py)
from .compare_cli import register as _register_compare_command  # noqa: E402

_register_compare_command(main, user_errors)

# project: cost models fitted on a store, projected to other widths (mitprof/project_cli.py)
from .project_cli import register as _register_project_command  # noqa: E402

_register_project_command(main, user_errors)


if __name__ == "__main__":
    main()
