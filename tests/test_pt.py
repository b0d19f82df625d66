"""Pauli twirling (`pt`) and circuit transforms stacked in front of circuit techniques."""

from dataclasses import dataclass

import cirq
import numpy as np
import pytest

import mitprof
from mitprof.errors import SpecError
from mitprof.techniques.registry import StrategySpec

# 99.9% two-sided normal quantile
Z_999 = 3.2905


def _cz_echo(k: int) -> cirq.Circuit:
    """|++>, then k CZs (an identity for even k): a residual ZZ angle theta after each CZ
    adds up coherently to k theta, rotating <X on qubit 0> to cos(k theta); twirled, each
    becomes a ZZ flip with probability sin^2(theta / 2) and <X> = cos(theta)^k."""
    q = cirq.LineQubit.range(2)
    return cirq.Circuit([cirq.H.on_each(*q)] + [cirq.Moment(cirq.CZ(*q)) for _ in range(k)])


def test_twirling_removes_the_coherent_bias_and_leaves_the_twirled_channels_value():
    from mitprof import exact
    from mitprof.backends import get_backend
    from mitprof.circuits import resolve
    from mitprof.devices import get_device, route
    from mitprof.engine import noisy_value_exact
    from mitprof.noise.device import DeviceNoise
    from mitprof.noise.pauli import TwirledTwoQubitNoise
    from mitprof.trials import ExactSampler

    circuit, theta, device = _cz_echo(10), 0.2, "generic:n=2"
    r = mitprof.profile(circuit, "XI", strategies=["pt:twirls=4"], device=device,
                        coherent=f"zz:{theta}", shots=500, trials=40, repeats=1)
    raw, pt = r["unmitigated"], r["pt[4]"]
    assert pt.n_circuits == 4 and pt.details["twirls"] == 4
    # the biases with and without twirling are resolved by their intervals
    assert raw.bias["ci_high"] < pt.bias["ci_low"] and abs(pt.bias["estimate"]) < abs(
        raw.bias["estimate"])
    # and twirling's mean is the exact value under the Pauli-twirled channels
    workload = resolve(circuit, "XI")
    ideal = exact.ideal_value(workload)
    cal = get_device(device)
    routed, info = route(workload, cal)
    nz = DeviceNoise(cal, info.layout, 1.0, theta, True)
    twirled = noisy_value_exact(routed, ExactSampler(get_backend("aer"), TwirledTwoQubitNoise(
        nz), routed.n_qubits).probabilities)
    untwirled = noisy_value_exact(routed, ExactSampler(get_backend("aer"), nz,
                                                       routed.n_qubits).probabilities)
    assert pt.bias["ci_low"] <= twirled - ideal <= pt.bias["ci_high"]
    assert raw.bias["ci_low"] <= untwirled - ideal <= raw.bias["ci_high"]
    assert not pt.bias["ci_low"] <= untwirled - ideal <= pt.bias["ci_high"]


def test_a_twirled_variant_is_the_same_unitary_with_noiseless_paulis():
    from mitprof.noise import NOISELESS
    from mitprof.techniques.pt import twirl

    q = cirq.LineQubit.range(3)
    c = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]), cirq.CZ(q[1], q[2]),
                     cirq.CNOT(q[2], q[0]) ** -1, cirq.rx(0.3)(q[1]))
    rng = np.random.default_rng(1)
    variants = [twirl(c, rng) for _ in range(20)]
    for v in variants:
        assert cirq.allclose_up_to_global_phase(cirq.unitary(v), cirq.unitary(c))
        added = [op for op in v.all_operations() if op not in set(c.all_operations())]
        assert added and all(NOISELESS in op.tags for op in added)
    assert len({cirq.FrozenCircuit(v) for v in variants}) > 10  # drawn at random


@pytest.mark.parametrize("text,label,circuits", [
    ("pt:twirls=3+zne:scale=1-3-5", "pt[3]+zne[richardson,1-3-5,global]", 9),
    ("pt:twirls=2+pec:samples=5", "pt[2]+pec[global,5]", 10),
    ("rem+pt:twirls=2", "rem[tensored]+pt[2]", 2),
])
def test_pt_stacks_in_front_of_circuit_techniques(text, label, circuits):
    spec = StrategySpec.parse(text)
    assert spec.label == label and StrategySpec.parse(spec.text) == spec
    r = mitprof.profile("ghz:n=2", strategies=[text], shots=100, trials=4, repeats=1,
                        noise=0.02)
    res = r[label]
    assert res.n_circuits - res.calibration_circuits == circuits
    assert res.theory_multiplier is not None or res.theory_reason


def test_any_registered_transform_stacks_in_front_of_zne():
    from mitprof.techniques.base import CircuitTransform
    from mitprof.techniques.registry import TECHNIQUES, register

    @dataclass(frozen=True)
    class Doubled(CircuitTransform):
        """Each circuit and a copy of it: stacking is generic, so a new transform works
        in front of every circuit technique."""

        name = "doubled"
        help = "toy transform"

        @property
        def variants(self) -> int:
            return 2

        def apply(self, circuit, rng, noise):
            return [circuit, circuit + cirq.Circuit()]

    register(Doubled)
    try:
        r = mitprof.profile("ghz:n=2", strategies=["doubled+zne:scale=1-3",
                                                   "zne:scale=1-3"],
                            shots=100, trials=3, repeats=1, noise=0.02)
        stacked, plain = r["doubled+zne[richardson,1-3,global]"], r["zne[richardson,1-3,global]"]
        assert stacked.n_circuits == 2 * plain.n_circuits
        assert stacked.theory_multiplier == pytest.approx(plain.theory_multiplier, rel=1e-9)
    finally:
        del TECHNIQUES["doubled"]


@pytest.mark.parametrize("bad", ["pt:twirls=0", "pt:twirls=x", "zne+pt", "pt+rem",
                                 "pt+pt", "pt:twirls=2+zne:split=optimal"])
def test_bad_stacks_are_refused(bad):
    with pytest.raises(SpecError):
        StrategySpec.parse(bad)


@pytest.mark.parametrize("strategy", ["pt:twirls=0", "zne+pt", "pt:twirls=2+zne:nope=1",
                                      "pec:model=learned,learn=pauli", "pec:max_overhead=0.5"])
def test_bad_options_on_the_command_line_give_one_error_line_and_status_2(strategy):
    from click.testing import CliRunner

    from mitprof.cli import main

    res = CliRunner().invoke(main, ["profile", "ghz:n=2", "-s", strategy, "--trials", "0",
                                    "--repeats", "1"])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and res.stdout == ""
