"""The device model: a noise model built from a device's calibration (`mitprof.devices`).

Per gate, as Aer's `NoiseModel.from_backend` does: a depolarizing remainder followed by
thermal relaxation (T1, T2) for the gate's duration, the remainder chosen so that the
channel's average gate infidelity equals the calibrated error,

    lam = d (e - r) / (d F_R - 1),   F_R = 1 - r the relaxation's average gate fidelity,

(lam in Aer's parameterisation; no remainder when e <= r, where relaxation alone already
exceeds the calibrated error). Canonical gates map to the device's physical pulses as
Qiskit's level-0 translation to the device basis writes them: Z-type rotations are virtual
(no error, no time), x and y one `x` pulse, h one `sx`, rx and ry two `sx` (rz sx rz sx rz),
`id` one `id`. A cx or cz runs as Qiskit's level-0 translation writes it on that pair
(`native_sequence`): the native gate (ECR, CZ or CX) in a direction the device has, with
the sx/x pulses of the basis change around it, each pulse charged its own calibrated error
(a CX against an ECR's direction is ECR plus four sx and an x). The whole is one 2-qubit
channel after the canonical gate, exact for the executed sequence.

Idle noise: the circuit *as executed* is the schedule. Each moment is a layer lasting as
long as its slowest gate; a qubit not acted on in it (or acted on by a shorter gate) idles
for the rest and gets thermal relaxation for that time. Readout: each qubit's own (p01,
p10) before measurement. Optional coherent error: a residual ZZ rotation
exp(-i theta/2 Z Z) after every 2-qubit gate.

Everything is emitted as Kraus channels (`KrausNoise`), which Cirq runs directly and Aer
receives as the same Kraus operators (kraus_error), so the two simulators agree exactly.

`noise_scale` multiplies every error rate (gate errors, readout) and divides T1 and T2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import cirq
import numpy as np

from ..errors import SpecError
from ..lowering import is_measurement
from .base import NOISELESS
from .channels import KrausNoise, ReadoutChannel

if TYPE_CHECKING:
    from ..devices import Calibration

_I2 = np.eye(2, dtype=complex)
_PAULIS = [_I2, np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]], complex),
           np.array([[1, 0], [0, -1]], complex)]
VIRTUAL = frozenset({"rz", "z", "s", "sdg", "t", "tdg"})
PULSES_1Q = ("sx", "x")  # the physical pulses a basis translation emits


# ----------------------------------------------------------------- channel algebra

def thermal_relaxation_kraus(t1: float, t2: float, t: float) -> list[np.ndarray]:
    """Amplitude damping to |0> with T1 and total coherence decay exp(-t/T2) over time t
    (T2 clamped to 2 T1, as Aer does; zero excited-state population)."""
    t2 = min(t2, 2 * t1)
    gamma = 0.0 if math.isinf(t1) else 1.0 - math.exp(-t / t1)
    coh = 1.0 if math.isinf(t2) else math.exp(-t / t2)  # total off-diagonal factor
    c = coh / math.sqrt(1.0 - gamma)  # the dephasing factor beyond amplitude damping
    c = min(1.0, c)
    ad = [np.array([[1, 0], [0, math.sqrt(1 - gamma)]], complex),
          np.array([[0, math.sqrt(gamma)], [0, 0]], complex)]
    pd = [math.sqrt((1 + c) / 2) * _I2, math.sqrt((1 - c) / 2) * _PAULIS[3]]
    return minimal([b @ a for a in ad for b in pd])


def depolarizing_kraus(lam: float, n: int) -> list[np.ndarray]:
    """Aer's depolarizing_error(lam, n): rho -> (1 - lam) rho + lam I/d."""
    d2 = 4**n
    ops = []
    for idx in range(d2):
        mat = np.array([[1.0 + 0j]])
        for k in range(n):
            mat = np.kron(mat, _PAULIS[(idx >> (2 * (n - 1 - k))) & 3])
        w = 1 - lam + lam / d2 if idx == 0 else lam / d2
        if w > 0:
            ops.append(math.sqrt(w) * mat)
    return ops


