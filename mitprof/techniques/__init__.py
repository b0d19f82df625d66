"""Mitigation techniques: the protocol (`base`), one module per technique, their
composition into strategies (`compose`) and the registry (the only list of them)."""

from .base import Job, NotDerived, Prediction, PredictionContext
from .compose import Estimate, Strategy
from .registry import (
    TECHNIQUES,
    StrategySpec,
    parse_strategies,
    register,
    strategy_help,
    strategy_names,
)

__all__ = ["TECHNIQUES", "Estimate", "Job", "NotDerived", "Prediction", "PredictionContext",
           "Strategy", "StrategySpec", "parse_strategies", "register", "strategy_help",
           "strategy_names"]
