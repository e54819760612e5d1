"""Mean reversion on 15-minute bars: buy a stretched dip, sell the stretched rally.

Entry (BUY): on the last closed 15-minute bar the RSI is below `oversold` and the close is
below the lower Bollinger band. Size `size_pct` % of equity; take-profit at the distance to
the middle band (at least `min_target_pct`), stop-loss `stop_pct`, held at most
`max_hold_hours`. Reduce (SELL the held size): the RSI is above `overbought`. Products must
be in the universe (have a tier). Conviction grows with how far the RSI is past its bound.

Parameters (`strategies.yaml: registry.<id>.params`):
  rsi_period (14), oversold (25), overbought (65);
  band_period (20), band_k (2.0): Bollinger bands over closes;
  stop_pct (2.0), min_target_pct (0.6; the shipped configuration: 3.0, above twice the
  round trip's cost), size_pct (2), max_hold_hours (12).
It reads 200 bars of 15 minutes (50 hours).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from pydantic import Field, model_validator

from trader.indicators import RSI, BollingerBands
from trader.strategies import Proposal, Side, Strategy, StrategyContext, StrategyParams

HISTORY = 200


class ReversionParams(StrategyParams):
    rsi_period: int = Field(14, ge=2, le=100)
    oversold: float = Field(25.0, gt=0, lt=50)
    overbought: float = Field(65.0, gt=50, lt=100)
    band_period: int = Field(20, ge=2, le=150)
    band_k: float = Field(2.0, gt=0, le=5)
    stop_pct: Decimal = Field(Decimal("2.0"), gt=0, lt=100)
    min_target_pct: Decimal = Field(Decimal("0.6"), gt=0, le=100)
    size_pct: Decimal = Field(Decimal("2"), gt=0, le=100)
    max_hold_hours: float = Field(12.0, gt=0, le=24 * 30)

    @model_validator(mode="after")
    def _enough_bars(self) -> ReversionParams:
        if max(self.rsi_period + 1, self.band_period) > HISTORY:
            raise ValueError(f"rsi_period and band_period must fit in {HISTORY} bars")
        return self


class MeanReversion(Strategy[ReversionParams]):
    Params = ReversionParams
    timeframes: ClassVar[Mapping[str, int]] = {"15m": HISTORY}

    def __init__(self, strategy_id: str, params: ReversionParams) -> None:
        super().__init__(strategy_id, params)
        self._last: dict[str, tuple[int, tuple[float, float, float] | None]] = {}

    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        proposals = []
        for product_id in sorted(ctx.market.tiers):
            reading = self._reading(ctx, product_id)
            if reading is not None:
                proposal = self._proposal(ctx, product_id, *reading)
                if proposal is not None:
                    proposals.append(proposal)
        return proposals

    def _reading(self, ctx: StrategyContext, product_id: str) -> tuple[float, float, float] | None:
        """(RSI, close, middle band) of the last closed bar; lower band breach folded into
        the RSI test below. Computed once per new bar."""
        bars = ctx.bars(product_id, "15m")
        p = self.params
        if len(bars) < max(p.rsi_period + 1, p.band_period):
            return None
        last_start = bars[-1].start
        seen = self._last.get(product_id)
        if seen is not None and seen[0] == last_start:
            return seen[1]
        closes = [float(bar.close) for bar in bars]
        rsi, bands = RSI(p.rsi_period), BollingerBands(p.band_period, p.band_k)
        rsi.update_many(closes)  # Wilder's smoothing reads the whole window
        band = bands.update_many(closes[-p.band_period :])  # the bands, only the last period
        close = closes[-1]
        reading = None
        if rsi.value is not None and band is not None:
            below = close < band.lower
            if (below and rsi.value < p.oversold) or rsi.value > p.overbought:
                reading = (rsi.value, close, band.middle)
        self._last[product_id] = (last_start, reading)
        return reading

    def _proposal(
        self, ctx: StrategyContext, product_id: str, rsi: float, close: float, middle: float
    ) -> Proposal | None:
        p = self.params
        held = ctx.sellable(product_id, self.strategy_id)
        if rsi > p.overbought:
            if held <= 0:
                return None
            conviction = min(1.0, 0.5 + (rsi - p.overbought) / 50)
            return Proposal(
                product_id, Side.SELL, self.strategy_id, conviction, f"RSI {rsi:.1f} overbought",
                base_size=held,
            )  # fmt: skip
        if ctx.portfolio.held_size(product_id) > 0 or ctx.buying(product_id) or close <= 0:
            return None
        target = max(Decimal(str(round((middle / close - 1) * 100, 2))), p.min_target_pct)
        return Proposal(
            product_id=product_id,
            side=Side.BUY,
            strategy_id=self.strategy_id,
            conviction=min(1.0, 0.5 + (p.oversold - rsi) / 50),
            reason=f"RSI {rsi:.1f} below {p.oversold}, close under the lower band",
            size_pct=p.size_pct,
            stop_loss_pct=p.stop_pct,
            take_profit_pct=min(target, Decimal("1000")),
            max_hold_s=p.max_hold_hours * 3600,
        )
