"""Run one profile: the unmitigated baseline and every strategy, timed by phase.

The timed pass executes exactly what a user's mitigated run would execute:
Mitiq's construction, translation to the simulator, one batched simulator
call per round (calibration circuits in a call of their own, as REM users
calibrate before they mitigate), and Mitiq's combination.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from math import inf, isfinite
from typing import Any

import numpy as np

from .backends import MAX_DENSITY_QUBITS, Backend, compile_distinct, get_backend
from .circuits import Workload, resolve
from .errors import MitprofError, SpecError
from .lowering import forget_translations, is_measurement
from .measure import CLASSICAL_PHASE, PHASES, PhaseClock, now
from .measured import latency_summary
from .noise import Noise, NoiseModel
from .result import ProfileResult, StrategyResult
from .seeds import check_seed, derive_seed
from .techniques import Estimate, Job, StrategySpec, parse_strategies
from .techniques.base import Prediction

DEFAULT_STRATEGIES = ("zne", "pec", "rem")
# 100 trials: a variance ratio to about +-40% (95%), a bias to 0.4 sigma of one estimate
DEFAULT_TRIALS = 100
# A strategy whose equal-precision multiplier is predicted above this (PEC: gamma^2) needs
# more than a million times the unmitigated shots for the same precision: its statistics
# pass (trials x samples x circuits) is skipped unless forced, with a warning.
COST_LIMIT = 1e6


@dataclass
class EstimateRun:
    """One executed estimate: its value, its jobs, and its phase clock."""

    estimate: Estimate
    value: float
    clock: PhaseClock
    simulator_seconds: float | None
    calls: list[Any] | None = None  # an executor's calls (backends.executor.Call)


def run_estimate(spec: StrategySpec, workload: Workload, noise: NoiseModel, backend: Backend,
                 shots: int, seed: int) -> EstimateRun:
    rng = np.random.default_rng(seed)
    est = spec.strategy.start(workload.observable.groups, workload.circuit, workload.n_qubits,
                              noise, shots, rng)
    clock = PhaseClock()
    sim_total: float | None = None
    done, round_no = False, 0
    while not done:
        with clock.phase("construct"):
            jobs = est.construct()
        for name, seconds in est.circuit.phase_seconds.items():  # classical work apart
            clock.add("construct", -seconds)
            clock.add(name, seconds)
        bits: list[np.ndarray | None] = [None] * len(jobs)
        for role, phase in (("calibration", "calibration"), ("main", None)):
            idx = [i for i, j in enumerate(jobs) if j.role == role]
            if not idx:
                continue
            out, sim = _execute([jobs[i] for i in idx], noise, backend, workload.n_qubits,
                                derive_seed(seed, round_no, role), clock, phase)
            for k, i in enumerate(idx):
                bits[i] = out[k]
            if sim is not None:
                sim_total = (sim_total or 0.0) + sim
        with clock.phase("combine"):
            done = est.combine([b for b in bits if b is not None])
        round_no += 1
    take = getattr(backend, "take_calls", None)  # executors log their calls
    return EstimateRun(est, est.value, clock, sim_total, take() if take else None)


def _execute(jobs: list[Job], noise: NoiseModel, backend: Backend, n_qubits: int, seed: int,
             clock: PhaseClock, phase: str | None) -> tuple[list[np.ndarray], float | None]:
    """Insert noise, translate and run a batch; calibration batches are timed as one phase
    of their own."""
    own = backend.capabilities.own_noise  # an executor: its noise is the device's
    with clock.phase(phase or "compile"):
        compiled = compile_distinct(backend, [j.circuit for j in jobs], n_qubits,
                                    None if own else noise)
    with clock.phase(phase or "execute"):
        out = backend.run(compiled, [j.shots for j in jobs], seed)
    return out.bits, out.simulator_seconds


def noisy_value_exact(workload: Workload, probabilities: Any) -> float:
    """<O> under the noise (readout included) without shot noise, from exact distributions
    (`probabilities`: an ExactSampler's, so the statistics pass reuses the simulations)."""
    return float(sum(g.expectation_from_probabilities(probabilities(g.measure_in(workload.circuit)))
                     for g in workload.observable.groups))


def count_jobs(jobs: Sequence[Job]) -> dict[str, Any]:
    import cirq

    main = [j for j in jobs if j.role == "main"]
    cal = [j for j in jobs if j.role == "calibration"]
    counted: dict[int, int] = {}  # per circuit object (PEC's repeated samples share one)
    for j in main:
        if id(j.circuit) not in counted:
            counted[id(j.circuit)] = sum(1 for op in j.circuit.all_operations()
                                         if not is_measurement(op))
    gates = [counted[id(j.circuit)] for j in main]
    return {
        "n_circuits": len(jobs),
        "n_distinct_circuits": len({cirq.FrozenCircuit(j.circuit) for j in jobs}),
        "total_shots": int(sum(j.shots for j in jobs)),
        "calibration_circuits": len(cal),
        "calibration_shots": int(sum(j.shots for j in cal)),
        "gates_per_circuit": float(np.mean(gates)) if gates else 0.0,
    }


def prepare(spec: StrategySpec, workload: Workload, noise: NoiseModel, sampler: Any,
            shots: int) -> StrategySpec:
    """A strategy's options rewritten from exact distributions before it runs, where its
    technique asks for it (ZNE split=optimal: the shot split from the exact sigma_i)."""
    technique = spec.strategy.circuit
    if not technique.needs_prepare():
        return spec
    est = spec.strategy.start(workload.observable.groups, workload.circuit, workload.n_qubits,
                              noise, shots, np.random.default_rng(derive_seed("split",
                                                                              spec.options)))
    est.construct()
    overrides = technique.prepare(est, sampler.probabilities)
    return spec.with_options(overrides) if overrides else spec


# ---------------------------------------------------------------- argument checks


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float | np.integer | np.floating)
            and not isinstance(value, bool) and isfinite(float(value)))


