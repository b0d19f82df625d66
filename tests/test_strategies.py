"""Strategy counts, PEC one-norms and folding, checked against what each must run."""

import cirq
import numpy as np
import pytest

from mitprof import theory
from mitprof.backends.aer import AerBackend
from mitprof.circuits import resolve
from mitprof.engine import count_jobs, run_estimate
from mitprof.errors import SpecError
from mitprof.noise import Noise
from mitprof.techniques import StrategySpec, parse_strategies

NOISE = Noise.from_level(0.02)


def _jobs(spec: str, workload, shots=100):
    est = StrategySpec.parse(spec).strategy.start(
        workload.observable.groups, workload.circuit, workload.n_qubits, NOISE, shots,
        np.random.default_rng(0))
    return est, est.construct()


@pytest.fixture
def w(ghz3):
    return resolve(ghz3, "0.5*ZZI+0.5*IZZ")


def test_unmitigated_runs_one_circuit_per_basis(ghz3):
    assert len(_jobs("unmitigated", resolve(ghz3, "ZZI"))[1]) == 1
    assert len(_jobs("unmitigated", resolve(ghz3, "0.5*XXX+0.5*ZZI"))[1]) == 2


@pytest.mark.parametrize("scales", ["1-2-3", "1-3-5-7"])
def test_zne_runs_one_circuit_per_scale(w, scales):
    n = len(scales.split("-"))
    _, jobs = _jobs(f"zne:scale={scales}", w)
    assert len(jobs) == n and all(j.role == "main" for j in jobs)


@pytest.mark.parametrize("fold", ["global", "random", "identity"])
def test_folded_circuits_execute_about_scale_times_the_gates(fold):
    w = resolve("mirror:n=3,depth=3,seed=2")
    base = w.n_gates
    _, jobs = _jobs(f"zne:scale=1-3-5,fold={fold}", w)
    for scale, job in zip((1, 3, 5), jobs, strict=True):
        gates = sum(1 for op in job.circuit.all_operations() if not cirq.is_measurement(op))
        if fold == "identity":
            # identity insertion scales the depth (layers), filling idle slots with I
            assert len(job.circuit) - 1 == pytest.approx(scale * len(w.circuit), rel=0.2)
        else:
            assert gates == pytest.approx(scale * base, rel=0.15)


def test_pec_runs_samples_circuits_and_gamma_is_the_closed_form(w):
    est, jobs = _jobs("pec:samples=40", w)
    assert len(jobs) == 40
    ops = list(w.circuit.all_operations())
    n1 = sum(len(op.qubits) == 1 for op in ops)
    n2 = sum(len(op.qubits) == 2 for op in ops)
    expected = theory.circuit_gamma(n1, n2, NOISE.p1, NOISE.p2, "global")
    assert est.circuit.gamma == pytest.approx(expected, rel=1e-9)
    est, _ = _jobs("pec:samples=5,model=local", w)
    assert est.circuit.gamma == pytest.approx(
        theory.circuit_gamma(n1, n2, NOISE.p1, NOISE.p2, "local"), rel=1e-9)


def test_pec_precision_follows_mitiqs_sample_rule(w):
    est, jobs = _jobs("pec:precision=0.1", w)
    gamma = est.circuit.gamma
    assert len(jobs) == int((gamma / 0.1) ** 2)


def test_pec_inserted_paulis_are_noiseless(w):
    from mitprof.noise import NOISELESS

    _, jobs = _jobs("pec:samples=200", w)
    inserted = [op for j in jobs for op in j.circuit.all_operations() if NOISELESS in op.tags]
    assert inserted, "at 200 samples some Pauli insertions are expected"
    assert all(isinstance(op.gate, cirq.Pauli | cirq.IdentityGate) for op in inserted)


@pytest.mark.parametrize("cal, n_cal", [("tensored", 2), ("per_qubit", 4), ("full", 8)])
def test_rem_adds_its_calibration_circuits(w, cal, n_cal):
    _, jobs = _jobs(f"rem:calibration={cal}", w)
    assert sum(j.role == "calibration" for j in jobs) == n_cal
    assert sum(j.role == "main" for j in jobs) == 1


def test_trex_runs_twirled_and_calibration_circuits(w):
    _, jobs = _jobs("trex:randomizations=6", w)
    assert sum(j.role == "main" for j in jobs) == 6
    assert sum(j.role == "calibration" for j in jobs) == 6


def test_compositions_count_both_layers(w):
    _, jobs = _jobs("rem+zne:scale=1-2-3", w)
    assert [j.role for j in jobs].count("main") == 3
    assert [j.role for j in jobs].count("calibration") == 2


def test_labels_tell_configurations_apart():
    labels = [StrategySpec.parse(s).label for s in (
        "zne", "zne:factory=linear,scale=1-3-5,fold=random", "pec:samples=200", "rem",
        "rem:calibration=full", "trex", "rem+zne")]
    assert labels[0] == "zne[richardson,1-2-3,global]"
    assert labels[2] == "pec[global,200]"
    assert labels[-1].startswith("rem[tensored]+zne[")
    assert len(set(labels)) == len(labels)


@pytest.mark.parametrize("text, fragment", [
    ("foo", "unknown strategy"), ("zne:factory=cubic", "unknown ZNE factory"),
    ("zne:scale=1-1-2", "distinct"), ("zne:factory=poly,order=3,scale=1-2-3", "at least 4"),
    ("pec:samples=0", ">= 1"), ("pec:model=weird", "unknown PEC model"),
    ("rem:calibration=odd", "unknown REM calibration"), ("zne:bogus=1", "no option"),
    ("zne:scale", "key=value"),
])
def test_bad_strategy_specs(text, fragment):
    with pytest.raises(SpecError, match=fragment):
        StrategySpec.parse(text)


def test_duplicate_configurations_are_refused():
    with pytest.raises(SpecError, match="repeat"):
        parse_strategies(["zne", "zne:factory=richardson"])


@pytest.mark.parametrize("spec", ["zne", "pec:samples=20", "rem", "trex:randomizations=4",
                                  "rem+pec:samples=10", "zne:factory=adaexp,steps=4"])
def test_same_seed_same_estimate(w, spec):
    parsed = StrategySpec.parse(spec)
    a = run_estimate(parsed, w, NOISE, AerBackend(), 2000, 5)
    b = run_estimate(parsed, w, NOISE, AerBackend(), 2000, 5)
    assert a.value == b.value
    assert count_jobs(a.estimate.history) == count_jobs(b.estimate.history)
    c = run_estimate(parsed, w, NOISE, AerBackend(), 2000, 6)
    assert c.value != a.value


def test_failed_extrapolation_is_reported_not_raised(w):
    """Values no decaying exponential fits: Mitiq's fit fails, the estimate says so."""
    from mitprof.techniques.zne import ZNE

    layer = ZNE(factory="exp").start()
    assert np.isnan(layer.combine([[0.5, 0.9, 0.1]]))
    assert "extrapolation failed" in layer.error
    good = ZNE(factory="exp").start()
    assert not np.isnan(good.combine([[0.9, 0.8, 0.72]])) and good.error is None
    adaptive = run_estimate(StrategySpec.parse("zne:factory=adaexp,steps=4"), w, NOISE,
                            AerBackend(), 2000, 5)
    assert len(adaptive.estimate.circuit.used_scales) == 4
