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
