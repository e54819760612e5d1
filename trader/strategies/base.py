"""Strategy interface (STR-1): pure `propose(ctx) -> list[Proposal]`, no I/O, no globals."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from trader.core.decision import Proposal
from trader.core.market import MarketSnapshot
from trader.core.portfolio import Portfolio
from trader.triggers.types import TriggerSignal


@dataclass(frozen=True, slots=True)
class StrategyContext:
    """Everything a strategy may look at: the cycle's triggers, the market (with the
    universe's tiers in `market.tiers`), the portfolio, and `now` (UTC epoch seconds)."""

    now: float
    triggers: Sequence[TriggerSignal]
    market: MarketSnapshot
    portfolio: Portfolio


class BaseStrategy(ABC):
    """A strategy: deterministic, side-effect free; the same ctx gives the same proposals."""

    strategy_id: str

    @abstractmethod
    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        """Proposals for this cycle (may be empty)."""
