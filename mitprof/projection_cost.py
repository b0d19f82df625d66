"""What a projected multiplier costs: bias, total shots to a target error and QPU seconds
at a projected width and depth (`mitprof.projection`'s rows).

- Bias (absolute, on the observable): each term's ideal value is taken as +-1 (the Pauli
  terms of stabilizer states, as in the Clifford families this is validated on: ghz,
  clifford_mirror), so the bias of a decay f is sum_t |c_t| (1 - f). Gate noise decays a
  term by f_g = exp(-x) (x: the summed error rates in its light cone; `cone_error`), the
  readout by the product of its qubits' confusion factors D_q. Labelled approximate.
  - unmitigated: 1 - f_g f_r.
  - ZNE (linear extrapolation with coefficients g_i at scales l_i; readout untouched):
    1 - f_r sum_i g_i f_g^l_i; not projected for other extrapolations.
  - PEC (full cancellation of the gates' noise; readout untouched): 1 - f_r.
  - readout correction (exact confusion inverse; gate noise untouched): 1 - f_g.
- Shots: N = M sigma0^2 / (e^2 - b^2) for standard error sqrt(e^2 - b^2), sigma0^2 the
  unmitigated variance per total shot, fitted on the store's unmitigated points as
  ln sigma0^2 = a + b ln(width) (empirical; its prediction interval from the residuals);
  unreachable where b >= e. The interval combines M's and sigma0^2's in ln N.
- QPU seconds: t_job + circuits t_circuit + N (t_rep + mean executed duration), the
  duration from `hardware.circuit_duration` (gate layers scaled by the ZNE scale factors);
  the Google-style model through its own fit. Interval: N's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .circuits import Workload
    from .hardware import HardwareModel
    from .noise import NoiseModel

Z95 = 1.959963984540054
Interval3 = tuple[float, float, float]


def cone_error(w: Workload, noise: NoiseModel) -> float:
    """|c|-weighted mean over the observable's terms of the summed error rates of the
    operations in each term's backward light cone."""
    ops = [(frozenset(q.x for q in op.qubits), noise.gate_depolarizing(op))  # type: ignore[attr-defined]
           for op in w.circuit.all_operations()]
    total = weight = 0.0
    for coeff, pauli in w.observable.terms:
        cone = {i for i, ch in enumerate(pauli) if ch != "I"}
        err = 0.0
        for qs, p in reversed(ops):
            if qs & cone:
                err += p
                cone |= qs
        total += abs(coeff) * err
        weight += abs(coeff)
    return total / weight if weight else 0.0


def term_decays(w: Workload, noise: NoiseModel) -> tuple[float, float, float]:
    """(sum_t |c_t|, gate decay exp(-x), readout decay): |c|-weighted means over terms."""
    from .noise.base import readout_rates

    p01, p10 = readout_rates(noise, w.n_qubits)
    d = 1.0 - p01 - p10
    total = weight = 0.0
    for coeff, pauli in w.observable.terms:
        total += abs(coeff) * float(np.prod([d[i] for i, ch in enumerate(pauli) if ch != "I"]))
        weight += abs(coeff)
    return weight, math.exp(-cone_error(w, noise)), (total / weight if weight else 1.0)


def bias(technique: str, details: Mapping[str, Any], scale: float, f_gate: float,
         f_read: float) -> tuple[float | None, str]:
    """(bias, label) or (None, the reason there is none). The noise model is given, so the
    bias has no interval of its own."""
    from . import theory

    if technique == "unmitigated":
        return scale * (1 - f_gate * f_read), "approximate"
    if technique == "pec":
        return scale * (1 - f_read), "approximate (unbiased in the gates at full cancellation)"
    if technique in ("rem", "rem_tensored", "trex"):
        return scale * (1 - f_gate), "approximate (exact confusion inverse; gate noise remains)"
    if technique == "zne":
        scales = details.get("scale_factors")
        factory = details.get("factory")
        if not scales or factory not in ("richardson", "linear"):
            return None, f"not projected: no decay model for the {factory} extrapolation"
        g = (theory.richardson_coefficients(scales) if factory == "richardson"
             else theory.polyfit_coefficients(scales, 1))
        f = float(np.sum(np.asarray(g) * f_gate ** np.asarray(scales, dtype=float)))
        return scale * abs(1 - f_read * f), "approximate (residual of the extrapolated decay)"
    return None, f"not projected: no bias model for {technique}"


