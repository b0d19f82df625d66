"""Projected QPU time of the circuits a strategy runs (THEORY.md's time model).

IBM-style: T = T_job + sum_c [t_c + S_c (t_rep + T_circ,c)], with T_circ the
sum of layer durations (each layer as long as its slowest gate; Z rotations
are virtual) plus the measurement. Google-style (cirq_google's 2021 fit):
T = latency + sum_c [start-up(w, d_c) + S_c / rate(w, d_c)].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .errors import SpecError
from .lowering import gate_name

if TYPE_CHECKING:
    import cirq

VIRTUAL = {"rz", "z", "s", "sdg", "t", "tdg"}  # frame changes: zero duration on IBM devices


@dataclass(frozen=True)
class HardwareModel:
    name: str
    source: str
    kind: str = "ibm"  # "ibm" (per-shot rep delay) or "google" (repetition-rate fit)
    t_1q: float = 0.0  # seconds per physical 1q pulse (sx)
    t_2q: float = 0.0
    t_measure: float = 0.0
    t_rep: float = 250e-6  # repetition delay per shot
    t_circuit: float = 0.0  # fixed cost per distinct circuit
    t_job: float = 0.0  # fixed cost per job (one estimate is one job)
    # a device's own schedule (`DeviceNoise.circuit_seconds`) instead of t_1q, t_2q, t_measure
    timing: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, object]:
        d = asdict(replace(self, timing=None))
        del d["timing"]
        if self.timing is not None:
            cal = self.timing.calibration
            d["durations"] = (f"device {cal.name} calibration ({cal.snapshot or 'synthetic'}):"
                              " its gate and readout durations replace t_1q, t_2q, t_measure")
        return d

    def on_device(self, noise: Any) -> HardwareModel:
        """This model with a device's gate and readout durations (IBM-style models only: the
        Google fit has no gate durations), where `noise` is a device's."""
        if self.kind != "ibm" or not hasattr(noise, "circuit_seconds"):
            return self
        return replace(self, timing=noise)


PRESETS: dict[str, HardwareModel] = {
    "ibm_eagle": HardwareModel(
        "ibm_eagle", "IBM Eagle calibration snapshot (e.g. Brisbane): sx 60 ns, ECR 660 ns, "
        "measure 1.3 us, default rep delay 250 us; ~2 s per sub-job (IBM usage estimate). "
        "No per-circuit overhead figure is published: t_circuit = 0 (user-settable).",
        t_1q=60e-9, t_2q=660e-9, t_measure=1.3e-6, t_rep=250e-6, t_job=2.0),
    "ibm_heron": HardwareModel(
        "ibm_heron", "IBM Heron calibration snapshot (e.g. Torino/Fez): sx 24-32 ns (28 used), "
        "CZ 68-84 ns (76 used), measure ~1.6 us, default rep delay 250 us; ~2 s per sub-job. "
        "t_circuit = 0 (user-settable).",
        t_1q=28e-9, t_2q=76e-9, t_measure=1.6e-6, t_rep=250e-6, t_job=2.0),
    "google_sycamore": HardwareModel(
        "google_sycamore", "cirq_google runtime estimator (2021 fit): fixed latency 1.5 s; "
        "start-up ((w/8)(d/125) + w/12) s per circuit; repetition rate "
        "24000 / (0.9 + w/38) / (0.9 + d/5000) per second.",
        kind="google", t_job=1.5),
}


def get_model(name_or_params: str | dict[str, float] | HardwareModel) -> HardwareModel:
    """A preset by name, or a custom model from parameters (t_1q, t_2q, t_measure, ...)."""
    if isinstance(name_or_params, HardwareModel):
        return name_or_params
    if isinstance(name_or_params, str):
        if name_or_params not in PRESETS:
            raise SpecError(f"unknown hardware model {name_or_params!r}; valid: "
                            f"{', '.join(PRESETS)} (or give parameters)")
        return PRESETS[name_or_params]
    allowed = {"t_1q", "t_2q", "t_measure", "t_rep", "t_circuit", "t_job"}
    bad = set(name_or_params) - allowed
    if bad:
        raise SpecError(f"unknown hardware parameters {sorted(bad)}; valid: {sorted(allowed)}")
    for key, value in name_or_params.items():
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not math.isfinite(value) or value < 0):
            raise SpecError(f"hardware parameter {key}={value!r}: durations must be finite, "
                            "non-negative numbers (seconds)")
    v = {k: float(x) for k, x in name_or_params.items()}
    return HardwareModel("custom", "user-given parameters", t_1q=v.get("t_1q", 0.0),
                         t_2q=v.get("t_2q", 0.0), t_measure=v.get("t_measure", 0.0),
                         t_rep=v.get("t_rep", 250e-6), t_circuit=v.get("t_circuit", 0.0),
                         t_job=v.get("t_job", 0.0))


def circuit_duration(circuit: cirq.Circuit, model: HardwareModel) -> float:
    """Sum over layers of the slowest gate, plus one measurement (a device's own schedule
    where the model is `on_device`)."""
    if model.timing is not None:
        return float(model.timing.circuit_seconds(circuit))
    import cirq

    total = 0.0
    for moment in circuit:
        longest = 0.0
        for op in moment:
            if cirq.is_measurement(op):
                continue
            name, _ = gate_name(op)
            if len(op.qubits) == 2:
                t = model.t_2q
            elif name in VIRTUAL:
                t = 0.0
            elif name in ("rx", "ry"):
                t = 2 * model.t_1q  # two sx pulses around virtual rz
            else:
                t = model.t_1q
            longest = max(longest, t)
        total += longest
    return total + model.t_measure


def _google_terms(width: int, depth: int) -> tuple[float, float]:
    startup = (width / 8) * (depth / 125) + width / 12
    rate = 24000 / (0.9 + width / 38) / (0.9 + depth / 5000)
    return startup, 1.0 / rate


def project(circuits: Sequence[tuple[cirq.Circuit, int]], model: HardwareModel,
            n_qubits: int) -> float:
    """Projected seconds for one job running each (circuit, shots)."""
    total = model.t_job
    for circuit, shots in circuits:
        if model.kind == "google":
            startup, per_shot = _google_terms(n_qubits, len(circuit))
            total += startup + shots * per_shot
        else:
            total += model.t_circuit + shots * (model.t_rep + circuit_duration(circuit, model))
    return float(total)


def pec_best_shots_per_sample(sigma2_of_s: Sequence[float], target: float, t_circuit: float,
                              t_shot: float, t_job: float) -> tuple[int, float]:
    """Shots per sampled circuit minimising T(s) = t_job + M(s)(t_circuit + s t_shot)
    at standard error `target`, where M(s) = sigma^2(s) / (s target^2) samples.
    `sigma2_of_s[k]` is the per-total-shot variance at s = k + 1."""
    best = (1, float("inf"))
    for k, sigma2 in enumerate(sigma2_of_s):
        s = k + 1
        m = max(1.0, sigma2 / (s * target**2))
        t = t_job + m * (t_circuit + s * t_shot)
        if t < best[1]:
            best = (s, float(t))
    return best


def circuit_and_shot_seconds(circuits: Sequence[cirq.Circuit], model: HardwareModel,
                             width: int) -> tuple[float, float]:
    """(fixed seconds per distinct circuit, seconds per shot) averaged over `circuits`."""
    import numpy as np

    if model.kind == "google":
        return _google_terms(width, int(np.mean([len(c) for c in circuits])))
    return model.t_circuit, model.t_rep + float(np.mean([circuit_duration(c, model)
                                                         for c in circuits]))
