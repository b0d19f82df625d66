"""Answer first: the cheapest mitigation configuration that reaches a target (issue #14).

`advise` searches a fixed, documented space of configurations (`search_space`) and
answers one of two questions:

- `target_error=E`: which configuration reaches RMSE <= E with the fewest total shots?
  Per candidate, RMSE(N) = sqrt(bias^2 + sigma^2 / N) (`stats.ErrorModel`), so
  N = sigma^2 / (E^2 - bias^2); a candidate whose |bias| is above E (the lower bound of
  its 95% interval) is `unreachable`.
- `budget=N`: which configuration has the lowest RMSE at N total shots?

Every candidate is evaluated by the statistics pass (`trials.run_trials`) at the same
reference total of shots per estimate, from exact output distributions: one
`ExactSampler` is shared by all candidates, so each distinct circuit is simulated once.
Candidates are pruned by successive halving: all of them get `first_trials` trials, the
better half (by the objective) is kept and gets twice the trials, and so on until
`trials`; the unmitigated baseline is always kept. The model is valid when scaling the
total shots at fixed construction: ZNE and REM scale shots per circuit, PEC scales the
number of samples at fixed shots per sample (its sigma^2 per shot depends on the shots
per sample, not on the number of samples).

The recommendation is then checked: it is re-run at the recommended shots for
`check_trials` fresh trials (new seeds) and its achieved RMSE is reported with a 95%
bootstrap interval, next to the promise.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import stats
from .errors import SpecError
from .seeds import derive_seed
from .techniques import StrategySpec

# The search space (documented in README "Advise").
ZNE_FACTORIES = ("richardson", "linear")
ZNE_SCALES = ("1-2-3", "1-3-5", "1-2")
ZNE_SPLITS = ("equal", "optimal")
PEC_SAMPLES = (10, 30, 100, 300)  # at a fixed total: shots per sample = total / samples
READOUTS = ("", "rem_tensored")  # ZNE and PEC alone, and inside tensored readout correction
STANDALONE = ("unmitigated", "rem:calibration=tensored", "rem_tensored")
# The configuration each technique family runs by default (`mitprof profile -s NAME`).
DEFAULTS = {"zne": "zne", "rem_tensored+zne": "rem_tensored+zne", "pec": "pec",
            "rem_tensored+pec": "rem_tensored+pec", "rem": "rem", "rem_tensored": "rem_tensored",
            "unmitigated": "unmitigated"}

REFERENCE_SHOTS = 20000  # total shots per estimate at which every candidate is evaluated
FIRST_TRIALS = 8
TRIALS = 64
FINAL_TRIALS = 256  # for the best REFINE finalists
REFINE = 2
CHECK_TRIALS = 200
BOOTSTRAP = 1000  # resamples for the interval of the recommended shots


def search_space() -> list[tuple[str, str]]:
    """(family, strategy text) of every candidate, in a fixed order."""
    out: list[tuple[str, str]] = [(t.partition(":")[0], t) for t in STANDALONE]
    for ro in READOUTS:
        fam = f"{ro}+zne" if ro else "zne"
        for factory in ZNE_FACTORIES:
            for scale in ZNE_SCALES:
                if factory == "linear" and len(scale.split("-")) == 2:
                    continue  # a line through two points is Richardson's
                for split in ZNE_SPLITS:
                    out.append((fam, f"{fam}:factory={factory},scale={scale},split={split}"))
    for ro in READOUTS:
        fam = f"{ro}+pec" if ro else "pec"
        for samples in PEC_SAMPLES:
            out.append((fam, f"{fam}:samples={samples}"))
    return out


@dataclass
class Candidate:
    family: str
    base: StrategySpec  # as searched (split=optimal not yet resolved into a shot_list)
    spec: StrategySpec  # as run at the reference shots
    shots: int  # shots per circuit (PEC: per sample) at the reference
    total: int  # total shots per estimate at the reference
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    eliminated_round: int | None = None
    model: stats.ErrorModel | None = None
    score: float = math.inf

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def ok(self) -> np.ndarray:
        return self.values[np.isfinite(self.values)]


@dataclass(frozen=True)
class Advice:
    """What `advise` found: the answer, per-family reasons, the check, every candidate."""

    circuit: str
    observable: str
    n_qubits: int
    backend: str
    noise: dict[str, Any]
    ideal_value: float
    objective: str  # "target_error" or "budget"
    target_error: float | None
    budget: int | None
    reference_shots: int
    trials: int
    final_trials: int
    answer: str  # one sentence
    recommendation: dict[str, Any] | None
    families: list[dict[str, Any]]
    default: dict[str, Any] | None  # the winning family's default configuration, same objective
    check: dict[str, Any] | None
    candidates: list[dict[str, Any]]
    seconds: float
    simulated_circuits: int

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return _finite(asdict(self))

    def text(self) -> str:
        lines = [self.answer]
        rec = self.recommendation
        if rec is not None:
            lines.append(f"  run: mitprof profile {self.circuit} --strategy {rec['strategy_text']}"
                         f" --shots {rec['shots_per_circuit']}")
        if self.check is not None:
            c = self.check
            lines.append(f"  check: {c['trials']} fresh trials at {c['total_shots']} shots: RMSE "
                         f"{_g(c['rmse']['estimate'])} ({_g(c['rmse']['ci_low'])}-"
                         f"{_g(c['rmse']['ci_high'])}, 95%), promised {_g(c['promised_rmse'])}")
        if self.default is not None:
            d = self.default
            lines.append(f"  the default {d['label']} would need {_shots(d['value'])}"
                         if self.objective == "target_error" else
                         f"  the default {d['label']} reaches RMSE {_g(d['value'])}")
        lines.append("per technique (best configuration):")
        for f in self.families:
            lines.append(f"  {f['family']:<18} {f['label']:<48} {f['reason']}")
        lines.append(f"{len(self.candidates)} candidates, reference {self.reference_shots} shots "
                     f"per estimate, successive halving to {self.trials} trials; "
                     f"{self.simulated_circuits} distinct circuits simulated; {self.seconds:.1f} s")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def _g(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _shots(x: Any) -> str:
    return x if isinstance(x, str) else f"{x:.3g} shots"


def _finite(obj: Any) -> Any:
    """JSON-ready: infinities and NaN as null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


