"""Readout-error mitigation: Mitiq's inverse confusion matrix, and a scalable variant.

Theory: the inverse-confusion variance sum_y P(y) g(y)^2 - E_c^2, plus Mitiq's
redraw (the variance of f under the corrected distribution), plus calibration
noise by the delta method (binomial p01/p10 per qubit; multinomial columns for a
full calibration).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..errors import SpecError
from ..noise.base import readout_rates
from .base import (
    Exec,
    Job,
    Prediction,
    PredictionContext,
    ReadoutTechnique,
    choice,
    seeded_global_numpy,
)
from .unmitigated import _Parities

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel
    from ..observables import MeasurementGroup
    from .compose import Estimate

CALIBRATIONS = ("tensored", "per_qubit", "full")
MAX_FULL_CALIBRATION_QUBITS = 8


def _prep_circuit(ones: Sequence[int], n_qubits: int) -> cirq.Circuit:
    import cirq

    qs = cirq.LineQubit.range(n_qubits)
    return cirq.Circuit([cirq.X(qs[i]) for i in ones], cirq.measure(*qs, key="m"))


def _confusion(p01: np.ndarray, p10: np.ndarray | None, qubits: Sequence[int]) -> np.ndarray:
    assert p10 is not None, "per-qubit confusion needs p10"
    a = np.ones((1, 1))
    for q in qubits:
        a = np.kron(a, np.array([[1 - p01[q], p10[q]], [p01[q], 1 - p10[q]]]))
    return a


@dataclass(frozen=True)
class REM(ReadoutTechnique):
    calibration: str = "tensored"

    name = "rem"
    help = "readout-error mitigation (Mitiq's inverse confusion matrix)"
    options = {"calibration": "tensored|per_qubit|full (full: 2^n circuits, at most "
                              f"{MAX_FULL_CALIBRATION_QUBITS} qubits)"}
    corrects = frozenset({"readout"})
    redraws = True  # Mitiq projects the corrected distribution and redraws shots from it
    calibrations: ClassVar[tuple[str, ...]] = CALIBRATIONS
    what: ClassVar[str] = "REM calibration"

    examples: ClassVar[tuple[str, ...]] = ("calibration=per_qubit", "calibration=full")

    @classmethod
    def from_options(cls, opts: Mapping[str, str]) -> REM:
        return cls(calibration=choice(opts.get("calibration"), cls.what, "tensored",
                                      cls.calibrations))

    def __post_init__(self) -> None:
        if self.calibration not in self.calibrations:
            raise SpecError(f"unknown {self.what} {self.calibration!r}; "
                            f"valid: {', '.join(self.calibrations)}")

    @property
    def label(self) -> str:
        return f"{self.name}[{self.calibration}]"

    def start(self) -> REMRun:
        return REMRun(self)

    def calibration_states(self, n_qubits: int) -> list[list[int]]:
        if self.calibration == "tensored":
            return [[], list(range(n_qubits))]
        if self.calibration == "per_qubit":
            return [[]] + [[q] for q in range(n_qubits)]
        if n_qubits > MAX_FULL_CALIBRATION_QUBITS:
            raise SpecError(f"rem calibration=full runs 2^n circuits: {n_qubits} qubits is over "
                            f"the limit of {MAX_FULL_CALIBRATION_QUBITS}; use tensored")
        return [[q for q in range(n_qubits) if (x >> (n_qubits - 1 - q)) & 1]
                for x in range(2**n_qubits)]

    def predict_linear(self, est: Estimate, ctx: PredictionContext) -> Prediction:
        return _predict(self, est, ctx)

    def exact_values(self, est: Estimate, ctx: PredictionContext) -> list[float]:
        """Values corrected with the exact confusion matrix (the noise model's readout error:
        no shot or calibration noise)."""
        n = ctx.workload.n_qubits
        p01, p10 = readout_rates(ctx.noise, n)
        out = []
        for c, g, _ in est.execs:
            a = _confusion(p01, p10, g.measured_qubits)
            out.append(float(g.values() @ np.linalg.solve(a, ctx.probs(g.measure_in(c)))))
        return out

    def cost_estimate(self, groups: Sequence[MeasurementGroup], noise: NoiseModel
                      ) -> float | None:
        """prod over measured qubits of 1 / (1 - p01 - p10)^2 (THEORY), largest group."""
        n = max((max(g.measured_qubits) + 1 for g in groups if g.measured_qubits), default=0)
        p01, p10 = readout_rates(noise, n)
        d = 1.0 - p01 - p10
        return max(float(np.prod(d[list(g.measured_qubits)] ** -2.0)) for g in groups)


class REMRun(_Parities):
    def __init__(self, rem: REM) -> None:
        self.rem = rem
        self._cal_jobs = 0
        self._seed = 0
        self._n = 0
        self._inverses: dict[tuple[int, ...], np.ndarray] = {}

    def jobs(self, execs: list[Exec], n_qubits: int, rng: np.random.Generator) -> list[Job]:
        self._seed = int(rng.integers(2**31))
        shots = max(s for _, _, s in execs)
        cal = [Job(_prep_circuit(ones, n_qubits), shots, "calibration")
               for ones in self.rem.calibration_states(n_qubits)]
        self._cal_jobs = len(cal)
        self._n = n_qubits
        return cal + super().jobs(execs, n_qubits, rng)

    def _inverse(self, cal_bits: list[np.ndarray], measured: tuple[int, ...]) -> np.ndarray:
        from mitiq.rem import generate_tensored_inverse_confusion_matrix

        if measured in self._inverses:
            return self._inverses[measured]
        if self.rem.calibration == "full":
            m = len(measured)
            conf = np.zeros((2**m, 2**m))
            states = self.rem.calibration_states(self._n)
            weights = 1 << np.arange(m - 1, -1, -1)
            for ones, b in zip(states, cal_bits, strict=True):
                if any(q not in measured for q in ones):
                    continue  # qubits outside the group stay in |0>
                x = sum(1 << (m - 1 - measured.index(q)) for q in ones)
                ys = b[:, list(measured)].astype(np.int64) @ weights
                conf[:, x] = np.bincount(ys, minlength=2**m) / len(ys)
            inv = np.linalg.pinv(conf)
        else:
            mats = []
            for q in measured:
                p01, p10 = self.flip_rates(cal_bits, q)
                mats.append(np.array([[1 - p01, p10], [p01, 1 - p10]]))
            inv = generate_tensored_inverse_confusion_matrix(len(measured), mats)
        self._inverses[measured] = inv
        return inv

    def flip_rates(self, cal_bits: list[np.ndarray], q: int) -> tuple[float, float]:
        """(p01, p10) of qubit q measured in the calibration circuits."""
        ones_bits = cal_bits[-1] if self.rem.calibration == "tensored" else cal_bits[1 + q]
        return float(cal_bits[0][:, q].mean()), float(1.0 - ones_bits[:, q].mean())

    def expectations(self, execs: list[Exec], bits: list[np.ndarray]) -> list[float]:
        from mitiq import MeasurementResult
        from mitiq.rem import mitigate_measurements

        cal, main = bits[: self._cal_jobs], bits[self._cal_jobs:]
        self._inverses = {}
        out = []
        with seeded_global_numpy(self._seed):
            for (_, g, _), b in zip(execs, main, strict=True):
                inv = self._inverse(cal, g.measured_qubits)
                fixed = mitigate_measurements(
                    MeasurementResult(b.tolist(), g.measured_qubits), inv)
                out.append(g.expectation(np.asarray(fixed.result, dtype=np.uint8)))
        return out


@dataclass(frozen=True)
class TensoredREM(REM):
    """Readout correction for Z-type observables under a tensored confusion model.

    For a product f = prod_q z_q the corrected estimator is the shot average of
    g(y) = prod_q (A_q^-T z)(y_q) (THEORY.md), so each shot costs one product over
    the term's qubits: linear in shots and qubits, where Mitiq's REM inverts a dense
    2^n matrix and redraws the shots.
    """

    name = "rem_tensored"
    help = ("scalable readout correction for Z-type observables: per-shot product of "
            "per-qubit inverse-confusion factors, cost linear in shots and qubits (no 2^n "
            "matrix, no resampling)")
    options = {"calibration": "tensored|per_qubit"}
    redraws = False
    calibrations: ClassVar[tuple[str, ...]] = ("tensored", "per_qubit")
    what = "rem_tensored calibration"
    examples: ClassVar[tuple[str, ...]] = ("calibration=per_qubit",)

    def start(self) -> TensoredREMRun:
        return TensoredREMRun(self)


class TensoredREMRun(REMRun):
    def factors(self, cal_bits: list[np.ndarray]) -> np.ndarray:
        """(n, 2) array: the corrected value of Z_q for a read bit 0 or 1, per qubit."""
        out = np.empty((self._n, 2))
        for q in range(self._n):
            p01, p10 = self.flip_rates(cal_bits, q)
            a = np.array([[1 - p01, p10], [p01, 1 - p10]])
            out[q] = np.linalg.solve(a.T, np.array([1.0, -1.0]))
        return out

    def expectations(self, execs: list[Exec], bits: list[np.ndarray]) -> list[float]:
        cal, main = bits[: self._cal_jobs], bits[self._cal_jobs:]
        g_q = self.factors(cal)
        out = []
        for (_, g, _), b in zip(execs, main, strict=True):
            total = 0.0
            for coeff, cols in g.terms:
                prod = np.ones(len(b))
                for c in cols:
                    prod *= g_q[g.measured_qubits[c]][b[:, c]]
                total += coeff * float(prod.mean())
            out.append(total)
        return out


def _predict(rem: REM, est: Estimate, ctx: PredictionContext) -> Prediction:
    """Inverse-confusion variance, Mitiq's redraw where it redraws, and calibration noise."""
    execs = est.execs
    probs = ctx.probs
    exact_p = [probs(g.measure_in(c)) for c, g, _ in execs]
    redraw = rem.redraws
    n = ctx.workload.n_qubits
    cal_jobs = [j for j in est.jobs if j.role == "calibration"]
    cal_p = [probs(j.circuit) for j in cal_jobs]
    cal_shots = cal_jobs[0].shots
    full = rem.calibration == "full"
    if full and any(len(g.measured_qubits) != n for _, g, _ in execs):
        return Prediction(None, "full calibration with a partly measured register: not derived")

    def marginal(p: np.ndarray, q: int) -> float:
        idx = np.arange(p.size)
        return float(p[((idx >> (n - 1 - q)) & 1) == 1].sum())

    p01 = np.array([marginal(cal_p[0], q) for q in range(n)])
    ones = [cal_p[-1]] * n if rem.calibration == "tensored" else cal_p[1:]
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
    totals = [float(sum(col)) for col in zip(*est.by_group(values), strict=True)]
    coeffs = est.circuit.coefficients(totals)
    weights = np.concatenate([coeffs for _ in est.shape])  # per exec, group-major
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
    mult = est.total_shots * (var_stat + var_cal) / ctx.sigma0_2
    # Mitiq projects the corrected distribution onto probabilities (a numerical
    # optimisation); where an exact corrected probability lies within 3 sd of zero the
    # projection is active and changes the variance, which the formula above leaves out.
    near_edge = False
    for (_, g, s_k), p_raw, q_corr in zip(execs, exact_p, qs, strict=True) if redraw else ():
        a_k = full_a if full_a is not None else _confusion(p01, p10, g.measured_qubits)
        a_inv = np.linalg.pinv(a_k)
        sd = np.sqrt(np.maximum((a_inv**2) @ (p_raw * (1 - p_raw)), 0.0) / s_k)
        near_edge |= bool(np.any(q_corr < 3 * sd))
    extra: dict[str, Any] = {
        "variance_inversion_and_redraw": var_stat * est.total_shots,
        "variance_calibration": float(var_cal) * est.total_shots,
        "inversion_variance_per_shot": inversion_per_exec,
        "raw_values": [float(g.expectation_from_probabilities(p))
                       for (_, g, _), p in zip(execs, exact_p, strict=True)],
        "coefficients": [float(c) for c in coeffs], "near_simplex_edge": near_edge}
    if not redraw:
        # linear in the counts for a fixed calibration: exact but for the calibration term,
        # which is first order in 1/calibration shots
        return Prediction(float(mult), "calibration noise to first order (delta method); the "
                                       "inversion variance is exact",
                          bound="approximate", extra=extra)
    # Mitiq's estimator (inverse, projection onto probabilities, redraw) is a deterministic
    # function of the calibration and shot counts: its variance by Monte Carlo over them
    extra["first_order_multiplier"] = float(mult)
    mc = _monte_carlo(rem, est, ctx, exact_p, cal_p, cal_shots, weights)
    extra.update({"monte_carlo_draws": mc.draws, "monte_carlo_relative_se": mc.rel_se})
    reason = (f"Monte Carlo over {mc.draws} draws of calibration and shot counts from the exact "
              f"distributions through Mitiq's estimator (inverse, projection onto "
              f"probabilities, redraw): relative standard error {100 * mc.rel_se:.1f}%")
    return Prediction(float(est.total_shots * mc.variance / ctx.sigma0_2), reason,
                      bound="approximate", extra=extra, relative_se=mc.rel_se)


