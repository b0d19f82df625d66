"""A toy technique, written as a contributor would: one module, nothing else touched.

`fixed_scale:scale=3` runs each circuit globally folded to a fixed odd scale factor
and reports its value unchanged (an 'identity' mitigation that only pays the cost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mitprof.errors import SpecError
from mitprof.techniques.base import CircuitRun, CircuitTechnique, integer


@dataclass(frozen=True)
class FixedScale(CircuitTechnique):
    scale: int = 3

    name = "fixed_scale"
    help = "run every circuit folded to one fixed odd scale factor, value unchanged"
    options = {"scale": "odd integer scale factor (default 3)"}
    examples = ("scale=5",)

    @classmethod
    def from_options(cls, opts: Mapping[str, str]) -> FixedScale:
        return cls(scale=integer(opts.get("scale"), "scale", 3))

    def __post_init__(self) -> None:
        if self.scale % 2 == 0:
            raise SpecError(f"fixed_scale: scale={self.scale} must be odd")

    @property
    def label(self) -> str:
        return f"fixed_scale[{self.scale}]"

    def start(self) -> CircuitRun:
        return _Run(self.scale)


class _Run(CircuitRun):
    def __init__(self, scale: int) -> None:
        self.scale = scale

    def construct(self, logicals: list[Any], rng: np.random.Generator,
                  noise: Any) -> list[list[Any]]:
        from mitiq.zne.scaling import fold_global

        return [[fold_global(c, self.scale)] for c in logicals]

    def combine(self, values: list[list[float]]) -> float:
        return float(sum(v[0] for v in values))

    def coefficients(self, totals: Sequence[float]) -> np.ndarray:
        return np.ones(len(totals))
