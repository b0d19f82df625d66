"""Immutable profile results: what one profile measured, as data and as a table."""

from __future__ import annotations

import math
import textwrap
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .answer import Answer

from .measure import CLASSICAL_PHASE


class StrategyKeyError(KeyError):
    """A strategy that is not in a result (or a name shared by several configurations);
    the message lists what is there."""

    def __str__(self) -> str:  # KeyError would show the message quoted, as a repr
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class StrategyResult:
    strategy: str  # configuration label, e.g. zne[richardson,1-2-3,global]
    name: str  # strategy family, e.g. zne, rem+zne
    value: float
    abs_error: float
    improvement: float | None  # unmitigated abs error / this abs error
    n_circuits: int  # executed for one estimate, repeats and calibration included
    n_distinct_circuits: int
    total_shots: int
    calibration_circuits: int
    calibration_shots: int
    shot_multiplier: float  # total_shots / unmitigated total_shots
    gates_per_circuit: float  # mean gates per executed main circuit (after folding/sampling)
    phase_seconds: dict[str, float]  # medians over timed repeats
    simulator_seconds: float | None  # the simulator's own reported time (Aer)
    wall_seconds: float
    wall_seconds_iqr: float
    wall_overhead: float  # wall_seconds / unmitigated wall_seconds
    classical_ratio: float  # wall_seconds / classical_seconds
    details: dict[str, Any] = field(default_factory=dict)
    # statistics pass (None when trials=0)
    trials: int = 0
    failed_trials: int = 0
    trial_values: list[float | None] | None = None  # each trial's estimate (None: failed)
    stats_seconds: float | None = None
    variance_multiplier: dict[str, float] | None = None  # {estimate, ci_low, ci_high}
    variance_multiplier_reason: str | None = None  # why there is none (zero baseline variance)
    bias: dict[str, float] | None = None  # mean estimate - ideal, with interval
    rmse: float | None = None
    sigma2_per_shot: float | None = None
    theory_multiplier: float | None = None
    theory_multiplier_optimal_split: float | None = None
    theory_reason: str | None = None
    # what the theory value is: "exact", "approximate" (first order, Monte Carlo or finite
    # draws: theory_reason says which), "upper" or "lower" (a one-sided bound)
    theory_bound: str | None = None
    theory_details: dict[str, Any] = field(default_factory=dict)
    # the theory value's own relative standard error (Monte Carlo / finite draws), or None
    theory_relative_se: float | None = None
    # theory inside the measured interval (widened by theory_relative_se where it has one)
    consistent: bool | None = None
    floor: float | None = None  # unbiased-estimator floor, where it applies
    floor_violated: bool = False
    breakeven_shots: float | str | None = None
    breakeven_reason: str | None = None
    shots_for_error: float | str | None = None
    rmse_at_budget: dict[str, float] = field(default_factory=dict)
    statistics_error: str | None = None
    projected_qpu_seconds: float | None = None
    qpu_vs_classical: float | None = None
    pec_shots_per_sample_optimal: dict[str, float] | None = None
    # failed estimates (ZNE fits): rate with its exact 95% interval; M is then conditional
    failure_rate: dict[str, float] | None = None
    multiplier_conditional_on_success: bool | None = None
    out_of_bounds_trials: int | None = None  # trials with |estimate| > observable_bound
    observable_bound: float | None = None  # sum of |coefficients| of the observable
    predicted_multiplier: float | None = None  # cheap prediction before running (preflight)
    # an executor's calls: batch sizes, per-call seconds, execution vs queue + network
    latency: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self, unmitigated_error: float | None = None) -> str:
        """One readable line: circuits, multiplier with interval and theory, error, pay-off."""
        parts = [f"{self.strategy}: {self.n_circuits} circuit{'s' * (self.n_circuits != 1)}"]
        vm = self.variance_multiplier
        if vm:
            theory = ("" if self.theory_multiplier is None
                      else f" (theory {_theory(self.theory_multiplier, self.theory_bound)})")
            parts.append(f"M = {_num(vm['estimate'])} ({_num(vm['ci_low'])}-"
                         f"{_num(vm['ci_high'])}) at equal precision{theory}")
        elif self.variance_multiplier_reason:
            parts.append("M undefined (the unmitigated estimator has zero variance)")
        err = self.rmse if self.rmse is not None else self.abs_error
        if unmitigated_error is not None:
            parts.append(f"error {unmitigated_error:.2g} -> {err:.2g}")
        be = self.breakeven_shots
        if isinstance(be, float):
            parts.append(f"pays off above {be:.2g} shots")
        elif be is not None:
            parts.append({"always": "pays off at any budget", "never": "never pays off",
                          "undetermined": "pay-off undetermined"}.get(str(be), str(be)))
        if self.floor_violated:
            parts.append("ERROR: below the unbiased floor")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