class _Context:
    """The workload, noise, shared exact sampler and seeds of one `advise` call."""

    def __init__(self, workload: Any, noise: Any, sampler: Any, seed: int, ideal: float) -> None:
        self.workload, self.noise, self.sampler = workload, noise, sampler
        self.seed, self.ideal = seed, ideal

    def total(self, spec: StrategySpec, shots: int) -> int:
        """Total shots of one estimate (one construction; every technique searched here runs
        a single round)."""
        w = self.workload
        est = spec.strategy.start(w.observable.groups, w.circuit, w.n_qubits, self.noise, shots,
                                  np.random.default_rng(0))
        est.construct()
        return int(est.total_shots)

    def prepared(self, spec: StrategySpec, shots: int) -> StrategySpec:
        from .engine import prepare

        return prepare(spec, self.workload, self.noise, self.sampler, shots)

    def sized(self, family: str, base: StrategySpec, total: float,
              at_most: bool = False) -> tuple[StrategySpec, int, int]:
        """The configuration whose estimate uses about `total` shots (at most, if asked):
        (spec as run, shots per circuit, actual total)."""
        probe = 1000
        t1 = self.total(self.prepared(base, probe), probe)
        shots = max(1, (math.floor if at_most else round)(probe * total / t1))
        spec = self.prepared(base, shots)
        return spec, shots, self.total(spec, shots)

    def pec_scaled(self, c: Candidate, total: float, at_most: bool = False
                   ) -> tuple[StrategySpec, int, int]:
        """PEC at fixed shots per sample: the number of samples scaled to `total`."""
        samples = int(dict(c.spec.options)["samples"])
        one = self.total(c.spec.with_options({"samples": "1"}), c.shots)
        per_sample = (c.total - one) / max(samples - 1, 1)
        fixed = one - per_sample  # calibration shots
        n = max(1, (math.floor if at_most else math.ceil)((total - fixed) / per_sample))
        spec = c.spec.with_options({"samples": str(n)})
        return spec, c.shots, int(round(fixed + n * per_sample))

    def scaled(self, c: Candidate, total: float, at_most: bool = False
               ) -> tuple[StrategySpec, int, int]:
        """Candidate `c` at about `total` shots, at its own construction (see module doc)."""
        if c.base.strategy.circuit.name == "pec":
            return self.pec_scaled(c, total, at_most)
        return self.sized(c.family, c.base, total, at_most)

    def run(self, spec: StrategySpec, shots: int, n: int, *tag: object) -> np.ndarray:
        from .trials import run_trials

        ts = run_trials(spec, self.workload, self.noise, shots,
                        derive_seed(self.seed, "advise", spec.text, shots, *tag), n, self.sampler)
        return ts.values


