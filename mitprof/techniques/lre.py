"""Layerwise Richardson extrapolation through Mitiq (`mitiq.lre`).

The circuit is cut into chunks of layers (every layer its own chunk by default, as in
Mitiq); each executed circuit folds every chunk by its own odd scale factor, one circuit
per monomial of total degree <= `degree` in the chunks' scale factors, and the estimate
is Mitiq's linear combination sum_i c_i E_i with its multivariate Richardson
coefficients. Theory: as for ZNE's linear fits, Var = sum_i c_i^2 sigma_i^2 / N_i with
the c_i Mitiq uses (exact: the estimate is linear in the executed values).

Several measurement groups share one chunking: a group's basis change adds a layer, so
the chunk count defaults to the fewest layers of any group's circuit, and the same
scale-factor vectors (and coefficients) apply to every group.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SpecError
from .base import CircuitRun, CircuitTechnique, choice, integer

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel

FOLDS = ("random", "global")


def chunk_count(logicals: Sequence[cirq.Circuit], chunks: int | None) -> int:
    """The chunks every group's circuit is cut into; SpecError where a circuit has fewer
    layers than asked for."""
    layers = min(len(c) for c in logicals)
    if chunks is None:
        return layers
    if chunks > layers:
        raise SpecError(f"lre chunks={chunks} exceeds the circuit's {layers} layers")
    return chunks


def coefficients(circuit: cirq.Circuit, degree: int, fold_multiplier: int,
                 chunks: int) -> np.ndarray:
    """Mitiq's multivariate Richardson coefficients (one per executed circuit)."""
    from mitiq.lre.inference import multivariate_richardson_coefficients

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Mitiq's overflow note: the ValueError says it all
        try:
            c = multivariate_richardson_coefficients(circuit, degree, fold_multiplier, chunks)
        except ValueError as exc:
            raise SpecError(f"lre: {exc}") from None
    return np.asarray(c, dtype=float)


def scale_vectors(circuit: cirq.Circuit, degree: int, fold_multiplier: int,
                  chunks: int) -> list[tuple[int, ...]]:
    """Each executed circuit's scale factor per chunk, in Mitiq's order."""
    from mitiq.lre.multivariate_scaling.layerwise_folding import get_scale_factor_vectors

    return [tuple(int(x) for x in v)
            for v in get_scale_factor_vectors(circuit, degree, fold_multiplier, chunks)]


class LRERun(CircuitRun):
    theory_note = None

    def __init__(self, lre: LRE) -> None:
        self.lre = lre
        self.coeffs = np.zeros(0)
        self.chunks = 0
        self.vectors: list[tuple[int, ...]] = []

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: NoiseModel) -> list[list[cirq.Circuit]]:
        from mitiq.lre import construct_circuits
        from mitiq.zne.scaling import fold_gates_at_random, fold_global

        lre = self.lre
        self.chunks = chunk_count(logicals, lre.chunks)
        self.coeffs = coefficients(logicals[0], lre.degree, lre.fold_multiplier, self.chunks)
        self.vectors = scale_vectors(logicals[0], lre.degree, lre.fold_multiplier, self.chunks)
        if lre.fold == "global":
            method: Any = fold_global
        else:
            # at LRE's odd integer scale factors every gate is folded alike: the seed is
            # drawn for reproducibility, the circuits do not depend on it
            seed = int(rng.integers(2**31))
            method = lambda c, s: fold_gates_at_random(c, s, seed=seed)  # noqa: E731
        return [construct_circuits(c, lre.degree, lre.fold_multiplier, method, self.chunks)
                for c in logicals]

    def combine(self, values: list[list[float]]) -> float:
        totals = [float(sum(col)) for col in zip(*values, strict=True)]
        return float(np.dot(self.coeffs, totals))

    def coefficients(self, totals: Sequence[float]) -> np.ndarray:
        return self.coeffs

    def details(self, shots: int) -> dict[str, Any]:
        return {"degree": self.lre.degree, "fold_multiplier": self.lre.fold_multiplier,
                "chunks": self.chunks, "fold": self.lre.fold,
                "circuits_per_group": len(self.coeffs),
                "coefficients": [float(c) for c in self.coeffs],
                "scale_vectors": [list(v) for v in self.vectors]}


@dataclass(frozen=True)
class LRE(CircuitTechnique):
    degree: int = 2
    fold_multiplier: int = 1
    chunks: int | None = None
    fold: str = "random"

    name = "lre"
    help = "layerwise Richardson extrapolation"
    options = {
        "degree": "degree of the multivariate polynomial (default 2)",
        "fold_multiplier": "scaling gap: chunk scale factors 1, 2m+1, 4m+1, ... (default 1)",
        "chunks": "chunks of layers folded independently (default: every layer, as Mitiq)",
        "fold": "random|global (Mitiq's fold_gates_at_random is LRE's default)",
    }
    examples = ("degree=1,fold_multiplier=2", "degree=2,chunks=2,fold=global")

    @classmethod
    def from_options(cls, opts: Mapping[str, str]) -> LRE:
        chunks = opts.get("chunks")
        return cls(degree=integer(opts.get("degree"), "lre degree", 2),
                   fold_multiplier=integer(opts.get("fold_multiplier"), "lre fold_multiplier", 1),
                   chunks=None if chunks is None else integer(chunks, "lre chunks", 1),
                   fold=choice(opts.get("fold"), "lre fold", "random", FOLDS))

    @property
    def label(self) -> str:
        chunks = "layers" if self.chunks is None else str(self.chunks)
        return f"lre[d{self.degree},m{self.fold_multiplier},{chunks},{self.fold}]"

    def start(self) -> LRERun:
        return LRERun(self)

    def cost_estimate(self, logicals: list[cirq.Circuit], noise: NoiseModel) -> float | None:
        """m * sum_i c_i^2 (equal sigma_i), as for ZNE; refuses impossible chunkings first."""
        c = coefficients(logicals[0], self.degree, self.fold_multiplier,
                         chunk_count(logicals, self.chunks))
        return float(len(c) * np.sum(np.square(c)))