def _check_arguments(observable: Any, backend: Any, p1: Any, readout: Any, strategies: Any,
                     timeout: Any) -> None:
    """Wrong types of `profile`'s arguments, named, as SpecErrors (not TypeErrors from deep
    inside the run)."""
    if observable is not None and not isinstance(observable, str):
        raise SpecError(f"observable must be a Pauli string such as 'ZZ', got {observable!r}")
    if not isinstance(backend, str):
        raise SpecError(f"backend must be a backend name such as 'aer' (`mitprof list "
                        f"backends`), got {backend!r}")
    if p1 is not None and not _is_number(p1):
        raise SpecError(f"p1 must be a number in [0, 1), got {p1!r}")
    if readout is not None:
        pair = isinstance(readout, tuple | list) and len(readout) == 2
        if not (_is_number(readout) or (pair and all(_is_number(x) for x in readout))):
            raise SpecError(f"readout must be a number P or a pair (P01, P10), got {readout!r}")
    if timeout is not None and not (_is_number(timeout) and timeout > 0):
        raise SpecError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not isinstance(strategies, str | StrategySpec) and (
            not isinstance(strategies, Iterable)
            or not all(isinstance(s, str | StrategySpec) for s in strategies)):
        raise SpecError(f"strategies must be a list of strategy specs such as 'zne', got "
                        f"{strategies!r}")


def _check_limits(workload: Workload, specs: Sequence[StrategySpec], noise: NoiseModel,
                  shots: int, repeats: int, trials: int) -> None:
    """Size the request before anything runs (`mitprof.limits`)."""
    from . import limits

    n_1q = n_2q = 0
    for op in workload.circuit.all_operations():
        n_1q += len(op.qubits) == 1
        n_2q += len(op.qubits) >= 2
    limits.check_circuit(workload.name, workload.n_qubits, n_1q + n_2q)
    groups = workload.observable.groups
    limits.check_profile(specs, workload.n_qubits, len(groups), (n_1q, n_2q),
                         (float(getattr(noise, "p1", 0.0)), float(getattr(noise, "p2", 0.0))),
                         shots, repeats, trials, max(len(g.measured_qubits) for g in groups))


