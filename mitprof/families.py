"""Parametrised benchmark circuit families, each paired with its natural observable.

Observables are weighted sums of dense Pauli strings (character i acts on qubit i), normalised
so that the ideal value lies in [-1, 1]; for the Clifford families it is exactly +1.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from mitprof.errors import SpecError

# Cirq is imported inside the builders: listing the families must not pay for its import.
if TYPE_CHECKING:
    import cirq

# numpy.random.RandomState, used by both mitiq generators, only accepts seeds in [0, 2**32).
_MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    defaults: Mapping[str, int | float]
    build: Callable[..., tuple[cirq.Circuit, str]]
    clifford: bool


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise SpecError(message)


def _check_seed(family: str, seed: int) -> None:
    _require(0 <= seed <= _MAX_SEED, f"{family}: seed must be in [0, 2**32 - 1], got {seed}")


def _observable(n: int, terms: Iterable[tuple[float, Mapping[int, str]]]) -> str:
    parts = []
    for coeff, paulis in terms:
        chars = ["I"] * n
        for q, p in paulis.items():
            chars[q] = p
        parts.append(f"{coeff:.17g}*{''.join(chars)}")
    return "+".join(parts)


def _mean_z(n: int) -> str:
    return _observable(n, ((1.0 / n, {i: "Z"}) for i in range(n)))


def _on_line_qubits(circuit: cirq.Circuit) -> cirq.Circuit:
    """Drop measurements and relabel the qubits, in sorted order, as LineQubit(0..n-1)."""
    import cirq

    kept = cirq.Circuit(
        cirq.Moment(op for op in moment if not cirq.is_measurement(op)) for moment in circuit
    )
    kept = cirq.drop_empty_moments(kept)
    mapping = {q: cirq.LineQubit(i) for i, q in enumerate(sorted(circuit.all_qubits()))}
    return kept.transform_qubits(lambda q: mapping[q])


def _zz_phase(a: cirq.Qid, b: cirq.Qid, theta: float) -> list[cirq.Operation]:
    """exp(-i theta/2 Z_a Z_b), using only CNOT and rz so it stays in the canonical gate set."""
    import cirq

    return [cirq.CNOT(a, b), cirq.rz(theta).on(b), cirq.CNOT(a, b)]


def _brickwork(edges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # Even-indexed edges first lets cirq's EARLIEST insertion pack each layer into ~2 slices
    # instead of a serial chain, so depth (and idle noise) does not grow with n.
    return edges[0::2] + edges[1::2]


def build_ghz(n: int) -> tuple[cirq.Circuit, str]:
    import cirq

    _require(n >= 2, f"ghz: n must be >= 2, got {n}")
    q = cirq.LineQubit.range(n)
    circuit = cirq.Circuit([cirq.H(q[0])] + [cirq.CNOT(q[i], q[i + 1]) for i in range(n - 1)])
    return circuit, _observable(n, ((1.0 / (n - 1), {i: "Z", i + 1: "Z"}) for i in range(n - 1)))


def build_mirror(n: int, depth: int, seed: int) -> tuple[cirq.Circuit, str]:
    import cirq

    _require(n >= 1, f"mirror: n must be >= 1, got {n}")
    _require(depth >= 1, f"mirror: depth must be >= 1, got {depth}")
    _check_seed("mirror", seed)
    import networkx as nx
    from mitiq.benchmarks import generate_mirror_circuit

    raw, bits = generate_mirror_circuit(
        nlayers=depth,
        two_qubit_gate_prob=1.0,
        connectivity_graph=nx.path_graph(n),
        two_qubit_gate_name="CNOT",
        seed=seed,
    )
    assert isinstance(raw, cirq.Circuit)
    # mitiq reports the ideal bitstring in sorted-qubit order, matching _on_line_qubits.
    circuit = _on_line_qubits(raw)
    signs = [1.0 if int(b) == 0 else -1.0 for b in bits]
    return circuit, _observable(n, ((signs[i] / n, {i: "Z"}) for i in range(n)))


# Single-qubit Clifford words over the canonical set (not uniform over the group: enough
# to scramble; what matters is that the circuit is Clifford and its inverse is exact).
def _clifford_words() -> tuple[tuple[cirq.Gate, ...], ...]:
    import cirq

    return ((cirq.H,), (cirq.S,), (cirq.H, cirq.S), (cirq.S, cirq.H),
            (cirq.H, cirq.S, cirq.H), (cirq.S, cirq.S), (cirq.X,), (cirq.Y,))


def build_clifford_mirror(n: int, depth: int, seed: int) -> tuple[cirq.Circuit, str]:
    """U, a random Pauli layer, then U^-1: a mirror circuit at any width.

    Mitiq's mirror generator finds the expected bitstring with a statevector
    simulation (impossible at 100 qubits); here a stabilizer simulation finds it.
    """
    import cirq

    _require(n >= 2, f"clifford_mirror: n must be >= 2, got {n}")
    _require(depth >= 1, f"clifford_mirror: depth must be >= 1, got {depth}")
    _check_seed("clifford_mirror", seed)
    rng = np.random.default_rng(seed)
    words = _clifford_words()
    q = cirq.LineQubit.range(n)
    layers = []
    for d in range(depth):
        ops = [g(q[i]) for i in range(n)
               for g in words[rng.integers(len(words))]]
        pairs = [(i, i + 1) for i in range(d % 2, n - 1, 2)]
        ops += [cirq.CNOT(q[a], q[b]) if rng.integers(2) else cirq.CNOT(q[b], q[a])
                for a, b in pairs]
        layers.append(cirq.Circuit(ops))
    forward = cirq.Circuit(layers)
    paulis = cirq.Circuit(p(q[i]) for i in range(n)
                          for p in [(cirq.X, cirq.Y, cirq.Z)[rng.integers(3)]])
    circuit = forward + paulis + cirq.inverse(forward)
    bits = _stabilizer_outcome(circuit, n)
    return circuit, _observable(n, (((1.0 if b == 0 else -1.0) / n, {i: "Z"})
                                    for i, b in enumerate(bits)))


def _stabilizer_outcome(circuit: cirq.Circuit, n: int) -> list[int]:
    """The deterministic measurement outcome of a Clifford circuit, by stabilizer simulation."""
    from qiskit.quantum_info import StabilizerState

    from .lowering import to_qiskit

    state = StabilizerState(to_qiskit(circuit, n, clifford_only=True))
    outcome, _ = state.measure()  # qiskit: qubit 0 is the rightmost character
    return [int(b) for b in reversed(outcome)]


def build_rb(n: int, depth: int, seed: int) -> tuple[cirq.Circuit, str]:
    import cirq

    _require(n in (1, 2), f"rb: n must be 1 or 2 (mitiq only generates 1- and 2-qubit RB), got {n}")
    _require(depth >= 1, f"rb: depth (number of Cliffords) must be >= 1, got {depth}")
    _check_seed("rb", seed)
    from mitiq.benchmarks import generate_rb_circuits

    raw = generate_rb_circuits(n_qubits=n, num_cliffords=depth, trials=1, seed=seed)[0]
    assert isinstance(raw, cirq.Circuit)
    return _on_line_qubits(raw), _mean_z(n)


def build_ising(n: int, depth: int, J: float, h: float, dt: float) -> tuple[cirq.Circuit, str]:
    """First-order Trotterisation of H = J sum Z_i Z_{i+1} + h sum X_i on an open chain."""
    import cirq

    _require(n >= 2, f"ising: n must be >= 2, got {n}")
    _require(depth >= 1, f"ising: depth (Trotter steps) must be >= 1, got {depth}")
    q = cirq.LineQubit.range(n)
    bonds = _brickwork([(i, i + 1) for i in range(n - 1)])
    circuit = cirq.Circuit()
    for _ in range(depth):
        for a, b in bonds:
            circuit.append(_zz_phase(q[a], q[b], 2 * J * dt))
        circuit.append(cirq.rx(2 * h * dt).on(x) for x in q)
    return circuit, _mean_z(n)


def build_qaoa(n: int, depth: int, gamma: float, beta: float) -> tuple[cirq.Circuit, str]:
    """MaxCut QAOA on the n-ring: layers of exp(-i gamma Z_i Z_j) then exp(-i beta X_i)."""
    import cirq

    _require(n >= 3, f"qaoa: n must be >= 3 (a ring needs 3 distinct edges), got {n}")
    _require(depth >= 1, f"qaoa: depth (layers p) must be >= 1, got {depth}")
    q = cirq.LineQubit.range(n)
    edges = [(i, (i + 1) % n) for i in range(n)]
    circuit = cirq.Circuit(cirq.H(x) for x in q)
    for _ in range(depth):
        for a, b in _brickwork(edges):
            circuit.append(_zz_phase(q[a], q[b], 2 * gamma))
        circuit.append(cirq.rx(2 * beta).on(x) for x in q)
    return circuit, _observable(n, ((1.0 / n, {a: "Z", b: "Z"}) for a, b in edges))


def eagle_heavy_hex(n: int = 127) -> list[tuple[int, int]]:
    """The coupling map of IBM's 127-qubit Eagle (heavy hex: seven rows of 15 columns, the
    first without its last column and the last without its first, joined by 4 bridge
    qubits between rows at columns 0, 4, 8, 12 below even rows and 2, 6, 10, 14 below odd
    ones), restricted to qubits < n. Built, not read from a device snapshot, so the family
    needs no device package; a test checks it against fake_sherbrooke's 144 edges."""
    index: dict[tuple[int, int], int] = {}
    bridges: list[tuple[int, int, int]] = []  # (bridge qubit, row above, column)
    q = 0
    for row in range(7):
        for col in range(15):
            if (row, col) not in ((0, 14), (6, 0)):
                index[(row, col)] = q
                q += 1
        if row < 6:
            for col in ((0, 4, 8, 12) if row % 2 == 0 else (2, 6, 10, 14)):
                bridges.append((q, row, col))
                q += 1
    edges = [(index[(r, c)], index[(r, c + 1)]) for r in range(7) for c in range(14)
             if (r, c) in index and (r, c + 1) in index]
    for b, row, col in bridges:
        edges += [(index[(row, col)], b), (b, index[(row + 1, col)])]
    return sorted((a, b) for a, b in edges if a < n and b < n)


