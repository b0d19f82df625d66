"""The statistics pass (exact distributions, sampled) against re-running the circuits."""

import numpy as np
import pytest
from scipy.stats import ks_2samp

from mitprof.backends.aer import AerBackend
from mitprof.backends.cirq_density import CirqBackend
from mitprof.circuits import resolve
from mitprof.noise import Noise
from mitprof.techniques import StrategySpec
from mitprof.trials import ExactSampler, run_trials, simulator_executor

NOISE = Noise.from_level(0.03)


@pytest.mark.parametrize("spec, observable", [
    ("zne", "0.5*ZZ+0.5*XZ"), ("rem", "0.5*ZZ+0.5*XZ"), ("pec:samples=8", "ZZ"),
    ("trex:randomizations=3", "ZZ"),
])
def test_exact_sampling_matches_rerunning_the_simulator(rot2, spec, observable):
    w = resolve(rot2, observable)
    parsed = StrategySpec.parse(spec)
    fast = run_trials(parsed, w, NOISE, 300, 1, 100, ExactSampler(AerBackend(), NOISE, 2))
    slow = run_trials(parsed, w, NOISE, 300, 2, 100, simulator_executor(AerBackend(), NOISE, 2))
    # two-sample Kolmogorov-Smirnov at the 0.1% level: same distribution of estimates
    assert ks_2samp(fast.ok, slow.ok).pvalue > 1e-3
    assert len(fast.ok) == len(slow.ok) == 100


def test_cirq_backend_exact_sampler_agrees_with_aer(rot2):
    w = resolve(rot2, "ZZ")
    a = ExactSampler(AerBackend(), NOISE, 2)
    c = ExactSampler(CirqBackend(), NOISE, 2)
    circuit = w.observable.groups[0].measure_in(w.circuit)
    np.testing.assert_allclose(a.probabilities(circuit), c.probabilities(circuit), atol=1e-9)


def test_trials_are_independent_and_reproducible(rot2):
    w = resolve(rot2, "ZZ")
    sampler = ExactSampler(AerBackend(), NOISE, 2)
    a = run_trials(StrategySpec.parse("zne"), w, NOISE, 200, 7, 20, sampler)
    b = run_trials(StrategySpec.parse("zne"), w, NOISE, 200, 7, 20, sampler)
    np.testing.assert_array_equal(a.values, b.values)
    assert len(set(a.values)) > 15  # distinct draws, not one estimate repeated
    assert sampler.distinct == 3  # three folded circuits simulated once each


def test_vectorised_pec_sampling_matches_mitiqs_sampler():
    """The statistics pass draws PEC samples with numpy from Mitiq's representations; the
    estimates must have the distribution that Mitiq's own sample_circuit gives."""
    w = resolve("bell.qasm", "ZZ")
    noise = Noise.from_level(0.15, readout=0.0)  # frequent Pauli insertions
    sampler = ExactSampler(AerBackend(), noise, 2)
    spec = StrategySpec.parse("pec:samples=30")
    mitiq_drawn = run_trials(spec, w, noise, 50, 1, 300, sampler, vectorised=False)
    numpy_drawn = run_trials(spec, w, noise, 50, 2, 300, sampler, vectorised=True)
    assert ks_2samp(mitiq_drawn.ok, numpy_drawn.ok).pvalue > 1e-3
    layer_m = mitiq_drawn.estimates[0].circuit
    layer_n = numpy_drawn.estimates[0].circuit
    assert layer_m.gamma == pytest.approx(layer_n.gamma)


@pytest.mark.parametrize("fold, calls", [("global", 1), ("random", 6)])
def test_deterministic_folding_is_done_once_for_all_trials(rot2, monkeypatch, fold, calls):
    """Global folding gives every trial the same circuits: Mitiq folds once (the trial
    pool); random folding draws new folds per trial (one pass per trial, as before)."""
    import mitiq.zne

    seen = []
    real = mitiq.zne.construct_circuits
    monkeypatch.setattr(mitiq.zne, "construct_circuits",
                        lambda *a, **k: seen.append(1) or real(*a, **k))
    w = resolve(rot2, "ZZ")
    sampler = ExactSampler(AerBackend(), NOISE, 2)
    ts = run_trials(StrategySpec.parse(f"zne:fold={fold}"), w, NOISE, 200, 3, 6, sampler)
    assert len(seen) == calls and len(ts.ok) == 6
    if fold == "global":  # the shared folds are the circuits a trial folds itself
        alone = StrategySpec.parse("zne").strategy.circuit.start()
        folded = alone.construct(ts.estimates[0].logicals, np.random.default_rng(0), NOISE)
        assert [c for c, _, _ in ts.estimates[-1].execs] == folded[0]


def test_equal_circuits_under_other_objects_share_one_cache_entry(rot2):
    """A circuit found by content under another object (PEC's commonest sample equals the
    unmitigated circuit) is served from the cache, re-keyed on the object asked for, and
    never simulated twice; the cache's byte count stays that of one entry."""
    w = resolve(rot2, "ZZ")
    sampler = ExactSampler(AerBackend(), NOISE, 2)
    first = w.observable.groups[0].measure_in(w.circuit)
    p = sampler.probabilities(first)
    size = sampler.cache_bytes
    frozen = first.freeze()
    again = [sampler.probabilities(frozen) for _ in range(3)]
    assert sampler.simulated == 1 and sampler.distinct == 1 and sampler.cache_bytes == size
    assert all(a is p for a in again)
    assert next(iter(sampler._cache.values()))[0] is frozen  # re-keyed on the new object
    np.testing.assert_array_equal(sampler.probabilities(first), p)
    assert sampler.simulated == 1


def test_shared_measurements_return_one_measured_circuit_per_frozen_circuit(rot2):
    from mitprof.observables import shared_measurements

    w = resolve(rot2, "0.5*ZZ+0.5*XZ")
    frozen = w.circuit.freeze()
    copy = w.circuit.copy().freeze()  # equal content, another object
    for g in w.observable.groups:
        plain = g.measure_in(frozen)
        assert g.measure_in(frozen) is not plain  # no memo outside the block
        with shared_measurements():
            shared = g.measure_in(frozen)
            assert shared == plain and g.measure_in(frozen) is shared
            assert g.measure_in(copy) is shared and g.measure_in(copy) is shared
            mutable = w.circuit.copy()  # mutable circuits are never memoised
            assert g.measure_in(mutable) == plain and g.measure_in(mutable) is not shared
        assert g.measure_in(frozen) is not shared  # the memo ended with the block