# Monte Carlo draws of Mitiq's REM estimator: a variance's relative standard error is about
# sqrt(2 / draws) (2.2% here), small against a measured interval from ~100 trials (+-40%)
MC_DRAWS = 4000
MC_SEED = 20240610


@dataclass(frozen=True)
class MonteCarlo:
    variance: float  # of the estimate (not per shot)
    rel_se: float
    draws: int


def project_to_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row onto the probability simplex (Duchi et al. 2008):
    the minimiser Mitiq's `closest_positive_distribution` finds numerically."""
    u = -np.sort(-v, axis=-1)
    css = np.cumsum(u, axis=-1) - 1.0
    k = np.arange(1, v.shape[-1] + 1)
    rho = np.sum(u - css / k > 0, axis=-1)
    theta = np.take_along_axis(css, (rho - 1)[..., None], axis=-1) / rho[..., None]
    return np.maximum(v - theta, 0.0)


def _batched_inverse(p01: np.ndarray, p10: np.ndarray, qubits: Sequence[int]) -> np.ndarray:
    """kron over `qubits` of the inverse 2x2 confusion matrices, per draw: (D, 2^m, 2^m)."""
    d = p01.shape[0]
    out = np.ones((d, 1, 1))
    for q in qubits:
        a, b = p01[:, q], p10[:, q]
        det = 1.0 - a - b
        inv = np.stack([np.stack([1 - b, -b], -1), np.stack([-a, 1 - a], -1)], -2) / det[:, None,
                                                                                       None]
        out = np.einsum("dij,dkl->dikjl", out, inv).reshape(d, out.shape[1] * 2,
                                                            out.shape[2] * 2)
    return out


