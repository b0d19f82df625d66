"""Zero-noise extrapolation through Mitiq: folding, then one of Mitiq's factories.

Theory: the estimate is E0 = sum_i c_i E_i to first order, so its variance is
sum_i c_i^2 sigma_i^2 / N_i (THEORY.md); c_i is closed-form for Richardson and
polynomial fits and comes from the delta method (central differences of Mitiq's
own fit) for exponential and adaptive ones.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import theory
from ..errors import SpecError
from .base import (
    CircuitRun,
    CircuitTechnique,
    NotDerived,
    Probabilities,
    choice,
    floats,
    integer,
)

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel
    from .compose import Estimate

FACTORIES = ("richardson", "linear", "poly", "exp", "polyexp", "adaexp")
FOLDS = ("global", "random", "identity")
LINEAR_FACTORIES = ("richardson", "linear", "poly")  # E0 = sum_i g_i E_i exactly


def extrapolate(factory: str, scales: Sequence[float], totals: Sequence[float],
                order: int) -> float:
    """Mitiq's static extrapolation of the group-summed values at each scale."""
    from mitiq.zne import inference as inf

    s = list(scales)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fit warnings are reported through the error
        if factory == "richardson":
            return float(inf.RichardsonFactory.extrapolate(s, totals))
        if factory == "linear":
            return float(inf.LinearFactory.extrapolate(s, totals))
        if factory == "poly":
            return float(inf.PolyFactory.extrapolate(s, totals, order))
        if factory in ("exp", "adaexp"):
            return float(inf.ExpFactory.extrapolate(s, totals))
        return float(inf.PolyExpFactory.extrapolate(s, totals, order))


