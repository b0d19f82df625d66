"""Run one profile: the unmitigated baseline and every strategy, timed by phase.

The timed pass executes exactly what a user's mitigated run would execute:
Mitiq's construction, translation to the simulator, one batched simulator
call per round (calibration circuits in a call of their own, as REM users
calibrate before they mitigate), and Mitiq's combination.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backends import Backend, get_backend
from .circuits import Workload, resolve
from .errors import SpecError
from .measure import PHASES, PhaseClock
from .noise import Noise
from .result import ProfileResult, StrategyResult
from .strategies import PEC, ZNE, Estimate, Job, StrategySpec, parse_strategies

DEFAULT_STRATEGIES = ("zne", "pec", "rem")


def derive_seed(*parts: object) -> int:
    """A stable 63-bit seed from any labels (never Python's salted hash)."""
    words = [zlib.crc32(str(p).encode()) for p in parts]
    return int(np.random.SeedSequence(words).generate_state(1, dtype=np.uint64)[0] >> 1)


@dataclass
class EstimateRun:
    """One executed estimate: its value, its jobs, and its phase clock."""

    estimate: Estimate
    value: float
    clock: PhaseClock
    simulator_seconds: float | None


def run_estimate(spec: StrategySpec, workload: Workload, noise: Noise, backend: Backend,
                 shots: int, seed: int) -> EstimateRun:
    rng = np.random.default_rng(seed)
    est = Estimate(spec, workload.observable.groups, workload.circuit, workload.n_qubits,
                   noise, shots, rng)
    clock = PhaseClock()
    sim_total: float | None = None
    done, round_no = False, 0
    while not done:
        with clock.phase("construct"):
            jobs = est.construct()
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
    return EstimateRun(est, est.value, clock, sim_total)


def _execute(jobs: list[Job], noise: Noise, backend: Backend, n_qubits: int, seed: int,
             clock: PhaseClock, phase: str | None) -> tuple[list[np.ndarray], float | None]:
    """Translate and run a batch; calibration batches are timed as one phase of their own."""
    with clock.phase(phase or "compile"):
        compiled = backend.compile([noise.apply(j.circuit) for j in jobs], n_qubits)
    with clock.phase(phase or "execute"):
        out = backend.run(compiled, [j.shots for j in jobs], seed)
    return out.bits, out.simulator_seconds


def noisy_value_exact(workload: Workload, noise: Noise, backend: Backend) -> float:
    """<O> under the noise (readout included) without shot noise, from exact distributions."""
    total = 0.0
    for g in workload.observable.groups:
        probs = backend.probabilities(noise.apply(g.measure_in(workload.circuit)),
                                      workload.n_qubits)
        total += g.expectation_from_probabilities(probs)
    return total


def count_jobs(jobs: Sequence[Job]) -> dict[str, Any]:
    import cirq

    main = [j for j in jobs if j.role == "main"]
    cal = [j for j in jobs if j.role == "calibration"]
    gates = [sum(1 for op in j.circuit.all_operations() if not cirq.is_measurement(op))
             for j in main]
    return {
        "n_circuits": len(jobs),
        "n_distinct_circuits": len({cirq.FrozenCircuit(j.circuit) for j in jobs}),
        "total_shots": int(sum(j.shots for j in jobs)),
        "calibration_circuits": len(cal),
        "calibration_shots": int(sum(j.shots for j in cal)),
        "gates_per_circuit": float(np.mean(gates)) if gates else 0.0,
    }


def profile(
    circuit: Any,
    observable: str | None = None,
    backend: str = "aer",
    noise: Any = 0.01,
    strategies: Sequence[str | StrategySpec] = DEFAULT_STRATEGIES,
    shots: int = 1000,
    seed: int = 0,
    repeats: int = 3,
    p1: float | None = None,
    readout: float | tuple[float, float] | None = None,
) -> ProfileResult:
    """Profile mitigation strategies on one circuit, observable, noise model and simulator.

    `noise` is the 2-qubit depolarizing probability (Cirq convention) or a `Noise`;
    `p1` and `readout` override the default ratios. `shots` is shots per circuit.
    Timings are medians over `repeats` timed runs after one warm-up run.
    """
    if not isinstance(shots, int) or isinstance(shots, bool) or shots <= 0:
        raise SpecError(f"shots must be a positive integer, got {shots!r}")
    if not isinstance(repeats, int) or repeats < 1:
        raise SpecError(f"repeats must be a positive integer, got {repeats!r}")
    specs = parse_strategies(["unmitigated", *[s for s in strategies if str(s) != "unmitigated"]])
    nz = noise if isinstance(noise, Noise) else Noise.from_level(noise, p1=p1, readout=readout)
    workload = resolve(circuit, observable)
    be = get_backend(backend)
    be.compile([], workload.n_qubits)  # capacity check before any work

    from . import exact

    ref = exact.compute(workload)
    noisy = noisy_value_exact(workload, nz, be)

    rows: list[dict[str, Any]] = []
    for spec in specs:
        s = derive_seed(seed, spec.name, spec.options)
        run_estimate(spec, workload, nz, be, shots, s)  # warm-up: imports, caches, JIT
        runs = [run_estimate(spec, workload, nz, be, shots, s) for _ in range(repeats)]
        first = runs[0]
        phases = {k: float(np.median([r.clock.seconds.get(k, 0.0) for r in runs]))
                  for k in (*PHASES, "calibration")}
        walls = [sum(r.clock.seconds.values()) for r in runs]
        sims = [r.simulator_seconds for r in runs if r.simulator_seconds is not None]
        layer = first.estimate.strategy.circuit_layer
        details: dict[str, Any] = {"rounds": len({id(j) for j in first.estimate.history})}
        if isinstance(layer, ZNE):
            details.update(scale_factors=list(layer.used_scales), factory=layer.factory,
                           fold=layer.fold)
            if layer.error:
                details["error"] = layer.error
        if isinstance(layer, PEC):
            details.update(gamma=layer.gamma, samples=layer.n_samples(layer.gamma),
                           unrepresented_operations=layer.unrepresented, model=layer.model)
        rows.append({
            "strategy": first.estimate.strategy.label, "name": spec.name,
            "value": first.value, **count_jobs(first.estimate.history),
            "phase_seconds": {k: v for k, v in phases.items() if v > 0 or k in PHASES},
            "simulator_seconds": float(np.median(sims)) if sims else None,
            "wall_seconds": float(np.median(walls)),
            "wall_seconds_iqr": float(np.subtract(*np.percentile(walls, [75, 25]))),
            "details": details,
        })
        del details["rounds"]

    base = rows[0]
    base_err = abs(base["value"] - ref.value)
    results = []
    for r in rows:
        err = abs(r["value"] - ref.value)
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
        classical_method=ref.method, results=tuple(results), environment=environment(),
    )


def environment() -> dict[str, Any]:
    import os
    import platform
    from importlib.metadata import version

    pkgs: dict[str, str | None] = {}
    for p in ("mitprof", "mitiq", "qiskit", "qiskit-aer", "cirq-core", "numpy"):
        try:
            pkgs[p] = version(p)
        except Exception:
            pkgs[p] = None
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "packages": pkgs}
