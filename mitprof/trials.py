"""The statistics pass: many independent trials of one estimator, cheaply.

Each trial redraws everything a real re-run would: Mitiq's construction (PEC
samples, random folds, TREX twirls), shot noise, REM calibration counts and
Mitiq's REM resampling. Only the simulator is replaced: every distinct circuit
is simulated once for its exact output distribution (cached by content) and
shots are drawn from it, which has exactly the distribution of re-running it.
A test compares the two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cirq
import numpy as np

from .backends import Backend
from .circuits import Workload
from .noise import Noise
from .seeds import derive_seed
from .strategies import PEC, Estimate, Job, StrategySpec

Executor = Callable[[list[Job], np.random.Generator], list[np.ndarray]]

# PEC representations per (operation, rate, model), shared by statistics passes in a process
_REPRESENTATIONS: dict[object, object] = {}


class ExactSampler:
    """Exact output distributions of measured canonical circuits, cached by content."""

    def __init__(self, backend: Backend, noise: Noise, n_qubits: int) -> None:
        self.backend, self.noise, self.n_qubits = backend, noise, n_qubits
        self._cache: dict[cirq.FrozenCircuit, np.ndarray] = {}

    def probabilities(self, circuit: cirq.Circuit) -> np.ndarray:
        key = cirq.FrozenCircuit(circuit)
        probs = self._cache.get(key)
        if probs is None:
            probs = self.backend.probabilities(self.noise.apply(circuit), self.n_qubits)
            self._cache[key] = probs
        return probs

    @property
    def distinct(self) -> int:
        return len(self._cache)

    def sample(self, job: Job, rng: np.random.Generator) -> np.ndarray:
        probs = self.probabilities(job.circuit)
        m = int(np.log2(probs.size))
        counts = rng.multinomial(job.shots, probs)
        outcomes = np.repeat(np.arange(probs.size), counts)
        rng.shuffle(outcomes)  # shot order carries no information; keep it exchangeable anyway
        return ((outcomes[:, None] >> np.arange(m - 1, -1, -1)) & 1).astype(np.uint8)

    def prefetch(self, circuits: list[cirq.Circuit]) -> None:
        """Simulate every not-yet-cached circuit in one backend call where it can batch."""
        keys = {cirq.FrozenCircuit(c): c for c in circuits}
        new = [k for k in keys if k not in self._cache]
        many = getattr(self.backend, "probabilities_many", None)
        if len(new) > 1 and many is not None:
            noisy = [self.noise.apply(keys[k]) for k in new]
            for k, p in zip(new, many(noisy, self.n_qubits), strict=True):
                self._cache[k] = p

    def __call__(self, jobs: list[Job], rng: np.random.Generator) -> list[np.ndarray]:
        self.prefetch([j.circuit for j in jobs])
        return [self.sample(j, rng) for j in jobs]


def simulator_executor(backend: Backend, noise: Noise, n_qubits: int) -> Executor:
    """Re-run circuits on the simulator (the reference the statistics pass must match)."""

    def run(jobs: list[Job], rng: np.random.Generator) -> list[np.ndarray]:
        compiled = backend.compile([noise.apply(j.circuit) for j in jobs], n_qubits)
        return backend.run(compiled, [j.shots for j in jobs], int(rng.integers(2**31))).bits

    return run


@dataclass
class TrialSet:
    values: np.ndarray  # one estimate per trial (NaN where the estimator failed)
    estimates: list[Estimate]

    @property
    def ok(self) -> np.ndarray:
        return self.values[np.isfinite(self.values)]


def run_trials(spec: StrategySpec, workload: Workload, noise: Noise, shots: int, seed: int,
               trials: int, execute: Executor, vectorised: bool = True) -> TrialSet:
    values, estimates = [], []
    pool = None
    for t in range(trials):
        rng = np.random.default_rng(derive_seed(seed, "trial", t))
        est = Estimate(spec, workload.observable.groups, workload.circuit, workload.n_qubits,
                       noise, shots, rng)
        layer = est.strategy.circuit_layer
        if isinstance(layer, PEC):
            if pool is None:  # every trial's samples in one Mitiq call per group
                layer.cache = _REPRESENTATIONS
                pool = layer.draw(est.logicals, np.random.default_rng(derive_seed(seed, "pool")),
                                  noise, trials, vectorised=vectorised)
            layer.pool, layer.pool_gammas = pool
        done = False
        while not done:
            jobs = est.construct()
            done = est.combine(execute(jobs, rng))
        values.append(est.value)
        estimates.append(est)
    return TrialSet(np.asarray(values, dtype=float), estimates)
