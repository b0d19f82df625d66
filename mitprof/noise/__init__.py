"""Noise models (the protocol in `base`) and the channels they insert."""

from .base import NOISELESS, NoiseModel
from .channels import KrausNoise, ReadoutChannel, aer_instruction_for, cirq_to_aer_lambda
from .depolarizing import Noise

__all__ = ["NOISELESS", "KrausNoise", "Noise", "NoiseModel", "ReadoutChannel",
           "aer_instruction_for", "cirq_to_aer_lambda"]
