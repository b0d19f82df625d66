"""Stim's Pauli-frame sampler: Clifford circuits at any width, no exact distributions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SpecError
from ..lowering import CLIFFORD_NAMES
from .base import Capabilities, RunOutput, SimulatorBackend

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel

_STIM_NAMES = {"id": "I", "h": "H", "x": "X", "y": "Y", "z": "Z", "s": "S", "sdg": "S_DAG",
               "cx": "CX", "cz": "CZ"}


class StimBackend(SimulatorBackend):
    """Stim's Pauli-frame sampler for Clifford circuits: depolarizing channels map exactly
    (Stim's DEPOLARIZE1/2(p) are Cirq's depolarize(p)), as do Pauli channels (PAULI_CHANNEL_1/2:
    device noise runs Pauli-twirled, `noise.twirl`); each qubit's asymmetric readout error is
    classical and is applied to the sampled bits. Far faster than a stabilizer tableau per
    shot at large widths; no exact output distributions."""

    name = "stim"
    help = ("Stim Pauli-frame sampler: Clifford circuits at any width (depolarizing, readout, "
            "and device noise Pauli-twirled); no exact distributions")
    method_used = "stim_frame"
    capabilities = Capabilities(  # type: ignore[assignment]
        exact_max_qubits=0, max_qubits=None, clifford_only=True,
        gate_set=frozenset(CLIFFORD_NAMES))

    def choose(self, n_qubits: int, clifford: bool) -> str:
        if not clifford:
            raise SpecError("the stim backend needs a Clifford circuit; use aer for others")
        return self.method_used

    def compile(self, circuits: list[cirq.Circuit], n_qubits: int,
                noise: NoiseModel | None) -> list[Any]:
        import cirq
        import stim

        from ..lowering import clifford_gates, gate_name, qubit_index
        from ..noise import ReadoutChannel
        from ..noise.channels import is_noise
        from ..noise.twirl import PauliNoise

        names_of: dict[Any, list[str]] = {}  # a handful of distinct gates, thousands of ops

        def stim_names(op: cirq.Operation) -> list[str]:
            gate = op.gate
            if gate not in names_of:
                name, angle = gate_name(op)
                names = [name] if angle is None else clifford_gates(name, angle)
                bad = [g for g in names if g not in _STIM_NAMES and g != "measure"]
                if bad:
                    raise SpecError(f"gate {bad[0]} is not Clifford: the stim backend cannot "
                                    "run it")
                names_of[gate] = [_STIM_NAMES.get(g, "M") for g in names]
            return names_of[gate]

        out = []
        for c in self.noisy(circuits, noise):
            # Stim's text format, parsed once: far cheaper than one append call per op
            lines: list[str] = []
            readout: dict[int, tuple[float, float]] = {}
            measured: list[int] = []
            for op in c.all_operations():
                targets = " ".join(str(qubit_index(q)) for q in op.qubits)
                gate = op.gate
                if isinstance(gate, cirq.DepolarizingChannel):
                    lines.append(f"DEPOLARIZE{len(op.qubits)}({float(gate.p)!r}) {targets}")
                elif isinstance(gate, PauliNoise) and len(op.qubits) <= 2:
                    args = ",".join(repr(float(x)) for x in gate.probabilities[1:])
                    lines.append(f"PAULI_CHANNEL_{len(op.qubits)}({args}) {targets}")
                elif isinstance(gate, ReadoutChannel):
                    readout[qubit_index(op.qubits[0])] = (gate.p01, gate.p10)
                elif is_noise(gate):
                    raise SpecError(f"the stim backend runs Pauli channels only, not {gate!r}: "
                                    "Pauli-twirl the noise model (noise.twirl.PauliTwirled)")
                else:
                    if cirq.is_measurement(op):
                        measured.extend(qubit_index(q) for q in op.qubits)
                    lines.extend(f"{g} {targets}" for g in stim_names(op))
            rates = np.array([readout.get(q, (0.0, 0.0)) for q in measured]).reshape(-1, 2)
            out.append((stim.Circuit("\n".join(lines)), (rates[:, 0], rates[:, 1])))
        return out

    def run(self, compiled: list[Any], shots: list[int], seed: int) -> RunOutput:
        seeds = np.random.SeedSequence(seed).generate_state(len(compiled), dtype=np.uint64)
        out = []
        for (sc, (p01, p10)), s, cs in zip(compiled, shots, seeds, strict=True):
            bits = sc.compile_sampler(seed=int(cs >> 1)).sample(s).astype(np.uint8)
            if p01.any() or p10.any():  # per measured column
                u = np.random.default_rng(int(cs)).random(bits.shape)
                flip = np.where(bits == 0, u < p01, u < p10)
                bits ^= flip.astype(np.uint8)
            out.append(bits)
        return RunOutput(out, None)
