"""Device noise on Stim: the Pauli twirl, its translation, and its error against the density
matrix (issue 12's Stim item)."""

from __future__ import annotations

import math

import cirq
import numpy as np
import pytest
from scipy.stats import norm

from mitprof.backends.cirq_density import CirqBackend
from mitprof.backends.stim_frames import StimBackend
from mitprof.circuits import resolve
from mitprof.devices import get_device, route
from mitprof.engine import noisy_value_exact
from mitprof.noise.device import DeviceNoise, thermal_relaxation_kraus, zz_kraus
from mitprof.noise.twirl import (
    PauliNoise,
    PauliTwirled,
    twirl_distance_bound,
    twirl_error_bound,
    twirl_probabilities,
)
from mitprof.trials import ExactSampler

Z_TAIL = norm.ppf(1 - 1e-4 / 2)  # two-sided 1e-4: a correct sampler fails once in 10^4 runs


def test_relaxation_twirls_to_theory_formula():
    t1, t2, t = 100e-6, 70e-6, 3e-6
    p = twirl_probabilities(thermal_relaxation_kraus(t1, t2, t))
    gamma = 1 - math.exp(-t / t1)
    expected_z = 0.5 - gamma / 4 - math.exp(-t / t2) / 2
    assert p[1:] == pytest.approx([gamma / 4, gamma / 4, expected_z], abs=1e-14)


def test_coherent_zz_twirls_to_a_zz_flip():
    theta = 0.3
    p = twirl_probabilities(zz_kraus(theta))
    assert p[15] == pytest.approx(math.sin(theta / 2) ** 2, abs=1e-14)
    assert p[0] == pytest.approx(math.cos(theta / 2) ** 2, abs=1e-14)
    # a coherent error is far from its twirl, and the bound says so; a Pauli channel is its own
    assert twirl_distance_bound(zz_kraus(theta)) > 0.1
    assert twirl_distance_bound(PauliNoise(p).kraus_ops) == pytest.approx(0.0, abs=1e-12)


def test_stim_runs_pauli_channels_in_cirqs_qubit_order():
    # PAULI_CHANNEL_2 with X on the second qubit only: only that qubit's bit flips, and at
    # the channel's rate (a transposed argument order would flip the first qubit)
    q = cirq.LineQubit.range(2)
    probs = np.zeros(16)
    probs[0], probs[1] = 0.7, 0.3  # I(x)I, I(x)X
    c = cirq.Circuit(PauliNoise(probs).on(*q), cirq.measure(*q))
    shots = 20000
    bits = StimBackend().run(StimBackend().compile([c], 2, None), [shots], seed=3).bits[0]
    assert not bits[:, 0].any()
    tol = Z_TAIL * math.sqrt(0.3 * 0.7 / shots)
    assert bits[:, 1].mean() == pytest.approx(0.3, abs=tol)


# small Clifford circuits on the device's map; coherent ZZ makes the twirl's error first order
CASES = [("ghz:n=5", 0.0), ("ghz:n=5", 0.05), ("clifford_mirror:n=6,depth=2,seed=1", 0.05)]


@pytest.mark.parametrize("spec, zz", CASES)
def test_twirled_device_noise_against_the_density_matrix(spec, zz):
    pytest.importorskip("qiskit_ibm_runtime")
    cal = get_device("sherbrooke")
    w, info = route(resolve(spec), cal)
    assert w.n_qubits <= 8
    device = DeviceNoise(cal, info.layout, coherent_zz=zz)
    twirled = PauliTwirled(device)
    dm = CirqBackend()
    exact_device = noisy_value_exact(w, ExactSampler(dm, device, w.n_qubits).probabilities)
    exact_twirled = noisy_value_exact(w, ExactSampler(dm, twirled, w.n_qubits).probabilities)
    # 1) the approximation's error is within its derived bound (diamond distances added up)
    norm_o = sum(abs(c) for c, _ in w.observable.terms)
    bound = twirl_error_bound(device.apply(w.circuit), norm_o)
    assert abs(exact_twirled - exact_device) <= bound
    # 2) Stim samples the twirled model: its estimate agrees with the twirled density-matrix
    # value within the sampling interval (every term's variance <= 1 per shot)
    shots = 4000
    stim = StimBackend()
    est = 0.0
    var = 0.0
    for g in w.observable.groups:
        circ = g.measure_in(w.circuit)
        bits = stim.run(stim.compile([circ], w.n_qubits, twirled), [shots], seed=7).bits[0]
        est += g.expectation(bits)
        var += sum(abs(c) for c, _ in g.terms) ** 2 / shots
    assert est == pytest.approx(exact_twirled, abs=Z_TAIL * math.sqrt(var))
