"""No mitigation: one circuit per measurement group, raw parities. The baseline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .base import (
    CircuitRun,
    CircuitTechnique,
    Exec,
    Job,
    Prediction,
    PredictionContext,
    ReadoutRun,
    ReadoutTechnique,
)

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel
    from .compose import Estimate


class Identity(CircuitRun):
    """One circuit per group as given, values summed (the baseline; DDD reuses it)."""

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: NoiseModel) -> list[list[cirq.Circuit]]:
        return [[c] for c in logicals]

    def combine(self, values: list[list[float]]) -> float:
        return float(sum(v[0] for v in values))

    def coefficients(self, totals: Sequence[float]) -> np.ndarray:
        return np.ones(len(totals))


@dataclass(frozen=True)
class Unmitigated(CircuitTechnique):
    name = "unmitigated"
    help = "no mitigation (always run: the baseline)"

    def start(self) -> CircuitRun:
        return Identity()


class _Parities(ReadoutRun):
    def jobs(self, execs: list[Exec], n_qubits: int, rng: np.random.Generator) -> list[Job]:
        return [Job(g.measure_in(c), s) for c, g, s in execs]

    def expectations(self, execs: list[Exec], bits: list[np.ndarray]) -> list[float]:
        return [g.expectation(b) for (_, g, _), b in zip(execs, bits, strict=True)]


@dataclass(frozen=True)
class Raw(ReadoutTechnique):
    """Measure the group's qubits and average parities: no correction (not registered as a
    strategy of its own: it is the readout of every strategy without a readout technique)."""

    name = "raw"
    help = "raw parities, no readout correction"
    identity = True

    @property
    def label(self) -> str:
        return ""

    def start(self) -> ReadoutRun:
        return _Parities()

    def predict_linear(self, est: Estimate, ctx: PredictionContext) -> Prediction:
        """Var = sum_i c_i^2 Var_i / N_i over the executed circuits (THEORY.md), with the
        exact per-shot variances of the circuits as run."""
        execs = est.execs
        exact_p = [ctx.probs(g.measure_in(c)) for c, g, _ in execs]
        means = [g.expectation_from_probabilities(p) for (_, g, _), p in zip(execs, exact_p,
                                                                            strict=True)]
        variances = [g.variance_from_probabilities(p)
                     for (_, g, _), p in zip(execs, exact_p, strict=True)]
        totals = [float(sum(col)) for col in zip(*est.by_group(means), strict=True)]
        coeffs = est.circuit.coefficients(totals)
        v_scale = np.sum(np.asarray(est.by_group(variances)), axis=0)  # sum over groups
        n_scale = np.asarray(est.by_group([s for _, _, s in execs])[0], dtype=float)
        var = float(np.sum(coeffs**2 * v_scale / n_scale))
        mult = est.total_shots * var / ctx.sigma0_2
        optimal = None
        if est.circuit.optimal_split:
            optimal = float(len(est.shape) * np.sum(np.abs(coeffs) * np.sqrt(v_scale)) ** 2
                            / ctx.sigma0_2)
        return Prediction(mult, est.circuit.theory_note, optimal_split=optimal,
                          extra={"coefficients": [float(c) for c in coeffs],
                                 "exact_values": totals})
