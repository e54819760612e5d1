"""Strategies (STR-1): pure proposal functions, a registry with enabled flags and budgets.

What a strategy file imports: `Strategy` (the base class), `StrategyParams` (the base of
its parameter model), `StrategyContext` (what `propose` sees) and `Proposal`/`Side` (what
it returns)."""

from trader.core.decision import Proposal
from trader.core.types import Side
from trader.strategies.base import BaseStrategy, StrategyContext, StrategyParams, StrategyPlugin
from trader.strategies.registry import StrategyRegistry, budgets, dedupe_by_product
from trader.strategies.rules import RulesStrategy

Strategy = BaseStrategy

__all__ = [
    "BaseStrategy",
    "Proposal",
    "RulesStrategy",
    "Side",
    "Strategy",
    "StrategyContext",
    "StrategyParams",
    "StrategyPlugin",
    "StrategyRegistry",
    "budgets",
    "dedupe_by_product",
]