@dataclass(frozen=True)
class ProfileResult:
    circuit: str
    observable: str
    n_qubits: int
    depth: int
    n_gates: int
    backend: str
    shots: int
    seed: int
    repeats: int
    noise: dict[str, float]
    ideal_value: float
    noisy_value_exact: float | None  # None where no exact distribution exists (large widths)
    classical_seconds: float
    classical_method: str
    results: tuple[StrategyResult, ...]
    trials: int = 0
    simulation_method: str = "density_matrix"
    hardware: dict[str, Any] | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    # device runs: where the circuit went and what routing cost (devices.Routing)
    routing: dict[str, Any] | None = None
    # executor runs: who ran the circuits, and the statistics pass's plan, cap and spend
    executor: dict[str, Any] | None = None
    statistics_plan: dict[str, Any] | None = None
    target_error: float | None = None  # asked for (None: the answer uses the default target)

    @property
    def errors(self) -> list[str]:
        """Results that cannot be right: unbiased estimators below their floor."""
        return [f"{r.strategy}: measured multiplier {r.variance_multiplier} below the "
                f"unbiased floor {r.floor:.4g}" for r in self.results if r.floor_violated]

    @property
    def warnings(self) -> list[str]:
        """Configurations that ran but may not mean what was asked, and skipped passes."""
        return [f"{r.strategy}: {w}" for r in self.results for w in r.warnings]

    def __getitem__(self, label: str) -> StrategyResult:
        """A strategy's result by configuration label (`zne[richardson,1-2-3,global]`), or by
        name (`zne`) when exactly one configuration has that name."""
        for r in self.results:
            if r.strategy == label:
                return r
        named = [r for r in self.results if r.name == label]
        if len(named) == 1:
            return named[0]
        present = ", ".join(r.strategy for r in self.results)
        if named:
            raise StrategyKeyError(f"{label!r} names {len(named)} configurations; use a label: "
                                   f"{', '.join(r.strategy for r in named)}")
        raise StrategyKeyError(f"no strategy {label!r} in this result; present: {present}")

    def labels(self) -> list[str]:
        """The configuration labels present, the baseline first."""
        return [r.strategy for r in self.results]

    def to_dict(self) -> dict[str, Any]:
        d = _clean(asdict(self))
        d["results"] = [r.to_dict() for r in self.results]
        d["errors"] = self.errors
        d["warnings"] = self.warnings
        return d

    def to_dataframe(self) -> Any:
        """A pandas DataFrame, one row per strategy, with the columns of a sweep's export
        (`mitprof.load_results`), built by the same code."""
        from .export import dataframe, point_rows, profile_point

        return dataframe(point_rows(profile_point(self.to_dict())))

    def table(self) -> str:
        obs = self.observable if len(self.observable) <= 80 else (
            f"{self.observable[:60]}... ({self.observable.count('*')} terms)")
        if self.noise.get("model") == "device":
            nz = self.noise
            rt = self.routing or {}
            noise_text = (f"device {nz['device']} ({nz['snapshot'] or 'synthetic'}) x"
                          f"{nz['noise_scale']:g} on qubits {nz['layout']}, "
                          f"{rt.get('swaps', 0)} SWAPs (2q gates {rt.get('two_qubit_before')}"
                          f" -> {rt.get('two_qubit_after')}, depth {rt.get('depth_before')} -> "
                          f"{rt.get('depth_after')})")
            if nz.get("approximation"):  # Stim: the device's channels, Pauli-twirled
                noise_text += ", noise Pauli-twirled (approximate)"
        elif self.noise.get("model") == "own":
            noise_text = "its own noise (none inserted)"
        else:
            noise_text = (f"noise p2={self.noise['p2']:g} p1={self.noise['p1']:g} "
                          f"readout=({self.noise['p01']:g},{self.noise['p10']:g})")
        run_by = ("run by its executor" if self.executor else
                  f"simulated with {self.simulation_method}")
        head = (f"{self.circuit} ({self.n_qubits} qubits, {self.n_gates} gates), observable "
                f"{obs}, {self.backend}\n{noise_text}, "
                f"{self.shots} shots/circuit, seed {self.seed}\n"
                f"ideal {self.ideal_value:+.6f}  noisy (exact) "
                f"{'n/a' if self.noisy_value_exact is None else f'{self.noisy_value_exact:+.6f}'}"
                f"  {run_by}  "
                f"classical {self.classical_method} {_fmt_s(self.classical_seconds)}\n")
        head = "".join(textwrap.fill(line, 100, subsequent_indent="  ", break_long_words=False,
                                     break_on_hyphens=False) + "\n"
                       for line in head.splitlines())
        answer = self.answer()
        single = "" if answer.target.error is not None else "\n" + _columns(
            ["one run (no trials: no interval)", "value", "|error|"],
            [[r.strategy, f"{r.value:+.4f}", f"{r.abs_error:.4f}"] for r in self.results])
        executor = [f"{r.strategy}: {latency_text(r.latency)}" for r in self.results
                    if r.latency]
        if self.statistics_plan:
            executor.append(plan_text(self.statistics_plan))
        return (head + "\n" + answer_table(answer, self.hardware is not None) + single
                + "\n\n" + self.timing_table()
                + ("\n\n" + "\n".join(executor) if executor else ""))

    def answer(self) -> Answer:
        """Strategies ranked by the total shots to reach the target error (`mitprof.answer`)."""
        from .answer import rank

        return rank([r.to_dict() for r in self.results], self.target_error, self.hardware)

    def timing_table(self) -> str:
        """The timed run of each strategy: circuits, shots and wall-clock by phase."""
        cols = ["timed run", "circuits", "shots", "wall", "construct", "compile", "execute",
                "combine", "calib"]
        phases = ["construct", "compile", "execute", "combine", "calibration"]
        if any(r.phase_seconds.get(CLASSICAL_PHASE) for r in self.results):
            cols.append("train")  # CDR's classical simulation of its training circuits
            phases.append(CLASSICAL_PHASE)
        rows = [[r.strategy, str(r.n_circuits), str(r.total_shots), _fmt_s(r.wall_seconds),
                 *(_fmt_s(r.phase_seconds.get(k, 0.0)) for k in phases)]
                for r in self.results]
        return (_columns(cols, rows) + f"\none estimate each, medians of {self.repeats} timed "
                f"run{'s' * (self.repeats != 1)} after a warm-up; wall = the phases' sum")

    def __repr__(self) -> str:
        return f"<ProfileResult\n{self.table()}\n>"

    def __str__(self) -> str:
        return self.table()


