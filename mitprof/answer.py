"""The answer first: strategies ranked by the total shots they need to reach a target error.

A pure function of result documents (`StrategyResult.to_dict()` or a stored result): each
strategy's error model RMSE(N) = sqrt(bias^2 + sigma^2 / N) (`stats.ErrorModel`, from its
trials) gives N = sigma^2 / (E^2 - bias^2) for a target E; where the bias is not below E,
"unreachable" when the 95% interval of the bias lies beyond +-E, else "unresolved" (the
trials cannot tell). The default target is the unmitigated run's own |bias| (what no number of
unmitigated shots removes); where that bias is consistent with zero, the unmitigated
run's own RMSE (then the ranking is by equal-precision cost).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .stats import ErrorModel

REACHES, UNRESOLVED, UNREACHABLE, NO_STATISTICS = ("reaches", "unresolved", "unreachable",
                                                   "no statistics")


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x) if math.isfinite(x) else None


def error_model(r: Mapping[str, Any] | None) -> ErrorModel | None:
    """A strategy's error model from its stored summary (bias, sigma^2 per shot, trials):
    the same debiased bias^2 as `ErrorModel.from_trials`, (mean - ideal)^2 - Var / trials."""
    if r is None:
        return None
    bias = r.get("bias")
    b = _number(bias.get("estimate")) if isinstance(bias, Mapping) else None
    sigma2, n, trials = (_number(r.get(k)) for k in ("sigma2_per_shot", "total_shots", "trials"))
    if b is None or sigma2 is None or not n or trials is None or trials < 2:
        return None
    return ErrorModel(b * b - sigma2 / (n * trials), sigma2)


def bias_resolved(r: Mapping[str, Any] | None) -> bool:
    """Whether the 95% interval of a strategy's bias excludes zero."""
    bias = r.get("bias") if r is not None else None
    if not isinstance(bias, Mapping):
        return False
    lo, hi = _number(bias.get("ci_low")), _number(bias.get("ci_high"))
    return lo is not None and hi is not None and not lo <= 0.0 <= hi


@dataclass(frozen=True)
class Target:
    error: float | None  # None: no target can be set (no statistics pass)
    source: str  # what it is, in words
    baseline_bias: bool = False  # the unmitigated |bias|: out of its reach by definition


def default_target(baseline: Mapping[str, Any] | None, given: float | None = None) -> Target:
    if given is not None:
        return Target(float(given), "as given")
    model = error_model(baseline)
    if model is None:
        return Target(None, "no statistics pass for the unmitigated run")
    if bias_resolved(baseline) and model.bias2 > 0:
        return Target(math.sqrt(model.bias2), "the unmitigated run's |bias|", True)
    n = _number((baseline or {}).get("total_shots")) or 1.0
    return Target(model.rmse_at(n), "the unmitigated run's RMSE (its bias is consistent "
                                    "with zero)")


@dataclass(frozen=True)
class Entry:
    strategy: str
    status: str  # REACHES | UNREACHABLE | NO_STATISTICS
    shots_to_target: float | None  # total shots per estimate, calibration included
    qpu_seconds_to_target: float | None  # with the run's hardware model, where one was given
    rmse: float | None  # at the run's total shots, from the trials
    total_shots: int | None  # of the run
    multiplier: Mapping[str, float] | None  # equal-precision M with its 95% interval
    theory_multiplier: float | None  # closed form, where derived
    theory_bound: str | None  # exact / approximate / upper / lower (StrategyResult's label)
    breakeven_shots: float | str | None
    bias: float | None  # sqrt of the debiased bias^2 (0 when it comes out negative)
    sigma2_per_shot: float | None


@dataclass(frozen=True)
class Answer:
    target: Target
    entries: tuple[Entry, ...]  # cheapest first
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return {"target_error": self.target.error, "target_source": self.target.source,
                "ranking": [asdict(e) for e in self.entries], "sentence": self.sentence}


def _beyond(r: Mapping[str, Any], error: float) -> bool:
    """Whether the 95% interval of the bias lies entirely outside [-error, error]."""
    bias = r.get("bias")
    lo, hi = ((_number(bias.get("ci_low")), _number(bias.get("ci_high")))
              if isinstance(bias, Mapping) else (None, None))
    return lo is not None and hi is not None and (lo > error or hi < -error)


def qpu_seconds_at(r: Mapping[str, Any], hardware: Mapping[str, Any] | None,
                   total: float) -> float | None:
    """The run's projected QPU seconds with its shots scaled to `total`: the job overhead
    once, every other term (per shot, and per circuit for PEC's samples) in proportion."""
    qpu, n = _number(r.get("projected_qpu_seconds")), _number(r.get("total_shots"))
    if qpu is None or not n or hardware is None:
        return None
    t_job = _number(hardware.get("t_job")) or 0.0
    return t_job + (qpu - t_job) * total / n


