"""mitprof: measure what quantum error mitigation costs.

Heavy dependencies (Mitiq, Qiskit, Cirq) load on first use of the attribute
that needs them, so `import mitprof` and `mitprof --help` stay instant.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import CapacityError, MitprofError, SpecError

__version__ = "0.2.0"

_LAZY = {
    "profile": "engine",
    "advise": "advise",
    "Advice": "advise",
    "ProfileResult": "result",
    "StrategyResult": "result",
    "Noise": "noise",
    "StrategySpec": "techniques",
    "run_sweep": "sweep",
    "SweepSpec": "spec",
    "CircuitSpec": "spec",
    "load_spec": "spec",
    "load_results": "export",
    "render_report": "report",
    "compare": "comparison",
    "Reported": "backends.executor",
    "TransientError": "backends.executor",
    "project": "projection",
    "Projection": "projection",
}

__all__ = ["CapacityError", "MitprofError", "SpecError", "__version__", *_LAZY]


def __dir__() -> list[str]:
    """The lazily loaded API too, so that tab completion and `dir(mitprof)` show it."""
    return sorted({*globals(), *_LAZY})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'mitprof' has no attribute {name!r}")