def latency_text(lat: dict[str, Any]) -> str:
    """An executor's calls in one line: batches, and wall = execution + queue/network."""
    sizes = lat.get("batch_sizes") or []
    split = ("execution not reported" if lat.get("execution_seconds") is None else
             f"execution {_fmt_s(lat['execution_seconds'])} + queue/network "
             f"{_fmt_s(lat['queue_network_seconds'])}")
    retried = sum(a - 1 for a in lat.get("attempts") or [])
    return (f"{lat['calls']} call{'s' * (lat['calls'] != 1)} (circuits per call "
            f"{','.join(map(str, sizes[:12]))}{',...' * (len(sizes) > 12)}), wall "
            f"{_fmt_s(lat['wall_seconds'])} = {split}"
            + (f", {retried} retr{'ies' if retried != 1 else 'y'}" if retried else ""))


def plan_text(plan: dict[str, Any]) -> str:
    """The statistics pass on an executor: what it was estimated to cost, what it spent."""
    caps = [f"{k.removeprefix('max_')} <= {plan[k]:g}" for k in ("max_shots", "max_seconds")
            if plan.get(k) is not None]
    text = (f"statistics pass: {plan['trials_planned']} of {plan['trials_asked']} trials "
            f"(estimated {plan['estimated_shots']} shots, {_fmt_s(plan['estimated_seconds'])}"
            f"{'; cap ' + ', '.join(caps) if caps else ''})")
    if "spent_shots" in plan:
        text += (f", spent {plan['spent_shots']} shots, {_fmt_s(plan['spent_call_seconds'])} "
                 f"in executor calls ({_fmt_s(plan['spent_seconds'])} with the analysis)")
    return text


