"""Shipped conformance test for executors (`assert_executor_conforms`): what mitprof
needs of a user's executor before it profiles it, checked on a few shots.

A result per circuit, of the shots asked for (where it takes `shots`), the bits in
measurement order (the commonest mistake: counts read in the wrong order), and, where it
takes a `seed`, the same counts for the same seed. The circuits prepare |10> and |01>
(qubit 0 first), so each check holds under any noise below 50%. Raises AssertionError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .executor import ExecutorBackend


def _basis_circuits() -> list[Any]:
    import cirq

    q = cirq.LineQubit.range(2)
    return [cirq.Circuit(cirq.X(q[0]), cirq.measure(*q)),
            cirq.Circuit(cirq.X(q[1]), cirq.measure(*q)),
            cirq.Circuit(cirq.X(q[0]), cirq.measure(q[1], q[0]))]  # measured in reverse order


def assert_executor_conforms(executor: Callable[..., Any] | ExecutorBackend,
                             shots: int = 200, seed: int = 7) -> None:
    be = executor if isinstance(executor, ExecutorBackend) else ExecutorBackend(executor)
    circuits = _basis_circuits()
    compiled = be.compile(circuits, 2, None)
    out = be.run(compiled, [shots] * len(circuits), seed).bits
    assert len(out) == len(circuits), f"{be.name}: {len(out)} results for {len(circuits)}"
    for bits in out:
        assert bits.ndim == 2 and bits.shape[1] == 2, f"{be.name}: bits of shape {bits.shape}"
        if be.takes_shots:
            assert bits.shape[0] == shots, f"{be.name}: {bits.shape[0]} shots, asked {shots}"
    expected = [(1, 0), (0, 1), (0, 1)]  # in measurement order
    for k, (bits, want) in enumerate(zip(out, expected, strict=True)):
        mean = bits.mean(axis=0)
        got = tuple(int(m > 0.5) for m in mean)
        assert got == want, (
            f"{be.name}: circuit {k} should read mostly {want} (bits in measurement order) "
            f"but reads {got} (mean {np.round(mean, 3).tolist()}): counts keys are in "
            "Qiskit's order (clbit 0 rightmost), a MeasurementResult's bits left to right")
    if be.takes_seed:
        again = be.run(compiled, [shots] * len(circuits), seed).bits
        same = all(counts_of(a) == counts_of(b) for a, b in zip(out, again, strict=True))
        assert same, f"{be.name}: takes a seed but the same seed gave different counts"
    be.take_calls()


def counts_of(bits: np.ndarray) -> dict[tuple[int, ...], int]:
    rows, n = np.unique(bits, axis=0, return_counts=True)
    return {tuple(int(x) for x in r): int(c) for r, c in zip(rows, n, strict=True)}
