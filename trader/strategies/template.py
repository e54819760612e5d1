"""The starting file `trader new-strategy NAME` writes (STR-2): a complete, working strategy
to edit — a breakout over the highest high of the last bars — with every part commented.
`{class_name}` and `{name}` are filled in; nothing else is."""

TEMPLATE = '''"""{class_name}: your strategy. Edit freely; `trader check-config` loads this file and
checks it, `trader check-strategy {name} --data DIR` looks for decisions that read the future,
`trader backtest` runs it over recorded data.

As written: BUY when the last closed {timeframe} bar closes above the highest high of the
`lookback` bars before it; exits by the stop-loss, take-profit and maximum hold it attaches.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from trader.indicators import HighestHigh
from trader.strategies import Proposal, Side, Strategy, StrategyContext, StrategyParams


class {class_name}Params(StrategyParams):
    """Parameters, set in strategies.yaml under `registry.{name}.params` (unknown keys and
    values out of bounds are refused by `trader check-config`)."""

    lookback: int = Field(20, ge=2, le=400)  # bars of the breakout window
    size_pct: Decimal = Field(Decimal("1"), gt=0, le=100)  # entry size, % of equity
    stop_loss_pct: Decimal = Field(Decimal("2"), gt=0, lt=100)
    take_profit_pct: Decimal = Field(Decimal("4"), gt=0, le=1000)
    max_hold_hours: float = Field(24.0, gt=0, le=24 * 90)


class {class_name}(Strategy[{class_name}Params]):
    Params = {class_name}Params
    # the bars read: timeframe -> how many (1m 5m 15m 1h 4h 1d); only closed bars are shown
    timeframes: ClassVar[Mapping[str, int]] = {{"{timeframe}": 401}}

    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        """Called every decision step; must be pure: the same ctx gives the same proposals.
        ctx.market.tiers: the products the universe admits; ctx.portfolio: positions and
        open orders; ctx.bars(product, timeframe): closed bars, oldest first."""
        proposals = []
        for product_id in sorted(ctx.market.tiers):
            if ctx.portfolio.held_size(product_id) > 0 or ctx.buying(product_id):
                continue  # held (its exits are attached) or an entry already working
            bars = ctx.bars(product_id, "{timeframe}")
            if len(bars) < self.params.lookback + 1:
                continue  # still warming up
            highest = HighestHigh(self.params.lookback)
            for bar in bars[-self.params.lookback - 1 : -1]:
                highest.update(float(bar.high))
            if highest.value is not None and float(bars[-1].close) > highest.value:
                proposals.append(
                    Proposal(
                        product_id=product_id,
                        side=Side.BUY,
                        strategy_id=self.strategy_id,  # always the id it runs under
                        conviction=0.6,  # 0..1: ranks proposals when caps bind
                        reason=f"close above the {{self.params.lookback}}-bar high",
                        size_pct=self.params.size_pct,
                        stop_loss_pct=self.params.stop_loss_pct,
                        take_profit_pct=self.params.take_profit_pct,
                        max_hold_s=self.params.max_hold_hours * 3600,
                    )
                )
        return proposals
'''

REGISTRY_ENTRY = """  {name}:
    class: strategies/{name}.py:{class_name}
    enabled: false          # turn on once check-strategy and a backtest satisfy you
    max_at_risk_pct: 1
    max_proposals_per_cycle: 2
    params:
      lookback: 20
      size_pct: 1
"""
