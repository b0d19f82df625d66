import cirq
import pytest


@pytest.fixture
def ghz3() -> cirq.Circuit:
    q = cirq.LineQubit.range(3)
    return cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]), cirq.CNOT(q[1], q[2]))


@pytest.fixture
def rot2() -> cirq.Circuit:
    """A small non-Clifford circuit with a nonzero X-basis expectation."""
    q = cirq.LineQubit.range(2)
    return cirq.Circuit(cirq.ry(0.7)(q[0]), cirq.CNOT(q[0], q[1]), cirq.rx(0.4)(q[1]),
                        cirq.S(q[0]), cirq.H(q[1]))