def _candidates(ctx: _Context, reference: int) -> list[Candidate]:
    out = []
    for family, text in search_space():
        base = StrategySpec.parse(text)
        if base.strategy.circuit.name == "pec":
            samples = int(dict(base.options)["samples"])
            shots = max(1, reference // samples)
            spec = base
            total = ctx.total(spec, shots)
        else:
            spec, shots, total = ctx.sized(family, base, reference)
        out.append(Candidate(family, base, spec, shots, total))
    return out


def _model(c: Candidate, ideal: float) -> stats.ErrorModel | None:
    v = c.ok
    if len(v) < 2:
        return None
    return stats.ErrorModel.from_trials(v, ideal, c.total)


def _score(model: stats.ErrorModel | None, target: float | None, budget: int | None) -> float:
    if model is None:
        return math.inf
    if target is not None:
        n = model.shots_for(target)
        return math.inf if isinstance(n, str) else n
    assert budget is not None
    return model.rmse_at(budget)


def _shots_interval(values: np.ndarray, ideal: float, total: int, target: float,
                    seed: int) -> tuple[float, float]:
    """Percentile bootstrap interval (95%) of the shots needed for `target`, over trials
    (inf where a resample's bias is above the target)."""
    v = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(v), size=(BOOTSTRAP, len(v)))
    x = v[idx]
    var = x.var(axis=1, ddof=1)
    b2 = np.maximum((x.mean(axis=1) - ideal) ** 2 - var / len(v), 0.0)
    gap = target**2 - b2
    n = np.where(gap > 0, var * total / np.where(gap > 0, gap, 1.0), np.inf)
    lo, hi = np.percentile(n, [2.5, 97.5])
    return float(lo), float(hi)


