"""Aer and Cirq run the same noisy circuit: exact agreement, consistent samples."""

import numpy as np
import pytest

from mitprof.backends import get_backend
from mitprof.backends.aer import AerBackend
from mitprof.backends.cirq_density import CirqBackend
from mitprof.circuits import resolve
from mitprof.engine import noisy_value_exact
from mitprof.errors import CapacityError, SpecError
from mitprof.families import FAMILIES
from mitprof.lowering import is_clifford
from mitprof.noise import Noise
from mitprof.trials import ExactSampler

SMALL = {"ghz": "ghz:n=3", "mirror": "mirror:n=3,depth=2,seed=1", "rb": "rb:n=2,depth=2,seed=1",
         "clifford_mirror": "clifford_mirror:n=3,depth=2,seed=1",
         "ising": "ising:n=3,depth=2", "qaoa": "qaoa:n=3,depth=1",
         "kicked_ising": "kicked_ising:n=4,depth=1"}


def test_every_family_has_an_agreement_case():
    assert set(SMALL) == set(FAMILIES)


@pytest.mark.parametrize("spec", [*SMALL.values(), "qft3.qasm"])
def test_exact_noisy_values_agree_and_samples_are_consistent(spec):
    w = resolve(spec)
    noise = Noise.from_level(0.03)
    aer, cq = AerBackend(), CirqBackend()
    exact_aer = noisy_value_exact(w, ExactSampler(aer, noise, w.n_qubits).probabilities)
    exact_cirq = noisy_value_exact(w, ExactSampler(cq, noise, w.n_qubits).probabilities)
    assert exact_aer == pytest.approx(exact_cirq, abs=1e-6)

    shots = 4000
    for g in w.observable.groups:
        circuit = g.measure_in(w.circuit)
        probs = aer.probabilities(circuit, w.n_qubits, noise)
        np.testing.assert_allclose(probs, cq.probabilities(circuit, w.n_qubits, noise),
                                   atol=1e-6)
        mean = g.expectation_from_probabilities(probs)
        # per-shot variance of the group estimator, exact from the distribution
        idx = np.arange(probs.size)
        m = len(g.measured_qubits)
        values = np.zeros(probs.size)
        for c, cols in g.terms:
            parity = np.zeros(probs.size, dtype=int)
            for col in cols:
                parity ^= (idx >> (m - 1 - col)) & 1
            values += c * (1 - 2 * parity)
        var = float(np.dot(probs, (values - mean) ** 2))
        sampled = [b.expectation(out) for b, out in (
            (g, aer.run(aer.compile([circuit], w.n_qubits, noise), [shots], 11).bits[0]),
            (g, cq.run(cq.compile([circuit], w.n_qubits, noise), [shots], 11).bits[0]))]
        # the difference of two independent means has sd sqrt(2 var / N); 5 sd is a
        # 1-in-1.7-million false alarm for a Gaussian, seeded so it is reproducible
        tol = 5 * np.sqrt(2 * var / shots) + 1e-12
        assert abs(sampled[0] - sampled[1]) <= tol
        assert abs(sampled[0] - mean) <= tol


def test_density_matrix_limit_says_how_much_memory():
    with pytest.raises(CapacityError, match=r"GiB.*density-matrix"):
        AerBackend(method="density_matrix").choose(14, clifford=False)
    with pytest.raises(CapacityError, match=r"GiB.*density-matrix"):
        CirqBackend().choose(14, clifford=True)


def test_unknown_backend_lists_valid_ones():
    with pytest.raises(SpecError, match="aer, cirq"):
        get_backend("qpu")


@pytest.mark.parametrize("family", [f for f, spec in SMALL.items()
                                    if is_clifford(resolve(spec).circuit)])
