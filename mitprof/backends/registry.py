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


def get_backend(name: str, threads: int = 1) -> Backend:
    """A backend by name; `NAME:VARIANT` where the backend has variants (aer:METHOD)."""
    base, _, variant = str(name).partition(":")
    cls = BACKENDS.get(base)
    if cls is None:
        forms = [f"{n}:{'|'.join(c.variants)}" for n, c in BACKENDS.items() if c.variants]
        raise SpecError(f"unknown backend {name!r}; valid: {', '.join(BACKENDS)}"
                        + (f" ({', '.join(forms)})" if forms else ""))
    return cls.create(variant, threads)
