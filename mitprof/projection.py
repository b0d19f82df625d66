"""Cost projection: fit physical cost models to a store's measured multipliers, predict
them at other widths and depths, and validate the prediction on held-out measured points.

For each circuit family (facet), noise configuration and strategy, every measured
equal-precision multiplier M with its 95% interval is one observation. Its physical
regressor x is computed from the circuit at that width and depth under the noise model
(nothing measured):

- PEC: ln gamma^2 = sum over the executed gates of 2 ln gamma_g(p_g), each gate's
  representation norm at its depolarizing rate (THEORY.md; about 4 x the summed error
  rates); the sampled circuits' spread dominates the variance of the mean of the observable's
  n_t terms while the unmitigated variance falls as 1/n_t, so M = A n_t (gamma^2 - 1):
  x = ln(n_t (gamma^2 - 1)) and ln M = a + x, one parameter.
- ZNE (linear extrapolations): x = the mean, over observable terms, of the summed error
  rates in each term's backward light cone; the term decays as f = exp(-k x), so with
  extrapolation coefficients g_i at scales l_i and an equal shot split (THEORY.md, ZNE)
  ln M = a + ln(m sum_i g_i^2 (1 - f^(2 l_i)) / (1 - f^2)).
- Readout correction (rem, rem_tensored, trex): x = the mean over observable terms of
  sum_q -2 ln(1 - p01_q - p10_q) over the term's qubits (the confusion factors), and
  ln M = a + b x (b = 1 for the tensored inverse of a Z product).

Parameters are fitted by weighted least squares on ln M, each point weighted by its
interval (sigma = (ln hi - ln lo) / 3.92). A fit whose chi-square exceeds its 99% quantile
is inconsistent with the measured intervals: it is reported, and predicts nothing. Where x
does not vary over the fitted points (a slope cannot be determined) the model is the
constant a, and predicts only at regressors within 25% of the fitted ones. Prediction
intervals are 95%, from the parameters' covariance (delta method). Each row's bias, total
shots to a target error and QPU seconds follow from its prediction (`projection_cost`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import SpecError
from .projection_cost import cone_error

if TYPE_CHECKING:
    from .circuits import Workload
    from .noise import NoiseModel
    from .report.data import Dataset, PointRecord

Z95 = 1.959963984540054
CHI2_LEVEL = 0.99  # a fit whose chi-square is above this quantile is inconsistent
FLAT = 0.05  # relative spread of x below which no slope is fitted
CONSTANT_REACH = 0.25  # a constant model predicts only within this relative distance in x
READOUT = ("rem", "rem_tensored", "trex")


# ------------------------------------------------------------------ regressors

def pec_load(representation: str) -> Callable[[Workload, NoiseModel], float]:
    """x = ln(n_t (gamma^2 - 1)) for PEC with Mitiq's `representation` (global, local)."""
    from . import theory

    def x_of(w: Workload, noise: NoiseModel) -> float:
        log_g2 = 0.0
        for op in w.circuit.all_operations():
            p = noise.gate_depolarizing(op)
            if p > 0:
                g = (theory.gamma_1q(p) if len(op.qubits) == 1 else
                     theory.gamma_2q_global(p) if representation == "global" else
                     theory.gamma_2q_local(p))
                log_g2 += 2 * math.log(g)
        if log_g2 <= 0:
            return -math.inf
        # ln(gamma^2 - 1) without overflow at the widths this is for
        return math.log(len(w.observable.terms)) + log_g2 + math.log(-math.expm1(-log_g2))

    x_of.__name__ = f"pec_load_{representation}"
    return x_of


def readout_load(w: Workload, noise: NoiseModel) -> float:
    """|c|-weighted mean over terms of sum_q -2 ln D_q, D_q = 1 - p01_q - p10_q."""
    from .noise.base import readout_rates

    p01, p10 = readout_rates(noise, w.n_qubits)
    per_qubit = -2.0 * np.log(1.0 - p01 - p10)
    total = weight = 0.0
    for coeff, pauli in w.observable.terms:
        total += abs(coeff) * float(sum(per_qubit[i] for i, ch in enumerate(pauli) if ch != "I"))
        weight += abs(coeff)
    return total / weight if weight else 0.0