def _num(x: float | None) -> str:
    """3 significant figures; thousands with separators; "-" for a missing value."""
    if x is None or not math.isfinite(x):
        return "-"
    if abs(x) < 1e3:
        return f"{x:.3g}"
    return f"{x:,.0f}" if abs(x) < 1e6 else f"{x:.2e}"


def _theory(value: float, bound: str | None) -> str:
    """A theory value with its label's mark: ~ approximate, <= upper, >= lower bound."""
    return {"approximate": "~", "upper": "<=", "lower": ">="}.get(bound or "", "") + _num(value)


def _fmt_s(seconds: float) -> str:
    """Seconds to 3 significant figures, in s, ms or us."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3)):
        if seconds >= scale:
            return f"{seconds / scale:#.3g}".rstrip(".") + unit
    return f"{seconds * 1e6:.0f}us"


def _columns(cols: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
                     for row in [cols, *rows])


def answer_table(answer: Answer, with_qpu: bool) -> str:
    """The ranking as text: cheapest first, units named, then the sentence saying why."""
    from .answer import NO_STATISTICS, REACHES, count

    target = answer.target
    if target.error is None:
        return answer.sentence
    cols = [" #  strategy", "shots to E", *(["QPU s"] if with_qpu else []), "RMSE@run",
            "M (95% CI)", "theory", "pays off"]
    rows = []
    for k, e in enumerate(answer.entries):
        m = e.multiplier
        be = e.breakeven_shots
        rows.append([
            f"{k + 1 if e.status == REACHES else '-':>2}  {e.strategy}",
            count(e.shots_to_target) if e.shots_to_target is not None else e.status,
            *([_num(e.qpu_seconds_to_target) if e.qpu_seconds_to_target is not None else "-"]
              if with_qpu else []),
            "-" if e.rmse is None or e.status == NO_STATISTICS else f"{e.rmse:.3g}",
            f"{_num(m['estimate'])} ({_num(m['ci_low'])}-{_num(m['ci_high'])})" if m else "-",
            "-" if e.theory_multiplier is None else _theory(e.theory_multiplier, e.theory_bound),
            count(be) if isinstance(be, float)
            else {"undetermined": "unresolved"}.get(str(be), str(be or "-")),
        ])
    legend = ("shots to E: total shots per estimate (calibration included) for RMSE <= E "
              "(unresolved: the bias is above E, its 95% interval not wholly)"
              + ("; QPU s: projected seconds (job overhead once)" if with_qpu else "")
              + "; RMSE@run: at the run's total shots (below), observable units; M: "
              "equal-precision shot multiplier, theory its closed form (~ approximate, <= upper "
              "bound); pays off: total shots above which the RMSE beats unmitigated "
              "(unresolved: the bias difference is within its interval)")
    return "\n".join([
        f"Answer, cheapest first: total shots to reach RMSE E = {target.error:.3g} "
        f"({target.source})",
        _columns(cols, rows), *textwrap.wrap(legend, 96), *textwrap.wrap(answer.sentence, 96)])


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf become None, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