def _with_timeout(fn: Callable[..., ProfileResult]) -> Callable[..., ProfileResult]:
    """`profile(..., timeout=SECONDS)`: the whole profile under `measure.deadline`; running
    over it is a MitprofError (a sweep gives its points their deadline itself)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> ProfileResult:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        timeout = bound.arguments.get("timeout")
        if timeout is None:
            return fn(*args, **kwargs)
        if not (_is_number(timeout) and timeout > 0):
            raise SpecError(f"timeout must be a positive number of seconds, got {timeout!r}")
        from .measure import PointTimeout, deadline

        try:
            with deadline(float(timeout)):
                return fn(*args, **kwargs)
        except PointTimeout:
            raise MitprofError(f"timed out after {timeout:g} s (--timeout)") from None

    return wrapper


def _unstable_fit(pred: Prediction, ok: int, total: int) -> Prediction:
    """No theory value where the fit failed on some trials. The first-order (delta-method)
    theory linearises the fit at the exact values; shot noise that can push the fit past
    failure is outside that regime, and the surviving estimates carry the near-failure
    outliers (measured: M 10^2-10^7x above it on exp fits). Its value is kept for reference."""
    return Prediction(None, f"no theory value: the fit failed on {total - ok} of {total} "
                            "trials, so shot noise moves it out of the first-order regime the "
                            "delta method describes (M is measured conditional on success; the "
                            f"first-order value, {pred.multiplier:.4g}, is in theory_details)",
                      extra={**pred.extra, "first_order_multiplier": pred.multiplier})


@_with_timeout
def profile(
    circuit: Any,
    observable: Any = None,
    backend: str = "aer",
    noise: Any = None,
    strategies: Sequence[str | StrategySpec] = DEFAULT_STRATEGIES,
    shots: int = 1000,
    seed: int = 0,
    repeats: int = 3,
    p1: float | None = None,
    readout: float | tuple[float, float] | None = None,
    trials: int = DEFAULT_TRIALS,
    hardware: Any = None,
    target_error: float | None = None,
    budgets: Sequence[int] = (),
    force: bool = False,
    observable_order: str | None = None,
    timeout: float | None = None,
    device: str | None = None,
    noise_scale: float = 1.0,
    coherent: str | None = None,
    idle_noise: bool = True,
    executor: Any = None,
    max_shots: int | None = None,
    max_seconds: float | None = None,
    progress: bool | None = False,
) -> ProfileResult:
    """Profile mitigation strategies on one circuit, observable, noise model and simulator.

    `observable`: a Pauli string or weighted sum, read in `observable_order` ("cirq":
    character i is qubit i, the default; "qiskit": the last character is qubit 0; required
    for a QuantumCircuit when the two readings differ), or a SparsePauliOp, Pauli,
    cirq.PauliString/PauliSum or mitiq.Observable (each in its own library's convention).
    `noise` is the 2-qubit depolarizing probability (Cirq convention, default 0.01) or a
    noise model (`mitprof.noise.NoiseModel`, e.g. a `Noise`);
    `p1` and `readout` override the default ratios. `device` (a name from
    `mitprof.devices.device_names()`, e.g. "sherbrooke", or "generic:n=5,p2=0.01") instead
    routes the circuit onto the device's coupling map and runs it under the device's
    calibrated noise (`mitprof.noise.device`) on its active qubits; `noise_scale` multiplies
    its error rates and divides T1/T2, `coherent="zz:RAD"` adds a residual ZZ rotation after
    every 2-qubit gate, `idle_noise=False` leaves idle qubits noiseless.
    `shots` is shots per circuit.
    Timings are medians over `repeats` timed runs after one warm-up run. `trials`
    independent estimates per strategy (statistics pass) give the variance
    multipliers, biases and their bootstrap intervals; 0 skips them. `hardware`
    (a preset name or parameters) projects QPU time; `target_error` asks for the
    shots each strategy needs to reach that RMSE; `budgets` adds RMSE at those totals.
    A strategy predicted to cost more than COST_LIMIT times the unmitigated shots at equal
    precision gets a warning and no statistics pass, unless `force`.
    `timeout` (seconds) stops the profile with an error when it runs longer. Requests beyond
    the machine's memory or `mitprof.limits` are refused before anything runs.
    `executor` (a Mitiq-compatible function, or "package.module:function"; also
    `backend="executor:..."` or `backend="ibm_runtime:DEVICE"`) runs the circuits under its
    own noise (`mitprof.backends.executor`): no noise is inserted, every call is timed, and
    the statistics pass re-runs trials on it, planned before it starts and capped by
    `max_shots` / `max_seconds` (fewer trials, or none, where the plan exceeds them).
    `progress`: a bar on stderr (None: when stderr is a terminal; a sweep's points show
    none).
    """
    _check_arguments(observable=observable, backend=backend, p1=p1, readout=readout,
                     strategies=strategies, timeout=timeout)
    if not _is_int(shots) or shots <= 0:
        raise SpecError(f"shots must be a positive integer, got {shots!r}")
    if not _is_int(repeats) or repeats < 1:
        raise SpecError(f"repeats must be a positive integer, got {repeats!r}")
    if not _is_int(trials) or trials < 0 or trials == 1:
        raise SpecError(f"trials must be 0 (no statistics) or at least 2, got {trials!r}")
    seed = check_seed(seed)
    if target_error is not None and not (_is_number(target_error) and 0 < target_error < inf):
        raise SpecError(f"target error must be a positive number, got {target_error!r}")
    budgets = () if budgets is None else budgets
    if isinstance(budgets, str | bytes) or not isinstance(budgets, Iterable):
        raise SpecError(f"budgets must be a list of positive integers, got {budgets!r}")
    budgets = list(budgets)
    if any(not _is_int(b) or b <= 0 for b in budgets):
        raise SpecError(f"shot budgets must be positive integers, got {budgets}")
    if isinstance(strategies, str | StrategySpec):
        strategies = [strategies]
    if isinstance(readout, list):
        readout = (readout[0], readout[1])
    routing = None
    from . import measured
    from .backends.registry import is_own_noise

    own = (measured.own_backend(executor, backend)
           if executor is not None or is_own_noise(backend) else None)
    if own is not None and strategies is DEFAULT_STRATEGIES:
        strategies = measured.OWN_NOISE_STRATEGIES  # the defaults that need no noise model
    specs = parse_strategies(["unmitigated", *[s for s in strategies if str(s) != "unmitigated"]])
    measured.check_caps(max_shots, max_seconds, own, trials)
    if own is not None:
        from .backends.executor import OwnNoise

        measured.check_own_noise(own, specs, noise, p1, readout, device, noise_scale, coherent,
                                 idle_noise, hardware)
        nz: NoiseModel = OwnNoise(own.name)
    elif device is None:
        if noise_scale != 1.0 or coherent or not idle_noise:
            raise SpecError("noise_scale, coherent and idle_noise apply to device noise: give a "
                            "device (--device)")
        nz = (noise if isinstance(noise, NoiseModel)
              else Noise.from_level(0.01 if noise is None else noise, p1=p1, readout=readout))
    elif noise is not None or p1 is not None or readout is not None:
        raise SpecError("a device brings its own noise: leave out noise, p1 and readout "
                        "(noise_scale scales the device's error rates)")
    hw = None
    if hardware is not None:
        from .hardware import get_model

        hw = get_model(hardware)
    workload = resolve(circuit, observable, observable_order)
    logical = workload
    if own is not None:
        workload, routing = own.place(workload)  # a device backend routes onto its map
    if device is not None:
        from .devices import get_device, route
        from .noise.device import DeviceNoise

        cal = get_device(device)
        coherent_zz = DeviceNoise.parse_coherent(coherent)
        if isinstance(noise_scale, bool) or not isinstance(noise_scale, int | float) \
                or not noise_scale > 0:
            raise SpecError(f"noise_scale must be a positive number, got {noise_scale!r}")
        workload, route_info = route(workload, cal)
        routing = route_info.to_dict()
        nz = DeviceNoise(cal, route_info.layout, float(noise_scale), coherent_zz,
                         bool(idle_noise))
        if str(backend).partition(":")[0] == "stim":  # Pauli channels only: labelled approximate
            from .noise.twirl import PauliTwirled

            nz = PauliTwirled(nz)
    _check_limits(workload, specs, nz, shots, repeats, trials)
    be = own if own is not None else get_backend(backend)
    from . import exact
    from .lowering import is_clifford
    from .trials import ExactSampler, simulator_executor

    method = be.choose(workload.n_qubits, is_clifford(workload.circuit))  # capacity check
    ref = exact.compute(logical)  # the ideal value needs no routing
    exact_dists = be.exact_available(workload.n_qubits)
    sampler = ExactSampler(be, nz, workload.n_qubits) if exact_dists else None
    noisy = noisy_value_exact(workload, sampler.probabilities) if sampler else None
    if sampler is not None and routing is not None:
        routing.update(_routing_share(route_info.swap_free, workload, noisy, ref.value, sampler))
    if sampler is not None:
        specs = [prepare(s, workload, nz, sampler, shots) for s in specs]
    else:
        for s in specs:
            if s.strategy.circuit.needs_prepare():
                raise SpecError(f"{s.label} needs exact output distributions "
                                f"(density matrix, at most {MAX_DENSITY_QUBITS} qubits)")

    checks = [preflight(spec, workload, nz) for spec in specs]
    skip = [not force and c[0] is not None and c[0] > COST_LIMIT for c in checks]
    rows = []
    from .progress import Progress

    bar = Progress("profile", len(specs) + (trials > 0) * skip.count(False), unit="passes",
                   enabled=progress)
    plan = None
    try:
        for spec, (cost, warns), skipped in zip(specs, checks, skip, strict=True):
            if skipped:
                warns = [*warns, f"predicted equal-precision multiplier {cost:.3g} exceeds "
                                 f"{COST_LIMIT:.0e}: statistics pass skipped (force=True or "
                                 "--force to run it)"]
            bar.describe(f"{spec.label}: {repeats + 1} timed runs")
            row = _timed(spec, workload, nz, be, shots,
                         derive_seed(seed, spec.name, spec.options), repeats)
            bar.update()
            row["predicted_multiplier"], row["warnings"] = cost, warns
            rows.append(row)
        if trials and own is not None:  # re-run on the device: planned, then capped
            plan = measured.plan_statistics(rows, skip, trials, max_shots, max_seconds)
            measured.announce(own, plan)
            trials = plan["trials_planned"]
        if trials:
            run = sampler or simulator_executor(be, None if own else nz, workload.n_qubits)
            if own is None:
                _statistics(rows, specs, workload, nz, run, sampler, shots, seed, trials,
                            ref.value, target_error, budgets, skip, bar)
            else:
                assert plan is not None
                measured.capped_statistics(own, plan, rows, lambda: _statistics(
                    rows, specs, workload, nz, run, sampler, shots, seed, trials, ref.value,
                    target_error, budgets, skip, bar))
        elif plan is not None:
            for row in rows:
                row["statistics_error"] = (f"statistics pass not run: {plan['trials_asked']} "
                                           f"trials need ~{plan['estimated_shots_asked']} shots "
                                           f"and ~{plan['estimated_seconds_asked']:.3g} s, over "
                                           "the cap")
    finally:
        bar.close()
    if hw is not None:
        hw = hw.on_device(nz)  # a device's own gate and readout durations
        _hardware(rows, hw, workload, ref.seconds, target_error)

    base = rows[0]
    base_err = abs(base["value"] - ref.value)
    results = []
    for r in rows:
        err = abs(r["value"] - ref.value)
        r.pop("_run")
        results.append(StrategyResult(
            abs_error=err,
            improvement=None if r is base or err == 0 else base_err / err,
            shot_multiplier=r["total_shots"] / base["total_shots"],
            wall_overhead=r["wall_seconds"] / base["wall_seconds"],
            classical_ratio=r["wall_seconds"] / ref.seconds,
            **r,
        ))
    return ProfileResult(
        circuit=workload.name, observable=str(workload.observable),
        n_qubits=workload.n_qubits, depth=workload.depth, n_gates=workload.n_gates,
        backend=be.name, shots=shots, seed=seed, repeats=repeats, noise=nz.to_dict(),
        ideal_value=ref.value, noisy_value_exact=noisy, classical_seconds=ref.seconds,
        classical_method=ref.method, results=tuple(results), trials=trials,
        simulation_method=method,
        hardware=hw.to_dict() if hw else None, environment=environment(), routing=routing,
        executor=own.describe() if own is not None else None, statistics_plan=plan,
        target_error=None if target_error is None else float(target_error),
    )


def _routing_share(swap_free: Any, workload: Workload, noisy: Any, ideal: float,
                   sampler: Any) -> dict[str, Any]:
    """Routing's share of the unmitigated (exact, readout included) error: the fraction that
    goes away when the SWAPs' gates run without noise (their time with them)."""
    if swap_free is None:
        return {"swap_error_share": 0.0}
    free = noisy_value_exact(Workload(workload.name, swap_free, workload.observable),
                             sampler.probabilities)
    err = abs(noisy - ideal)
    return {"noisy_value_without_swap_noise": free,
            "swap_error_share": None if err == 0 else 1.0 - abs(free - ideal) / err}


def preflight(spec: StrategySpec, workload: Workload, noise: NoiseModel
              ) -> tuple[float | None, list[str]]:
    """Before anything runs: a cheap predicted multiplier (None where there is no cheap one)
    and the configuration's warnings."""
    strategy = spec.strategy
    groups = workload.observable.groups
    logicals = [g.rotate(workload.circuit) for g in groups]
    parts = [strategy.circuit.cost_estimate(logicals, noise),
             strategy.readout.cost_estimate(groups, noise)]
    known = [x for x in parts if x is not None]
    cost = float(np.prod(known)) if known else None
    return cost, strategy.circuit.warnings(noise)


# (strategy configuration, backend) pairs already warmed up in this process
_WARM: set[tuple[str, str]] = set()


def _timed(spec: StrategySpec, workload: Workload, noise: NoiseModel, be: Backend, shots: int,
           seed: int, repeats: int) -> dict[str, Any]:
    """The timed pass: `repeats` identical seeded runs, medians reported. The first run of
    a configuration in a process is a discarded warm-up (imports, first-call caches); a
    sweep pays it once per worker, not once per point (as pyperf does)."""
    key = (str(spec), be.name)
    own = be.capabilities.own_noise
    if key not in _WARM and not own:  # an executor's runs cost device time: none discarded
        run_estimate(spec, workload, noise, be, shots, seed)
        _WARM.add(key)
    runs = []
    for _ in range(repeats):
        forget_translations()  # every timed run translates its circuits, as a user's run does
        runs.append(run_estimate(spec, workload, noise, be, shots, seed))
    first = runs[0]
    phases = {k: float(np.median([r.clock.seconds.get(k, 0.0) for r in runs]))
              for k in (*PHASES, "calibration", CLASSICAL_PHASE)}
    walls = [sum(r.clock.seconds.values()) for r in runs]
    sims = [r.simulator_seconds for r in runs if r.simulator_seconds is not None]
    details = spec.strategy.details(first.estimate)
    return {
        "strategy": first.estimate.strategy.label, "name": spec.name,
        "value": first.value, **count_jobs(first.estimate.history),
        "phase_seconds": {k: v for k, v in phases.items() if v > 0 or k in PHASES},
        "simulator_seconds": float(np.median(sims)) if sims else None,
        "wall_seconds": float(np.median(walls)),
        "wall_seconds_iqr": float(np.subtract(*np.percentile(walls, [75, 25]))),
        "details": details, "_run": first,
        **({"latency": latency_summary([r.calls or [] for r in runs])} if own else {}),
    }


def _statistics(rows: list[dict[str, Any]], specs: list[StrategySpec], workload: Workload,
                noise: NoiseModel, executor: Any, sampler: Any, shots: int, seed: int, trials: int,
                ideal: float, target_error: float | None, budgets: Sequence[int],
                skip: Sequence[bool] = (), bar: Any = None) -> None:
    """The statistics pass: trials (from exact distributions where they exist, else
    re-simulated), intervals, and theory (which needs exact distributions)."""
    from .observables import shared_measurements

    with shared_measurements():  # trials and theory measure the same pooled circuits
        _statistics_rows(rows, specs, workload, noise, executor, sampler, shots, seed, trials,
                         ideal, target_error, budgets, skip, bar)


def _statistics_rows(rows: list[dict[str, Any]], specs: list[StrategySpec], workload: Workload,
                     noise: NoiseModel, executor: Any, sampler: Any, shots: int, seed: int,
                     trials: int, ideal: float, target_error: float | None,
                     budgets: Sequence[int], skip: Sequence[bool], bar: Any) -> None:
    from . import stats
    from .predict import baseline_sigma2
    from .trials import run_trials

    sigma0_2 = baseline_sigma2(workload, sampler.probabilities) if sampler else None
    from scipy.stats import binomtest


    sets: list[Any] = []  # TrialSet, or None where skipped
    bound = float(sum(abs(c) for c, _ in workload.observable.terms))  # |<O>| <= sum |c_k|
    for k, (spec, row) in enumerate(zip(specs, rows, strict=True)):
        if k < len(skip) and skip[k]:
            sets.append(None)
            continue
        if bar is not None:
            bar.describe(f"{spec.label}: {trials} trials")
        t0 = now()
        ts = run_trials(spec, workload, noise, shots,
                        derive_seed(seed, spec.name, spec.options, "stats"), trials, executor)
        row["stats_seconds"] = now() - t0
        sets.append(ts)
        if bar is not None:
            bar.update()
    assert sets[0] is not None  # the baseline is never skipped (its cost is 1)
    base_vals, base_n = sets[0].ok, rows[0]["total_shots"]
    # every unmitigated trial alike (no noise on a stabilizer state): no ratio to it exists
    base_constant = len(base_vals) >= 2 and float(np.ptp(base_vals)) == 0.0
    base_model = stats.ErrorModel.from_trials(base_vals, ideal, base_n)
    for k, (row, ts) in enumerate(zip(rows, sets, strict=True)):
        if ts is None:
            row["statistics_error"] = ("skipped: predicted equal-precision multiplier "
                                       f"{row['predicted_multiplier']:.3g} exceeds {COST_LIMIT:.0e}"
                                       " (force=True or --force to run it)")
            continue
        vals, n = ts.ok, row["total_shots"]
        s = derive_seed(seed, row["strategy"], "bootstrap")
        row["trials"] = int(len(vals))
        failed = int(len(ts.values) - len(vals))
        row["failed_trials"] = failed
        # a failure rate is part of the cost: exact (Clopper-Pearson) 95% interval
        ci = binomtest(failed, len(ts.values)).proportion_ci(0.95, method="exact")
        row["failure_rate"] = {"estimate": failed / len(ts.values), "ci_low": float(ci.low),
                               "ci_high": float(ci.high)}
        row["multiplier_conditional_on_success"] = failed > 0
        # estimates no state can have: |estimate| above sum_k |c_k| of the observable
        row["out_of_bounds_trials"] = int(np.sum(np.abs(vals) > bound * (1 + 1e-9)))
        row["observable_bound"] = bound
        # every trial's raw estimate (null where it failed): intervals recomputable from the store
        row["trial_values"] = [float(v) if np.isfinite(v) else None for v in ts.values]
        if len(vals) < 2:
            row["statistics_error"] = "fewer than two successful trials"
            continue
        vm = None if base_constant else stats.variance_multiplier(vals, n, base_vals, base_n, s)
        row["variance_multiplier"] = None if vm is None else vm.to_dict()
        if vm is None:
            row["variance_multiplier_reason"] = ZERO_VARIANCE
        row["bias"] = stats.mean_interval(vals, s, shift=ideal).to_dict()
        row["rmse"] = stats.rmse(vals, ideal)
        pred = _prediction(row, ts, workload, noise, sampler, sigma0_2)
        if failed and pred.multiplier is not None:
            pred = _unstable_fit(pred, len(vals), len(ts.values))
        row["theory_multiplier"] = pred.multiplier
        row["theory_reason"] = pred.reason
        if pred.optimal_split is not None:
            row["theory_multiplier_optimal_split"] = pred.optimal_split
        row["theory_details"] = pred.extra
        row["theory_bound"] = pred.label
        row["theory_relative_se"] = pred.relative_se
        row["consistent"] = None if vm is None else pred.consistent_with(vm.ci_low, vm.ci_high,
                                                                         vm.estimate)
        row["floor"] = pred.floor
        row["floor_violated"] = (pred.floor is not None and vm is not None
                                 and vm.ci_high < pred.floor)
        model = stats.ErrorModel.from_trials(vals, ideal, n)
        row["sigma2_per_shot"] = model.sigma2
        if k == 0:
            row["breakeven_shots"], row["breakeven_reason"] = None, "baseline"
        else:
            gap = stats.bias2_gap(vals, base_vals, ideal, s)
            row["breakeven_shots"], row["breakeven_reason"] = stats.breakeven(
                model, base_model, gap)
        if target_error is not None:
            row["shots_for_error"] = model.shots_for(target_error)
        row["rmse_at_budget"] = {str(b): model.rmse_at(b) for b in (n, *budgets)}


ZERO_VARIANCE = ("the unmitigated estimator has zero variance here (every outcome gives the "
                 "same value, e.g. without noise): a multiplier relative to it is undefined")


def _prediction(row: dict[str, Any], ts: Any, workload: Workload, noise: NoiseModel,
                sampler: Any, sigma0_2: float | None) -> Any:
    """The theory value, or None with the reason where it does not exist (no exact
    distributions; a zero baseline variance, which every multiplier divides by)."""
    from .predict import Prediction, predict

    if sampler is None or sigma0_2 is None:
        return Prediction(None, "no exact output distributions at this width: trials were "
                                "re-simulated and theory values need exact distributions")
    if not sigma0_2 > 0:
        return Prediction(None, ZERO_VARIANCE)
    try:
        pred = predict(row["_run"].estimate, ts.estimates, workload, noise,
                       sampler.probabilities, sigma0_2)
    except ZeroDivisionError as exc:
        return Prediction(None, f"the theory divides by zero here ({exc})")
    if pred.multiplier is not None and not np.isfinite(pred.multiplier):
        return Prediction(None, f"the theory is not finite here ({pred.multiplier})")
    return pred


def _hardware(rows: list[dict[str, Any]], hw: Any, workload: Workload,
              classical_seconds: float, target_error: float | None) -> None:
    from .hardware import project

    for row in rows:
        est = row["_run"].estimate
        qpu = project([(j.circuit, j.shots) for j in est.history], hw, workload.n_qubits)
        row["projected_qpu_seconds"] = qpu
        row["qpu_vs_classical"] = qpu / classical_seconds
        row.update(est.strategy.hardware_extras(est, row, rows[0], hw, target_error))


def environment() -> dict[str, Any]:
    import os
    import platform
    from importlib.metadata import version

    from . import __version__

    pkgs: dict[str, str | None] = {"mitprof": __version__}
    for p in ("mitiq", "qiskit", "qiskit-aer", "cirq-core", "stim", "numpy", "scipy"):
        try:
            pkgs[p] = version(p)
        except Exception:
            pkgs[p] = None
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "packages": pkgs}
