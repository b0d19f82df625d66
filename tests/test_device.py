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


FAKE = {"sherbrooke": "FakeSherbrooke", "manila": "FakeManilaV2"}


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
        kraus, _ = noise.native_channel(a, b)
        assert average_gate_infidelity(kraus) == pytest.approx(e, rel=1e-9)
        # PEC's depolarizing approximation has the same process fidelity (the twirl's error)
        # as the whole gate as run (native gate and basis changes)
        op = cirq.CNOT(*cirq.LineQubit.range(2))
        sub = DeviceNoise(sherbrooke, (a, b))
        full, _ = sub.two_qubit_channel(a, b, "cx")
        assert sub.gate_depolarizing(op) == pytest.approx(1 - process_fidelity(full))
        assert sub.gate_depolarizing(op) >= e * 5 / 4 * (1 - 1e-9)  # p = e (d+1)/d at least
        checked += 1
    # noise_scale multiplies the errors and divides T1, T2
    double = DeviceNoise(sherbrooke, layout, noise_scale=2.0)
    e, _ = sherbrooke.two_qubit(0, 1)
    assert average_gate_infidelity(double.native_channel(0, 1)[0]) == pytest.approx(
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
    # the SWAP-noiseless variant: the same moments, the SWAPs' 3 CX each tagged
    free = info.swap_free
    assert len(free) == len(routed.circuit)
    assert sum(bool(op.tags) for op in free.all_operations()) == 3 * info.swaps
    assert [{op.untagged for op in m} for m in free] == [set(m) for m in routed.circuit]


@pytest.fixture(scope="module")
def aer_reference():
    """Per fake backend: (backend, AerSimulator with NoiseModel.from_backend), built once."""
    fake = pytest.importorskip("qiskit_ibm_runtime.fake_provider")
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    made = {}

    def get(name):
        if name not in made:
            backend = getattr(fake, name)()
            made[name] = (backend, AerSimulator(method="density_matrix",
                                                noise_model=NoiseModel.from_backend(backend)))
        return made[name]

    return get


@pytest.mark.parametrize("device, spec", [
    ("sherbrooke", "qaoa:n=4,depth=1"),  # CX both ways against the one-way ECR, CZ, SWAPs
    *(("manila", s) for s in [*SMALL.values(), "qft3.qasm"])])
def test_independent_reference_aer_from_backend(device, spec, aer_reference):
    """Aer's NoiseModel.from_backend on the same routed circuit, translated by Qiskit's own
    transpiler to the device's basis and gate directions (level 0: Sherbrooke's one-way ECR
    turns each CX into ECR plus sx/x pulses, each charged its calibrated error). Modelling
    differences, removed here: Aer adds no idle noise (ours is off) and applies readout as
    a classical error (we compare the probabilities before readout). Every executed gate
    then carries the same channel on both sides, so they agree to floating point: the
    largest difference seen over these cases is 1.3e-9 (channels composed in a different
    order), the tolerance 1e-8."""
    from qiskit import QuantumCircuit, transpile

    from mitprof.lowering import to_qiskit

    backend, sim = aer_reference(FAKE[device])
    cal = get_device(device)
    w, info = route(resolve(spec), cal)
    m = w.n_qubits
    noisy = DeviceNoise(cal, info.layout, idle=False).apply(w.circuit)
    assert not any(isinstance(op.gate, ReadoutChannel) for op in noisy.all_operations())
    rho = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate(
        noisy, qubit_order=cirq.LineQubit.range(m)).final_density_matrix
    ours = np.real(np.diag(rho))
    full = QuantumCircuit(backend.num_qubits)
    full.compose(to_qiskit(w.circuit, m), qubits=list(info.layout), inplace=True)
    tqc = transpile(full, backend=backend, optimization_level=0)
    assert tqc.count_ops().get(cal.two_qubit_gate, 0) == info.two_qubit_after
    tqc.save_probabilities(qubits=list(info.layout))
    theirs = np.asarray(sim.run(tqc, shots=1).result().data(0)["probabilities"])
    theirs = theirs.reshape([2] * m).transpose(list(range(m))[::-1]).reshape(-1)
    np.testing.assert_allclose(ours, theirs, atol=1e-8)


def test_basis_changes_around_the_native_gate_are_charged(sherbrooke):
    """A CX against the ECR's direction runs as ECR plus four sx and an x: its channel's
    error exceeds the ECR's calibrated error by about those pulses' errors."""
    from mitprof.noise.device import native_sequence

    (a, b), = [(a, b) for a, b in sherbrooke.edges if sherbrooke.native_ways(a, b)[0]][:1]
    noise = DeviceNoise(sherbrooke, (a, b), idle=False)
    e_native = average_gate_infidelity(noise.native_channel(a, b)[0])
    for gate, (x, y) in (("cx", (a, b)), ("cx", (b, a)), ("cz", (a, b))):
        steps = native_sequence(gate, "ecr", *sherbrooke.native_ways(x, y))
        pulses = [(kind, (x, y)[q[0]]) for kind, q, _ in steps if kind in ("sx", "x")]
        assert pulses and sum(kind == "native" for kind, _, _ in steps) == 1
        e = average_gate_infidelity(noise.two_qubit_channel(x, y, gate)[0])
        # process infidelities (e (d+1)/d) of small channels add to first order
        e_pulses = sum(sherbrooke.one_qubit(k, q)[0] for k, q in pulses) * (3 / 2) * (4 / 5)
        assert e > e_native
        assert e == pytest.approx(e_native + e_pulses, rel=0.05)


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


def test_hardware_projection_uses_the_devices_own_durations():
    """A device run projects QPU time with the device's gate and readout durations, not the
    preset's: on a generic device (CX native both ways, so a CX is one gate and an h one sx)
    it equals a custom model with the device's durations on the same circuits."""
    import mitprof

    t = {"t_1q": 40e-9, "t_2q": 1e-6, "t_measure": 3e-6}
    dev = "generic:n=3," + ",".join(f"{k}={v}" for k, v in t.items())
    kw = {"strategies": ["zne"], "shots": 100, "repeats": 1, "trials": 0}
    on_device = mitprof.profile("ghz:n=3", device=dev, hardware="ibm_eagle", **kw)
    eagle = mitprof.hardware.PRESETS["ibm_eagle"]
    same = {**t, "t_rep": eagle.t_rep, "t_job": eagle.t_job}
    by_hand = mitprof.profile("ghz:n=3", noise=0.01, hardware=same, **kw)
    preset = mitprof.profile("ghz:n=3", noise=0.01, hardware="ibm_eagle", **kw)
    for d, h, p in zip(on_device.results, by_hand.results, preset.results, strict=True):
        assert d.n_circuits == h.n_circuits and d.total_shots == h.total_shots
        assert d.projected_qpu_seconds == pytest.approx(h.projected_qpu_seconds, rel=1e-12)
        # the circuits' own time (beyond the job and the repetition delays) is not the preset's
        fixed = eagle.t_job + d.total_shots * eagle.t_rep
        assert d.projected_qpu_seconds - fixed != pytest.approx(
            p.projected_qpu_seconds - fixed, rel=0.05)
    assert f"device {dev} calibration" in on_device.hardware["durations"]


def test_noise_aware_layout_lowers_the_error_of_sabres(sherbrooke, monkeypatch):
    """VF2PostLayout moves Sabre's ghz:n=5 (qubits 0-4 of Sherbrooke) to qubits with lower
    calibrated gate and readout errors: the exact unmitigated error drops (measured: 0.100
    -> 0.057), every 2-qubit gate still on a coupled pair."""
    from mitprof import devices

    def error(routed, info):
        noise = DeviceNoise(sherbrooke, info.layout)
        value = noisy_value_exact(routed, ExactSampler(CirqBackend(), noise,
                                                       routed.n_qubits).probabilities)
        return abs(value - exact.compute(routed).value)

    aware = route(resolve("ghz:n=5"), sherbrooke)
    monkeypatch.setattr(devices, "noise_aware_layout",
                        lambda routed, cal: list(range(routed.num_qubits)))
    sabre = route(resolve("ghz:n=5"), sherbrooke)
    assert aware[1].layout != sabre[1].layout
    assert error(*aware) < error(*sabre)
    edges = set(sherbrooke.edges)
    for op in aware[0].circuit.all_operations():
        if len(op.qubits) == 2:
            a, b = (aware[1].layout[q.x] for q in op.qubits)
            assert (min(a, b), max(a, b)) in edges