def compose(*channels: list[np.ndarray]) -> list[np.ndarray]:
    """Kraus operators of the channels applied in order (the first one first)."""
    out = channels[0]
    for ch in channels[1:]:
        out = minimal([b @ a for a in out for b in ch])
    return out


def tensor(a: list[np.ndarray], b: list[np.ndarray]) -> list[np.ndarray]:
    """Kraus operators of a (first, most significant qubit) tensor b."""
    return [np.kron(x, y) for x in a for y in b]


def minimal(kraus: list[np.ndarray]) -> list[np.ndarray]:
    """An equivalent Kraus set of minimal size (eigenvectors of the Choi matrix)."""
    d = kraus[0].shape[0]
    vecs = np.stack([k.reshape(-1) for k in kraus], axis=1)
    choi = vecs @ vecs.conj().T
    w, v = np.linalg.eigh((choi + choi.conj().T) / 2)
    keep = w > 1e-14 * max(1.0, float(w.max()))
    return [math.sqrt(x) * v[:, i].reshape(d, d) for i, x in zip(np.where(keep)[0], w[keep],
                                                                 strict=True)]


def process_fidelity(kraus: list[np.ndarray]) -> float:
    """Process (entanglement) fidelity with the identity: sum_k |Tr K_k|^2 / d^2. A Pauli
    twirl keeps it: 1 - it is the total error probability of the twirled channel."""
    d = kraus[0].shape[0]
    return float(sum(abs(np.trace(k)) ** 2 for k in kraus) / d**2)


def average_gate_infidelity(kraus: list[np.ndarray]) -> float:
    d = kraus[0].shape[0]
    return 1.0 - (d * process_fidelity(kraus) + 1) / (d + 1)


def remainder_lambda(error: float, relax: list[np.ndarray] | None, n: int) -> float:
    """Aer's depolarizing parameter that brings the relaxation's infidelity up to `error`
    (qiskit_aer.noise.device.models._device_depolarizing_error, same clamps)."""
    d = 2**n
    relax_fid = 1.0 - (average_gate_infidelity(relax) if relax else 0.0)
    relax_infid = 1.0 - relax_fid
    if error <= relax_infid:
        return 0.0
    error = min(error, d / (d + 1))
    lam = d * (error - relax_infid) / (d * relax_fid - 1)
    return min(lam, 4**n / (4**n - 1))


def zz_kraus(theta: float) -> list[np.ndarray]:
    ph = np.exp(-0.5j * theta)
    return [np.diag([ph, ph.conjugate(), ph.conjugate(), ph])]


def pulses(name: str, angle: float | None = None) -> tuple[str, ...]:
    """The device pulses a canonical 1-qubit gate takes (module docstring)."""
    if name in VIRTUAL:
        return ()
    if name == "id":
        return ("id",)
    if name in ("x", "y"):
        return ("x",)
    if name == "h":
        return ("sx",)
    return ("sx", "sx")  # rx, ry: rz sx rz sx rz, as Qiskit's level-0 translation writes them


_SWAP = np.eye(4, dtype=complex)[[0, 2, 1, 3]]


def _lift(kraus: list[np.ndarray], k: int) -> list[np.ndarray]:
    """A 1-qubit channel on qubit k (0: the most significant) of a pair."""
    return tensor(kraus, [_I2]) if k == 0 else tensor([_I2], kraus)


