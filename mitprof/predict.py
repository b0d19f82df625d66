"""Theory values for each strategy *as run* (THEORY.md), from exact distributions.

Every prediction is an equal-precision shot multiplier: per-total-shot variance
of the mitigated estimator over that of the unmitigated one. Inputs are the
circuits the strategy actually executed and their exact noisy output
distributions; nothing here samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import cirq
import numpy as np

from . import theory
from .circuits import Workload
from .noise import Noise
from .observables import MeasurementGroup
from .strategies import PEC, REM, TREX, ZNE, CircuitLayer, Estimate, TensoredREM

Probabilities = Callable[[cirq.Circuit], np.ndarray]


@dataclass(frozen=True)
class Prediction:
    multiplier: float | None
    reason: str | None = None  # why multiplier is None, or what it assumes
    optimal_split: float | None = None  # ZNE: multiplier with shots split ~ |g_i| sigma_i
    floor: float | None = None  # quantum-Fisher floor for unbiased estimators, where it applies
    # "approximate": the formula leaves out a step of the method (Mitiq's projection of
    # the corrected distribution onto probabilities, active near the simplex edge)
    bound: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def consistent_with(self, ci_low: float, ci_high: float) -> bool | None:
        if self.multiplier is None:
            return None
        return ci_low <= self.multiplier <= ci_high


def baseline_sigma2(workload: Workload, probs: Probabilities) -> float:
    """Per-total-shot variance of the unmitigated estimator (one circuit per group)."""
    groups = workload.observable.groups
    var = sum(g.variance_from_probabilities(probs(g.measure_in(workload.circuit)))
              for g in groups)
    return float(len(groups) * var)


def _coefficients(layer: CircuitLayer, totals: Sequence[float]) -> np.ndarray:
    """dE0/dE_i: closed form for linear fits, delta method (central differences) otherwise."""
    if not isinstance(layer, ZNE):
        return np.ones(len(totals))
    scales = layer.used_scales
    if layer.factory == "richardson":
        return theory.richardson_coefficients(scales)
    if layer.factory in ("linear", "poly"):
        return theory.polyfit_coefficients(scales, 1 if layer.factory == "linear" else layer.order)
    fit = ZNE(factory="exp" if layer.factory == "adaexp" else layer.factory,
              scales=tuple(scales), order=layer.order)
    t = np.asarray(totals, dtype=float)
    h = 1e-5
    out = []
    for i in range(len(t)):
        up, down = t.copy(), t.copy()
        up[i] += h
        down[i] -= h
        out.append((fit.extrapolate(list(up)) - fit.extrapolate(list(down))) / (2 * h))
    return np.asarray(out)


def _execs(est: Estimate) -> list[tuple[cirq.Circuit, MeasurementGroup, int]]:
    return est._execs


def _by_scale(est: Estimate, per_exec: list[Any]) -> list[list[Any]]:
    """Regroup a flat per-exec list into [group][scale]."""
    out, i = [], 0
    for n in est._shape:
        out.append(per_exec[i: i + n])
        i += n
    return out


def predict(est: Estimate, trial_estimates: Sequence[Estimate], workload: Workload,
            noise: Noise, probs: Probabilities, sigma0_2: float) -> Prediction:
    layer, readout = est.strategy.circuit_layer, est.strategy.readout
    total_shots = sum(j.shots for j in est.history)
    if isinstance(readout, TREX):
        return Prediction(None, "TREX's per-randomization ratio estimator has no closed form "
                                "implemented here")
    if isinstance(layer, PEC):
        if isinstance(readout, REM):
            return Prediction(None, "REM calibration noise couples every sampled PEC circuit; "
                                    "not derived")
        return _predict_pec(est, trial_estimates, workload, noise, probs, sigma0_2)
    if getattr(layer, "adaptive", False):
        note = "adaptive scale factors fixed at those of the timed run"
    else:
        note = None
    execs = _execs(est)
    exact_p = [probs(g.measure_in(c)) for c, g, _ in execs]
    if isinstance(readout, REM):
        return _predict_rem(est, execs, exact_p, workload, probs, sigma0_2, total_shots)
    means = [g.expectation_from_probabilities(p) for (_, g, _), p in zip(execs, exact_p,
                                                                        strict=True)]
    variances = [g.variance_from_probabilities(p) for (_, g, _), p in zip(execs, exact_p,
                                                                         strict=True)]
    shots = [s for _, _, s in execs]
    e = _by_scale(est, means)
    totals = [float(sum(col)) for col in zip(*e, strict=True)]
    try:
        coeffs = _coefficients(layer, totals)
    except Exception as exc:  # Mitiq's nonlinear fit fails on the exact data
        return Prediction(None, f"the extrapolation fit fails on the exact noisy values: {exc}")
    v_scale = np.sum(np.asarray(_by_scale(est, variances)), axis=0)  # sum over groups
    n_scale = np.asarray(_by_scale(est, shots)[0], dtype=float)
    var = float(np.sum(coeffs**2 * v_scale / n_scale))
    mult = total_shots * var / sigma0_2
    optimal = None
    if isinstance(layer, ZNE):
        g_count = len(est._shape)
        optimal = float(g_count * np.sum(np.abs(coeffs) * np.sqrt(v_scale)) ** 2 / sigma0_2)
    return Prediction(mult, note, optimal_split=optimal,
                      extra={"coefficients": [float(c) for c in coeffs],
                             "exact_values": totals})


def _predict_pec(est: Estimate, trial_estimates: Sequence[Estimate], workload: Workload,
                 noise: Noise, probs: Probabilities, sigma0_2: float) -> Prediction:
    """THEORY.md's PEC variance, generalised to non-+-1 observables:
    sigma^2 = gamma^2 E_q[v_j] + s (gamma^2 E_q[E_j^2] - mu^2) per total shot, with
    v_j the per-shot variance of sampled circuit j; E_q estimated over every sampled
    circuit of every trial (exact E_j, v_j)."""
    layer = est.strategy.circuit_layer
    assert isinstance(layer, PEC)
    pool = [t for t in trial_estimates if isinstance(t.strategy.circuit_layer, PEC)] or [est]
    n_groups = len(est._shape)
    var_total, shots_total, gammas, parts = 0.0, 0, [], []
    for gi in range(n_groups):
        e_vals, v_vals, x_vals = [], [], []
        for t in pool:
            tl = t.strategy.circuit_layer
            assert isinstance(tl, PEC)
            execs = _by_scale(t, _execs(t))[gi]
            for (c, g, _), sign in zip(execs, tl.signs[gi], strict=True):
                p = probs(g.measure_in(c))
                ej = g.expectation_from_probabilities(p)
                e_vals.append(ej)
                v_vals.append(g.variance_from_probabilities(p))
                x_vals.append(tl.gammas[gi] * sign * ej)
        gamma = layer.gammas[gi]
        gammas.append(gamma)
        s = _execs(est)[0][2]
        m = est._shape[gi]
        mu = float(np.mean(x_vals))
        sigma2 = gamma**2 * float(np.mean(v_vals)) + s * (gamma**2 * float(np.mean(
            np.square(e_vals))) - mu**2)
        var_total += sigma2 / (m * s)
        shots_total += m * s
        parts.append({"gamma": gamma, "mean_v": float(np.mean(v_vals)),
                      "mean_e2": float(np.mean(np.square(e_vals))), "mu": mu})
    mult = shots_total * var_total / sigma0_2
    floor = None
    reason = "E_q averages estimated over every sampled circuit of every trial"
    exact_model = layer.model == "global" and layer.noise_scale == 1.0
    if workload.n_qubits == 1 and exact_model and noise.p01 == noise.p10 == 0.0:
        n_gates = sum(1 for _ in est.logicals[0].all_operations())
        floor = theory.unbiased_floor(noise.p1, n_gates)
    return Prediction(float(mult), reason, floor=floor,
                      extra={"gamma": float(np.prod(gammas)),
                             "gamma_squared": float(np.prod(gammas)) ** 2, "groups": parts})


def pec_sigma2(parts: Sequence[dict[str, float]], s: int) -> float:
    """Per-total-shot variance of PEC with s shots per sampled circuit, every group
    getting the same samples and shots: N Var = G sum_g sigma_g^2(s)."""
    return float(len(parts) * sum(
        p["gamma"] ** 2 * p["mean_v"] + s * (p["gamma"] ** 2 * p["mean_e2"] - p["mu"] ** 2)
        for p in parts))


def _confusion(p01: np.ndarray, p10: np.ndarray | None, qubits: Sequence[int]) -> np.ndarray:
    assert p10 is not None, "per-qubit confusion needs p10"
    a = np.ones((1, 1))
    for q in qubits:
        a = np.kron(a, np.array([[1 - p01[q], p10[q]], [p01[q], 1 - p10[q]]]))
    return a


def _predict_rem(est: Estimate, execs: list[tuple[cirq.Circuit, MeasurementGroup, int]],
                 exact_p: list[np.ndarray], workload: Workload, probs: Probabilities,
                 sigma0_2: float, total_shots: int) -> Prediction:
    """Inverse-confusion variance sum_y P(y) g(y)^2 - E_c^2, plus Mitiq's redraw
    (variance of f under the corrected distribution), plus calibration noise by the
    delta method (binomial p01/p10 per qubit; multinomial columns for full)."""
    readout = est.strategy.readout
    assert isinstance(readout, REM)
    redraw = not isinstance(readout, TensoredREM)  # only Mitiq's REM projects and redraws
    n = workload.n_qubits
    cal_jobs = [j for j in est.jobs if j.role == "calibration"]
    cal_p = [probs(j.circuit) for j in cal_jobs]
    cal_shots = cal_jobs[0].shots
    full = readout.calibration == "full"
    if full and any(len(g.measured_qubits) != n for _, g, _ in execs):
        return Prediction(None, "full calibration with a partly measured register: not derived")

    def marginal(p: np.ndarray, q: int) -> float:
        idx = np.arange(p.size)
        return float(p[((idx >> (n - 1 - q)) & 1) == 1].sum())

    p01 = np.array([marginal(cal_p[0], q) for q in range(n)])
    ones = [cal_p[-1]] * n if readout.calibration == "tensored" else cal_p[1:]
    p10 = np.array([1.0 - marginal(ones[q], q) for q in range(n)]) if not full else None
    full_a = np.stack(cal_p, axis=1) if full else None  # A[y, x] = P(read y | prepared x)

    inversion: list[float] = []

    def corrected(a01: np.ndarray, a10: np.ndarray | None, a_full: np.ndarray | None
                  ) -> tuple[list[float], list[float], list[np.ndarray], list[np.ndarray]]:
        values, variances, gs, qs = [], [], [], []
        inversion.clear()
        for (_, g, _), p in zip(execs, exact_p, strict=True):
            a = a_full if a_full is not None else _confusion(a01, a10, g.measured_qubits)
            f = g.values()
            ginv = np.linalg.solve(a.T, f)
            q = np.linalg.solve(a, p)
            ec = float(p @ ginv)
            var_inv = float(p @ ginv**2) - ec**2
            var_redraw = float(q @ f**2) - float(q @ f) ** 2 if redraw else 0.0
            values.append(ec)
            inversion.append(var_inv)
            variances.append(var_inv + var_redraw)
            gs.append(ginv)
            qs.append(q)
        return values, variances, gs, qs

    values, variances, gs, qs = corrected(p01, p10, full_a)
    inversion_per_exec = list(inversion)
    layer = est.strategy.circuit_layer
    e = _by_scale(est, values)
    totals = [float(sum(col)) for col in zip(*e, strict=True)]
    coeffs = _coefficients(layer, totals)
    weights = np.concatenate([coeffs for _ in est._shape])  # per exec, group-major
    shots = np.asarray([s for _, _, s in execs], dtype=float)
    var_stat = float(np.sum(weights**2 * np.asarray(variances) / shots))

    if full:
        assert full_a is not None
        var_cal = 0.0
        for x in range(full_a.shape[1]):
            # dF/dA[y,x] = -sum_k w_k g_k(y) q_k(x): multinomial column x of the calibration
            d = -sum(w * gk * qk[x] for w, gk, qk in zip(weights, gs, qs, strict=True))
            col = full_a[:, x]
            var_cal += (float(col @ d**2) - float(col @ d) ** 2) / cal_shots
    else:
        assert p10 is not None

        def f_of(a01: np.ndarray, a10: np.ndarray) -> float:
            vals = corrected(a01, a10, None)[0]
            return float(np.dot(weights, vals))

        var_cal, h = 0.0, 1e-6
        for q in range(n):
            for which, base in ((0, p01), (1, p10)):
                up, down = base.copy(), base.copy()
                up[q] += h
                down[q] -= h
                if which == 0:
                    grad = (f_of(up, p10) - f_of(down, p10)) / (2 * h)
                else:
                    grad = (f_of(p01, up) - f_of(p01, down)) / (2 * h)
                var_cal += grad**2 * base[q] * (1 - base[q]) / cal_shots
    mult = total_shots * (var_stat + var_cal) / sigma0_2
    # Mitiq projects the corrected distribution onto probabilities (a numerical
    # optimisation); where an exact corrected probability lies within 3 sd of zero the
    # projection is active and changes the variance, which the formula leaves out.
    near_edge = False
    for (_, g, s_k), p_raw, q_corr in zip(execs, exact_p, qs, strict=True) if redraw else ():
        a_k = full_a if full_a is not None else _confusion(p01, p10, g.measured_qubits)
        a_inv = np.linalg.pinv(a_k)
        sd = np.sqrt(np.maximum((a_inv**2) @ (p_raw * (1 - p_raw)), 0.0) / s_k)
        near_edge |= bool(np.any(q_corr < 3 * sd))
    reason = ("approximate: the corrected distribution is within 3 sd of the probability "
              "simplex's edge, where Mitiq's projection onto probabilities (not modelled) is "
              "active") if near_edge else None
    return Prediction(float(mult), reason, bound="approximate" if near_edge else None,
                      extra={"variance_inversion_and_redraw": var_stat * total_shots,
                             "variance_calibration": float(var_cal) * total_shots,
                             "inversion_variance_per_shot": inversion_per_exec,
                             "raw_values": [float(g.expectation_from_probabilities(p))
                                            for (_, g, _), p in zip(execs, exact_p, strict=True)],
                             "coefficients": [float(c) for c in coeffs]})
