"""The techniques mitprof knows (name -> class: the only list), strategy specs, help.

A strategy spec is text: a technique name, or techniques joined by '+' in the
order readout, circuit transforms, circuit technique (`rem+zne`, `pt+zne`,
`rem+pt+pec`), with `:key=value,...` options after the whole name or after each
part (`pt:twirls=8+zne:scale=1-3-5`). `StrategySpec` keeps the canonical text
(name and sorted options) as its identity, which point ids and seeds derive
from, and the typed `Strategy` parsed from it once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..errors import SpecError
from .base import CircuitTechnique, CircuitTransform, ReadoutTechnique, Technique
from .cdr import CDR
from .compose import Strategy
from .ddd import DDD
from .lre import LRE
from .pec import PEC
from .pt import PauliTwirl
from .rem import REM, TensoredREM
from .stack import Stacked
from .trex import TREX
from .unmitigated import Raw, Unmitigated
from .zne import ZNE

TECHNIQUES: dict[str, type[Technique]] = {}
KINDS = ("readout", "transform", "circuit")  # the order of a composition's parts


def register(cls: type[Technique]) -> type[Technique]:
    """Make a technique available by its name (specs, CLI, conformance tests)."""
    if cls.kind not in KINDS:
        raise ValueError(f"technique {cls.__name__}: kind must be one of {', '.join(KINDS)}")
    TECHNIQUES[cls.name] = cls
    return cls


for _cls in (Unmitigated, ZNE, PEC, REM, TensoredREM, TREX, DDD, LRE, CDR, PauliTwirl):
    register(_cls)


def strategy_names() -> list[str]:
    """Every technique and every valid composition of one readout, one transform and one
    circuit technique (readout first: rem+zne, pt+zne, rem+pt+zne)."""
    names = list(TECHNIQUES)
    by_kind = {k: [n for n, c in TECHNIQUES.items() if _composed(c).kind == k and c.composable
                   and n != Unmitigated.name] for k in KINDS}
    for r in ["", *by_kind["readout"]]:
        for t in ["", *by_kind["transform"]]:
            for c in ["", *by_kind["circuit"]]:
                parts = [p for p in (r, t, c) if p]
                if len(parts) > 1:
                    names.append("+".join(parts))
    return names


def strategy_help() -> dict[str, str]:
    """One line per strategy name, generated from the registry."""
    out = {}
    for name in strategy_names():
        parts = [TECHNIQUES[p] for p in name.split("+")]
        if len(parts) > 1:
            parts = [_composed(p) for p in parts]
        if len(parts) == 1:
            cls = parts[0]
            opts = ", ".join(f"{k}: {v}" for k, v in cls.options.items())
            out[name] = cls.help + (f" ({opts})" if opts else "")
        else:
            kinds = {p.kind: p.name for p in parts}
            text = f"{kinds['circuit']} circuits" if "circuit" in kinds else "the circuit"
            text += "".join(f", each as {p.name} variants" for p in parts
                            if p.kind == "transform")
            text += f", measured with {kinds['readout']}" if "readout" in kinds else ""
            out[name] = text + " (options of each)"
    return out


def _composed(cls: type[Technique]) -> type[Technique]:
    """The class a technique takes in a composition (DDD: a transform; most: itself)."""
    return getattr(cls, "in_composition", None) or cls


def _parts(name: str) -> list[type[Technique]]:
    names = name.split("+")
    unknown = [n for n in names if n not in TECHNIQUES]
    if unknown:
        raise SpecError(f"unknown strategy {name!r}; valid: {', '.join(strategy_names())}")
    parts = [TECHNIQUES[n] for n in names]
    if len(parts) > 1:
        parts = [_composed(p) for p in parts]
        kinds = [KINDS.index(p.kind) for p in parts]
        single = [k for k in kinds if KINDS[k] != "transform"]
        if kinds != sorted(kinds) or len(set(single)) != len(single) \
                or len(set(names)) != len(names) or not all(p.composable for p in parts) \
                or Unmitigated in parts:
            raise SpecError(f"unknown strategy {name!r}: a composition is a readout technique, "
                            "circuit transforms and a circuit technique, in that order (at "
                            "most one readout and one circuit technique); valid: "
                            f"{', '.join(strategy_names())}")
    return parts


def build(name: str, options: Mapping[str, str]) -> Strategy:
    """The typed strategy for a name and its text options (each option to its part)."""
    circuit: CircuitTechnique = Unmitigated()
    readout: ReadoutTechnique = Raw()
    transforms: list[CircuitTransform] = []
    for cls in _parts(name):
        mine = {k: v for k, v in options.items() if k in cls.options}
        tech = cls.from_options(mine)
        if isinstance(tech, CircuitTechnique):
            circuit = tech
        elif isinstance(tech, ReadoutTechnique):
            readout = tech
        elif isinstance(tech, CircuitTransform):
            transforms.append(tech)
    if transforms:
        circuit = Stacked(tuple(transforms), circuit)
    return Strategy(circuit, readout)


def _split(text: str) -> tuple[str, list[str]]:
    """'pt:twirls=8+zne:scale=1-3' -> ('pt+zne', ['twirls=8', 'scale=1-3']); also the
    whole-name form 'rem+zne:scale=1-3'. A '+' not followed by a technique name belongs to
    an option value."""
    segments: list[str] = []
    for seg in text.split("+"):
        if segments and seg.partition(":")[0].strip().lower() not in TECHNIQUES:
            segments[-1] += "+" + seg
        else:
            segments.append(seg)
    names, items = [], []
    for seg in segments:
        part, _, rest = seg.partition(":")
        names.append(part.strip().lower())
        items += [s.strip() for s in rest.split(",") if s.strip()]
    return "+".join(names), items


@dataclass(frozen=True)
class StrategySpec:
    """A parsed strategy: name (e.g. 'rem+zne') and its options as canonical text."""

    name: str
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> StrategySpec:
        name, items = _split(text.strip())
        parts = _parts(name)
        allowed = {k for p in parts for k in p.options}
        opts: dict[str, str] = {}
        for item in items:
            key, eq, value = item.partition("=")
            key = key.strip().lower()
            if not eq or not value.strip():
                raise SpecError(f"strategy {text!r}: expected key=value, got {item!r}")
            if key not in allowed:
                valid = ", ".join(sorted(allowed)) or "none"
                raise SpecError(f"strategy {name!r} has no option {key!r}; valid: {valid}")
            opts[key] = value.strip()
        spec = cls(name, tuple(sorted(opts.items())))
        _ = spec.strategy  # validate eagerly: bad values fail at parse time
        return spec

    @cached_property
    def strategy(self) -> Strategy:
        """The typed strategy, parsed once (pickled with the spec to workers)."""
        return build(self.name, dict(self.options))

    @property
    def label(self) -> str:
        return self.strategy.label

    @property
    def text(self) -> str:
        """The canonical text form, e.g. `zne:factory=richardson,scale=1-2-3`."""
        return self.name + (":" + ",".join(f"{k}={v}" for k, v in self.options)
                            if self.options else "")

    def to_table(self) -> dict[str, Any]:
        """The `[[strategies]]` TOML/JSON table form."""
        return {"name": self.name, "options": dict(self.options)} if self.options else \
            {"name": self.name}

    def with_options(self, overrides: Mapping[str, str]) -> StrategySpec:
        opts = dict(self.options)
        opts.update(overrides)
        return StrategySpec(self.name, tuple(sorted(opts.items())))


def parse_strategies(items: Sequence[str | StrategySpec]) -> list[StrategySpec]:
    specs = [s if isinstance(s, StrategySpec) else StrategySpec.parse(s) for s in items]
    labels = [s.label for s in specs]
    dup = {x for x in labels if labels.count(x) > 1}
    if dup:
        raise SpecError(f"strategies repeat the same configuration: {', '.join(sorted(dup))}")
    return specs
