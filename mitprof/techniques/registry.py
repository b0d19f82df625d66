"""The techniques mitprof knows (name -> class: the only list), strategy specs, help.

A strategy spec is text: a technique name, or a readout technique and a circuit
technique joined by '+' (`rem+zne`), then `:key=value,...` options of either
part. `StrategySpec` keeps the canonical text (name and sorted options) as its
identity, which point ids and seeds derive from, and the typed `Strategy` parsed
from it once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..errors import SpecError
from .base import CircuitTechnique, ReadoutTechnique, Technique
from .cdr import CDR
from .compose import Strategy
from .ddd import DDD
from .lre import LRE
from .pec import PEC
from .rem import REM, TensoredREM
from .trex import TREX
from .unmitigated import Raw, Unmitigated
from .zne import ZNE

TECHNIQUES: dict[str, type[Technique]] = {}


def register(cls: type[Technique]) -> type[Technique]:
    """Make a technique available by its name (specs, CLI, conformance tests)."""
    if cls.kind not in ("circuit", "readout"):
        raise ValueError(f"technique {cls.__name__}: kind must be 'circuit' or 'readout'")
    TECHNIQUES[cls.name] = cls
    return cls


for _cls in (Unmitigated, ZNE, PEC, REM, TensoredREM, TREX, DDD, LRE, CDR):
    register(_cls)


def strategy_names() -> list[str]:
    """Every technique and every valid composition (readout first: rem+zne)."""
    names = list(TECHNIQUES)
    readouts = [n for n, c in TECHNIQUES.items() if c.kind == "readout" and c.composable]
    circuits = [n for n, c in TECHNIQUES.items()
                if c.kind == "circuit" and c.composable and n != Unmitigated.name]
    return names + [f"{r}+{c}" for r in readouts for c in circuits]


def strategy_help() -> dict[str, str]:
    """One line per strategy name, generated from the registry."""
    out = {}
    for name in strategy_names():
        parts = [TECHNIQUES[p] for p in name.split("+")]
        if len(parts) == 1:
            cls = parts[0]
            opts = ", ".join(f"{k}: {v}" for k, v in cls.options.items())
            out[name] = cls.help + (f" ({opts})" if opts else "")
        else:
            out[name] = f"{parts[0].name} inside every {parts[1].name} estimate (options of both)"
    return out


def _parts(name: str) -> list[type[Technique]]:
    names = name.split("+")
    unknown = [n for n in names if n not in TECHNIQUES]
    if unknown or len(names) > 2:
        raise SpecError(f"unknown strategy {name!r}; valid: {', '.join(strategy_names())}")
    parts = [TECHNIQUES[n] for n in names]
    if len(parts) == 2:
        kinds = [p.kind for p in parts]
        if kinds != ["readout", "circuit"] or not all(p.composable for p in parts) \
                or parts[1] is Unmitigated:
            raise SpecError(f"unknown strategy {name!r}: a composition is a readout technique "
                            f"then a circuit technique; valid: {', '.join(strategy_names())}")
    return parts


def build(name: str, options: Mapping[str, str]) -> Strategy:
    """The typed strategy for a name and its text options (each option to its part)."""
    parts = _parts(name)
    circuit: CircuitTechnique = Unmitigated()
    readout: ReadoutTechnique = Raw()
    for cls in parts:
        mine = {k: v for k, v in options.items() if k in cls.options}
        tech = cls.from_options(mine)
        if isinstance(tech, CircuitTechnique):
            circuit = tech
        elif isinstance(tech, ReadoutTechnique):
            readout = tech
    return Strategy(circuit, readout)


@dataclass(frozen=True)
class StrategySpec:
    """A parsed strategy: name (e.g. 'rem+zne') and its options as canonical text."""

    name: str
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> StrategySpec:
        name, _, rest = text.strip().partition(":")
        name = name.strip().lower()
        parts = _parts(name)
        allowed = {k for p in parts for k in p.options}
        opts: dict[str, str] = {}
        for item in filter(None, (s.strip() for s in rest.split(","))):
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
