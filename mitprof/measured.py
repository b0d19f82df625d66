"""Profiles of backends that bring their own noise (an executor, a device service): the
checks, the statistics pass's cost plan and cap, and the latency summary. The engine calls
these; nothing here runs circuits."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import SpecError

# the engine's default strategies less PEC, which inverts a noise model these lack
OWN_NOISE_STRATEGIES = ("zne", "rem")


def own_backend(executor: Any, backend: Any) -> Any:
    """The backend for `profile(executor=fn)` or `backend="executor:..."/"ibm_runtime:..."`."""
    from .backends import get_backend
    from .backends.executor import ExecutorBackend

    if executor is None:
        return get_backend(backend)
    if backend != "aer":
        raise SpecError("give either executor= or backend=, not both")
    if isinstance(executor, str):
        return get_backend(f"executor:{executor}")
    return ExecutorBackend(executor)


def check_own_noise(be: Any, specs: Sequence[Any], noise: Any, p1: Any, readout: Any,
                    device: Any, noise_scale: float, coherent: Any, idle_noise: bool,
                    hardware: Any) -> None:
    """Refuse what does not apply to a backend with its own noise, naming it."""
    given = [name for name, v in (("noise", noise), ("p1", p1), ("readout", readout),
                                  ("device", device), ("coherent", coherent),
                                  ("hardware", hardware)) if v is not None]
    if noise_scale != 1.0:
        given.append("noise_scale")
    if not idle_noise:
        given.append("idle_noise")
    if given:
        raise SpecError(f"{be.name} brings its own noise: {', '.join(given)} "
                        f"{'does' if len(given) == 1 else 'do'} not apply (no noise is inserted; "
                        "noise levels are for simulators)")
    for s in specs:
        for t in (s.strategy.circuit, s.strategy.readout):
            if t is not None and getattr(t, "needs_noise_model", False):
                raise SpecError(f"{s.label} builds its circuits from a model of the noise, and "
                                f"{be.name}'s noise is unknown to mitprof: leave it out")


def check_caps(max_shots: Any, max_seconds: Any, own: Any, trials: int) -> None:
    """The caps' types; and on a real device (a Qiskit Runtime service, not local testing
    mode) a statistics pass only under a cap: every trial spends device time."""
    if max_shots is None and max_seconds is None:
        if trials and own is not None and getattr(own, "local", True) is False:
            raise SpecError(f"{own.name}: the statistics pass re-runs every trial on the "
                            "device; give max_shots or max_seconds (--max-shots, "
                            "--max-seconds), or trials=0")
        return
    if own is None:
        raise SpecError("max_shots and max_seconds cap the statistics pass of an executor "
                        "(executor=, backend executor:... or ibm_runtime:...); simulators' "
                        "statistics pass costs no device time")
    if max_shots is not None and (isinstance(max_shots, bool) or not isinstance(max_shots, int)
                                  or max_shots <= 0):
        raise SpecError(f"max_shots must be a positive integer, got {max_shots!r}")
    if max_seconds is not None and (isinstance(max_seconds, bool)
                                    or not isinstance(max_seconds, int | float)
                                    or not max_seconds > 0 or not math.isfinite(max_seconds)):
        raise SpecError(f"max_seconds must be a positive number, got {max_seconds!r}")


def plan_statistics(rows: Sequence[dict[str, Any]], skip: Sequence[bool], trials: int,
                    max_shots: int | None, max_seconds: float | None) -> dict[str, Any]:
    """Before the statistics pass re-runs anything: its estimated cost (every trial costs
    what one timed run did) and the trials that fit the caps (at least 2, or none)."""
    ran = [r for k, r in enumerate(rows) if not (k < len(skip) and skip[k])]
    shots = int(sum(r["total_shots"] for r in ran))
    seconds = float(sum(r["wall_seconds"] for r in ran))
    fit = trials
    if max_shots is not None and shots:
        fit = min(fit, max_shots // shots)
    if max_seconds is not None and seconds > 0:
        fit = min(fit, int(max_seconds // seconds))
    planned = fit if fit >= 2 else 0
    return {"trials_asked": trials, "trials_planned": planned,
            "shots_per_trial": shots, "seconds_per_trial": seconds,
            "estimated_shots": planned * shots, "estimated_seconds": planned * seconds,
            "estimated_shots_asked": trials * shots,
            "estimated_seconds_asked": trials * seconds,
            "max_shots": max_shots, "max_seconds": max_seconds,
            "capped": planned < trials}


def announce(be: Any, plan: dict[str, Any]) -> None:
    """The plan, before the statistics pass spends anything (the CLI shows it on stderr;
    the logger `mitprof.executor` for library users)."""
    import logging

    from .result import plan_text

    logging.getLogger("mitprof.executor").info("%s: %s", be.name, plan_text(plan))


NO_THEORY = ("the device's noise is unknown to mitprof: theory values need exact output "
             "distributions under a noise model")


def capped_statistics(be: Any, plan: dict[str, Any], rows: Sequence[dict[str, Any]],
                      run: Callable[[], None]) -> None:
    """Run the statistics pass `run` on an executor under the plan's caps: a call that would
    go over them is not made, and the pass stops with the reason stored in every row (the
    timed results stay). The plan gets what was actually spent."""
    from .backends.executor import BudgetExceeded, latency
    from .measure import now

    be.take_calls()
    be.spent_shots = 0
    be.shot_cap = plan["max_shots"]
    t0 = now()
    be.time_cap_at = None if plan["max_seconds"] is None else t0 + plan["max_seconds"]
    try:
        run()
        for row in rows:
            if row.get("theory_multiplier") is None and "trials" in row:
                row["theory_reason"] = NO_THEORY
    except BudgetExceeded as exc:
        for row in rows:
            row["statistics_error"] = f"statistics pass stopped: {exc}"
            for key in ("trial_values", "trials", "failed_trials"):
                row.pop(key, None)
    finally:
        be.shot_cap = be.time_cap_at = None
        calls = be.take_calls()
        plan["spent_shots"] = int(sum(c.shots for c in calls))
        plan["spent_seconds"] = now() - t0  # the whole pass, its analysis included
        plan["spent_call_seconds"] = float(sum(c.seconds for c in calls))  # in the executor
        plan["latency"] = latency(calls)


def latency_summary(per_run: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The latency of one estimate: its calls (batch sizes, per-call seconds: the first
    timed run) and the medians over the timed runs of wall, execution and queue+network."""
    from .backends.executor import latency

    runs = [latency(list(calls)) for calls in per_run]
    out = dict(runs[0])
    for key in ("wall_seconds", "execution_seconds", "queue_network_seconds",
                "reported_queue_seconds"):
        vals = [r[key] for r in runs]
        out[key] = None if None in vals else float(np.median(vals))
    return out