# ------------------------------------------------------------------ models

@dataclass(frozen=True)
class Model:
    """ln M = h(x; theta)."""

    name: str
    regressor: str
    formula: str
    h: Callable[[np.ndarray, np.ndarray], np.ndarray]
    start: tuple[float, ...]
    x_of: Callable[[Workload, NoiseModel], float]


def _log_linear(regressor: str, x_of: Callable[[Workload, NoiseModel], float]) -> Model:
    return Model("log-linear", regressor, "ln M = a + b x",
                 lambda x, t: t[0] + t[1] * x, (0.0, 1.0), x_of)


def _zne_model(scales: Sequence[float], coeffs: Sequence[float] | np.ndarray) -> Model:
    lam = np.asarray(scales, dtype=float)
    g2 = np.asarray(coeffs, dtype=float) ** 2
    m = len(lam)

    def h(x: np.ndarray, t: np.ndarray) -> np.ndarray:
        kx = np.maximum(np.abs(t[1]) * np.asarray(x, dtype=float), 1e-12)[..., None]
        ratio = np.expm1(-2 * lam * kx) / np.expm1(-2 * kx)  # (1 - f^(2l)) / (1 - f^2)
        return np.asarray(t[0] + np.log(m * np.sum(g2 * ratio, axis=-1)))

    return Model("zne-decay", "mean summed error in the observable terms' light cones",
                 "ln M = a + ln(m sum_i g_i^2 (1 - f^(2 l_i)) / (1 - f^2)), f = exp(-k x)",
                 h, (0.0, 1.0), cone_error)


def model_for(result: Mapping[str, Any]) -> Model | None:
    """The cost model of a stored strategy result, None where there is none."""
    from . import theory

    name = result.get("name")
    if name == "pec":
        kind = str((result.get("details") or {}).get("model") or "global")
        return Model("pec-gamma", "ln(n_t (gamma^2 - 1)), gamma from the gates' error rates",
                     "ln M = a + x", lambda x, t: t[0] + x, (0.0,), pec_load(kind))
    if name in READOUT:
        return _log_linear("mean readout load of the observable terms (sum -2 ln D_q)",
                           readout_load)
    if name == "zne":
        d = result.get("details") or {}
        scales = d.get("scale_factors")
        if d.get("factory") == "richardson" and scales:
            return _zne_model(scales, theory.richardson_coefficients(scales))
        if d.get("factory") == "linear" and scales:
            return _zne_model(scales, theory.polyfit_coefficients(scales, 1))
        return _log_linear("mean summed error in the observable terms' light cones",
                           cone_error)
    return None


# ------------------------------------------------------------------ observations and fits

@dataclass(frozen=True)
class Observation:
    circuit: str
    width: int
    depth: int | None
    x: float
    m: tuple[float, float, float]  # estimate, 95% low, 95% high

    @property
    def sigma(self) -> float:
        return (math.log(self.m[2]) - math.log(self.m[1])) / (2 * Z95)


@dataclass(frozen=True)
class Fit:
    model: Model
    theta: np.ndarray
    cov: np.ndarray
    chi2: float
    dof: int
    constant: bool  # x did not vary over the fitted points: ln M = a only
    x_range: tuple[float, float]

    @property
    def consistent(self) -> bool | None:
        """Whether the residuals are consistent with the intervals (None: no dof to check)."""
        if self.dof <= 0:
            return None
        from scipy.stats import chi2

        return bool(self.chi2 <= chi2.ppf(CHI2_LEVEL, self.dof))

    def predict(self, x: float) -> tuple[tuple[float, float, float] | None, str | None]:
        """(estimate, 95% low, 95% high) of M at regressor x, or the reason there is none."""
        if self.consistent is False:
            return None, (f"residuals inconsistent with the measured intervals (chi2 "
                          f"{self.chi2:.1f} on {self.dof} dof): not extrapolated")
        if self.constant:
            lo, hi = self.x_range
            if not (lo * (1 - CONSTANT_REACH) <= x <= hi * (1 + CONSTANT_REACH)):
                return None, (f"x = {x:.3g} is outside the fitted x ({lo:.3g}-{hi:.3g}), "
                              "which did not vary enough to fit a slope")
            y, grad = self.theta[0], np.array([1.0])
        else:
            y = float(self.model.h(np.array([x]), self.theta)[0])
            grad = np.array([(self.model.h(np.array([x]), self.theta + e)[0]
                              - self.model.h(np.array([x]), self.theta - e)[0]) / (2 * e.sum())
                             for e in np.eye(len(self.theta)) * 1e-6])
        se = math.sqrt(max(0.0, float(grad @ self.cov @ grad)))
        return (math.exp(y), math.exp(y - Z95 * se), math.exp(y + Z95 * se)), None

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model.name, "formula": "ln M = a" if self.constant
                else self.model.formula, "regressor": self.model.regressor,
                "theta": [float(t) for t in self.theta],
                "theta_se": [float(math.sqrt(max(0.0, c))) for c in np.diag(self.cov)],
                "chi2": self.chi2, "dof": self.dof, "consistent": self.consistent}


