"""Device noise (issue 12): calibration reproduced, idle decay, Aer = Cirq, routing, and an
independent reference (Aer's own NoiseModel.from_backend on the same routed circuit)."""

import cirq
import numpy as np
import pytest
from click.testing import CliRunner

from mitprof import exact
from mitprof.backends.aer import AerBackend
from mitprof.backends.cirq_density import CirqBackend
from mitprof.circuits import resolve
from mitprof.cli import main
from mitprof.devices import get_device, route
from mitprof.engine import noisy_value_exact
from mitprof.errors import SpecError
from mitprof.families import FAMILIES
from mitprof.noise.channels import ReadoutChannel
from mitprof.noise.device import (
    DeviceNoise,
    average_gate_infidelity,
    process_fidelity,
    remainder_lambda,
    thermal_relaxation_kraus,
)
from mitprof.trials import ExactSampler

# every family, at most 5 active qubits after routing on Sherbrooke
SMALL = {"ghz": "ghz:n=4", "mirror": "mirror:n=3,depth=2,seed=1", "rb": "rb:n=2,depth=2,seed=1",
         "clifford_mirror": "clifford_mirror:n=3,depth=2,seed=1",
         "ising": "ising:n=3,depth=2", "qaoa": "qaoa:n=4,depth=1",
         "kicked_ising": "kicked_ising:n=4,depth=1"}


@pytest.fixture(scope="module")
def sherbrooke():
    pytest.importorskip("qiskit_ibm_runtime")
    return get_device("sherbrooke")


def test_every_family_has_a_device_case():
    assert set(SMALL) == set(FAMILIES)


@pytest.mark.parametrize("spec", [*SMALL.values(), "qft3.qasm"])
def test_aer_and_cirq_agree_under_device_noise(spec, sherbrooke):
    w, info = route(resolve(spec), sherbrooke)
    assert w.n_qubits <= 5
    noise = DeviceNoise(sherbrooke, info.layout, coherent_zz=0.02 if "qaoa" in spec else 0.0)
    vals = [noisy_value_exact(w, ExactSampler(be, noise, w.n_qubits).probabilities)
            for be in (AerBackend(), CirqBackend())]
    assert vals[0] == pytest.approx(vals[1], abs=1e-6)
    # routing moved the observable with its qubits: the ideal value is unchanged
    assert exact.compute(w).value == pytest.approx(exact.compute(resolve(spec)).value, abs=1e-9)


def test_idle_qubit_coherence_decays_as_exp_minus_t_over_t2():
    cal = get_device("generic:n=3,t1=100e-6,t2=60e-6,t_2q=400e-9")
    q0, q1, q2 = cirq.LineQubit.range(3)

    def coherence(layers, idle=True):
        c = cirq.Circuit([cirq.Moment([cirq.H(q0)])]
                         + [cirq.Moment([cirq.CNOT(q1, q2)])] * layers)
        noisy = DeviceNoise(cal, (0, 1, 2), idle=idle).apply(c)
        rho = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate(
            noisy, qubit_order=[q0, q1, q2]).final_density_matrix
        return 2 * np.real(cirq.partial_trace(rho.reshape([2] * 6), [0])[0, 1])  # <X> of q0

    t = 10 * 400e-9  # q0 idles while q1, q2 run 10 layers of 400 ns gates
    # the H's own noise is the same in both: the ratio is the idle window's decay alone
    # (exact algebra: AD and dephasing multiply the off-diagonal by exp(-t/T2); 1e-12 is
    # floating point only)
    assert coherence(10) / coherence(0) == pytest.approx(np.exp(-t / 60e-6), rel=1e-12)
    assert coherence(10, idle=False) == pytest.approx(coherence(0), rel=1e-12)


