"""Noise models (the protocol in `base`) and the channels they insert.

The channels and models import Cirq: they load on first use, so that what only
needs the protocol (listing the techniques) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .base import NOISELESS, NoiseModel

if TYPE_CHECKING:
    from .channels import KrausNoise, ReadoutChannel, aer_instruction_for, cirq_to_aer_lambda
    from .depolarizing import Noise

_LAZY = {"KrausNoise": "channels", "ReadoutChannel": "channels",
         "aer_instruction_for": "channels", "cirq_to_aer_lambda": "channels",
         "Noise": "depolarizing"}

__all__ = ["NOISELESS", "KrausNoise", "Noise", "NoiseModel", "ReadoutChannel",
           "aer_instruction_for", "cirq_to_aer_lambda"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