def fit(model: Model, obs: Sequence[Observation]) -> Fit:
    """Weighted least squares of ln M on the model, weights from the measured intervals."""
    from scipy.optimize import least_squares

    x = np.array([o.x for o in obs])
    y = np.log([o.m[0] for o in obs])
    s = np.array([o.sigma for o in obs])
    lo, hi = float(x.min()), float(x.max())
    constant = len(model.start) > 1 and (len(obs) < 3 or hi - lo <= FLAT * max(abs(hi), 1e-12))
    if constant:
        w = 1 / s**2
        a = float(np.sum(w * y) / np.sum(w))
        theta, cov = np.array([a]), np.array([[1 / float(np.sum(w))]])
        chi2 = float(np.sum(((y - a) / s) ** 2))
        return Fit(model, theta, cov, chi2, len(obs) - 1, True, (lo, hi))
    res = least_squares(lambda t: (y - model.h(x, t)) / s, np.array(model.start, dtype=float))
    jac = res.jac
    cov = np.linalg.pinv(jac.T @ jac)
    chi2 = float(np.sum(res.fun**2))
    return Fit(model, res.x, cov, chi2, len(obs) - len(res.x), False, (lo, hi))


# ------------------------------------------------------------------ the projection

@dataclass(frozen=True)
class Row:
    group: str  # facet | noise | strategy
    strategy: str
    technique: str
    circuit: str
    width: int
    depth: int | None
    role: str  # fitted | held-out | projected
    x: float
    predicted: tuple[float, float, float] | None
    reason: str | None
    measured: tuple[float, float, float] | None
    cost: Mapping[str, Any] | None = None  # bias, shots, QPU seconds (`projection_cost`)

    @property
    def overlap(self) -> bool | None:
        if self.predicted is None or self.measured is None:
            return None
        return self.predicted[1] <= self.measured[2] and self.measured[1] <= self.predicted[2]

    def to_dict(self) -> dict[str, Any]:
        def iv(t: tuple[float, float, float] | None) -> dict[str, float] | None:
            return None if t is None else dict(zip(("estimate", "ci_low", "ci_high"), t,
                                                   strict=True))

        return {"group": self.group, "strategy": self.strategy, "technique": self.technique,
                "circuit": self.circuit, "width": self.width, "depth": self.depth,
                "role": self.role, "x": self.x if math.isfinite(self.x) else None,
                "predicted": iv(self.predicted),
                "reason": self.reason, "measured": iv(self.measured), "overlap": self.overlap,
                "cost": None if self.cost is None else dict(self.cost)}


