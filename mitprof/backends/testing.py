"""Shipped conformance test for backends (as Cirq ships `cirq.testing`).

`assert_backend_conforms(name)` checks what every registered backend must do:
declared capabilities that hold (width and Clifford limits refused cleanly);
seeded, deterministic runs returning (shots, measured qubits) arrays in
measurement order; noiseless runs that give the ideal outcomes; noisy samples
consistent with the exact noisy value (from its own exact distributions where it
has them, which must match the Aer density-matrix reference); and exact
distributions only where it says it has them. Raises AssertionError.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import CapacityError, SpecError
from .base import Capabilities
from .registry import BACKENDS, get_backend

Z_999 = 3.2905  # 99.9% two-sided normal quantile


def _ghz(n: int) -> Any:
    import cirq

    q = cirq.LineQubit.range(n)
    return cirq.Circuit(cirq.H(q[0]), *(cirq.CNOT(q[i], q[i + 1]) for i in range(n - 1)))


def _measured(circuit: Any, order: list[int]) -> Any:
    import cirq

    q = cirq.LineQubit.range(len(order))
    return circuit + cirq.Circuit(cirq.measure(*(q[i] for i in order), key="m"))


def assert_backend_conforms(name: str, shots: int = 4000) -> None:
    from ..noise import Noise

    assert name in BACKENDS, f"{name!r} is not registered"
    be = get_backend(name)
    caps = be.capabilities
    assert isinstance(caps, Capabilities) and caps.gate_set, f"{name}: no capabilities"
    n = 3
    if caps.clifford_only:
        try:
            be.choose(n, clifford=False)
        except SpecError:
            pass
        else:
            raise AssertionError(f"{name} is Clifford-only but accepted a non-Clifford circuit")
    if caps.max_qubits is not None:
        try:
            be.choose(caps.max_qubits + 1, clifford=True)
        except (CapacityError, SpecError):
            pass
        else:
            raise AssertionError(f"{name}: accepted {caps.max_qubits + 1} qubits, declares "
                                 f"at most {caps.max_qubits}")
    be.choose(n, clifford=True)

    # measurement order: qubits measured as (2, 0, 1) come back in that column order
    import cirq

    q = cirq.LineQubit.range(n)
    flip = cirq.Circuit(cirq.X(q[2]), cirq.I(q[0]), cirq.I(q[1]))
    bits = be.run(be.compile([_measured(flip, [2, 0, 1])], n, None), [50], 1).bits[0]
    assert bits.shape == (50, n), f"{name}: bits of shape {bits.shape}, expected (50, {n})"
    assert (bits == np.array([1, 0, 0])).all(), f"{name}: columns not in measurement order"

    # noiseless GHZ: every shot has equal bits
    ghz = _measured(_ghz(n), list(range(n)))
    bits = be.run(be.compile([ghz], n, None), [200], 2).bits[0]
    assert (bits == bits[:, :1]).all(), f"{name}: noiseless GHZ gave unequal bits"

    # noisy: seeded and deterministic, consistent with the exact noisy value
    noise = Noise.from_level(0.05)
    a = be.run(be.compile([ghz], n, noise), [shots], 7).bits[0]
    b = be.run(be.compile([ghz], n, noise), [shots], 7).bits[0]
    assert np.array_equal(a, b), f"{name}: the same seed gave different bits"
    reference = get_backend("aer:density_matrix").probabilities_many([ghz], n, noise)[0]
    if be.exact_available(n):
        own = be.probabilities_many([ghz], n, noise)[0]
        np.testing.assert_allclose(own, reference, atol=1e-9,
                                   err_msg=f"{name}: exact distribution differs from Aer's")
    else:
        try:
            be.probabilities_many([ghz], n, noise)
        except (CapacityError, SpecError):
            pass
        else:
            raise AssertionError(f"{name}: says it has no exact distributions but gave one")
    # parity of qubits 0 and 1: exact mean and variance from the reference distribution
    idx = np.arange(reference.size)
    parity = 1 - 2 * (((idx >> (n - 1)) ^ (idx >> (n - 2))) & 1)
    mean = float(reference @ parity)
    var = float(reference @ parity**2) - mean**2
    sampled = float(np.mean(1 - 2 * (a[:, 0].astype(int) ^ a[:, 1].astype(int))))
    assert abs(sampled - mean) <= Z_999 * np.sqrt(var / shots), (
        f"{name}: sampled <Z0 Z1> = {sampled:.4f}, exact {mean:.4f}")