@dataclass(frozen=True)
class VarianceFit:
    """ln sigma0^2 = a + b ln(width) on the unmitigated points (ordinary least squares)."""

    a: float
    b: float
    cov: np.ndarray
    s2: float  # residual variance
    dof: int

    @classmethod
    def of(cls, widths: Sequence[int], sigma2: Sequence[float]) -> VarianceFit | str:
        pts = sorted({(int(w), float(s)) for w, s in zip(widths, sigma2, strict=True)
                      if s > 0})
        if len({w for w, _ in pts}) < 2:
            return "unmitigated variance measured at fewer than 2 widths"
        x = np.log([w for w, _ in pts])
        y = np.log([s for _, s in pts])
        a_mat = np.column_stack([np.ones_like(x), x])
        theta, *_ = np.linalg.lstsq(a_mat, y, rcond=None)
        dof = len(pts) - 2
        res = y - a_mat @ theta
        s2 = float(res @ res / dof) if dof > 0 else 0.0
        return cls(float(theta[0]), float(theta[1]), np.linalg.pinv(a_mat.T @ a_mat), s2, dof)

    def predict(self, width: int) -> tuple[float, float]:
        """(sigma0^2, standard error of ln sigma0^2 for a new point)."""
        v = np.array([1.0, math.log(width)])
        return (math.exp(self.a + self.b * v[1]),
                math.sqrt(self.s2 * (1 + float(v @ self.cov @ v))))


def shots(m: Interval3, sigma0: tuple[float, float], target: float,
          b: float | None) -> tuple[Interval3 | None, str | None]:
    """Total shots to RMSE `target`, with its 95% interval, or why there is none."""
    if b is None:
        return None, "not projected: no bias projected"
    gap = target**2 - b**2
    if gap <= 0:
        return None, f"unreachable: the bias {b:.3g} is at least the target {target:.3g}"
    s2, se_ln = sigma0
    n = m[0] * s2 / gap
    # ln M's 95% half-widths (asymmetric) combined in quadrature with sigma0^2's
    lo = math.log(m[0] / m[1]) if m[1] > 0 else math.inf
    hi = math.log(m[2] / m[0])
    ext = Z95 * se_ln
    return (n, n * math.exp(-math.hypot(lo, ext)), n * math.exp(math.hypot(hi, ext))), None


def qpu_seconds(n: Interval3, circuit: Any, n_qubits: int, hw: HardwareModel,
                scales: Sequence[float], circuits: int) -> Interval3:
    """Projected seconds for the total shots n split equally over `scales` (ZNE's folds;
    [1] otherwise), in `circuits` distinct circuits."""
    from .hardware import _google_terms, circuit_duration

    if hw.kind == "google":
        per_shot = float(np.mean([_google_terms(n_qubits, int(len(circuit) * s))[1]
                                  for s in scales]))
        fixed = hw.t_job + sum(_google_terms(n_qubits, int(len(circuit) * s))[0]
                               for s in scales)
    else:
        import cirq

        # a device schedule's readout is what it gives an empty circuit
        measure = hw.timing.circuit_seconds(cirq.Circuit()) if hw.timing else hw.t_measure
        gates = circuit_duration(circuit, hw) - measure
        per_shot = hw.t_rep + float(np.mean(scales)) * gates + measure
        fixed = hw.t_job + circuits * hw.t_circuit
    t = (fixed + n[0] * per_shot, fixed + n[1] * per_shot, fixed + n[2] * per_shot)
    return t


def hardware_of(doc: Mapping[str, Any], noise: Any) -> HardwareModel | None:
    """The hardware model a profile recorded (on the device's durations where it was)."""
    from .hardware import PRESETS, get_model

    d = doc.get("hardware")
    if not isinstance(d, Mapping):
        return None
    if d.get("name") in PRESETS:
        hw = PRESETS[str(d["name"])]
    else:
        keys = ("t_1q", "t_2q", "t_measure", "t_rep", "t_circuit", "t_job")
        hw = get_model({k: float(d[k]) for k in keys if k in d})
    return hw.on_device(noise) if d.get("durations") else hw