@dataclass(frozen=True)
class Projection:
    fit_max_width: int
    fits: dict[str, Fit | str]  # group -> fit, or why there is none
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = field(default=())

    def coverage(self) -> dict[str, tuple[int, int]]:
        """Per technique: (held-out points whose predicted and measured 95% intervals
        overlap, held-out points)."""
        out: dict[str, list[int]] = {}
        for r in self.rows:
            if r.role == "held-out":
                c = out.setdefault(r.technique, [0, 0])
                c[0] += bool(r.overlap)
                c[1] += 1
        return {k: (v[0], v[1]) for k, v in out.items()}

    def bias_coverage(self) -> dict[str, tuple[int, int]]:
        """Per technique: (held-out points whose projected bias lies in the measured |bias|
        95% interval, held-out points with both)."""
        out: dict[str, list[int]] = {}
        for r in self.rows:
            ok = None if r.cost is None else r.cost.get("bias_in_measured")
            if r.role == "held-out" and ok is not None:
                c = out.setdefault(r.technique, [0, 0])
                c[0] += bool(ok)
                c[1] += 1
        return {k: (v[0], v[1]) for k, v in out.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"fit_max_width": self.fit_max_width,
                "fits": {k: (v if isinstance(v, str) else v.to_dict())
                         for k, v in self.fits.items()},
                "rows": [r.to_dict() for r in self.rows],
                "coverage": {k: {"overlapping": a, "held_out": b}
                             for k, (a, b) in self.coverage().items()},
                "bias_coverage": {k: {"within": a, "held_out": b}
                                  for k, (a, b) in self.bias_coverage().items()},
                "notes": list(self.notes)}

    def table(self) -> str:
        def fmt(t: tuple[float, float, float] | None) -> str:
            return "-" if t is None else f"{t[0]:.3g} ({t[1]:.3g}-{t[2]:.3g})"

        lines = []
        for group, f in self.fits.items():
            if isinstance(f, str):
                lines.append(f"{group}: no fit: {f}")
                continue
            d = f.to_dict()
            ok = {True: "consistent", False: "INCONSISTENT", None: "unchecked"}[f.consistent]
            params = ", ".join(f"{t:.4g}+-{e:.2g}" for t, e in zip(d["theta"], d["theta_se"],
                                                                      strict=True))
            lines.append(f"{group}: {d['formula']} (x: {d['regressor']}); theta = {params}; "
                         f"chi2 {f.chi2:.2f} on {f.dof} dof: {ok}")
            lines.append(f"  {'role':9s} {'circuit':40s} {'x':>8s} {'predicted M (95%)':>28s}"
                         f" {'measured M (95%)':>28s} overlap")
            for r in self.rows:
                if r.group != group:
                    continue
                ov = {True: "yes", False: "NO", None: ""}[r.overlap]
                pred = fmt(r.predicted) if r.predicted or not r.reason else f"({r.reason})"
                lines.append(f"  {r.role:9s} {r.circuit:40s} {r.x:8.4g} {pred:>28s} "
                             f"{fmt(r.measured):>28s} {ov}")
                if r.role == "projected" and r.cost is not None:
                    lines.append("  " + " " * 10 + cost_line(r.cost))
        cov = self.coverage()
        if cov:
            lines.append(f"held-out coverage (fit on widths <= {self.fit_max_width}; "
                         "predicted and measured 95% intervals overlap):")
            for k, (a, b) in sorted(cov.items()):
                lines.append(f"  {k:14s} {a}/{b} ({100 * a / b:.0f}%)")
        bias = self.bias_coverage()
        if bias:
            lines.append("held-out bias (projected bias inside the measured |bias| 95% interval):")
            for k, (a, b) in sorted(bias.items()):
                lines.append(f"  {k:14s} {a}/{b}")
        lines.extend(self.notes)
        return "\n".join(lines)


def cost_line(c: Mapping[str, Any]) -> str:
    """One line: bias, shots and QPU seconds of a row's cost (`_Costing.cost`)."""
    def iv(d: Mapping[str, float] | None, unit: str = "") -> str:
        return "-" if d is None else (f"{d['estimate']:.3g}{unit} ({d['ci_low']:.3g}-"
                                      f"{d['ci_high']:.3g}{unit})")

    b = "-" if c["bias"] is None else f"{c['bias']:.3g}"
    shots = iv(c["shots"]) if c["shots"] is not None else str(c.get("shots_reason"))
    return (f"bias {b} (unmitigated {c['unmitigated_bias']:.3g}); to RMSE "
            f"{c['target_error']:.3g}: shots {shots}, QPU {iv(c['qpu_seconds'], ' s')} "
            f"on {c['hardware']}")


def parse_targets(text: str | None) -> list[int]:
    """`width=50,100,127` -> [50, 100, 127]."""
    if not text:
        return []
    key, eq, values = str(text).partition("=")
    if not eq or key.strip() != "width":
        raise SpecError(f"--to {text!r}: expected width=N[,N...]")
    return parse_ints(values, "width")


