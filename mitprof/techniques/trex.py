"""Twirled readout error extinction (Mitiq's experimental TREX): twirled measurements
and calibration circuits, values divided by the calibrated twirled readout factor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import (
    Exec,
    Job,
    NotDerived,
    Prediction,
    PredictionContext,
    ReadoutRun,
    ReadoutTechnique,
    integer,
)

if TYPE_CHECKING:
    from ..observables import MeasurementGroup
    from .compose import Estimate


@dataclass(frozen=True)
class TREX(ReadoutTechnique):
    randomizations: int = 32

    name = "trex"
    help = "twirled readout error extinction"
    options = {"randomizations": "twirled variants of each measured circuit (default 32)"}
    # no unbiasedness claim: the ratio estimator (twirled value / calibrated readout factor)
    # is biased at finite shots, O(1/shots); the conformance test measures it at 2000 shots
    # not composed with circuit techniques: Mitiq's TREX works on one observable per call
    composable = False

    examples = ("randomizations=4",)

    @classmethod
    def from_options(cls, opts: Mapping[str, str]) -> TREX:
        return cls(randomizations=integer(opts.get("randomizations"), "randomizations", 32))

    @property
    def label(self) -> str:
        return f"trex[{self.randomizations}]"

    def start(self) -> TREXRun:
        return TREXRun(self)

    def predict_linear(self, est: Estimate, ctx: PredictionContext) -> Prediction:
        raise NotDerived("TREX's per-randomization ratio estimator has no closed form "
                         "implemented here")


def z_observable(g: MeasurementGroup) -> Any:
    """The group's terms as Z strings (its basis change is already in the circuit)."""
    from mitiq import Observable, PauliString

    return Observable(*(
        PauliString("Z" * len(cols), coeff=c, support=tuple(g.measured_qubits[i] for i in cols))
        for c, cols in g.terms if cols))


class TREXRun(ReadoutRun):
    def __init__(self, trex: TREX) -> None:
        self.trex = trex
        self._plans: list[Any] = []

    def jobs(self, execs: list[Exec], n_qubits: int, rng: np.random.Generator) -> list[Job]:
        from mitiq.experimental.trex import construct_circuits

        from ..backends import measured_qubits

        jobs: list[Job] = []
        self._plans = []
        for c, g, s in execs:
            obs = z_observable(g)
            state = np.random.RandomState(int(rng.integers(2**31)))
            twirled, cal, strings = construct_circuits(c, obs, self.trex.randomizations, state)
            new = [Job(t, s) for t in twirled] + [Job(t, s, "calibration") for t in cal]
            self._plans.append((obs, len(twirled), strings,
                                [tuple(measured_qubits(j.circuit)) for j in new]))
            jobs += new
        return jobs

    def expectations(self, execs: list[Exec], bits: list[np.ndarray]) -> list[float]:
        from mitiq import MeasurementResult
        from mitiq.experimental.trex import combine_results

        out, start = [], 0
        for (obs, n_tw, strings, measured), (_, g, _) in zip(self._plans, execs, strict=True):
            results = [MeasurementResult(b.tolist(), m)
                       for b, m in zip(bits[start: start + len(measured)], measured, strict=True)]
            start += len(measured)
            value = combine_results(results[:n_tw], results[n_tw:], strings, obs)
            out.append(float(np.real(value)) + sum(c for c, cols in g.terms if not cols))
        return out
