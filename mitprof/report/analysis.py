"""Pure data shaping for the report: strategy order and colours, figure panels.

A figure over one swept dimension (noise level, depth, width) gets one panel per
circuit (a family with its fixed parameters, or a file). In each panel every other
dimension is held at a reference value, so each marker is one measured point with
its own interval, never an average over unlike conditions: numeric dimensions at
the middle of their swept values (the upper one of two), the backend at Aer when
it ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .data import BASELINE, Dataset, PointRecord, number

DIMS = ("n_qubits", "depth", "noise_level", "backend", "shots")
MAX_PANELS = 6

# Okabe-Ito (colour-blind safe), the baseline in near-black
BASELINE_COLOUR = "#222222"
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D31",
           "#7F7F7F", "#9467BD", "#17BECF")
PHASE_COLOURS = {"construct": "#88CCEE", "compile": "#DDCC77", "execute": "#117733",
                 "combine": "#CC6677", "calibration": "#AA4499",
                 "classical_training": "#44AA99"}
PHASES = ("construct", "compile", "execute", "combine", "calibration", "classical_training")


def strategy_labels(ds: Dataset) -> list[str]:
    """Configuration labels in sweep order, the baseline first."""
    seen: dict[str, None] = {}
    for p in ds.done:
        for r in p.results:
            label = r.get("strategy")
            if isinstance(label, str):
                seen.setdefault(label)
    labels = list(seen)
    if BASELINE in labels:
        labels.remove(BASELINE)
        labels.insert(0, BASELINE)
    return labels


def colours(labels: Sequence[str]) -> dict[str, str]:
    out, k = {}, 0
    for label in labels:
        if label == BASELINE:
            out[label] = BASELINE_COLOUR
        else:
            out[label] = PALETTE[k % len(PALETTE)]
            k += 1
    return out


def backends(ds: Dataset) -> list[str]:
    return sorted({p.backend for p in ds.done}, key=lambda b: (b != "aer", b))


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) else (1, str(value))


def reference(points: Sequence[PointRecord], dim: str) -> Any:
    values = sorted({getattr(p, dim) for p in points if getattr(p, dim) is not None},
                    key=_sort_key)
    if not values:
        return None
    if dim == "backend":
        return "aer" if "aer" in values else values[0]
    return values[len(values) // 2]


def facets(points: Sequence[PointRecord]) -> dict[str, list[PointRecord]]:
    out: dict[str, list[PointRecord]] = {}
    for p in points:
        out.setdefault(p.facet, []).append(p)
    return out


@dataclass(frozen=True)
class Panel:
    facet: str
    x_dim: str
    fixed: Mapping[str, Any]  # the other dimensions' reference values
    points: tuple[PointRecord, ...]  # one per x value, sorted by x

    @property
    def xs(self) -> list[Any]:
        return [getattr(p, self.x_dim) for p in self.points]

    def title(self, varying: Sequence[str] = DIMS) -> str:
        parts = []
        for dim in DIMS:
            v = self.fixed.get(dim)
            if dim == self.x_dim or v is None or dim not in varying:
                continue
            parts.append({"n_qubits": f"n={v}", "depth": f"depth {v}",
                          "noise_level": f"p\u2082={v:g}" if isinstance(v, float) else f"p={v}",
                          "backend": str(v), "shots": f"{v} shots"}[dim])
        return self.facet + ("\n" + ", ".join(parts) if parts else "")


def varying_dims(ds: Dataset) -> list[str]:
    """Dimensions with more than one value in the finished points (named in panel titles)."""
    done = ds.done
    return [d for d in DIMS if len({getattr(p, d) for p in done}) > 1]


def panels(ds: Dataset, x_dim: str, max_panels: int = MAX_PANELS,
           need: int = 2) -> tuple[list[Panel], list[str]]:
    """Panels over `x_dim` (circuits where it takes at least `need` values), and the
    names of the circuits left out beyond `max_panels`."""
    out: list[Panel] = []
    for facet, pts in facets(ds.done).items():
        if len({getattr(p, x_dim) for p in pts if getattr(p, x_dim) is not None}) < need:
            continue
        fixed = {d: reference(pts, d) for d in DIMS if d != x_dim}
        chosen: dict[Any, PointRecord] = {}
        for p in pts:
            x = getattr(p, x_dim)
            if x is None or any(getattr(p, d) != v for d, v in fixed.items()):
                continue
            chosen.setdefault(x, p)
        if len(chosen) >= need:
            ordered = tuple(chosen[x] for x in sorted(chosen, key=_sort_key))
            out.append(Panel(facet, x_dim, fixed, ordered))
    out.sort(key=lambda panel: -len(panel.points))
    omitted = [p.facet for p in out[max_panels:]]
    kept = out[:max_panels]
    order = list(facets(ds.done))
    kept.sort(key=lambda panel: order.index(panel.facet))
    return kept, omitted


def reference_points(ds: Dataset, max_panels: int = MAX_PANELS) -> list[PointRecord]:
    """One reference point per circuit (every dimension at its reference value)."""
    out = []
    for pts in list(facets(ds.done).values())[:max_panels]:
        fixed = {d: reference(pts, d) for d in DIMS}
        match = [p for p in pts if all(getattr(p, d) == v for d, v in fixed.items())]
        out.append(match[0] if match else pts[0])
    return out


# ---------------------------------------------------------------- per-result values

# What a stored `theory_bound` says about the theory value: (prefix, words, figure marker).
# "upper" (older stores): only bounds M from above; "approximate": the formula leaves out
# a step of the method (its `theory_reason` says which).
THEORY_KINDS = {"upper": ("\u2264 ", "upper bound", "v"),
                "lower": ("\u2265 ", "lower bound", "^"),
                "approximate": ("\u2248 ", "approximate", "D")}


def theory_kind(r: Mapping[str, Any] | None) -> str | None:
    """None for an exact value ("exact", or no label in older stores), else a key of
    THEORY_KINDS."""
    bound = None if r is None else r.get("theory_bound")
    if not bound or bound == "exact":
        return None
    return bound if bound in ("upper", "lower") else "approximate"



def value(r: Mapping[str, Any] | None, key: str) -> float | None:
    return None if r is None else number(r.get(key))


def error_model(r: Mapping[str, Any] | None) -> tuple[float, float, float] | None:
    """(bias^2, sigma^2 per total shot, total shots) of a strategy, as in
    `mitprof.answer.error_model`: RMSE(N) = sqrt(bias^2 + sigma^2 / N). The bias^2 is the
    debiased one, clipped at zero, and zero when the bias's 95% interval includes zero (a
    floor consistent with zero is drawn as zero, not as noise)."""
    from ..answer import bias_resolved
    from ..answer import error_model as model_of

    m = model_of(r)
    if m is None or r is None:
        return None
    return (max(m.bias2, 0.0) if bias_resolved(r) else 0.0), m.sigma2, float(r["total_shots"])


def error_reduction(point: PointRecord, r: Mapping[str, Any]) -> float | None:
    """Unmitigated RMSE / this RMSE (statistics pass), else the single-run error ratio."""
    base = point.baseline
    rb, rm = value(base, "rmse"), value(r, "rmse")
    if rb is not None and rm:
        return rb / rm
    return value(r, "improvement")
