"""PEC as on hardware: the device's own (Pauli-twirled) channels inverted exactly, the
mis-specified depolarizing model, and partial cancellation under an overhead cap."""

import cirq
import numpy as np
import pytest

import mitprof
from mitprof.errors import SpecError
from mitprof.noise import Noise, pauli
from mitprof.noise.device import compose, depolarizing_kraus, thermal_relaxation_kraus, zz_kraus
from mitprof.techniques.registry import StrategySpec

# noise on the CZs only (ZZ coherent + depolarizing; 1-qubit errors, readout and
# relaxation off), so that pt+pec:model=device inverts the executed noise exactly
DEVICE = "generic:n=2,readout=0,p1=0,t1=1000,t2=1000,p2=0.02"


def _cz_echo(k: int) -> cirq.Circuit:
    q = cirq.LineQubit.range(2)
    return cirq.Circuit([cirq.H.on_each(*q)] + [cirq.Moment(cirq.CZ(*q)) for _ in range(k)])


def test_pauli_inverse_is_exact_and_below_the_lindblad_product_form():
    channels = [compose(zz_kraus(0.2), depolarizing_kraus(0.03, 2)),
                thermal_relaxation_kraus(100e-6, 80e-6, 1e-6), depolarizing_kraus(0.05, 1)]
    for kraus in channels:
        probs = pauli.twirl_probabilities(kraus)
        assert probs.sum() == pytest.approx(1.0, abs=1e-12) and probs.min() >= -1e-15
        q = pauli.inverse_quasi_probabilities(probs)
        assert np.allclose(pauli.fidelities(probs) * pauli.fidelities(q), 1.0, atol=1e-12)
        lam = pauli.lindblad_rates(probs)
        assert lam is not None and lam.min() > -1e-12
        gamma2 = np.abs(q).sum() ** 2
        assert 1.0 < gamma2 <= np.exp(4 * lam.sum()) + 1e-12
        # partial cancellation: gamma^2 grows with the cancelled fraction
        g = [np.abs(pauli.inverse_quasi_probabilities(probs, f)).sum() for f in (0.3, 0.6, 1)]
        assert g[0] < g[1] < g[2]
    # one generator: the product form is exact, gamma = exp(2 lambda)
    w = 0.04
    probs = np.zeros(4)
    probs[0], probs[3] = 1 - w, w
    lam = pauli.lindblad_rates(probs)
    gamma = np.abs(pauli.inverse_quasi_probabilities(probs)).sum()
    assert gamma == pytest.approx(np.exp(2 * lam.sum()), rel=1e-12)


def test_device_model_on_depolarizing_noise_is_mitiqs_exact_inverse():
    from mitprof.techniques.pec import PEC

    q = cirq.LineQubit.range(2)
    c = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]), cirq.rx(0.4)(q[1]))
    noise = Noise(p2=0.03, p1=0.005, p01=0.0, p10=0.0)
    norms = {}
    for model in ("global", "device"):
        reps, missing = PEC(model=model).representations(c, noise)
        assert missing == 0
        norms[model] = sorted(float(r.norm) for r in reps)
    assert norms["device"] == pytest.approx(norms["global"], rel=1e-9)


def test_pec_with_the_devices_twirled_channels_is_exact_only_with_twirling():
    r = mitprof.profile(_cz_echo(6), "XI", device=DEVICE, coherent="zz:0.2", idle_noise=False,
                        strategies=["pec:model=depolarizing,samples=10",
                                    "pec:model=device,samples=10",
                                    "pt:twirls=1+pec:model=device,samples=10"],
                        shots=50, trials=30, repeats=1)
    wrong, exact = r["pec[global,10]"], r["pt[1]+pec[device,10]"]
    # the device's channels without twirling: the coherent part is not Pauli, so the
    # exact inverse of the twirl leaves a residual bias, resolved from zero
    untwirled = r["pec[device,10]"]
    assert not untwirled.bias["ci_low"] <= 0.0 <= untwirled.bias["ci_high"]
    # the mis-specified model: bias resolved from zero, reported with its RMSE
    assert not wrong.bias["ci_low"] <= 0.0 <= wrong.bias["ci_high"]
    assert wrong.rmse is not None and wrong.rmse >= abs(wrong.bias["estimate"])
    # the device's channels, twirled and inverted exactly: consistent with zero, and its
    # interval resolved from the mis-specified model's
    assert exact.bias["ci_low"] <= 0.0 <= exact.bias["ci_high"]
    # ... and resolved from the mis-specified model's: their difference at 95% (Welch)
    a, b = (np.array([v for v in x.trial_values if v is not None]) for x in (exact, wrong))
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    assert a.mean() - b.mean() > 1.96 * se, (a.mean(), b.mean(), se)
    d = exact.details
    # one layer per CZ carries the noise (H and the basis change are all but noiseless)
    assert d["model"] == "device" and sum(g > 1.01 for g in d["gamma_per_layer"]) == 6
    assert np.prod(d["gamma_per_layer"]) == pytest.approx(d["gamma_circuit"], rel=1e-12)
    assert d["gamma_squared_circuit"] <= d["gamma_squared_lindblad"]