def _edge_layers(edges: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """A proper edge colouring (greedy, in edge order): each layer's gates act on disjoint
    qubits, so a layer runs in parallel as on hardware."""
    layers: list[list[tuple[int, int]]] = []
    used: list[set[int]] = []
    for a, b in edges:
        for layer, busy in zip(layers, used, strict=True):
            if a not in busy and b not in busy:
                layer.append((a, b))
                busy.update((a, b))
                break
        else:
            layers.append([(a, b)])
            used.append({a, b})
    return layers


def build_kicked_ising(n: int, depth: int, kick: int) -> tuple[cirq.Circuit, str]:
    """Kicked transverse-field Ising dynamics on the Eagle heavy-hex map (Kim et al., Nature
    618, 500 (2023)): `depth` steps of RX(kick * pi/2) on every qubit, then RZZ(-pi/2) on
    every coupling edge in parallel layers. Clifford at every kick, so Stim runs it at 127
    qubits. Observable: U Z_c U^dagger for the central qubit c, a stabilizer of the final
    state (ideal +1), like the paper's weight-10 and weight-17 observables."""
    _require(2 <= n <= 127, f"kicked_ising: n must be 2-127 (the Eagle map), got {n}")
    _require(depth >= 1, f"kicked_ising: depth (steps) must be >= 1, got {depth}")
    _require(0 <= kick <= 3, f"kicked_ising: kick (quarter turns of RX) must be 0-3, got {kick}")
    import cirq

    q = cirq.LineQubit.range(n)
    layers = _edge_layers(eagle_heavy_hex(n))
    circuit = cirq.Circuit()
    for _ in range(depth):
        circuit.append(cirq.Moment(cirq.rx(kick * np.pi / 2).on(x) for x in q))
        for layer in layers:
            for part in range(3):  # CNOT, rz, CNOT of every edge: one moment each
                circuit.append(cirq.Moment(_zz_phase(q[a], q[b], -np.pi / 2)[part]
                                           for a, b in layer))
    return circuit, _evolved_z(circuit, n, n // 2)


def _evolved_z(circuit: cirq.Circuit, n: int, qubit: int) -> str:
    """U Z_qubit U^dagger of a Clifford circuit U, as an observable string (ideal +1 from
    |0..0>)."""
    from qiskit.quantum_info import Clifford, Pauli

    from .lowering import to_qiskit

    label = ["I"] * n
    label[n - 1 - qubit] = "Z"  # qiskit: qubit 0 is the rightmost character
    evolved = Pauli("".join(label)).evolve(Clifford(to_qiskit(circuit, n, clifford_only=True)),
                                           frame="s")
    label_out = evolved.to_label()  # a Clifford maps a Hermitian Pauli to +-P
    sign = -1.0 if label_out.startswith("-") else 1.0
    text = label_out.lstrip("-")[::-1]  # back to character i = qubit i
    return _observable(n, [(sign, {i: ch for i, ch in enumerate(text) if ch != "I"})])


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "ghz",
            "GHZ state (H + CNOT chain); mean neighbouring ZZ, ideal +1",
            MappingProxyType({"n": 4}),
            build_ghz,
            clifford=True,
        ),
        Family(
            "mirror",
            "mitiq random mirror circuit on a line; signed mean Z, ideal +1",
            MappingProxyType({"n": 4, "depth": 4, "seed": 0}),
            build_mirror,
            clifford=True,
        ),
        Family(
            "clifford_mirror",
            "random Clifford layers, a Pauli layer, then their inverse; any width (expected "
            "bitstring by stabilizer simulation); signed mean Z, ideal +1",
            MappingProxyType({"n": 4, "depth": 4, "seed": 0}),
            build_clifford_mirror,
            clifford=True,
        ),
        Family(
            "rb",
            "mitiq randomized benchmarking on 1 or 2 qubits (depth = #Cliffords); mean Z, ideal +1",
            MappingProxyType({"n": 2, "depth": 4, "seed": 0}),
            build_rb,
            clifford=True,
        ),
        Family(
            "ising",
            "Trotterised transverse-field Ising chain from |0..0> (depth = steps); mean Z",
            MappingProxyType({"n": 4, "depth": 4, "J": 1.0, "h": 1.0, "dt": 0.1}),
            build_ising,
            clifford=False,
        ),
        Family(
            "qaoa",
            "MaxCut QAOA on an n-ring (depth = layers p); mean ZZ over ring edges",
            MappingProxyType({"n": 4, "depth": 2, "gamma": 0.4, "beta": 0.3}),
            build_qaoa,
            clifford=False,
        ),
        Family(
            "kicked_ising",
            "kicked Ising steps (RX(kick pi/2) kicks, RZZ(-pi/2) on the edges) on the 127-qubit "
            "Eagle heavy-hex map; U Z_c U^dagger for the central qubit, ideal +1",
            MappingProxyType({"n": 127, "depth": 1, "kick": 1}),
            build_kicked_ising,
            clifford=True,
        ),
    )
}