def _monte_carlo(rem: REM, est: Estimate, ctx: PredictionContext, exact_p: list[np.ndarray],
                 cal_p: list[np.ndarray], cal_shots: int, weights: np.ndarray) -> MonteCarlo:
    n = ctx.workload.n_qubits
    m_max = max(len(g.measured_qubits) for _, g, _ in est.execs)
    draws = int(max(200, min(MC_DRAWS, 4e7 // 8**m_max)))
    rng = np.random.default_rng(MC_SEED)
    cal = [rng.multinomial(cal_shots, p / p.sum(), size=draws) / cal_shots for p in cal_p]
    idx = np.arange(2**n)

    def marginal(freq: np.ndarray, q: int) -> np.ndarray:
        return freq[:, ((idx >> (n - 1 - q)) & 1) == 1].sum(axis=1)

    full = rem.calibration == "full"
    if full:
        conf = np.stack(cal, axis=2)  # conf[d, y, x] = frequency of y when x was prepared
        inv_full = np.linalg.pinv(conf)
    else:
        p01 = np.stack([marginal(cal[0], q) for q in range(n)], axis=1)
        ones = [cal[-1]] * n if rem.calibration == "tensored" else cal[1:]
        p10 = np.stack([1.0 - marginal(ones[q], q) for q in range(n)], axis=1)
    total = np.zeros(draws)
    redraw = np.zeros(draws)
    inverses: dict[tuple[int, ...], np.ndarray] = {}
    for (_, g, s), p, w in zip(est.execs, exact_p, weights, strict=True):
        if full:
            inv = inv_full
        else:
            if g.measured_qubits not in inverses:
                inverses[g.measured_qubits] = _batched_inverse(p01, p10, g.measured_qubits)
            inv = inverses[g.measured_qubits]
        freq = rng.multinomial(s, p / p.sum(), size=draws) / s
        q = project_to_simplex(np.einsum("dij,dj->di", inv, freq))
        f = g.values()
        val = q @ f
        total += w * val
        redraw += w**2 * (q @ f**2 - val**2) / s
    var_f = float(np.var(total, ddof=1))
    m4 = float(np.mean((total - total.mean()) ** 4))
    se2 = max(m4 - var_f**2, 0.0) / draws + float(np.var(redraw, ddof=1)) / draws
    variance = var_f + float(redraw.mean())
    return MonteCarlo(variance, float(np.sqrt(se2) / variance) if variance > 0 else 0.0, draws)