def test_stim_samples_agree_with_the_exact_noisy_value(family):
    """Every Clifford family: Stim's sampled value matches Aer's exact noisy value."""
    w = resolve(SMALL[family])
    noise = Noise.from_level(0.03)
    stim, shots = get_backend("stim"), 20000
    for g in w.observable.groups:
        circuit = g.measure_in(w.circuit)
        probs = AerBackend().probabilities(circuit, w.n_qubits, noise)
        mean = g.expectation_from_probabilities(probs)
        var = g.variance_from_probabilities(probs)
        bits = stim.run(stim.compile([circuit], w.n_qubits, noise), [shots], 5).bits[0]
        # 99.9% two-sided interval of a mean of `shots` draws, seeded
        assert abs(g.expectation(bits) - mean) <= 3.29 * np.sqrt(var / shots) + 1e-12


def test_compile_distinct_compiles_each_distinct_circuit_once_in_input_order(ghz3, rot2):
    from mitprof.backends import compile_distinct

    seen = []

    class Counting:
        def compile(self, circuits, n_qubits, noise):
            seen.append(list(circuits))
            return [f"compiled-{i}" for i in range(len(circuits))]

    out = compile_distinct(Counting(), [ghz3, rot2, ghz3.copy(), rot2, ghz3], 3, None)
    assert out == ["compiled-0", "compiled-1", "compiled-0", "compiled-1", "compiled-0"]
    assert seen == [[ghz3, rot2]]


def test_repeated_pec_samples_share_one_circuit_object():
    import cirq

    from mitprof.techniques import StrategySpec
    from mitprof.techniques.pec import sample_vectorised

    w = resolve("mirror:n=2,depth=2,seed=1")
    pec = StrategySpec.parse("pec").strategy.circuit
    reps, _ = pec.representations(w.circuit, Noise.from_level(0.01))
    circuits, signs, _ = sample_vectorised(w.circuit, reps, 200, seed=3)
    distinct = {cirq.FrozenCircuit(c) for c in circuits}
    assert len(circuits) == len(signs) == 200 and 1 < len(distinct) < 200
    assert len({id(c) for c in circuits}) == len(distinct)  # one object per distinct circuit


def test_pec_samples_are_placed_as_cirq_places_them():
    """sample_vectorised's own placement gives the moments (and the operation order, which
    translation follows) that cirq.Circuit(ops) gives, on samples and on random sequences."""
    import cirq
    import numpy as np

    from mitprof.noise.base import NOISELESS
    from mitprof.techniques import StrategySpec
    from mitprof.techniques.pec import _earliest, _placeable, sample_vectorised

    def same(a, b):
        return a == b and list(a.all_operations()) == list(b.all_operations())

    for name in ("mirror:n=3,depth=4,seed=2", "ising:n=3,depth=2", "ghz:n=3"):
        w = resolve(name)
        pec = StrategySpec.parse("pec").strategy.circuit
        reps, _ = pec.representations(w.circuit, Noise.from_level(0.03))
        circuits, _, _ = sample_vectorised(w.circuit, reps, 100, seed=5)
        for c in {id(c): c for c in circuits}.values():
            ops = list(c.all_operations())
            assert _placeable(ops)  # placed by _earliest itself, not by its fallback to Cirq
            assert same(c, cirq.FrozenCircuit(ops))
    rng = np.random.default_rng(11)
    q = cirq.LineQubit.range(4)
    gates = [cirq.X, cirq.H, cirq.rz(0.3), cirq.I]
    for _ in range(50):
        ops = []
        for _ in range(int(rng.integers(1, 30))):
            if rng.random() < 0.3:
                a, b = rng.choice(4, size=2, replace=False)
                ops.append(cirq.CNOT(q[a], q[b]))
            else:
                op = gates[int(rng.integers(4))].on(q[int(rng.integers(4))])
                ops.append(op.with_tags(NOISELESS) if rng.random() < 0.3 else op)
        assert same(_earliest(ops), cirq.FrozenCircuit(ops))
    # measurement keys order operations on other qubits too: left to Cirq
    for keyed in ([cirq.measure(q[0], key="m"), cirq.measure(q[1], key="m")],
                  [cirq.PauliMeasurementGate([cirq.Z], key="k").on(q[0]),
                   cirq.PauliMeasurementGate([cirq.X], key="k").on(q[1])]):
        assert not _placeable(keyed)
        assert len(cirq.FrozenCircuit(keyed)) == 2
        assert same(_earliest(keyed), cirq.FrozenCircuit(keyed))
