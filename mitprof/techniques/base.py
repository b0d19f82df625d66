"""The technique protocol: what every mitigation technique provides, in one place.

A technique is a frozen, hashable options object (parsed once from text, TOML or
JSON) with the behaviour of Mitiq's construct -> execute -> combine split. A
strategy is one circuit and one readout technique (compose.py), optionally with
circuit transforms in front of the circuit technique (stack.py):

- a *circuit* technique turns each logical circuit into the circuits to execute
  and combines their values into one (unmitigated, ZNE, PEC, ...);
- a *readout* technique turns executable circuits into measured jobs (adding
  calibration jobs where it needs them) and bits into expectation values (raw
  parities, REM, TREX, ...);
- a *transform* rewrites each circuit the circuit technique constructs into
  variants whose values are averaged (Pauli twirling, ...).

`start()` returns the per-estimate state (a *run*); the technique itself never
changes, so one is built per strategy per point and shared by every trial.
Each technique also owns its cost details for the result and its theory: a
`Prediction`, or `NotDerived(reason)`, never a formula meant for another.
Nothing outside a technique's module names it: the registry is the only list.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..errors import SpecError
from ..stats import widen_interval

if TYPE_CHECKING:
    import cirq

    from ..circuits import Workload
    from ..noise import NoiseModel
    from ..observables import MeasurementGroup
    from .compose import Estimate

Probabilities = Callable[["cirq.Circuit"], np.ndarray]


@dataclass
class Job:
    """One measured circuit to execute with `shots` shots."""

    circuit: cirq.Circuit
    shots: int
    role: str = "main"  # "main" or "calibration"


# (executable circuit with its basis change, its measurement group, shots)
Exec = tuple["cirq.Circuit", "MeasurementGroup", int]


class NotDerived(Exception):
    """A theory value this technique (or combination) does not have; the reason says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Prediction:
    """An equal-precision shot multiplier from theory, for a configuration as run."""

    multiplier: float | None
    reason: str | None = None  # why multiplier is None, or what it assumes
    optimal_split: float | None = None  # ZNE: multiplier with shots split ~ |g_i| sigma_i
    floor: float | None = None  # quantum-Fisher floor for unbiased estimators, where it applies
    # None: exact (the estimator's variance, no approximation). "approximate": a first-order
    # (delta-method) formula, or a Monte Carlo / finite-draw estimate (the reason says which
    # and how precise); "upper" / "lower": a one-sided bound.
    bound: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # standard error of the value itself, relative, where it is a Monte Carlo or finite-draw
    # estimate (None: no sampling error of its own)
    relative_se: float | None = None

    def consistent_with(self, ci_low: float, ci_high: float,
                        estimate: float | None = None) -> bool | None:
        """Inside the measured interval; for a one-sided bound, on its side of it. A value
        with a sampling error of its own is checked against the interval widened by it
        (stats.widen_interval), given the measured estimate."""
        if self.multiplier is None:
            return None
        if self.relative_se and estimate is not None:
            ci_low, ci_high = widen_interval(estimate, ci_low, ci_high, self.relative_se)
        if self.bound == "upper":
            return ci_low <= self.multiplier
        if self.bound == "lower":
            return self.multiplier <= ci_high
        return ci_low <= self.multiplier <= ci_high

    @property
    def label(self) -> str | None:
        """'exact', 'approximate', 'upper' or 'lower' (None: no theory value)."""
        if self.multiplier is None:
            return None
        return self.bound or "exact"


@dataclass(frozen=True)
class PredictionContext:
    """What a theory value may use: exact distributions of the circuits as run."""

    workload: Workload
    noise: NoiseModel
    probs: Probabilities
    sigma0_2: float  # per-total-shot variance of the unmitigated estimator
    trials: Sequence[Estimate]  # the statistics pass's estimates of this strategy


@contextmanager
def seeded_global_numpy(seed: int) -> Iterator[None]:
    """Mitiq's REM resamples with the unseeded global np.random: pin it, then restore."""
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


# ---------------------------------------------------------------- option parsing


