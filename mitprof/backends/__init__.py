"""Backends: the protocol (`base`), one module per simulator, and the registry."""

from .base import (
    MAX_DENSITY_QUBITS,
    Backend,
    Capabilities,
    RunOutput,
    compile_distinct,
    measured_qubits,
)
from .registry import BACKENDS, backend_names, get_backend, register

__all__ = ["BACKENDS", "MAX_DENSITY_QUBITS", "Backend", "Capabilities", "RunOutput",
           "backend_names", "compile_distinct", "get_backend", "measured_qubits", "register"]