def test_thermal_relaxation_matches_aers():
    from qiskit.quantum_info import SuperOp
    from qiskit_aer.noise import thermal_relaxation_error

    for t1, t2, t in ((100e-6, 60e-6, 1e-6), (80e-6, 200e-6, 5e-7), (50e-6, 100e-6, 3e-5)):
        ours = sum(np.kron(k.conj(), k) for k in thermal_relaxation_kraus(t1, t2, t))
        theirs = SuperOp(thermal_relaxation_error(t1, min(t2, 2 * t1), t)).data
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_noise_scale_one_reproduces_the_calibrated_gate_errors(sherbrooke):
    layout = (0, 1, 2, 3, 4, 14)
    noise = DeviceNoise(sherbrooke, layout)
    checked = 0
    for q in layout:
        e, t = sherbrooke.one_qubit("sx", q)
        kraus, dur = noise.pulse_channel("sx", q)
        assert dur == t
        relax = noise.relaxation(q, t)
        assert average_gate_infidelity(kraus) == pytest.approx(
            max(e, average_gate_infidelity(relax)), rel=1e-9)
        checked += 1
    for a, b in ((0, 1), (1, 0), (1, 2), (3, 4), (0, 14)):
        e, _ = sherbrooke.two_qubit(a, b)
        kraus, _ = noise.two_qubit_channel(a, b)
        assert average_gate_infidelity(kraus) == pytest.approx(e, rel=1e-9)
        # PEC's depolarizing approximation has the same process fidelity (the twirl's error)
        op = cirq.CNOT(*cirq.LineQubit.range(2))
        sub = DeviceNoise(sherbrooke, (a, b))
        assert sub.gate_depolarizing(op) == pytest.approx(1 - process_fidelity(kraus))
        assert sub.gate_depolarizing(op) == pytest.approx(e * 5 / 4, rel=1e-9)  # p = e (d+1)/d
        checked += 1
    # noise_scale multiplies the errors and divides T1, T2
    double = DeviceNoise(sherbrooke, layout, noise_scale=2.0)
    e, _ = sherbrooke.two_qubit(0, 1)
    assert average_gate_infidelity(double.two_qubit_channel(0, 1)[0]) == pytest.approx(
        2 * e, rel=1e-9)
    assert double.to_dict()["t1"][0] == pytest.approx(sherbrooke.t1[0] / 2)
    assert checked == 11


def test_remainder_formula_is_aers():
    from qiskit.quantum_info import Kraus
    from qiskit_aer.noise.device.models import _device_depolarizing_error

    relax = thermal_relaxation_kraus(100e-6, 80e-6, 500e-9)
    aer = _device_depolarizing_error([0], 0.004, Kraus(relax))
    lam = remainder_lambda(0.004, relax, 1)
    # Aer's depolarizing_error(lam): identity weight 1 - 3 lam / 4
    assert aer.probabilities[0] == pytest.approx(1 - 3 * lam / 4, rel=1e-12)


def test_routing_adds_the_swaps_it_reports(sherbrooke):
    w = resolve("qaoa:n=5,depth=1")  # a ring: not embeddable in heavy-hex without SWAPs
    routed, info = route(w, sherbrooke)
    assert info.swaps > 0
    n2 = sum(1 for op in routed.circuit.all_operations() if len(op.qubits) == 2)
    assert n2 == info.two_qubit_after == info.two_qubit_before + 3 * info.swaps
    edges = set(sherbrooke.edges)
    for op in routed.circuit.all_operations():
        if len(op.qubits) == 2:
            a, b = (info.layout[q.x] for q in op.qubits)
            assert (min(a, b), max(a, b)) in edges
    assert exact.compute(routed).value == pytest.approx(exact.compute(w).value, abs=1e-9)


def _cz_as_cx(circuit):
    ops = []
    for op in circuit.all_operations():
        if isinstance(op.gate, cirq.CZPowGate):
            a, b = op.qubits
            ops += [cirq.H(b), cirq.CNOT(a, b), cirq.H(b)]
        else:
            ops.append(op)
    return cirq.Circuit(ops)


