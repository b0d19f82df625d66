"""The backends mitprof knows: name -> class. The only list of them."""

from __future__ import annotations

from ..errors import SpecError
from .aer import AerBackend
from .base import Backend, SimulatorBackend
from .cirq_density import CirqBackend
from .stim_frames import StimBackend

BACKENDS: dict[str, type[SimulatorBackend]] = {}


def register(cls: type[SimulatorBackend]) -> type[SimulatorBackend]:
    BACKENDS[cls.name] = cls
    return cls


for _cls in (AerBackend, CirqBackend, StimBackend):
    register(_cls)


def backend_names() -> list[str]:
    """Every accepted backend name, variants included (e.g. aer:stabilizer)."""
    return [n for name, cls in BACKENDS.items()
            for n in (name, *(f"{name}:{v}" for v in cls.variants))]


# Backends that bring their own noise (`executor:package.module:function`,
# `ibm_runtime:DEVICE`): no noise model, no exact distributions, so the simulator
# conformance test does not apply to them (tests/test_executors.py covers them).
OWN_NOISE = {"executor": "any Mitiq-compatible executor function: executor:package.module:function",
             "ibm_runtime": "Qiskit Runtime SamplerV2: ibm_runtime:fake_manila (local testing "
                            "mode) or ibm_runtime:DEVICE (a saved account)"}


def is_own_noise(name: object) -> bool:
    return isinstance(name, str) and name.partition(":")[0].lower() in OWN_NOISE


def get_backend(name: str, threads: int = 1) -> Backend:
    """A backend by name; `NAME:VARIANT` where the backend has variants (aer:METHOD)."""
    base, _, variant = str(name).partition(":")
    if base.lower() == "executor":
        from .executor import ExecutorBackend, load_executor

        return ExecutorBackend(load_executor(variant), label=variant)  # type: ignore[return-value]
    if base.lower() == "ibm_runtime":
        from .ibm_runtime import IBMRuntimeBackend

        return IBMRuntimeBackend(variant)  # type: ignore[return-value]
    cls = BACKENDS.get(base)
    if cls is None:
        forms = [f"{n}:{'|'.join(c.variants)}" for n, c in BACKENDS.items() if c.variants]
        raise SpecError(f"unknown backend {name!r}; valid: {', '.join(BACKENDS)}"
                        + (f" ({', '.join(forms)})" if forms else ""))
    return cls.create(variant, threads)