def parse_ints(text: str | Iterable[int] | None, what: str) -> list[int]:
    if text is None:
        return []
    items = re.split(r"[,\s]+", text.strip()) if isinstance(text, str) else list(text)
    out = []
    for item in items:
        if isinstance(item, str) and not item.strip().isdigit():
            raise SpecError(f"{what} {item!r} is not a positive integer")
        value = int(item)
        if isinstance(item, bool) or value <= 0:
            raise SpecError(f"{what} {item!r} is not a positive integer")
        out.append(value)
    return out


def _with(circuit: str, n: int, depth: int | None) -> str:
    from .report.data import family_params

    params = dict(family_params(circuit) or {})
    params["n"] = str(n)
    if depth is not None and "depth" in params:
        params["depth"] = str(depth)
    return circuit.split(":", 1)[0] + ":" + ",".join(f"{k}={v}" for k, v in params.items())


def _noise_of(doc: Mapping[str, Any], w: Workload, device: str | None
              ) -> tuple[Workload, NoiseModel]:
    """The point's noise model rebuilt for workload w (routed first under a device)."""
    from .noise import Noise

    nz = doc.get("noise") or {}
    name = device or (nz.get("device") if nz.get("model") == "device" else None)
    if name is None:
        return w, Noise(float(nz["p2"]), float(nz["p1"]), float(nz["p01"]), float(nz["p10"]))
    from .devices import get_device, route
    from .noise.device import DeviceNoise

    cal = get_device(name)
    routed, info = route(w, cal)
    same = nz.get("model") == "device" and nz.get("device") == name
    return routed, DeviceNoise(cal, info.layout, float(nz.get("noise_scale", 1.0)) if same
                               else 1.0, float(nz.get("coherent_zz", 0.0)) if same else 0.0,
                               bool(nz.get("idle_noise", True)) if same else True)


def _noise_key(doc: Mapping[str, Any]) -> str:
    nz = doc.get("noise") or {}
    if nz.get("model") == "device":
        return f"device {nz.get('device')} x{nz.get('noise_scale', 1)}"
    return f"p2={nz.get('p2')}"