def _rmse_interval(values: np.ndarray, ideal: float, seed: int) -> stats.Interval:
    v = np.asarray(values, dtype=float)

    def rmse(a: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.asarray(np.sqrt(np.mean((a - ideal) ** 2, axis=axis)))

    lo, hi = stats._bootstrap((v,), rmse, seed)
    return stats.Interval(float(rmse(v)), lo, hi)


def _describe(c: Candidate, ideal: float, seed: int, target: float | None,
              budget: int | None) -> dict[str, Any]:
    m = c.model
    d: dict[str, Any] = {
        "family": c.family, "label": c.label, "strategy_text": c.spec.text,
        "shots_per_circuit": c.shots, "reference_total_shots": c.total,
        "trials": int(len(c.values)), "failed_trials": int(np.sum(~np.isfinite(c.values))),
        "eliminated_round": c.eliminated_round,
    }
    if m is None:
        d["status"] = "failed"
        return d
    bias = stats.mean_interval(c.ok, derive_seed(seed, c.spec.text, "bias"), shift=ideal)
    d["bias"] = bias.to_dict()
    d["sigma2_per_shot"] = m.sigma2
    floor = 0.0 if bias.ci_low <= 0 <= bias.ci_high else min(abs(bias.ci_low), abs(bias.ci_high))
    d["bias_floor_low"] = floor  # the lower bound of |bias| (95%)
    if target is not None:
        n = m.shots_for(target)
        if isinstance(n, str):
            d["status"] = "unreachable" if floor > target else "unresolved"
            d["shots_for_error"] = None
        else:
            d["status"] = "reachable"
            d["shots_for_error"] = n
    else:
        assert budget is not None
        d["status"] = "evaluated"
        d["rmse_at_budget"] = m.rmse_at(budget)
    return d


def _reason(f: dict[str, Any], win: dict[str, Any] | None, target: float | None,
            budget: int | None) -> str:
    if win is not None and f["label"] == win["label"]:
        return "the recommendation"
    if f["status"] == "failed":
        return "fewer than two successful trials"
    b = f["bias"]
    bias = f"bias {b['estimate']:+.3g} ({b['ci_low']:+.3g}..{b['ci_high']:+.3g})"
    s2 = f["sigma2_per_shot"]
    if target is not None:
        if f["status"] == "unreachable":
            return f"unreachable: bias floor |{bias}| above the target {target:g}"
        if f["status"] == "unresolved":
            return f"not shown reachable: {bias} not below the target {target:g}"
        n = f["shots_for_error"]
        if win is None:
            return f"needs {n:.3g} shots"
        ratio = n / win["shots_for_error"]
        # the share of the error budget the bias takes, against the variance's
        pure = s2 / target**2  # shots it would need with no bias
        why = ("variance too large" if pure > win["shots_for_error"]
               else "its bias takes most of the error budget")
        return (f"needs {n:.3g} shots ({ratio:.2g}x): {why} (sigma^2/shot {s2:.3g} vs "
                f"{win['sigma2_per_shot']:.3g}, {bias})")
    assert budget is not None
    r = f["rmse_at_budget"]
    b2 = max(b["estimate"] ** 2, 0.0)
    why = "bias dominates" if b2 > s2 / budget else "variance dominates"
    return f"RMSE {r:.3g} at {budget} shots: {why} ({bias}, sigma^2/shot {s2:.3g})"


def advise(
    circuit: Any,
    observable: Any = None,
    noise: Any = 0.01,
    backend: str = "aer",
    target_error: float | None = None,
    budget: int | None = None,
    seed: int = 0,
    trials: int = TRIALS,
    final_trials: int = FINAL_TRIALS,
    first_trials: int = FIRST_TRIALS,
    reference_shots: int = REFERENCE_SHOTS,
    check_trials: int = CHECK_TRIALS,
    p1: float | None = None,
    readout: float | tuple[float, float] | None = None,
    observable_order: str | None = None,
    families: Sequence[str] | None = None,
    progress: bool | Callable[[str], None] | None = None,
) -> Advice:
    """Recommend the cheapest configuration that reaches `target_error` (fewest total
    shots), or the most accurate at `budget` total shots; exactly one of the two.

    Successive halving runs from `first_trials` to `trials` trials per candidate; the best
    REFINE finalists then get `final_trials` (the recommendation's sigma^2 to about +-17%).
    `families` restricts the search space (`search_space`) to some families, e.g.
    ["zne", "rem_tensored+zne"]. `progress`: True prints progress on stderr, a callable
    receives each line; default: on stderr when it is a terminal. `check_trials` fresh
    trials of the recommendation at the recommended shots (0: no check).
    """
    t0 = time.perf_counter()
    if (target_error is None) == (budget is None):
        raise SpecError("give exactly one objective: target_error or budget")
    if target_error is not None and not target_error > 0:
        raise SpecError(f"target error must be positive, got {target_error!r}")
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool)
                               or budget <= 0):
        raise SpecError(f"budget must be a positive integer (total shots), got {budget!r}")
    if not isinstance(trials, int) or trials < 2 or not isinstance(first_trials, int) \
            or not 2 <= first_trials <= trials:
        raise SpecError(f"need 2 <= first_trials <= trials, got {first_trials!r}, {trials!r}")
    if not isinstance(final_trials, int) or final_trials < trials:
        raise SpecError(f"final_trials must be at least trials, got {final_trials!r}")
    if not isinstance(check_trials, int) or check_trials < 0 or check_trials == 1:
        raise SpecError(f"check_trials must be 0 or at least 2, got {check_trials!r}")
    say = _progress(progress)

    from . import exact
    from .backends import MAX_DENSITY_QUBITS, get_backend
    from .circuits import resolve
    from .noise import Noise, NoiseModel
    from .trials import ExactSampler

    nz = noise if isinstance(noise, NoiseModel) else Noise.from_level(noise, p1=p1,
                                                                      readout=readout)
    workload = resolve(circuit, observable, observable_order)
    be = get_backend(backend)
    if not be.exact_available(workload.n_qubits):
        raise SpecError(f"advise needs exact output distributions (density matrix, at most "
                        f"{MAX_DENSITY_QUBITS} qubits; backend {be.name})")
    ideal = exact.compute(workload).value
    sampler = ExactSampler(be, nz, workload.n_qubits)
    ctx = _Context(workload, nz, sampler, seed, ideal)

    pool = _candidates(ctx, reference_shots)
    if families is not None:
        unknown = set(families) - {c.family for c in pool}
        if unknown:
            raise SpecError(f"unknown families {sorted(unknown)}; valid: "
                            f"{', '.join(dict.fromkeys(c.family for c in pool))}")
        pool = [c for c in pool if c.family in families or c.family == "unmitigated"]

    # successive halving
    alive = list(pool)
    k, rnd = first_trials, 0
    while True:
        say(f"advise: round {rnd}: {len(alive)} candidates x {k} trials "
            f"({time.perf_counter() - t0:.0f} s)")
        for c in alive:
            need = k - len(c.values)
            if need > 0:
                c.values = np.concatenate([c.values, ctx.run(c.spec, c.shots, need, "round",
                                                             rnd)])
            c.model = _model(c, ideal)
            c.score = _score(c.model, target_error, budget)
        if k >= trials or len(alive) <= 2:
            break
        ranked = sorted(alive, key=lambda c: (c.score, c.model.bias2 if c.model else math.inf))
        keep = max(2, math.ceil(len(alive) / 2))
        kept = ranked[:keep]
        for c in ranked[keep:]:
            if c.family == "unmitigated":
                kept.append(c)  # the baseline is always kept
            else:
                c.eliminated_round = rnd
        alive = kept
        k, rnd = min(2 * k, trials), rnd + 1
    # refine: the best few finalists get `final_trials` trials (a 64-trial sigma^2 is known
    # to about +-35%, which the recommended shots inherit), then are ranked again
    ranked = sorted(alive, key=lambda c: (c.score, c.model.bias2 if c.model else math.inf))
    top = [c for c in ranked if math.isfinite(c.score)][:REFINE]
    if top and final_trials > trials:
        say(f"advise: refining {len(top)} finalists x {final_trials} trials "
            f"({time.perf_counter() - t0:.0f} s)")
        for c in top:
            c.values = np.concatenate([c.values, ctx.run(c.spec, c.shots,
                                                         final_trials - len(c.values),
                                                         "refine")])
            c.model = _model(c, ideal)
            c.score = _score(c.model, target_error, budget)
    described = [_describe(c, ideal, seed, target_error, budget) for c in pool]

    ok = [d for d in described if d["status"] in ("reachable", "evaluated")]
    best_key = ("shots_for_error" if target_error is not None else "rmse_at_budget")
    # rank by the objective among the refined finalists (else those with full trials;
    # pruned candidates had fewer)
    most = max((d["trials"] for d in ok), default=0)
    finalists = [d for d in ok if d["trials"] == most]
    win_d = min(finalists, key=lambda d: d[best_key]) if finalists else None

    recommendation = check = default = None
    if win_d is not None:
        win = next(c for c in pool if c.label == win_d["label"])
        assert win.model is not None
        if target_error is not None:
            spec, shots, total = ctx.scaled(win, math.ceil(win_d["shots_for_error"]))
            lo, hi = _shots_interval(win.ok, ideal, win.total, target_error,
                                     derive_seed(seed, "advise", "shots-interval"))
            promised = win.model.rmse_at(total)
            recommendation = {**win_d, "strategy_text": spec.text, "label": spec.label,
                              "shots_per_circuit": shots, "total_shots": total,
                              "total_shots_interval": [lo, hi], "promised_rmse": promised,
                              "searched_as": win.spec.text}
        else:
            assert budget is not None
            spec, shots, total = ctx.scaled(win, budget, at_most=True)
            promised = win.model.rmse_at(total)
            recommendation = {**win_d, "strategy_text": spec.text, "label": spec.label,
                              "shots_per_circuit": shots, "total_shots": total,
                              "promised_rmse": promised, "searched_as": win.spec.text}
        if check_trials:
            say(f"advise: checking {spec.label} at {total} shots, {check_trials} fresh trials "
                f"({time.perf_counter() - t0:.0f} s)")
            vals = ctx.run(spec, shots, check_trials, "check")
            good = vals[np.isfinite(vals)]
            r = _rmse_interval(good, ideal, derive_seed(seed, "advise", "check-rmse"))
            check = {"trials": int(len(vals)), "failed_trials": int(len(vals) - len(good)),
                     "total_shots": total, "rmse": r.to_dict(), "promised_rmse": promised,
                     "bias": stats.mean_interval(good, derive_seed(seed, "check-bias"),
                                                 shift=ideal).to_dict()}
        default = _default(ctx, pool, win.family, reference_shots, final_trials, target_error,
                           budget)

    fam_best = []
    for fam in dict.fromkeys(d["family"] for d in described):
        ds = [d for d in described if d["family"] == fam]
        pick = min(ds, key=lambda d: _rank(d, best_key))
        fam_best.append({"family": fam, "label": pick["label"],
                         "strategy_text": pick["strategy_text"], "status": pick["status"],
                         "trials": pick["trials"],
                         "shots_for_error": pick.get("shots_for_error"),
                         "rmse_at_budget": pick.get("rmse_at_budget"),
                         "reason": _reason(pick, win_d, target_error, budget)})
    answer = _answer(recommendation, described, target_error, budget)
    return Advice(
        circuit=workload.name, observable=str(workload.observable),
        n_qubits=workload.n_qubits, backend=be.name, noise=nz.to_dict(), ideal_value=ideal,
        objective="target_error" if target_error is not None else "budget",
        target_error=target_error, budget=budget, reference_shots=reference_shots,
        trials=trials, final_trials=final_trials, answer=answer,
        recommendation=recommendation, families=fam_best,
        default=default, check=check, candidates=described,
        seconds=time.perf_counter() - t0, simulated_circuits=sampler.simulated)


