"""Circuit transforms stacked in front of a circuit technique (`pt+zne`, `pt+pec`).

The stack is itself a circuit technique: the inner technique constructs its circuits
(folds, PEC samples), each transform rewrites every one of them into its variants (the
last transform listed acts first on the inner circuits), and the variants' values are
averaged back into one value per inner circuit before the inner technique combines them.
So a stacked estimate is the inner estimate of variant-averaged values: linear theory
carries over with every coefficient split evenly over the variants, and where variants
are drawn at random the variance over draws is added (`with_draw_variance`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SpecError
from .base import (
    CircuitRun,
    CircuitTechnique,
    CircuitTransform,
    Prediction,
    PredictionContext,
)

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel
    from .compose import Estimate


@dataclass(frozen=True)
class Stacked(CircuitTechnique):
    transforms: tuple[CircuitTransform, ...]
    inner: CircuitTechnique

    name = "stack"
    help = "circuit transforms in front of a circuit technique"
    composable = True

    def __post_init__(self) -> None:
        if not self.transforms:
            raise SpecError("a stack needs at least one circuit transform")
        if self.inner.needs_prepare():
            raise SpecError(f"{self.inner.label}: options chosen from exact distributions "
                            "(split=optimal) are not supported behind a circuit transform")

    @property
    def label(self) -> str:
        inner = [] if self.inner.name == "unmitigated" else [self.inner.label]
        return "+".join([t.label for t in self.transforms] + inner)

    @property
    def variants(self) -> int:
        return int(np.prod([t.variants for t in self.transforms]))

    def start(self) -> StackedRun:
        return StackedRun(self, self.inner.start())

    def trial_pool(self, logicals: list[cirq.Circuit], noise: NoiseModel, trials: int,
                   seed: int, vectorised: bool) -> Any:
        return self.inner.trial_pool(logicals, noise, trials, seed, vectorised)

    def predict(self, est: Estimate, ctx: PredictionContext) -> Prediction:
        """The linear theory with the stacked run's coefficients, or the inner technique's
        own theory where it has one (it reads the stacked run through `unwrap`)."""
        if type(self.inner).predict is not CircuitTechnique.predict:
            pred = self.inner.predict(est, ctx)
        else:
            pred = super().predict(est, ctx)
        if pred.multiplier is None:
            return pred
        return replace(pred, extra={**pred.extra, "variants_per_circuit": self.variants})

    def warnings(self, noise: NoiseModel) -> list[str]:
        return self.inner.warnings(noise)

    def cost_estimate(self, logicals: list[cirq.Circuit], noise: NoiseModel) -> float | None:
        """The inner technique's: variants averaged cost the same shots per estimate."""
        return self.inner.cost_estimate(logicals, noise)

    def hardware_extras(self, est: Estimate, row: Mapping[str, Any], base: Mapping[str, Any],
                        hw: Any, target_error: float | None) -> dict[str, Any]:
        return {}


def unwrap(run: CircuitRun) -> tuple[CircuitRun, int]:
    """The inner technique's run of a stacked run and its variants per circuit ((run, 1)
    for a run that is not stacked)."""
    if isinstance(run, StackedRun):
        return run.inner, run.k
    return run, 1


class StackedRun(CircuitRun):
    def __init__(self, stack: Stacked, inner: CircuitRun) -> None:
        self.stack, self.inner = stack, inner
        self.k = stack.variants
        self.adaptive = inner.adaptive
        self.optimal_split = inner.optimal_split
        self.theory_note = inner.theory_note
        self.random_construction = inner.random_construction or any(
            t.random for t in stack.transforms)
        self.linear_exact = inner.linear_exact

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: NoiseModel) -> list[list[cirq.Circuit]]:
        out = []
        for circuits in self.inner.construct(logicals, rng, noise):
            n = len(circuits)
            for t in reversed(self.stack.transforms):
                circuits = [v for c in circuits for v in t.apply(c, rng, noise)]
            if len(circuits) != n * self.k:  # averaging needs k variants of each circuit
                raise RuntimeError(f"{self.stack.label}: {len(circuits)} variants of {n} "
                                   f"circuits, expected {self.k} each")
            out.append(circuits)
        return out

    def _averaged(self, values: Sequence[float]) -> list[float]:
        return [float(x) for x in np.asarray(values, dtype=float).reshape(-1, self.k).mean(1)]

    def combine(self, values: list[list[float]]) -> float:
        return self.inner.combine([self._averaged(v) for v in values])

    def shots_for(self, index: int, shots: int) -> int:
        return self.inner.shots_for(index // self.k, shots)

    def done(self) -> bool:
        return self.inner.done()

    def use_pool(self, pool: Any) -> None:
        self.inner.use_pool(pool)

    def coefficients(self, totals: Sequence[float]) -> np.ndarray:
        return np.repeat(self.inner.coefficients(self._averaged(totals)) / self.k, self.k)

    def exact_estimate(self, totals: Sequence[float]) -> float:
        return self.inner.exact_estimate(self._averaged(totals))

    def details(self, shots: int) -> dict[str, Any]:
        d = dict(self.inner.details(shots))
        d["variants_per_circuit"] = self.k
        for t in self.stack.transforms:
            d.update(t.details())
        return d