def project(store: Any, widths: Iterable[int] | str | None = None,
            depths: Iterable[int] | str | None = None, device: str | None = None,
            fit_max_width: int = 10, target_error: float | None = None,
            hardware: str | None = None) -> Projection:
    """Fit each (circuit family, noise, strategy) of `store` (a sweep directory or a
    Dataset, or a list of them: their points pooled, each point once) on its points of width
    <= fit_max_width, check the fit against the wider measured points (held out), and
    predict M at `widths` x `depths` (default: the depths measured). `device` computes the
    target regressors under that device's noise. Each prediction also gets its bias, total
    shots to RMSE `target_error` (default: the store's sweep target, else the unmitigated
    bias there) and QPU seconds on `hardware` (default: the store's model, else ibm_eagle)."""
    from .circuits import resolve
    from .report.data import family_params, interval, load

    widths = parse_targets(widths) if isinstance(widths, str) else parse_ints(widths, "width")
    depths = parse_ints(depths, "depth")
    if device is not None:
        from .devices import get_device

        get_device(device)  # an unknown device is refused before anything is computed
    if target_error is not None and not (math.isfinite(target_error) and target_error > 0):
        raise SpecError(f"target error must be a positive number, got {target_error!r}")
    if hardware is not None:
        from .hardware import get_model

        get_model(hardware)
    sources = list(store) if isinstance(store, list | tuple) else [store]
    datasets: list[Dataset] = [load(src) for src in sources]
    done: dict[str, PointRecord] = {}  # the same point in two stores counts once
    for ds in datasets:
        for p in ds.done:
            done.setdefault(p.point_id if ds.state != "profiles" else f"{id(ds)}:{p.point_id}",
                            p)
    cache: dict[tuple[str, str, str], float] = {}

    def regressor(model: Model, circuit: str, p: PointRecord, dev: str | None) -> float:
        key = (model.x_of.__name__, circuit, _noise_key(p.doc) + f"|{dev}")
        if key not in cache:
            w, noise = _noise_of(p.doc, resolve(circuit), dev)
            cache[key] = model.x_of(w, noise)
        return cache[key]

    groups: dict[str, list[tuple[PointRecord, Mapping[str, Any]]]] = {}
    baseline: dict[str, list[tuple[int, float]]] = {}  # unmitigated sigma0^2 per setting
    for p in done.values():
        if family_params(p.circuit) is None or p.n_qubits is None:
            continue
        setting = f"{p.facet} | {p.backend} | {_noise_key(p.doc)} | {p.shots} shots"
        for r in p.results:
            if r.get("name") == "unmitigated":
                s2 = r.get("sigma2_per_shot")
                if isinstance(s2, int | float) and math.isfinite(s2):
                    baseline.setdefault(setting, []).append((p.n_qubits, float(s2)))
                continue
            groups.setdefault(f"{setting} | {r.get('strategy')}", []).append((p, r))
    store_target = next((float(t) for ds in datasets
                         if isinstance(t := ((ds.spec or {}).get("sweep") or {})
                                       .get("target_error"), int | float)), None)
    target = target_error if target_error is not None else store_target
    costing = _Costing(target, "given" if target_error is not None else "the store's sweep target",
                       hardware, device)
    if not groups:
        raise SpecError("no family points with mitigated results in "
                        f"{', '.join(ds.source for ds in datasets)}")
    fits: dict[str, Fit | str] = {}
    rows: list[Row] = []
    for key, members in groups.items():
        p0, r0 = members[0]
        model = model_for(r0)
        if model is None:
            fits[key] = f"no cost model for {r0.get('strategy')}"
            continue
        technique = str(r0.get("name"))
        obs: list[tuple[Observation, PointRecord, Mapping[str, Any]]] = []
        for p, r in members:
            m = interval(r.get("variance_multiplier"))
            if m is None or m[1] <= 0 or m[0] <= 0 or not m[1] < m[2]:
                continue
            assert p.n_qubits is not None
            x = regressor(model, p.circuit, p, None)
            if math.isfinite(x):  # e.g. PEC with nothing to invert: no regressor
                obs.append((Observation(p.circuit, p.n_qubits, p.depth, x, m), p, r))
        train = [o for o, _, _ in obs if o.width <= fit_max_width]
        if len(train) < 2:
            fits[key] = (f"{len(train)} measured point(s) with an interval at widths <= "
                         f"{fit_max_width}: at least 2 are needed")
            continue
        f = fit(model, train)
        fits[key] = f
        sigma0 = _sigma0_fit(baseline.get(key.rsplit(" | ", 1)[0], []))
        for o, p, r in sorted(obs, key=lambda t: (t[0].depth or 0, t[0].width)):
            pred, why = f.predict(o.x)
            rows.append(Row(key, str(r0.get("strategy")), technique, o.circuit, o.width,
                            o.depth, "fitted" if o.width <= fit_max_width else "held-out",
                            o.x, pred, why, o.m,
                            costing.cost(r, o.circuit, o.width, pred, p, None, sigma0)))
        measured: list[int | None] = [*sorted({o.depth for o, _, _ in obs
                                               if o.depth is not None})]
        targets: list[int | None] = [*depths] or measured or [None]
        for d in targets:
            for n in widths:
                circuit = _with(p0.circuit, n, d)
                try:
                    x = regressor(model, circuit, p0, device)
                except SpecError as exc:  # e.g. wider than the device: this target only
                    rows.append(Row(key, str(r0.get("strategy")), technique, circuit, n, d,
                                    "projected", math.nan, None, str(exc), None))
                    continue
                pred, why = f.predict(x)
                rows.append(Row(key, str(r0.get("strategy")), technique, circuit, n, d,
                                "projected", x, pred, why, None,
                                costing.cost(r0, circuit, n, pred, p0, device, sigma0)))
    notes = []
    if device is not None:
        notes.append(f"projected regressors use device {device}'s noise; the fitted "
                     "parameters come from the store's noise (an assumption: the model "
                     "transfers through its regressor)")
    notes.extend(costing.notes())
    return Projection(fit_max_width, fits, tuple(rows), tuple(notes))


def _sigma0_fit(points: list[tuple[int, float]]) -> Any:
    from .projection_cost import VarianceFit

    return VarianceFit.of([w for w, _ in points], [s for _, s in points])