def rank(results: Sequence[Mapping[str, Any]], target_error: float | None = None,
         hardware: Mapping[str, Any] | None = None) -> Answer:
    """`results`: result documents, the unmitigated baseline first."""
    target = default_target(results[0] if results else None, target_error)
    entries = []
    for k, r in enumerate(results):
        model = error_model(r)
        n = _number(r.get("total_shots"))
        shots: float | None = None
        if model is None or target.error is None:
            status = NO_STATISTICS
        else:
            need = model.shots_for(target.error)
            if k == 0 and target.baseline_bias:  # its own |bias|: never, whatever rounding says
                need = "unreachable"
            status = (REACHES if not isinstance(need, str)
                      else UNREACHABLE if _beyond(r, target.error)
                      or (k == 0 and target.baseline_bias) else UNRESOLVED)
            shots = None if isinstance(need, str) else need
        mult = r.get("variance_multiplier")
        entries.append(Entry(
            strategy=str(r.get("strategy")), status=status, shots_to_target=shots,
            qpu_seconds_to_target=None if shots is None else qpu_seconds_at(r, hardware, shots),
            rmse=_number(r.get("rmse")), total_shots=None if n is None else int(n),
            multiplier=mult if isinstance(mult, Mapping) else None,
            theory_multiplier=_number(r.get("theory_multiplier")),
            theory_bound=r.get("theory_bound"),
            breakeven_shots=r.get("breakeven_shots"),
            bias=None if model is None else math.sqrt(max(model.bias2, 0.0)),
            sigma2_per_shot=None if model is None else model.sigma2))
    order = {REACHES: 0, UNRESOLVED: 1, UNREACHABLE: 2, NO_STATISTICS: 3}
    entries.sort(key=lambda e: (order[e.status],
                                e.shots_to_target if e.status == REACHES else
                                (e.rmse if e.rmse is not None else math.inf)))
    return Answer(target, tuple(entries), _sentence(target, entries, results))


def count(x: float) -> str:
    """A shot count: 12,300 below a million, 1.2e+07 above."""
    return f"{x:,.0f}" if x < 1e6 else f"{x:.2g}"


def _sentence(target: Target, entries: Sequence[Entry],
              results: Sequence[Mapping[str, Any]]) -> str:
    if target.error is None:
        return "No ranking: no statistics pass (trials = 0), so no error model to rank by."
    e = f"{target.error:.3g}"
    reach = [x for x in entries if x.status == REACHES]
    baseline = str(results[0].get("strategy")) if results else "unmitigated"
    if not reach:
        biased = [x for x in entries if x.bias is not None]
        low = min(biased, key=lambda x: x.bias or 0.0) if biased else None
        return (f"No strategy reaches RMSE {e} at any budget: every bias is above it"
                + (f" (the lowest, {low.strategy}'s, is {low.bias:.3g})" if low else "")
                + _unresolved(entries, e) + ".")
    win = reach[0]
    assert win.shots_to_target is not None and win.sigma2_per_shot is not None
    head = (f"{baseline} is enough" if win.strategy == baseline
            else f"{win.strategy} is cheapest")
    where = f"it reaches RMSE {e} with {count(win.shots_to_target)} total shots"
    if len(reach) == 1:
        return (f"{head}: {where}; every other strategy's bias is above {e}"
                f"{_unresolved(entries, e)}.")
    nxt = reach[1]
    assert nxt.shots_to_target is not None and nxt.sigma2_per_shot is not None
    ratio = nxt.shots_to_target / win.shots_to_target
    # N = sigma^2 / (E^2 - bias^2): say which factor the winner gains more on
    var_gain = nxt.sigma2_per_shot / win.sigma2_per_shot if win.sigma2_per_shot > 0 else math.inf
    # the error budget left to shot noise, winner over runner-up (the runner-up's shots come
    # from its debiased bias^2, so its raw bias may sit at or above the target: no room)
    den = target.error**2 - (nxt.bias or 0.0) ** 2
    room = (target.error**2 - (win.bias or 0.0) ** 2) / den if den > 0 else math.inf
    why = ("it has no shot noise" if not math.isfinite(var_gain) else
           f"its variance per shot is {var_gain:.3g}x lower" if var_gain >= room else
           f"its bias ({win.bias:.2g} against {nxt.bias:.2g}) leaves more of the error "
           "budget to shot noise")
    return f"{head}: {where}, {ratio:.3g}x fewer than {nxt.strategy} (next), because {why}."


def _unresolved(entries: Sequence[Entry], e: str) -> str:
    names = [x.strategy for x in entries if x.status == UNRESOLVED]
    return (f" (for {', '.join(names)} only as a point estimate: the 95% interval of the bias "
            f"reaches inside +-{e}, more trials would tell)" if names else "")