def floats(text: str, what: str) -> list[float]:
    try:
        out = [float(x) for x in text.replace(",", "-").split("-") if x]
    except ValueError:
        raise SpecError(f"{what} {text!r} must be numbers joined by '-', e.g. 1-2-3") from None
    if not all(math.isfinite(x) for x in out):
        raise SpecError(f"{what} {text!r} must be finite numbers")
    return out


def integer(text: str | None, what: str, default: int, low: int = 1) -> int:
    if text is None:
        return default
    try:
        v = int(text)
    except ValueError:
        raise SpecError(f"{what}={text!r} must be an integer") from None
    if v < low:
        raise SpecError(f"{what}={v} must be >= {low}")
    return v


def number(text: str | None, what: str, default: float, low: float, high: float) -> float:
    if text is None:
        return default
    try:
        v = float(text)
    except ValueError:
        raise SpecError(f"{what}={text!r} must be a number") from None
    if not low < v <= high:
        raise SpecError(f"{what}={v} must be in ({low}, {high}]")
    return v


def choice(text: str | None, what: str, default: str, valid: Sequence[str]) -> str:
    v = (text or default).lower()
    if v not in valid:
        raise SpecError(f"unknown {what} {v!r}; valid: {', '.join(valid)}")
    return v


# ---------------------------------------------------------------- the protocol


class Technique:
    """Base of every technique: a frozen dataclass of typed options.

    Subclasses set `name`, `kind`, `help` and `options` (option -> help text), and
    implement `from_options` (text values -> typed, validated instance), `label`
    and `start`. `corrects` says which noise the technique claims to remove without
    bias ("gate", "readout"): the conformance test holds it to that claim.
    """

    name: ClassVar[str]
    kind: ClassVar[str]  # "circuit", "readout" or "transform"
    help: ClassVar[str]
    options: ClassVar[Mapping[str, str]] = {}
    corrects: ClassVar[frozenset[str]] = frozenset()
    composable: ClassVar[bool] = True  # may be combined with a technique of the other kind
    # builds its circuits from a model of the noise (PEC inverts it): refused on a backend
    # that brings its own, unknown noise (an executor, a device service)
    needs_noise_model: ClassVar[bool] = False
    # option strings the conformance test round-trips and runs (besides the defaults)
    examples: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_options(cls, opts: Mapping[str, str]) -> Technique:
        if opts:
            raise SpecError(f"strategy {cls.name!r} has no options")
        return cls()

    @property
    def label(self) -> str:
        return self.name


class CircuitRun:
    """Per-estimate state of a circuit technique (one per estimate, never shared)."""

    adaptive = False  # needs more than one construct -> execute -> combine round
    optimal_split = False  # its theory has an optimal shot split (ZNE)
    theory_note: str | None = None  # what its theory value assumes, where it assumes something
    # each estimate draws its circuits at random (random folding): the theory adds the
    # variance over draws (law of total variance, `with_draw_variance`)
    random_construction = False
    # the estimate is linear in the executed values (c_i exact), not a delta-method linearisation
    linear_exact = True
    # seconds of classical work inside `construct` reported as phases of their own (CDR's
    # noiseless simulation of its training circuits), moved out of "construct" by the engine
    phase_seconds: Mapping[str, float] = {}

    def bind(self, groups: Sequence[MeasurementGroup], n_qubits: int) -> None:
        """The estimate's measurement groups and width, for a technique that computes
        values of its own (CDR's ideal training values)."""

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: NoiseModel) -> list[list[cirq.Circuit]]:
        raise NotImplementedError

    def combine(self, values: list[list[float]]) -> float:
        raise NotImplementedError

    def shots_for(self, index: int, shots: int) -> int:
        return shots

    def done(self) -> bool:
        return True

    def use_pool(self, pool: Any) -> None:
        """Take circuits from a pool drawn for every trial at once (CircuitTechnique.trial_pool)."""

    def coefficients(self, totals: Sequence[float]) -> np.ndarray:
        """dE0/dE_i: the estimate's sensitivity to each executed value (linear theory)."""
        raise NotDerived("no linear theory for this technique")

    def exact_estimate(self, totals: Sequence[float]) -> float:
        """The estimate this run's circuits give without shot noise (from exact values)."""
        return float(np.dot(self.coefficients(totals), totals))

    def details(self, shots: int) -> dict[str, Any]:
        return {}