@dataclass(frozen=True)
class ZNE(CircuitTechnique):
    factory: str = "richardson"
    scales: tuple[float, ...] = (1.0, 2.0, 3.0)
    fold: str = "global"
    order: int = 2
    shot_list: tuple[int, ...] | None = None
    steps: int = 5
    split: str = "equal"

    name = "zne"
    help = "zero-noise extrapolation"
    options = {
        "factory": "richardson|linear|poly|exp|polyexp|adaexp",
        "scale": "scale factors joined by '-', e.g. 1-2-3",
        "fold": "global|random|identity",
        "order": "polynomial order (poly, polyexp)",
        "shot_list": "shots per scale factor, e.g. 1000-2000-4000",
        "steps": "scale factors chosen adaptively (adaexp)",
        "split": "equal|optimal (same total shots, N_i ~ |g_i| sigma_i)",
    }

    examples = ("factory=linear,scale=1-3-5,fold=random", "factory=exp,scale=1-2-3",
                "factory=poly,order=2,scale=1-2-3-4,shot_list=100-200-300-400")

    @classmethod
    def from_options(cls, opts: Mapping[str, str]) -> ZNE:
        shot_list = None
        if opts.get("shot_list") is not None:
            shots = floats(opts["shot_list"], "shot_list")
            if any(s < 1 or not s.is_integer() for s in shots):
                raise SpecError(f"shot_list {opts['shot_list']!r} must be positive integers")
            shot_list = tuple(int(s) for s in shots)
        return cls(
            factory=choice(opts.get("factory"), "ZNE factory", "richardson", FACTORIES),
            scales=tuple(floats(opts.get("scale") or "1-2-3", "ZNE scale")),
            fold=choice(opts.get("fold"), "fold", "global", FOLDS),
            order=integer(opts.get("order"), "order", 2),
            shot_list=shot_list,
            steps=integer(opts.get("steps"), "steps", 5),
            split=choice(opts.get("split"), "ZNE split", "equal", ("equal", "optimal")),
        )

    def __post_init__(self) -> None:
        if self.split == "optimal" and self.factory == "adaexp":
            raise SpecError("split=optimal needs fixed scale factors (not adaexp)")
        if self.factory == "adaexp":
            if self.steps < 4:
                raise SpecError("zne factory=adaexp needs steps >= 4")
            return
        if any(s < 1 for s in self.scales) or len(set(self.scales)) != len(self.scales):
            raise SpecError(f"ZNE scale factors {self.scales} must be distinct and >= 1")
        need = {"richardson": 2, "linear": 2, "poly": self.order + 1, "exp": 3,
                "polyexp": self.order + 2}[self.factory]
        if len(self.scales) < need:
            raise SpecError(f"ZNE factory {self.factory} needs at least {need} scale factors")
        if self.fold == "identity" and any(not float(s).is_integer() for s in self.scales):
            raise SpecError("fold=identity needs integer scale factors")
        if self.shot_list is not None and len(self.shot_list) != len(self.scales):
            raise SpecError(f"shot_list has {len(self.shot_list)} entries for "
                            f"{len(self.scales)} scale factors")

    @property
    def adaptive(self) -> bool:
        return self.factory == "adaexp"

    @property
    def label(self) -> str:
        scales = f"ada{self.steps}" if self.adaptive else "-".join(f"{s:g}" for s in self.scales)
        fac = f"{self.factory}{self.order}" if self.factory in ("poly", "polyexp") else self.factory
        split = ",optimal" if self.split == "optimal" else ""
        return f"zne[{fac},{scales},{self.fold}{split}]"

    def start(self) -> ZNERun:
        return ZNERun(self)

    def trial_pool(self, logicals: list[cirq.Circuit], noise: NoiseModel, trials: int,
                   seed: int, vectorised: bool) -> Any:
        """Deterministic folding (global, identity) gives every trial the same circuits:
        fold once for all trials (Mitiq's folding of a 1,000-gate circuit costs more than
        its trial). Random folding and adaptive scales draw per trial: no pool."""
        if self.fold == "random" or self.adaptive:
            return None
        from mitiq.zne import construct_circuits

        method = fold_method(self.fold)
        # frozen (moments kept): every trial shares these objects, and the statistics pass
        # keys its caches on them
        return [[f.freeze() for f in construct_circuits(c, list(self.scales), method)]
                for c in logicals]

    def warnings(self, noise: NoiseModel) -> list[str]:
        if self.fold == "identity" and not getattr(noise, "idle_noise", True):
            return ["fold=identity inserts identity layers, and this noise model puts no noise "
                    "on idle qubits: only the identity gates' own (1-qubit) noise is scaled, "
                    "2-qubit noise is not; see details.effective_noise_scale"]
        return []

    def cost_estimate(self, logicals: list[cirq.Circuit], noise: NoiseModel) -> float | None:
        """m * sum_i g_i^2 (THEORY, equal sigma_i) for linear fits; None otherwise."""
        if self.factory not in LINEAR_FACTORIES or self.adaptive:
            return None
        g = (theory.richardson_coefficients(list(self.scales)) if self.factory == "richardson"
             else theory.polyfit_coefficients(list(self.scales),
                                              1 if self.factory == "linear" else self.order))
        return float(len(g) * np.sum(np.square(g)))

    def needs_prepare(self) -> bool:
        return self.split == "optimal"

    def prepare(self, est: Estimate, probs: Probabilities) -> dict[str, str]:
        """split=optimal: the same total shots, N_i proportional to |g_i| sigma_i, with g_i
        and sigma_i from the exact noisy values of the folded circuits."""
        m = est.shape[0]  # circuits per group: one per scale factor
        totals, sig2 = np.zeros(m), np.zeros(m)
        for k, (c, g, _) in enumerate(est.execs):
            p = probs(g.measure_in(c))
            totals[k % m] += g.expectation_from_probabilities(p)
            sig2[k % m] += g.variance_from_probabilities(p)
        frac = theory.optimal_shot_fractions(est.circuit.coefficients(list(totals)), sig2)
        shot_list = np.maximum(1, np.round(frac * m * est.shots)).astype(int)
        return {"shot_list": "-".join(str(n) for n in shot_list)}


def error_events(circuit: cirq.Circuit, noise: NoiseModel) -> float:
    """Expected number of error events: the sum over noisy operations of their
    depolarizing probabilities (what a noise scale factor is meant to multiply)."""
    return float(sum(noise.gate_depolarizing(op) for op in circuit.all_operations()))


def fold_method(fold: str) -> Callable[[cirq.Circuit, float], Any]:
    """Mitiq's deterministic scaling for `fold` (global or identity)."""
    from mitiq.zne.scaling import fold_global, insert_id_layers

    return fold_global if fold == "global" else insert_id_layers