def _rank(d: dict[str, Any], key: str) -> tuple[int, float, float]:
    """Best first: evaluated at full trials, then by the objective, then by bias floor."""
    value = d.get(key)
    floor = d.get("bias_floor_low", math.inf)
    return (0 if value is not None else 1, value if value is not None else math.inf, floor)


def _default(ctx: _Context, pool: list[Candidate], family: str, reference: int, trials: int,
             target: float | None, budget: int | None) -> dict[str, Any] | None:
    """The winning family's default configuration under the same objective, at full trials."""
    if family == "unmitigated":
        return None
    base = StrategySpec.parse(DEFAULTS[family])
    if base.strategy.circuit.name == "pec":
        samples = base.strategy.circuit.samples  # type: ignore[attr-defined]
        shots = max(1, reference // samples)
        c = Candidate(family, base, base, shots, ctx.total(base, shots))
    else:
        spec, shots, total = ctx.sized(family, base, reference)
        c = Candidate(family, base, spec, shots, total)
    same = next((p for p in pool if p.label == c.label and p.shots == c.shots), None)
    if same is not None:
        c = same
    need = trials - len(c.values)
    if need > 0:
        c.values = np.concatenate([c.values, ctx.run(c.spec, c.shots, need, "default")])
    model = _model(c, ctx.ideal)
    if model is None:
        return None
    value: float | str
    if target is not None:
        value = model.shots_for(target)
    else:
        assert budget is not None
        value = model.rmse_at(budget)
    return {"label": c.label, "strategy_text": c.spec.text, "trials": int(len(c.values)),
            "value": value, "sigma2_per_shot": model.sigma2,
            "bias": stats.mean_interval(c.ok, derive_seed(ctx.seed, "default-bias"),
                                        shift=ctx.ideal).to_dict()}


def _answer(rec: dict[str, Any] | None, described: list[dict[str, Any]], target: float | None,
            budget: int | None) -> str:
    if rec is None:
        if target is not None:
            floors = [d["bias_floor_low"] for d in described if "bias_floor_low" in d]
            low = min(floors) if floors else math.nan
            return (f"No configuration reaches the target {target:g}: the lowest bias floor "
                    f"is {low:.3g} (95% lower bound of |bias|).")
        return "No configuration could be evaluated."
    n, lo_hi = rec["total_shots"], rec.get("total_shots_interval")
    if target is not None:
        head = ("Unmitigated is enough" if rec["family"] == "unmitigated"
                else f"Recommended: {rec['label']}")
        iv = "" if lo_hi is None else f" (95% interval of the need {lo_hi[0]:.3g}-" \
                                      f"{lo_hi[1]:.3g})"
        return (f"{head}: RMSE <= {target:g} with {n} total shots{iv}, "
                f"{rec['shots_per_circuit']} per circuit.")
    head = ("Unmitigated is most accurate" if rec["family"] == "unmitigated"
            else f"Recommended: {rec['label']}")
    return (f"{head}: RMSE {rec['promised_rmse']:.3g} at {n} of {budget} total shots, "
            f"{rec['shots_per_circuit']} per circuit.")


def _progress(progress: bool | Callable[[str], None] | None) -> Callable[[str], None]:
    if callable(progress):
        return progress
    on = sys.stderr.isatty() if progress is None else progress
    if not on:
        return lambda _line: None
    return lambda line: print(line, file=sys.stderr, flush=True)