@pytest.mark.parametrize("spec", [*SMALL.values(), "qft3.qasm"])
def test_independent_reference_aer_from_backend(spec):
    """Aer's NoiseModel.from_backend on the same routed circuit, translated by Qiskit to the
    device basis (level 0). Modelling differences, removed here: Aer adds no idle noise
    (ours is off), applies readout as a classical error (we compare the probabilities
    before readout), and charges the 1-qubit gates a CZ needs on a CX device (we write CZ
    as H CX H on both sides). Manila is CX-native, so the circuits are identical gate for
    gate and the channels must agree to floating point: tolerance 1e-8."""
    fake = pytest.importorskip("qiskit_ibm_runtime.fake_provider")
    from qiskit import QuantumCircuit, transpile
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    from mitprof.lowering import to_qiskit

    backend = fake.FakeManilaV2()
    cal = get_device("manila")
    w, info = route(resolve(spec), cal)
    circuit, m = _cz_as_cx(w.circuit), w.n_qubits
    noisy = DeviceNoise(cal, info.layout, idle=False).apply(circuit)
    assert not any(isinstance(op.gate, ReadoutChannel) for op in noisy.all_operations())
    rho = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate(
        noisy, qubit_order=cirq.LineQubit.range(m)).final_density_matrix
    ours = np.real(np.diag(rho))
    full = QuantumCircuit(backend.num_qubits)
    full.compose(to_qiskit(circuit, m), qubits=list(info.layout), inplace=True)
    tqc = transpile(full, basis_gates=["rz", "sx", "x", "cx", "id"], optimization_level=0)
    tqc.save_probabilities(qubits=list(info.layout))
    sim = AerSimulator(method="density_matrix", noise_model=NoiseModel.from_backend(backend))
    theirs = np.asarray(sim.run(tqc, shots=1).result().data(0)["probabilities"])
    theirs = theirs.reshape([2] * m).transpose(list(range(m))[::-1]).reshape(-1)
    np.testing.assert_allclose(ours, theirs, atol=1e-8)


def test_generic_device_and_per_qubit_readout():
    cal = get_device("generic:n=4,readout=0.02,p2=0.01")
    assert cal.n_qubits == 4 and cal.edges == ((0, 1), (1, 2), (2, 3))
    noise = DeviceNoise(cal, (1, 2))
    assert noise.readout == (0.02, 0.02)
    with pytest.raises(SpecError, match="n must be"):
        get_device("generic:n=0")
    with pytest.raises(SpecError, match="KEY=VALUE"):
        get_device("generic:bogus=1")


def test_profile_under_device_noise_reports_routing():
    import mitprof

    r = mitprof.profile("ghz:n=3", device="generic:n=5", strategies=["zne", "rem"],
                        shots=200, repeats=1, trials=0)
    assert r.routing["swaps"] == 0 and r.noise["model"] == "device"
    assert r.noise["layout"] == list(r.routing["layout"])
    assert "device generic:n=5" in r.table()
    with pytest.raises(SpecError, match="device brings its own noise"):
        mitprof.profile("ghz:n=3", device="generic:n=5", noise=0.01, trials=0)
    # Stim runs the device's noise Pauli-twirled, and the result says so
    r = mitprof.profile("ghz:n=3", device="generic:n=5", backend="stim", shots=200, repeats=1,
                        trials=0)
    assert r.noise["approximation"].startswith("pauli_twirl")
    assert "Pauli-twirled" in r.table()


@pytest.mark.parametrize("args, message", [
    (["--device", "nowhere"], "unknown device 'nowhere'; known: sherbrooke"),
    (["--device", "generic:n=2"], "the circuit has 3 qubits; device generic:n=2 has 2"),
    (["--device", "generic:n=5", "--noise-scale", "0"], "noise_scale must be a positive"),
    (["--device", "generic:n=5", "--noise-scale", "-1"], "noise_scale must be a positive"),
    (["--device", "generic:n=5", "--coherent", "xy:1"], "expected zz:RADIANS"),
])
def test_bad_device_input_is_one_error_line(args, message):
    res = CliRunner().invoke(main, ["profile", "ghz:n=3", "--trials", "0", "--repeats", "1",
                                    *args])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_list_devices():
    pytest.importorskip("qiskit_ibm_runtime")
    res = CliRunner().invoke(main, ["list", "devices"])
    assert res.exit_code == 0
    assert res.stdout.startswith("sherbrooke  127 qubits, basis rz,sx,x,ecr")
    assert "torino  133 qubits" in res.stdout and "generic:n=5" in res.stdout