def test_max_overhead_cancels_part_of_the_noise_and_reports_the_bias_it_leaves():
    r = mitprof.profile("ghz:n=2", noise=0.05, readout=0.0,
                        strategies=["pec:samples=20", "pec:samples=20,max_overhead=1.1"],
                        shots=50, trials=60, repeats=1)
    full, capped = r["pec[global,20]"], r["pec[global,20,max1.1]"]
    d = capped.details
    assert d["gamma_squared_circuit"] == pytest.approx(1.1, rel=1e-6)
    assert d["gamma_squared_full_cancellation"] > 1.1 and 0 < d["cancelled_fraction"] < 1
    assert full.details["gamma_squared_circuit"] == pytest.approx(
        d["gamma_squared_full_cancellation"], rel=1e-9)
    # full cancellation is unbiased; the capped one keeps a bias resolved from zero, and on
    # the unmitigated side of it
    assert full.bias["ci_low"] <= 0.0 <= full.bias["ci_high"]
    assert capped.bias["ci_high"] < 0.0
    assert r["unmitigated"].bias["estimate"] < capped.bias["estimate"]


@pytest.mark.parametrize("bad", ["pec:model=learnt", "pec:max_overhead=1",
                                 "pec:max_overhead=x", "pec:model=device,noise_scale=-1",
                                 "pec:learn=biased", "pec:model=learned,learn=pauli"])
def test_bad_pec_options_are_refused(bad):
    with pytest.raises(SpecError):
        StrategySpec.parse(bad)


@pytest.mark.parametrize("learn, label", [("depolarizing", "learned"),
                                          ("biased", "learned-biased")])
def test_learned_pec_counts_its_learning_as_calibration_apart_and_in_the_total(learn, label):
    from mitprof.techniques.pec_learning import LEARNING_SHOTS

    r = mitprof.profile("ghz:n=2", device="generic:n=2",
                        strategies=[f"pec:model=learned,learn={learn},samples=5"],
                        shots=100, trials=0, repeats=1)
    res = r[f"pec[{label},5]"]
    learning = res.details["learning"]
    assert (learning["eta"] is None) == (learn == "depolarizing")
    assert learning["circuits"] > 0 and learning["shots"] == learning["circuits"] * LEARNING_SHOTS
    assert 0 < learning["simulator_seconds"] < learning["seconds"]
    assert learning["classical_seconds"] == pytest.approx(
        learning["seconds"] - learning["simulator_seconds"])
    assert 0 < learning["epsilon"] < 0.5
    assert res.details["total_shots_with_learning"] == res.total_shots + learning["shots"]
    assert res.details["total_circuits_with_learning"] == res.n_circuits + learning["circuits"]


def test_shared_representations_stay_bounded_over_many_noise_levels(monkeypatch):
    """A sweep over many noise levels adds representations at every level: the shared
    cache keeps its most recent entries only, and what it returns stays correct."""
    from mitprof.circuits import resolve
    from mitprof.noise import Noise
    from mitprof.techniques import pec as pec_module

    default = pec_module._SHARED_REPRESENTATIONS
    assert isinstance(default, pec_module._Recent)
    assert default.maxsize == pec_module.SHARED_REPRESENTATIONS
    cache = pec_module._Recent(12)
    monkeypatch.setattr(pec_module, "_SHARED_REPRESENTATIONS", cache)
    w = resolve("mirror:n=2,depth=2,seed=1", None)
    logicals = [g.rotate(w.circuit) for g in w.observable.groups]
    technique = pec_module.PEC()
    for k in range(10):
        noise = Noise.from_level(0.01 + 0.002 * k)
        shared = technique.cost_estimate(logicals, noise)
        assert len(cache) <= 12
        # the same value as representations built afresh, without any cache
        monkeypatch.setattr(pec_module, "_SHARED_REPRESENTATIONS", None)
        assert technique.cost_estimate(logicals, noise) == shared
        monkeypatch.setattr(pec_module, "_SHARED_REPRESENTATIONS", cache)
    assert len(cache) == 12  # full: later levels evicted the earliest