class ZNERun(CircuitRun):
    optimal_split = True

    def __init__(self, zne: ZNE) -> None:
        self.zne = zne
        self.adaptive = zne.adaptive
        self.random_construction = zne.fold == "random"
        self.linear_exact = zne.factory in LINEAR_FACTORIES and not zne.adaptive
        # executed error events over the unfolded circuit's, per scale factor (first group)
        self.effective_scales: list[float | None] = []
        self.error: str | None = None
        self._ada: Any = None
        self._next_scale = 1.0
        # the scale factors executed (adaexp: chosen so far)
        self.used_scales: list[float] = [] if self.adaptive else list(zne.scales)
        self.theory_note = ("adaptive scale factors fixed at those of the timed run"
                            if self.adaptive else None)
        self._pool: list[list[cirq.Circuit]] | None = None

    def use_pool(self, pool: Any) -> None:
        self._pool = pool

    def _scale_method(self, rng: np.random.Generator) -> Callable[[cirq.Circuit, float], Any]:
        from mitiq.zne.scaling import fold_gates_at_random

        if self.zne.fold != "random":
            return fold_method(self.zne.fold)
        seed = int(rng.integers(2**31))
        return lambda c, s: fold_gates_at_random(c, s, seed=seed)

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: NoiseModel) -> list[list[cirq.Circuit]]:
        from mitiq.zne import construct_circuits

        method = self._scale_method(rng)
        if self.adaptive:
            if self._ada is None:
                from mitiq.zne.inference import AdaExpFactory

                self._ada = AdaExpFactory(steps=self.zne.steps, scale_factor=2.0)
                self._next_scale = 1.0
            self.used_scales.append(self._next_scale)
            out = [[method(c, self._next_scale)] for c in logicals]
            self.effective_scales.extend(self._effective(logicals, out, noise))
            return out
        if self._pool is not None:  # the folds every trial shares (ZNE.trial_pool)
            out = [list(circuits) for circuits in self._pool]
        else:
            out = [construct_circuits(c, list(self.zne.scales), method) for c in logicals]
        self.effective_scales = self._effective(logicals, out, noise)
        return out

    @staticmethod
    def _effective(logicals: list[cirq.Circuit], folded: list[list[cirq.Circuit]],
                   noise: NoiseModel) -> list[float | None]:
        base = error_events(logicals[0], noise)
        return [error_events(c, noise) / base if base > 0 else None for c in folded[0]]


    def exact_estimate(self, totals: Sequence[float]) -> float:
        from mitiq.zne.inference import ExtrapolationError

        if self.linear_exact:
            return super().exact_estimate(totals)
        try:
            return extrapolate(self.zne.factory, self.used_scales, list(totals), self.zne.order)
        except (ExtrapolationError, ValueError, np.linalg.LinAlgError) as exc:
            raise NotDerived(f"the fit fails on the exact values: {exc}") from None

    def shots_for(self, index: int, shots: int) -> int:
        return self.zne.shot_list[index] if self.zne.shot_list else shots

    def combine(self, values: list[list[float]]) -> float:
        from mitiq.zne.inference import ExtrapolationError

        totals = [float(sum(col)) for col in zip(*values, strict=True)]
        try:
            if not self.adaptive:
                return extrapolate(self.zne.factory, self.zne.scales, totals, self.zne.order)
            self._ada.push({"scale_factor": self._next_scale}, totals[0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if not self._ada.is_converged():
                    self._next_scale = float(self._ada.next()["scale_factor"])
                    return float("nan")
                return float(self._ada.reduce())
        except (ExtrapolationError, ValueError, np.linalg.LinAlgError) as exc:
            self.error = f"extrapolation failed: {exc}"
            return float("nan")

    def done(self) -> bool:
        return (not self.adaptive or self.error is not None
                or (self._ada is not None and self._ada.is_converged()))

    def coefficients(self, totals: Sequence[float]) -> np.ndarray:
        """Closed form for linear fits, delta method (central differences) otherwise."""
        scales, factory = self.used_scales, self.zne.factory
        if factory == "richardson":
            return theory.richardson_coefficients(scales)
        if factory in ("linear", "poly"):
            return theory.polyfit_coefficients(scales, 1 if factory == "linear" else
                                               self.zne.order)
        t = np.asarray(totals, dtype=float)
        h = 1e-5
        out = []
        try:
            for i in range(len(t)):
                up, down = t.copy(), t.copy()
                up[i] += h
                down[i] -= h
                out.append((extrapolate(factory, scales, list(up), self.zne.order)
                            - extrapolate(factory, scales, list(down), self.zne.order)) / (2 * h))
        except Exception as exc:  # Mitiq's nonlinear fit fails on the exact data
            raise NotDerived(f"the extrapolation fit fails on the exact noisy values: {exc}"
                             ) from None
        return np.asarray(out)

    def details(self, shots: int) -> dict[str, Any]:
        d: dict[str, Any] = {
            "scale_factors": list(self.used_scales), "factory": self.zne.factory,
            "fold": self.zne.fold,
            "shots_per_scale": [self.shots_for(i, shots) for i in range(len(self.used_scales))],
            # measured: expected error events executed at each scale over the unfolded
            # circuit's (sum of the noise model's depolarizing probabilities)
            "effective_noise_scale": list(self.effective_scales)}
        if self.error:
            d["error"] = self.error
        return d