@lru_cache(maxsize=64)
def native_sequence(gate: str, native: str, forward: bool, backward: bool
                    ) -> tuple[tuple[str, tuple[int, ...], np.ndarray], ...]:
    """How a canonical 2-qubit `gate` (cx, cz) on qubits (0, 1) runs on a device whose
    native gate is `native` (ecr, cz, cx), available 0 -> 1 (`forward`) and/or 1 -> 0: the
    steps of Qiskit's level-0 translation to the basis rz, sx, x, native (gate direction
    fixed as the transpiler fixes it), each (pulse name, "virtual" or "native", its qubits,
    its big-endian unitary on the pair). Their product is the gate up to a global phase."""
    from qiskit import QuantumCircuit, transpile
    from qiskit.circuit import Parameter
    from qiskit.circuit.library import CXGate as QCX
    from qiskit.circuit.library import CZGate as QCZ
    from qiskit.circuit.library import ECRGate, RZGate, SXGate, XGate
    from qiskit.quantum_info import Operator
    from qiskit.transpiler import InstructionProperties, Target

    target = Target(num_qubits=2)
    target.add_instruction(RZGate(Parameter("t")), {(q,): None for q in (0, 1)})
    for g in (SXGate(), XGate()):
        target.add_instruction(g, {(q,): InstructionProperties() for q in (0, 1)})
    pairs = [p for p, ok in (((0, 1), forward), ((1, 0), backward)) if ok]
    if not pairs:
        raise SpecError(f"no native {native} between the two qubits")
    target.add_instruction({"ecr": ECRGate(), "cz": QCZ(), "cx": QCX()}[native],
                           {p: InstructionProperties() for p in pairs})
    qc = QuantumCircuit(2)
    getattr(qc, gate)(0, 1)
    out = transpile(qc, target=target, optimization_level=0)
    steps = []
    total = np.eye(4, dtype=complex)
    for inst in out.data:
        qubits = tuple(out.find_bit(q).index for q in inst.qubits)
        one = QuantumCircuit(2)
        one.append(inst.operation, list(qubits))
        unitary = Operator(one.reverse_bits()).data  # Qiskit is little-endian
        name = inst.operation.name
        kind = "native" if name == native and len(qubits) == 2 else (
            "virtual" if name == "rz" else name)
        if kind not in ("native", "virtual", *PULSES_1Q):
            raise SpecError(f"translating {gate} to {native} gave {name}, not a device pulse")
        steps.append((kind, qubits, unitary))
        total = unitary @ total
    ideal = cirq.unitary(cirq.CNOT if gate == "cx" else cirq.CZ)
    overlap = np.trace(ideal.conj().T @ total) / 4
    assert abs(abs(overlap) - 1) < 1e-9, f"{gate} -> {native}: not the same gate"
    return tuple(steps)


# ----------------------------------------------------------------- the model