class _Costing:
    """Bias, shots and QPU seconds of a predicted row (`projection_cost`)."""

    def __init__(self, target: float | None, source: str, hardware: str | None,
                 device: str | None):
        self.target, self.source, self.hardware, self.device = target, source, hardware, device
        self.used_hw: set[str] = set()
        self.cache: dict[tuple[str, str], Any] = {}

    def cost(self, result: Mapping[str, Any], circuit: str, width: int,
             pred: tuple[float, float, float] | None, p: PointRecord, dev: str | None,
             sigma0: Any) -> dict[str, Any]:
        from . import projection_cost as pc
        from .circuits import resolve
        from .hardware import get_model
        from .report.data import interval

        key = (circuit, _noise_key(p.doc) + f"|{dev}")
        if key not in self.cache:
            w, noise = _noise_of(p.doc, resolve(circuit), dev)
            self.cache[key] = (w, noise, pc.term_decays(w, noise))
        w, noise, (scale, f_gate, f_read) = self.cache[key]
        details = result.get("details") or {}
        technique = str(result.get("name"))
        b, b_label = pc.bias(technique, details, scale, f_gate, f_read)
        raw = scale * (1 - f_gate * f_read)
        target = self.target if self.target is not None else raw
        out: dict[str, Any] = {
            "bias": b, "bias_label": b_label, "unmitigated_bias": raw, "target_error": target,
            "target_source": (self.source if self.target is not None else
                              "the unmitigated bias here")}
        # the measured (signed) bias, on a stored point only
        measured = interval(result.get("bias")) if circuit == p.circuit else None
        out["measured_abs_bias"] = out["bias_in_measured"] = None
        if measured is not None:
            out["measured_abs_bias"] = dict(zip(
                ("estimate", "ci_low", "ci_high"),
                (abs(measured[0]), 0.0 if measured[1] <= 0 <= measured[2] else
                 min(abs(measured[1]), abs(measured[2])),
                 max(abs(measured[1]), abs(measured[2]))), strict=True))
            m = out["measured_abs_bias"]
            out["bias_in_measured"] = None if b is None else m["ci_low"] <= b <= m["ci_high"]
        if pred is None:
            out["shots"], out["shots_reason"] = None, "not projected: no predicted multiplier"
        elif not target > 0:
            out["shots"], out["shots_reason"] = None, ("not projected: no target error (the "
                                                       "unmitigated bias is 0; give one)")
        elif isinstance(sigma0, str):
            out["shots"], out["shots_reason"] = None, f"not projected: {sigma0}"
        else:
            n, why = pc.shots(pred, sigma0.predict(width), target, b)
            out["shots"] = None if n is None else dict(zip(("estimate", "ci_low", "ci_high"),
                                                           n, strict=True))
            out["shots_reason"] = why
            out["sigma0_2"] = sigma0.predict(width)[0]
        hw = (get_model(self.hardware) if self.hardware is not None
              else pc.hardware_of(p.doc, noise) or get_model("ibm_eagle"))
        if self.hardware is None and dev is not None and hw.kind == "ibm":
            hw = hw.on_device(noise)
        hw_name = hw.name + (" on the device's durations" if hw.timing else "")
        self.used_hw.add(hw_name)
        if out["shots"] is not None:
            scales = (details.get("scale_factors") or [1.0]) if technique == "zne" else [1.0]
            n3 = tuple(out["shots"][k] for k in ("estimate", "ci_low", "ci_high"))
            t = pc.qpu_seconds(n3, w.circuit, w.n_qubits, hw, scales, len(scales))
            out["qpu_seconds"] = dict(zip(("estimate", "ci_low", "ci_high"), t, strict=True))
        else:
            out["qpu_seconds"] = None
        out["hardware"] = hw_name
        return out

    def notes(self) -> list[str]:
        t = ("target error " + (f"{self.target:g}" if self.target is not None else
                                "= each row's unmitigated bias (no target in the store)"))
        return [f"shots and QPU seconds: {t}; hardware {', '.join(sorted(self.used_hw)) or '-'};"
                " bias approximate (terms' ideal values +-1, decay from the summed error "
                "rates); sigma0^2 empirical (ln sigma0^2 linear in ln width, unmitigated "
                "points)"]