class CircuitTechnique(Technique):
    kind = "circuit"

    def start(self) -> CircuitRun:
        raise NotImplementedError

    def needs_prepare(self) -> bool:
        """Whether `prepare` rewrites options from exact distributions before running."""
        return False

    def prepare(self, est: Estimate, probs: Probabilities) -> dict[str, str]:
        """Option overrides from exact distributions of a constructed estimate."""
        return {}

    def trial_pool(self, logicals: list[cirq.Circuit], noise: NoiseModel, trials: int,
                   seed: int, vectorised: bool) -> Any:
        """Construction shared by every trial of the statistics pass (None: none)."""
        return None

    def predict(self, est: Estimate, ctx: PredictionContext) -> Prediction:
        """Theory for this technique with the estimate's readout. By default the linear
        formula: the readout technique's variance model weighted by `coefficients`; where
        each estimate draws its circuits at random, plus the variance over draws."""
        pred = est.strategy.readout.predict_linear(est, ctx)
        if not est.circuit.linear_exact and pred.multiplier is not None:
            pred = approximate(pred, "delta method: the fit is linearised at the exact values "
                                     "(first order in shot noise)")
        if est.circuit.random_construction and pred.multiplier is not None:
            pred = with_draw_variance(pred, est, ctx)
        return pred

    def warnings(self, noise: NoiseModel) -> list[str]:
        """Configurations that run but may not mean what the user expects."""
        return []

    def cost_estimate(self, logicals: list[cirq.Circuit], noise: NoiseModel) -> float | None:
        """A cheap prediction of the equal-precision multiplier before anything runs (None:
        no cheap one), to refuse hopeless configurations up front."""
        return None

    def hardware_extras(self, est: Estimate, row: Mapping[str, Any],
                        base: Mapping[str, Any], hw: Any, target_error: float | None
                        ) -> dict[str, Any]:
        """Extra projected-hardware fields for the result (PEC's samples-vs-shots)."""
        return {}


class CircuitTransform(Technique):
    """A technique that rewrites every circuit another circuit technique constructs into
    `variants` circuits whose values are averaged (Pauli twirling, dynamical decoupling),
    placed in front of that technique in a strategy (`pt+zne`). It sees each circuit as
    executed (after folding or PEC sampling), as a device's compiler would."""

    kind = "transform"
    # each estimate draws its variants at random (the theory adds the variance over draws)
    random: ClassVar[bool] = False

    @property
    def variants(self) -> int:
        return 1

    def apply(self, circuit: cirq.Circuit, rng: np.random.Generator, noise: NoiseModel
              ) -> list[cirq.Circuit]:
        """The `variants` circuits executed in place of `circuit`."""
        raise NotImplementedError

    def details(self) -> dict[str, Any]:
        return {}


class ReadoutRun:
    """Per-estimate state of a readout technique."""

    def jobs(self, execs: list[Exec], n_qubits: int, rng: np.random.Generator) -> list[Job]:
        raise NotImplementedError

    def expectations(self, execs: list[Exec], bits: list[np.ndarray]) -> list[float]:
        raise NotImplementedError


class ReadoutTechnique(Technique):
    kind = "readout"
    identity: ClassVar[bool] = False  # measures without correcting anything

    def start(self) -> ReadoutRun:
        raise NotImplementedError

    def predict_linear(self, est: Estimate, ctx: PredictionContext) -> Prediction:
        """Theory of an estimate linear in its executed values (est.circuit.coefficients)."""
        raise NotDerived(f"{self.name}: readout theory not derived")

    def exact_values(self, est: Estimate, ctx: PredictionContext) -> list[float]:
        """Each executed circuit's value as this readout reports it without shot or
        calibration noise."""
        return [g.expectation_from_probabilities(ctx.probs(g.measure_in(c)))
                for c, g, _ in est.execs]

    def cost_estimate(self, groups: Sequence[MeasurementGroup], noise: NoiseModel
                      ) -> float | None:
        """A cheap prediction of this readout's variance factor (None: none)."""
        return None