@dataclass(frozen=True, eq=False)
class DeviceNoise:
    """Noise from a device calibration, on the active physical qubits `layout` (simulated
    qubit i is physical qubit layout[i]). See the module docstring for the model."""

    calibration: Calibration
    layout: tuple[int, ...]
    noise_scale: float = 1.0
    coherent_zz: float = 0.0  # residual ZZ angle (radians) after every 2-qubit gate
    idle: bool = True
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        s = self.noise_scale
        if isinstance(s, bool) or not isinstance(s, int | float) or not math.isfinite(s) \
                or s <= 0:
            raise SpecError(f"noise_scale must be a positive number, got {s!r}")
        if not isinstance(self.coherent_zz, int | float) or not math.isfinite(self.coherent_zz):
            raise SpecError(f"coherent ZZ angle must be a number, got {self.coherent_zz!r}")
        n = self.calibration.n_qubits
        if any(not 0 <= q < n for q in self.layout) or len(set(self.layout)) != len(self.layout):
            raise SpecError(f"layout {self.layout} is not a set of qubits of device "
                            f"{self.calibration.name} ({n} qubits)")
        for q in self.layout:
            a, b = self._readout(q)
            if a + b >= 1.0:
                raise SpecError(f"qubit {q} of {self.calibration.name}: readout errors "
                                f"p01={a:.3g} + p10={b:.3g} >= 1 at noise_scale {s:g}: the "
                                "confusion matrix is singular")

    @classmethod
    def parse_coherent(cls, text: str | None) -> float:
        """`zz:RAD` -> the ZZ angle; None or '' -> 0."""
        if not text:
            return 0.0
        kind, _, value = str(text).partition(":")
        if kind.strip() != "zz":
            raise SpecError(f"coherent error {text!r}: expected zz:RADIANS")
        try:
            return float(value)
        except ValueError:
            raise SpecError(f"coherent error {text!r}: {value!r} is not a number") from None

    # -- calibration at this noise scale

    def _t1_t2(self, q: int) -> tuple[float, float]:
        cal = self.calibration
        return cal.t1[q] / self.noise_scale, cal.t2[q] / self.noise_scale

    def _readout(self, q: int) -> tuple[float, float]:
        s = self.noise_scale
        return (min(1.0, self.calibration.p01[q] * s), min(1.0, self.calibration.p10[q] * s))

    def relaxation(self, q: int, t: float) -> list[np.ndarray] | None:
        """Thermal relaxation of physical qubit q over t seconds (None if t = 0)."""
        if t <= 0:
            return None
        t1, t2 = self._t1_t2(q)
        if math.isinf(t1) and math.isinf(t2):
            return None
        return thermal_relaxation_kraus(t1, t2, t)

    def pulse_channel(self, pulse: str, q: int) -> tuple[list[np.ndarray] | None, float]:
        """(Kraus ops, duration) of one physical 1-qubit pulse on physical qubit q."""
        key = ("pulse", pulse, q)
        if key not in self._cache:
            e, t = self.calibration.one_qubit(pulse, q)
            relax = self.relaxation(q, t)
            lam = remainder_lambda(e * self.noise_scale, relax, 1)
            parts = ([depolarizing_kraus(lam, 1)] if lam > 0 else []) + ([relax] if relax else [])
            self._cache[key] = (compose(*parts) if parts else None, t)
        return self._cache[key]  # type: ignore[no-any-return]

    def native_channel(self, a: int, b: int) -> tuple[list[np.ndarray], float]:
        """(Kraus ops on (a, b), big-endian, duration) of the device's native 2-qubit gate on
        physical a, b: residual ZZ, depolarizing remainder, then thermal relaxation of both."""
        key = ("2q", a, b)
        if key not in self._cache:
            e, t = self.calibration.two_qubit(a, b)
            ra, rb = self.relaxation(a, t), self.relaxation(b, t)
            relax = tensor(ra or [_I2], rb or [_I2]) if (ra or rb) else None
            lam = remainder_lambda(e * self.noise_scale, relax, 2)
            parts = [zz_kraus(self.coherent_zz)] if self.coherent_zz else []
            parts += ([depolarizing_kraus(lam, 2)] if lam > 0 else [])
            parts += [minimal(relax)] if relax else []
            self._cache[key] = (compose(*parts) if parts else [np.eye(4, dtype=complex)], t)
        return self._cache[key]  # type: ignore[no-any-return]

    def two_qubit_channel(self, a: int, b: int, gate: str = "cx"
                          ) -> tuple[list[np.ndarray], float]:
        """(Kraus ops on (a, b) following the ideal canonical `gate` (cx, cz), duration): the
        gate as the device runs it (`native_sequence`), every pulse with its own noise, the
        native gate with `native_channel`, and (with idle noise) relaxation of a qubit while
        the other one is still pulsing; then the ideal gate undone, so that the channel
        follows the canonical gate."""
        key = ("2q-canonical", gate, a, b)
        if key not in self._cache:
            phys = (a, b)
            steps = native_sequence(gate, self.calibration.two_qubit_gate,
                                    *self.calibration.native_ways(a, b))
            clock = [0.0, 0.0]  # per qubit of the pair: time spent in its own pulses

            def wait(k: int, until: float) -> list[np.ndarray] | None:
                relax = self.relaxation(phys[k], until - clock[k]) if self.idle else None
                clock[k] = until
                return None if relax is None else _lift(relax, k)

            chans: list[list[np.ndarray]] = []
            for kind, qubits, unitary in steps:
                chans.append([unitary])
                if kind == "native":
                    start = max(clock)
                    chans += [w for w in (wait(0, start), wait(1, start)) if w is not None]
                    kraus, t = self.native_channel(*(phys[k] for k in qubits))
                    chans.append(kraus if qubits == (0, 1) else [_SWAP @ k @ _SWAP for k in kraus])
                    clock = [start + t, start + t]
                elif kind != "virtual":
                    ch, t = self.pulse_channel(kind, phys[qubits[0]])
                    if ch is not None:
                        chans.append(_lift(ch, qubits[0]))
                    clock[qubits[0]] += t
            end = max(clock)
            chans += [w for w in (wait(0, end), wait(1, end)) if w is not None]
            ideal = cirq.unitary(cirq.CNOT if gate == "cx" else cirq.CZ).conj().T
            self._cache[key] = ([k @ ideal for k in compose(*chans)], end)
        return self._cache[key]  # type: ignore[no-any-return]

    def gate_channel(self, op: cirq.Operation) -> tuple[list[np.ndarray] | None, float]:
        """(Kraus ops following the canonical operation, its duration)."""
        from ..lowering import gate_name

        qs = [self.layout[q.x] for q in op.qubits]  # type: ignore[attr-defined]
        if len(qs) == 2:
            return self.two_qubit_channel(qs[0], qs[1], gate_name(op)[0])
        if len(qs) != 1:
            raise SpecError(f"operation {op} acts on {len(qs)} qubits; lower it first")
        name, angle = gate_name(op)
        key = ("1q", pulses(name, angle), qs[0])
        if key not in self._cache:
            chans, total = [], 0.0
            for p in key[1]:
                ch, t = self.pulse_channel(p, qs[0])
                total += t
                if ch is not None:
                    chans.append(ch)
            self._cache[key] = (compose(*chans) if chans else None, total)
        return self._cache[key]  # type: ignore[no-any-return]

    def _kraus_gate(self, key: Any, kraus: list[np.ndarray], label: str) -> KrausNoise:
        gkey = ("gate", key)
        if gkey not in self._cache:
            self._cache[gkey] = KrausNoise(kraus, label)
        return self._cache[gkey]  # type: ignore[no-any-return]

    def circuit_seconds(self, circuit: cirq.Circuit) -> float:
        """How long the circuit runs on the device, as `apply` schedules it: every moment as
        long as its slowest gate (basis changes included), then the slowest readout of the
        active qubits (hardware time projection, `mitprof.hardware`)."""
        total = 0.0
        for moment in circuit:
            total += max((self.gate_channel(op)[1] for op in moment
                          if not cirq.is_measurement(op) and NOISELESS not in op.tags),
                         default=0.0)
        meas = self.calibration.measure_seconds
        return total + max((meas[q] for q in self.layout if q < len(meas)), default=0.0)

    # -- the NoiseModel protocol

    @property
    def n_qubits(self) -> int:
        return len(self.layout)

    @property
    def idle_noise(self) -> bool:
        return self.idle

    @property
    def readout(self) -> tuple[float, float]:
        """Mean (p01, p10) over the active qubits (per-qubit values: readout_rates)."""
        a, b = self.readout_rates()
        return (float(np.mean(a)), float(np.mean(b)))

    def readout_rates(self) -> tuple[np.ndarray, np.ndarray]:
        """Per simulated qubit (p01, p10)."""
        rates = [self._readout(q) for q in self.layout]
        return (np.array([r[0] for r in rates]), np.array([r[1] for r in rates]))

    def gate_depolarizing(self, op: cirq.Operation) -> float:
        """The Cirq depolarizing probability with the same process fidelity as the channel
        inserted after `op` (its Pauli twirl's total error probability). Idle noise is not
        included: a PEC representation built from this is mis-specified on purpose (as it
        is on hardware without a learned noise model), and its residual bias is a result."""
        if NOISELESS in op.tags or cirq.is_measurement(op):
            return 0.0
        kraus, _ = self.gate_channel(op)
        return 0.0 if kraus is None else max(0.0, 1.0 - process_fidelity(kraus))

    def apply(self, circuit: cirq.Circuit) -> cirq.Circuit:
        """Gate channels after every moment, then relaxation of every idle qubit for the
        rest of the layer, and each qubit's readout channel before measurement."""
        from ..lowering import gate_name

        qubits = cirq.LineQubit.range(self.n_qubits)
        out: list[cirq.Moment] = []
        for moment in circuit:
            before: list[cirq.Operation] = []
            after: list[cirq.Operation] = []
            busy: dict[Any, float] = {}
            layer = 0.0
            # rx/ry run as rz(c) sx rz(b) sx rz(a) (Qiskit's level-0 translation): the first
            # pulse's noise goes between the pulses, where the device applies it
            split: dict[Any, tuple[float, float, float]] = {}
            for op in moment:
                if any(q.x >= self.n_qubits for q in op.qubits):  # type: ignore[attr-defined]
                    raise SpecError(f"operation {op} is outside the device layout "
                                    f"({self.n_qubits} active qubits)")
                if is_measurement(op):
                    for q in op.qubits:
                        p01, p10 = self._readout(self.layout[q.x])  # type: ignore[attr-defined]
                        if p01 or p10:
                            before.append(ReadoutChannel(p01, p10).on(q))
                    continue
                if NOISELESS in op.tags:
                    continue
                kraus, t = self.gate_channel(op)
                layer = max(layer, t)
                for q in op.qubits:
                    busy[q] = t
                if len(op.qubits) == 1:
                    name, angle = gate_name(op)
                    if name in ("rx", "ry"):
                        assert angle is not None
                        phi, lam = (-np.pi / 2, np.pi / 2) if name == "rx" else (0.0, 0.0)
                        split[op.qubits[0]] = (lam, angle + np.pi, phi + 3 * np.pi)
                        kraus, _ = self.pulse_channel("sx", self.layout[op.qubits[0].x])  # type: ignore[attr-defined]
                if kraus is not None:  # cached per gate and qubits: id() is stable
                    after.append(self._kraus_gate(id(kraus), kraus, "G").on(*op.qubits))
            if before:
                out.append(cirq.Moment(before))
            if split:
                sx = cirq.rx(np.pi / 2)
                first = [n for n in after if n.qubits[0] in split]
                out.append(cirq.Moment(cirq.rz(a[0]).on(q) for q, a in split.items()))
                out.append(cirq.Moment(sx.on(op.qubits[0]) if op.qubits[0] in split and
                                       len(op.qubits) == 1 and not cirq.is_measurement(op)
                                       else op for op in moment))
                out.append(cirq.Moment(first))
                out.append(cirq.Moment(cirq.rz(a[1]).on(q) for q, a in split.items()))
                out.append(cirq.Moment(sx.on(q) for q in split))
                if after:
                    out.append(cirq.Moment(after))
                out.append(cirq.Moment(cirq.rz(a[2]).on(q) for q, a in split.items()))
            else:
                out.append(moment)
                if after:
                    out.append(cirq.Moment(after))
            idle: list[cirq.Operation] = []
            if self.idle and layer > 0:
                for q in qubits:
                    rest = layer - busy.get(q, 0.0)
                    if rest > 1e-15:
                        relax = self.relaxation(self.layout[q.x], rest)
                        if relax is not None:
                            key = ("idle", q.x, round(rest, 15))
                            idle.append(self._kraus_gate(key, relax, "T").on(q))
            if idle:
                out.append(cirq.Moment(idle))
        return cirq.Circuit(out)

    @cached_property
    def _summary(self) -> dict[str, Any]:
        cal = self.calibration
        e2 = [cal.two_qubit(a, b)[0] for a in self.layout for b in self.layout
              if a < b and (a, b) in set(cal.edges)]
        e1 = [cal.one_qubit("sx", q)[0] for q in self.layout]
        return {"median_1q_error": float(np.median(e1)),
                "median_2q_error": float(np.median(e2)) if e2 else None}

    def to_dict(self) -> dict[str, Any]:
        cal = self.calibration
        p01, p10 = self.readout_rates()
        return {"model": "device", "device": cal.name, "snapshot": cal.snapshot,
                "source": cal.source, "layout": list(self.layout),
                "noise_scale": self.noise_scale, "coherent_zz": self.coherent_zz,
                "idle_noise": self.idle, "two_qubit_gate": cal.two_qubit_gate,
                "t1": [cal.t1[q] / self.noise_scale for q in self.layout],
                "t2": [cal.t2[q] / self.noise_scale for q in self.layout],
                "p01_per_qubit": p01.tolist(), "p10_per_qubit": p10.tolist(),
                "p01": float(np.mean(p01)), "p10": float(np.mean(p10)),
                **{k: (v * self.noise_scale if v is not None else None)
                   for k, v in self._summary.items()}}
