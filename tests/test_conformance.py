"""Every registered technique and backend passes the shipped conformance tests
(parametrised from the registries: a new one is covered the day it is registered)."""

import pytest

from mitprof.backends import BACKENDS
from mitprof.techniques import TECHNIQUES
from mitprof.testing import assert_backend_conforms, assert_technique_conforms


@pytest.mark.parametrize("name", sorted(TECHNIQUES))
def test_technique_conforms(name):
    assert_technique_conforms(name)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_backend_conforms(name):
    assert_backend_conforms(name)


@pytest.fixture
def toy_registered():
    from toy_fixed_scale import FixedScale

    from mitprof.techniques.registry import TECHNIQUES, register

    register(FixedScale)  # the one registry line a new technique needs
    yield FixedScale
    del TECHNIQUES[FixedScale.name]


def test_a_new_technique_needs_only_its_module_and_one_registry_line(toy_registered):
    import mitprof

    assert_technique_conforms("fixed_scale")
    # and it is a strategy everywhere: profiles, compositions with readout techniques
    r = mitprof.profile("ghz:n=2", strategies=["fixed_scale:scale=3", "rem+fixed_scale"],
                        shots=200, trials=20, repeats=1, noise=0.02)
    folded = r["fixed_scale[3]"]
    assert folded.n_circuits == 1 and folded.theory_multiplier is not None
    assert folded.gates_per_circuit == pytest.approx(3 * r["unmitigated"].gates_per_circuit)
    assert "rem[tensored]+fixed_scale[3]" in {x.strategy for x in r.results}


def _noise_models():
    from mitprof.noise import Noise

    yield "depolarizing", Noise.from_level(0.02), 3
    yield "noiseless", Noise.from_level(0.0), 2
    from mitprof.circuits import resolve
    from mitprof.devices import get_device, route
    from mitprof.noise.device import DeviceNoise

    routed, info = route(resolve("ghz:n=3"), get_device("manila"))
    yield "device:manila", DeviceNoise(get_device("manila"), info.layout), routed.n_qubits


@pytest.mark.parametrize("name", ["depolarizing", "noiseless", "device:manila"])
def test_noise_model_conforms(name):
    from mitprof.testing import assert_noise_model_conforms

    models = {label: (model, n) for label, model, n in _noise_models()}
    model, n = models[name]
    assert_noise_model_conforms(model, n)


def test_the_noise_model_check_catches_a_model_that_drops_a_gate_or_misstates_idle_noise():
    import cirq

    from mitprof.noise import Noise
    from mitprof.testing import assert_noise_model_conforms

    base = Noise.from_level(0.02)

    class Wrapped:
        readout, to_dict, gate_depolarizing = base.readout, base.to_dict, base.gate_depolarizing
        idle_noise = base.idle_noise

        def apply(self, circuit):
            return base.apply(circuit)

    class ClaimsIdleNoise(Wrapped):
        idle_noise = True

    class DropsAGate(Wrapped):
        def apply(self, circuit):
            noisy = base.apply(circuit)
            return cirq.Circuit(op for op in noisy.all_operations()
                                if not isinstance(op.gate, cirq.HPowGate))

    assert_noise_model_conforms(Wrapped(), 2)  # the wrapper itself conforms
    for bad, message in ((ClaimsIdleNoise(), "idle_noise"), (DropsAGate(), "changed")):
        with pytest.raises(AssertionError, match=message):
            assert_noise_model_conforms(bad, 2)
