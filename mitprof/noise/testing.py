"""Shipped conformance test for noise models (as for techniques and backends).

`assert_noise_model_conforms(model, n_qubits)` checks what every NoiseModel must do:
it only adds channels (the circuit's unitary and measurements stay), each added channel
is trace preserving, its rates are probabilities, it says truthfully whether idle
qubits get noise, its parameters are JSON, and Aer and Cirq run it to the same exact
distribution. Raises AssertionError.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .base import NoiseModel
from .channels import ReadoutChannel


def _circuit(n: int) -> Any:
    import cirq

    q = cirq.LineQubit.range(n)
    ops = [cirq.H(q[0]), *(cirq.CNOT(q[i], q[i + 1]) for i in range(n - 1)),
           cirq.rx(0.3)(q[n - 1]), cirq.S(q[0])]
    return cirq.Circuit(ops) + cirq.Circuit(cirq.measure(*q, key="m"))


def assert_noise_model_conforms(model: Any, n_qubits: int) -> None:
    import cirq

    from ..backends import get_backend

    assert isinstance(model, NoiseModel), f"{model!r} does not follow the NoiseModel protocol"
    assert n_qubits >= 2, "the check needs two qubits"
    json.dumps(model.to_dict())  # raises if its parameters are not JSON
    p01, p10 = model.readout
    assert 0 <= p01 < 1 and 0 <= p10 < 1 and p01 + p10 < 1, f"readout {model.readout}"
    circuit = _circuit(n_qubits)
    noisy = model.apply(circuit)
    qubits = cirq.LineQubit.range(n_qubits)

    def unitary_part(c: Any) -> np.ndarray:
        ops = [op for op in c.all_operations() if cirq.has_unitary(op)
               and not cirq.is_measurement(op)]
        return cirq.Circuit(ops).unitary(qubit_order=qubits)

    # it only adds channels: without them the circuit is the same unitary (a model may
    # write a gate as its pulses), with the same measurements
    assert cirq.allclose_up_to_global_phase(unitary_part(noisy), unitary_part(circuit),
                                            atol=1e-8), "apply() changed the circuit's gates"
    measurements = [op for op in noisy.all_operations() if cirq.is_measurement(op)]
    assert measurements == [op for op in circuit.all_operations() if cirq.is_measurement(op)]
    for op in noisy.all_operations():
        if cirq.is_measurement(op) or cirq.has_unitary(op):
            continue
        total = sum(k.conj().T @ k for k in cirq.kraus(op))
        assert np.allclose(total, np.eye(total.shape[0]), atol=1e-9), (
            f"added channel {op} is not trace preserving")
    for op in circuit.all_operations():
        if not cirq.is_measurement(op):
            p = model.gate_depolarizing(op)
            assert 0 <= p < 1, f"gate_depolarizing({op}) = {p}"

    # idle noise, as declared: qubit 1 idles while qubit 0 runs two layers
    q = cirq.LineQubit.range(n_qubits)
    idle = cirq.Circuit([cirq.Moment([cirq.H(q[0])]), cirq.Moment([cirq.X(q[0])]),
                         cirq.Moment([cirq.measure(*q, key="m")])])
    on_idle = [op for op in model.apply(idle).all_operations()
               if q[1] in op.qubits and not cirq.is_measurement(op)
               and not isinstance(op.gate, ReadoutChannel)]
    assert bool(on_idle) == bool(model.idle_noise), (
        f"idle_noise is {model.idle_noise} but the idle qubit got {len(on_idle)} channels")

    # the two simulators run the same noisy circuit to the same distribution
    aer = get_backend("aer").probabilities_many([circuit], n_qubits, model)[0]
    cq = get_backend("cirq").probabilities_many([circuit], n_qubits, model)[0]
    np.testing.assert_allclose(aer, cq, atol=1e-6, err_msg="Aer and Cirq disagree")
