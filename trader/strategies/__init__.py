"""Strategies (STR-1): pure proposal functions, a registry with enabled flags and budgets."""

from trader.strategies.base import BaseStrategy, StrategyContext
from trader.strategies.registry import (
    DEFAULT_FACTORIES,
    StrategyRegistry,
    budgets,
    dedupe_by_product,
)
from trader.strategies.rules import RulesStrategy

__all__ = [
    "DEFAULT_FACTORIES",
    "BaseStrategy",
    "RulesStrategy",
    "StrategyContext",
    "StrategyRegistry",
    "budgets",
    "dedupe_by_product",
]