def approximate(pred: Prediction, why: str) -> Prediction:
    """The same value labelled approximate, with `why` added to its reason."""
    reason = "; ".join(x for x in (why, pred.reason) if x)
    bound = pred.bound if pred.bound in ("upper", "lower") else "approximate"
    return replace(pred, bound=bound, reason=reason)


# draws whose shot variance is averaged (each needs a readout prediction of its own)
SHOT_VARIANCE_DRAWS = 25


def with_draw_variance(pred: Prediction, est: Estimate, ctx: PredictionContext) -> Prediction:
    """Law of total variance over random circuit draws (random folding): Var(E0) =
    E_draw[shot variance | draw] + Var_draw[E0 exact | draw]. The second term comes from the
    exact values of every draw of the statistics pass, the first is averaged over up to
    SHOT_VARIANCE_DRAWS of them; both are estimated from finitely many draws."""
    draws = [t for t in ctx.trials if type(t.circuit) is type(est.circuit) and t.execs]
    if len(draws) < 2:
        return approximate(pred, "the variance over random circuit draws is left out (no "
                                 "statistics-pass draws to estimate it from): a lower value")
    readout = est.strategy.readout
    exact = []
    for t in draws:
        vals = readout.exact_values(t, ctx)
        totals = [float(sum(col)) for col in zip(*t.by_group(vals), strict=True)]
        try:
            exact.append(t.circuit.exact_estimate(totals))
        except NotDerived:
            continue
    exact_arr = np.asarray([x for x in exact if np.isfinite(x)])
    if exact_arr.size < 2:
        return approximate(pred, "the variance over random circuit draws is left out (the "
                                 "exact estimates of the draws are not defined)")
    var_draw = float(np.var(exact_arr, ddof=1))
    k = exact_arr.size
    # standard error of a sample variance: sqrt((m4 - s^4 (k-3)/(k-1)) / k)
    m4 = float(np.mean((exact_arr - exact_arr.mean()) ** 4))
    se = float(np.sqrt(max(m4 - var_draw**2 * (k - 3) / (k - 1), 0.0) / k))
    shot_mults = []
    for t in draws[:SHOT_VARIANCE_DRAWS]:
        p = readout.predict_linear(t, ctx)
        if p.multiplier is not None:
            shot_mults.append(p.multiplier * ctx.sigma0_2 / t.total_shots)
    shot_var = float(np.mean(shot_mults)) if shot_mults else (
        (pred.multiplier or 0.0) * ctx.sigma0_2 / est.total_shots)
    n = est.total_shots
    draw_part = n * var_draw / ctx.sigma0_2
    mult = n * shot_var / ctx.sigma0_2 + draw_part
    optimal = None if pred.optimal_split is None else pred.optimal_split + draw_part
    why = (f"law of total variance over random circuit draws: the variance over draws of the "
           f"exact estimate from {k} draws of the statistics pass (its part of M "
           f"{draw_part:.4g} +- {n * se / ctx.sigma0_2:.2g}), the shot variance averaged over "
           f"{max(1, len(shot_mults))} draws")
    # the value's own sampling error: the draw part's, and the shot part's over its draws
    shot_se = (float(np.std(shot_mults, ddof=1) / np.sqrt(len(shot_mults))) * n / ctx.sigma0_2
               if len(shot_mults) > 1 else 0.0)
    rel_se = float(np.hypot(n * se / ctx.sigma0_2, shot_se) / mult) if mult > 0 else None
    extra = dict(pred.extra)
    extra.update({"draw_variance_multiplier": draw_part,
                  "draw_variance_multiplier_se": n * se / ctx.sigma0_2, "draws": k,
                  "shot_variance_multiplier": n * shot_var / ctx.sigma0_2,
                  "timed_draw_multiplier": pred.multiplier})
    out = replace(pred, multiplier=float(mult), optimal_split=optimal, extra=extra,
                  relative_se=rel_se)
    return approximate(out, why)
