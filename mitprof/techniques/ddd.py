"""Digital dynamical decoupling through Mitiq: pulse sequences in the idle windows.

`transform(circuit, rule)` is the whole technique: Mitiq's `insert_ddd_sequences` with
one of its rules (xx, xyxy, yy) fills every idle window of the circuit *as scheduled*:
a noise model reads the circuit's moments as its layers (`mitprof.noise.base`), so the
moments Mitiq finds idle are the idle windows the simulator applies idle noise in, and
the pulses land where that idle noise acts. Mitiq's identity spacers are left out: they
stand for waiting (a delay on hardware), not for gates, and a noise model would charge
each one a gate error. The circuit runs on the routed circuit, after lowering, so nothing
moves the pulses afterwards.

Cost: extra 1-qubit gates, no extra circuits, the raw parities as the estimate, so its
theory is the unmitigated formula on the transformed circuit (exact).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .base import CircuitTechnique, CircuitTransform, Technique, choice
from .unmitigated import Identity

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel

RULES = ("xx", "xyxy", "yy")


def transform(circuit: cirq.Circuit, rule: str = "xx") -> cirq.Circuit:
    """The circuit with Mitiq's DDD `rule` in its idle windows, moments unchanged (the
    pulses take idle slots of existing layers), identity spacers left out."""
    import cirq
    from mitiq.ddd import insert_ddd_sequences
    from mitiq.ddd import rules as ddd_rules

    if rule not in RULES:
        raise ValueError(f"unknown DDD rule {rule!r}; valid: {', '.join(RULES)}")
    filled = insert_ddd_sequences(circuit, getattr(ddd_rules, rule))
    assert len(filled) == len(circuit), "Mitiq's DDD changed the number of layers"
    moments = []
    for old, new in zip(circuit, filled, strict=True):
        moments.append(cirq.Moment(op for op in new
                                   if op.gate != cirq.I or old.operation_at(op.qubits[0])))
    return cirq.Circuit(moments)


def pulses_added(before: cirq.Circuit, after: cirq.Circuit) -> int:
    return sum(1 for _ in after.all_operations()) - sum(1 for _ in before.all_operations())


def schedule_seconds(circuit: cirq.Circuit, noise: NoiseModel) -> float | None:
    """The circuit's duration as the noise model schedules it (each layer as long as its
    slowest gate); None for a model without gate durations (depolarizing)."""
    channel = getattr(noise, "gate_channel", None)
    if channel is None:
        return None
    return float(sum(max((channel(op)[1] for op in m), default=0.0) for m in circuit))


class DDDRun(Identity):
    """The baseline's run (one circuit per group, raw sum) on the transformed circuits."""

    def __init__(self, ddd: DDD) -> None:
        self.ddd = ddd
        self.pulses = 0
        self.seconds: tuple[float | None, float | None] = (None, None)

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: NoiseModel) -> list[list[cirq.Circuit]]:
        out = [transform(c, self.ddd.rule) for c in logicals]
        self.pulses = pulses_added(logicals[0], out[0])
        # the pulses fill idle slots: they may lengthen a layer only where its gates are
        # shorter than a pulse (virtual Z rotations); reported, not hidden
        self.seconds = (schedule_seconds(logicals[0], noise), schedule_seconds(out[0], noise))
        return [[c] for c in out]

    def details(self, shots: int) -> dict[str, Any]:
        d: dict[str, Any] = {"rule": self.ddd.rule, "pulses_per_circuit": self.pulses}
        if self.seconds[0] is not None:
            d["schedule_seconds"] = self.seconds[0]
            d["schedule_seconds_with_ddd"] = self.seconds[1]
        return d


class _Rule:
    """What `ddd` alone and `ddd` in a composition share: the rule option and its label."""

    rule: str
    name: ClassVar[str] = "ddd"
    help: ClassVar[str] = "digital dynamical decoupling (Mitiq's rules in the idle windows)"
    options: ClassVar[Mapping[str, str]] = {"rule": "xx|xyxy|yy (Mitiq's DDD rules)"}
    examples: ClassVar[tuple[str, ...]] = ("rule=xyxy", "rule=yy")

    @classmethod
    def from_options(cls, opts: Mapping[str, str]) -> Any:
        return cls(rule=choice(opts.get("rule"), "DDD rule", "xx", RULES))  # type: ignore[call-arg]

    @property
    def label(self) -> str:
        return f"ddd[{self.rule}]"


@dataclass(frozen=True)
class DDDTransform(_Rule, CircuitTransform):
    """`ddd` in front of another circuit technique (`ddd+zne`): the pulses inserted into
    every circuit that technique executes (each folded circuit), one variant each."""

    rule: str = "xx"

    def apply(self, circuit: cirq.Circuit, rng: np.random.Generator, noise: NoiseModel
              ) -> list[cirq.Circuit]:
        return [transform(circuit, self.rule)]

    def details(self) -> dict[str, Any]:
        return {"rule": self.rule}


@dataclass(frozen=True)
class DDD(_Rule, CircuitTechnique):
    rule: str = "xx"
    # alone, a circuit technique (its own run reports pulses and schedule); in a composition,
    # a transform in front of the circuit technique
    in_composition: ClassVar[type[Technique]] = DDDTransform

    def start(self) -> DDDRun:
        return DDDRun(self)

    def warnings(self, noise: NoiseModel) -> list[str]:
        if not getattr(noise, "idle_noise", True):
            return ["this noise model puts no noise on idle qubits: DDD can only add its "
                    "pulses' gate errors here"]
        return []
