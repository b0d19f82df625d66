import cirq
import numpy as np
import pytest

from mitprof.errors import SpecError
from mitprof.noise import NOISELESS, Noise, ReadoutChannel, cirq_to_aer_lambda


def test_aer_lambda_follows_theory_convention():
    # THEORY.md: 1q lam = 4p/3, 2q lam = 16p/15
    assert cirq_to_aer_lambda(0.03, 1) == pytest.approx(0.04)
    assert cirq_to_aer_lambda(0.03, 2) == pytest.approx(0.03 * 16 / 15)


def test_aer_and_cirq_depolarizing_channels_are_the_same_channel():
    from qiskit.quantum_info import SuperOp
    from qiskit_aer.noise import depolarizing_error

    for k, p in ((1, 0.05), (2, 0.07)):
        cirq_choi = cirq.kraus(cirq.depolarize(p, n_qubits=k))
        aer = SuperOp(depolarizing_error(cirq_to_aer_lambda(p, k), k)).data
        mine = sum(np.kron(K.conj(), K) for K in cirq_choi)
        # depolarizing channels are permutation-symmetric, so qubit order does not matter
        np.testing.assert_allclose(mine, aer, atol=1e-12)


def test_readout_channel_is_trace_preserving_and_flips_as_specified():
    ch = ReadoutChannel(0.02, 0.05)
    ks = cirq.kraus(ch)
    np.testing.assert_allclose(sum(k.conj().T @ k for k in ks), np.eye(2), atol=1e-12)
    rho0 = np.diag([1.0, 0.0])
    out0 = sum(k @ rho0 @ k.conj().T for k in ks)
    assert out0[1, 1] == pytest.approx(0.02)  # P(read 1 | prepared 0) = p01
    rho1 = np.diag([0.0, 1.0])
    out1 = sum(k @ rho1 @ k.conj().T for k in ks)
    assert out1[0, 0] == pytest.approx(0.05)  # P(read 0 | prepared 1) = p10


def test_noise_follows_every_gate_except_tagged_ones(ghz3):
    q = cirq.LineQubit.range(3)
    circuit = ghz3 + cirq.Circuit(cirq.X(q[0]).with_tags(NOISELESS), cirq.measure(*q))
    noisy = Noise.from_level(0.01).apply(circuit)
    chans = [op.gate for op in noisy.all_operations()
             if isinstance(op.gate, cirq.DepolarizingChannel)]
    assert sorted(c.num_qubits() for c in chans) == [1, 2, 2]  # H, CNOT, CNOT; tagged X none
    reads = [op for op in noisy.all_operations() if isinstance(op.gate, ReadoutChannel)]
    assert len(reads) == 3
    # the readout channel comes right before the measurement
    last_ops = list(noisy.all_operations())[-4:]
    assert cirq.is_measurement(last_ops[-1])


def test_default_ratios_and_overrides():
    n = Noise.from_level(0.02)
    assert (n.p2, n.p1, n.p01, n.p10) == pytest.approx((0.02, 0.002, 0.02, 0.04))
    n = Noise.from_level(0.02, p1=0.001, readout=(0.01, 0.03))
    assert (n.p1, n.p01, n.p10) == (0.001, 0.01, 0.03)


@pytest.mark.parametrize("kwargs", [
    {"level": 1.0}, {"level": -0.1}, {"level": 0.01, "p1": 1.2},
    {"level": 0.01, "readout": (0.6, 0.5)},
])
def test_impossible_noise_is_refused(kwargs):
    with pytest.raises(SpecError):
        Noise.from_level(**kwargs)
