"""The statistics pass: many independent trials of one estimator, cheaply.

Each trial redraws everything a real re-run would: Mitiq's construction (PEC
samples, random folds, TREX twirls), shot noise, REM calibration counts and
Mitiq's REM resampling. Only the simulator is replaced: every distinct circuit
is simulated once for its exact output distribution (cached by content) and
shots are drawn from it, which has exactly the distribution of re-running it.
A test compares the two.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import cirq
import numpy as np

from .backends import Backend, compile_distinct
from .circuits import Workload
from .noise import NoiseModel
from .seeds import derive_seed
from .techniques import Estimate, Job, StrategySpec

Executor = Callable[[list[Job], np.random.Generator], list[np.ndarray]]


# The sampler's cache of exact distributions is bounded: least recently used entries go
# first once the entries' estimated size passes this (a distribution's bytes plus ~0.5 kB
# per operation of its key circuit). PEC draws a new circuit per sample, so an unbounded
# cache grows with trials x samples.
CACHE_BYTES = 256 * 2**20
BYTES_PER_OPERATION = 512


class ExactSampler:
    """Exact output distributions of measured canonical circuits, cached by content (an LRU
    cache of at most `max_bytes`, estimated; a distribution evicted is simulated again when
    needed, with the same result)."""

    def __init__(self, backend: Backend, noise: NoiseModel, n_qubits: int,
                 max_bytes: int = CACHE_BYTES) -> None:
        self.backend, self.noise, self.n_qubits = backend, noise, n_qubits
        self.max_bytes = max_bytes
        # key -> (the key object stored, distribution, estimated bytes)
        self._cache: OrderedDict[cirq.FrozenCircuit,
                                 tuple[cirq.FrozenCircuit, np.ndarray, int]] = OrderedDict()
        self.cache_bytes = 0
        self.simulated = 0  # distributions computed, evicted ones recomputed included

    def _store(self, key: cirq.FrozenCircuit, probs: np.ndarray) -> None:
        size = int(probs.nbytes) + BYTES_PER_OPERATION * sum(1 for _ in key.all_operations())
        self._cache[key] = (key, probs, size)
        self.cache_bytes += size
        self.simulated += 1
        while self.cache_bytes > self.max_bytes and len(self._cache) > 1:
            _, (_, _, old_size) = self._cache.popitem(last=False)
            self.cache_bytes -= old_size

    def probabilities(self, circuit: cirq.Circuit,
                      key: cirq.FrozenCircuit | None = None) -> np.ndarray:
        """The circuit's distribution (`key`: its FrozenCircuit, where the caller has it)."""
        key = _frozen(circuit) if key is None else key
        entry = self._cache.get(key)
        if entry is None:
            probs = self.backend.probabilities_many([circuit], self.n_qubits, self.noise)[0]
            self._store(key, probs)
            return probs
        stored, probs, size = entry
        if stored is key:
            self._cache.move_to_end(key)
        else:
            # found by content under another object (PEC's commonest sample is the
            # unmitigated circuit, stored first): re-keyed on the object asked for, whose
            # next lookups then stop at identity instead of comparing every moment
            del self._cache[key]
            self._cache[key] = (key, probs, size)
        return probs

    @property
    def distinct(self) -> int:
        return len(self._cache)

    def sample(self, job: Job, rng: np.random.Generator,
               key: cirq.FrozenCircuit | None = None) -> np.ndarray:
        probs = self.probabilities(job.circuit, key)
        table = _bit_table(probs.size)
        counts = rng.multinomial(job.shots, probs)
        outcomes = np.repeat(table[0], counts)
        rng.shuffle(outcomes)  # shot order carries no information; keep it exchangeable anyway
        return np.take(table[1], outcomes, axis=0)

    def prefetch(self, circuits: list[cirq.Circuit],
                 frozen: list[cirq.FrozenCircuit] | None = None) -> None:
        """Simulate every not-yet-cached circuit in one backend call where it can batch."""
        if frozen is None:
            frozen = [_frozen(c) for c in circuits]
        keys = dict(zip(frozen, circuits, strict=True))
        new = [k for k in keys if k not in self._cache]
        if len(new) > 1:
            many = self.backend.probabilities_many([keys[k] for k in new], self.n_qubits,
                                                   self.noise)
            for k, p in zip(new, many, strict=True):
                self._store(k, p)

    def __call__(self, jobs: list[Job], rng: np.random.Generator) -> list[np.ndarray]:
        # each circuit's key built once (it costs more than sampling from its distribution)
        frozen = [_frozen(j.circuit) for j in jobs]
        self.prefetch([j.circuit for j in jobs], frozen)
        return [self.sample(j, rng, k) for j, k in zip(jobs, frozen, strict=True)]


@functools.cache
def _bit_table(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Outcome indices 0..size-1 and each one's bits, most significant first (one row per
    outcome): a shot's bits are a row lookup. size <= 2^12, the exact distributions' cap."""
    m = int(np.log2(size))
    idx = np.arange(size)
    bits = ((idx[:, None] >> np.arange(m - 1, -1, -1)) & 1).astype(np.uint8)
    for shared in (idx, bits):  # every sampler reads them: none may write
        shared.setflags(write=False)
    return idx, bits


def _frozen(circuit: cirq.Circuit) -> cirq.FrozenCircuit:
    """The circuit as a cache key: itself when already frozen (pooled circuits are, and
    the same object found again is matched by identity, without comparing contents)."""
    return circuit if isinstance(circuit, cirq.FrozenCircuit) else cirq.FrozenCircuit(circuit)


def simulator_executor(backend: Backend, noise: NoiseModel | None, n_qubits: int) -> Executor:
    """Re-run circuits on the simulator (the reference the statistics pass must match)."""

    def run(jobs: list[Job], rng: np.random.Generator) -> list[np.ndarray]:
        compiled = compile_distinct(backend, [j.circuit for j in jobs], n_qubits, noise)
        return backend.run(compiled, [j.shots for j in jobs], int(rng.integers(2**31))).bits

    return run


@dataclass
class TrialSet:
    values: np.ndarray  # one estimate per trial (NaN where the estimator failed)
    estimates: list[Estimate]

    @property
    def ok(self) -> np.ndarray:
        return self.values[np.isfinite(self.values)]


def run_trials(spec: StrategySpec, workload: Workload, noise: NoiseModel, shots: int, seed: int,
               trials: int, execute: Executor, vectorised: bool = True) -> TrialSet:
    strategy = spec.strategy
    values, estimates = [], []
    pool = None
    for t in range(trials):
        rng = np.random.default_rng(derive_seed(seed, "trial", t))
        est = strategy.start(workload.observable.groups, workload.circuit, workload.n_qubits,
                             noise, shots, rng)
        if t == 0:  # construction shared by every trial (PEC: all samples in one draw)
            pool = strategy.circuit.trial_pool(est.logicals, noise, trials,
                                               derive_seed(seed, "pool"), vectorised)
        if pool is not None:
            est.circuit.use_pool(pool)
        done = False
        while not done:
            jobs = est.construct()
            done = est.combine(execute(jobs, rng))
        values.append(est.value)
        estimates.append(est)
    return TrialSet(np.asarray(values, dtype=float), estimates)