def _coerce(family: str, key: str, value: object, default: int | float) -> int | float:
    # bool is a numbers.Integral, but `n = true` in a spec is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "an integer" if isinstance(default, int) else "a number"
        raise SpecError(f"{family}: {key} must be {kind}, got {value!r}")
    if isinstance(default, int):
        if isinstance(value, numbers.Integral):
            return int(value)
        as_float = float(value)
        _require(as_float.is_integer(), f"{family}: {key} must be an integer, got {value!r}")
        return int(as_float)
    as_float = float(value)
    _require(math.isfinite(as_float), f"{family}: {key} must be finite, got {value!r}")
    return as_float


def build_family(name: str, params: Mapping[str, int | float]) -> tuple[cirq.Circuit, str]:
    """Build family `name` with `params` over its defaults; bad input raises SpecError."""
    family = FAMILIES.get(name)
    if family is None:
        raise SpecError(f"unknown circuit family {name!r}; valid families: {', '.join(FAMILIES)}")
    unknown = sorted(set(params) - set(family.defaults))
    if unknown:
        raise SpecError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for family {name!r}; "
            f"valid parameters: {', '.join(family.defaults)}"
        )
    kwargs = {
        key: _coerce(name, key, params.get(key, default), default)
        for key, default in family.defaults.items()
    }
    return family.build(**kwargs)
