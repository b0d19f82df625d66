"""Pauli twirling through Mitiq's twirling sets (`mitiq.pt`): `twirls` random variants of
every executed circuit, their values averaged.

Each CNOT and CZ gets Paulis P, Q before it and R, S after it, drawn uniformly from
Mitiq's tables (arXiv:2301.02690), which leave the gate unchanged. Averaged over the
draws, the noise channel after the gate is conjugated by all 16 two-qubit Paulis (R, S
run over every pair): the Pauli twirl of the channel, whose off-diagonal (coherent)
part is gone. The Paulis are tagged noiseless and get their own moments, which take no
time in the schedule: on hardware they merge into the neighbouring 1-qubit layers.

Mitiq draws from Python's global `random`; the same tables drawn with numpy keep every
estimate seeded (Mitiq's `generate_pauli_twirl_variants` would need the global state
pinned). Cost: `twirls` circuits in place of each one, the same shots on each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..noise import NOISELESS
from .base import CircuitTransform, integer

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel

DEFAULT_TWIRLS = 8


def _tables() -> dict[str, list[tuple[cirq.Gate, ...]]]:
    from mitiq.pt.pt import CNOT_twirling_gates, CZ_twirling_gates

    return {"cx": CNOT_twirling_gates, "cz": CZ_twirling_gates}


def twirl(circuit: cirq.Circuit, rng: np.random.Generator) -> cirq.Circuit:
    """One Pauli-twirled variant: noiseless Paulis in moments of their own around every
    CNOT and CZ (identities left out)."""
    import cirq

    from ..lowering import gate_name

    tables = _tables()
    out: list[cirq.Moment] = []
    for moment in circuit:
        before: list[cirq.Operation] = []
        after: list[cirq.Operation] = []
        for op in moment:
            if len(op.qubits) != 2 or cirq.is_measurement(op):
                continue
            name, _ = gate_name(op.untagged)
            if name not in tables:
                continue
            p, q, r, s = tables[name][int(rng.integers(len(tables[name])))]
            a, b = op.qubits
            before += [g.on(x).with_tags(NOISELESS) for g, x in ((p, a), (q, b)) if g != cirq.I]
            after += [g.on(x).with_tags(NOISELESS) for g, x in ((r, a), (s, b)) if g != cirq.I]
        out += [cirq.Moment(before)] if before else []
        out.append(moment)
        out += [cirq.Moment(after)] if after else []
    return cirq.Circuit(out)


@dataclass(frozen=True)
class PauliTwirl(CircuitTransform):
    twirls: int = DEFAULT_TWIRLS

    name = "pt"
    help = "Pauli twirling of CNOT/CZ gates (mitiq.pt), in front of any circuit technique"
    options = {"twirls": f"random twirled variants per circuit (default {DEFAULT_TWIRLS})"}
    examples = ("twirls=3",)
    random = True

    @classmethod
    def from_options(cls, opts: Mapping[str, str]) -> PauliTwirl:
        return cls(twirls=integer(opts.get("twirls"), "twirls", DEFAULT_TWIRLS))

    @property
    def label(self) -> str:
        return f"pt[{self.twirls}]"

    @property
    def variants(self) -> int:
        return self.twirls

    def apply(self, circuit: cirq.Circuit, rng: np.random.Generator, noise: NoiseModel
              ) -> list[cirq.Circuit]:
        return [twirl(circuit, rng) for _ in range(self.twirls)]

    def details(self) -> dict[str, Any]:
        return {"twirls": self.twirls}
