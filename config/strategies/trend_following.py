"""Trend following on 1-hour bars, with a stop and a target measured in ATRs.

Entry (BUY): on the last closed hourly bar the fast EMA crossed above the slow EMA and the
close is above the slow EMA. Size `size_pct` % of equity; stop-loss `stop_atr` ATRs below
the close, take-profit `target_atr` ATRs above it (both as % of the close), held at most
`max_hold_hours`. Reduce (SELL the held size): the fast EMA crossed below the slow one.
Products must be in the universe (have a tier). Conviction grows with the gap between the
EMAs, in ATRs.

Parameters (`strategies.yaml: registry.<id>.params`):
  fast (12), slow (48): EMA periods in hourly bars (fast < slow);
  atr_period (14): ATR period in hourly bars;
  stop_atr (2.0), target_atr (4.0): stop and target distances in ATRs;
  size_pct (2): entry size, % of equity;
  max_hold_hours (72).
It reads `slow + 2` hourly bars: it proposes nothing until that many have closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from pydantic import Field, model_validator

from trader.indicators import ATR, EMA
from trader.strategies import Proposal, Side, Strategy, StrategyContext, StrategyParams

HISTORY = 500  # hourly bars kept: the slow EMA's longest period plus its crossing


class TrendParams(StrategyParams):
    fast: int = Field(12, ge=2, le=200)
    slow: int = Field(48, ge=3, le=400)
    atr_period: int = Field(14, ge=2, le=200)
    stop_atr: float = Field(2.0, gt=0, le=20)
    target_atr: float = Field(4.0, gt=0, le=50)
    size_pct: Decimal = Field(Decimal("2"), gt=0, le=100)
    max_hold_hours: float = Field(72.0, gt=0, le=24 * 90)

    @model_validator(mode="after")
    def _fast_below_slow(self) -> TrendParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be below slow ({self.slow})")
        return self


class TrendFollowing(Strategy[TrendParams]):
    Params = TrendParams
    timeframes: ClassVar[Mapping[str, int]] = {"1h": HISTORY}

    def __init__(self, strategy_id: str, params: TrendParams) -> None:
        super().__init__(strategy_id, params)
        self._last: dict[str, tuple[int, tuple[int, float, float] | None]] = {}

    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        proposals = []
        for product_id in sorted(ctx.market.tiers):
            signal = self._signal(ctx, product_id)
            if signal is not None:
                proposal = self._proposal(ctx, product_id, *signal)
                if proposal is not None:
                    proposals.append(proposal)
        return proposals

    def _signal(self, ctx: StrategyContext, product_id: str) -> tuple[int, float, float] | None:
        """(cross direction, EMA gap in ATRs, ATR as a fraction of the close) of the last
        closed bar, computed once per new bar."""
        bars = ctx.bars(product_id, "1h")
        if len(bars) < self.params.slow + 2:
            return None
        last_start = bars[-1].start
        seen = self._last.get(product_id)
        if seen is not None and seen[0] == last_start:
            return seen[1]
        closes = [float(bar.close) for bar in bars]
        fast, slow, atr = EMA(self.params.fast), EMA(self.params.slow), ATR(self.params.atr_period)
        previous_gap = _gap(fast.update_many(closes[:-1]), slow.update_many(closes[:-1]))
        gap = _gap(fast.update(closes[-1]), slow.update(closes[-1]))
        atr_value = atr.update_candles(bars)
        signal = None
        close = closes[-1]
        if gap is not None and previous_gap is not None and atr_value and close > 0:
            cross = 1 if previous_gap <= 0 < gap else -1 if previous_gap >= 0 > gap else 0
            signal = (cross, abs(gap) / atr_value, atr_value / close) if cross else None
        self._last[product_id] = (last_start, signal)
        return signal

    def _proposal(
        self, ctx: StrategyContext, product_id: str, cross: int, gap_atr: float, atr_frac: float
    ) -> Proposal | None:
        held = ctx.sellable(product_id, self.strategy_id)
        conviction = min(1.0, 0.5 + gap_atr / 2)
        if cross < 0:
            if held <= 0:
                return None
            return Proposal(
                product_id, Side.SELL, self.strategy_id, conviction, "EMA cross down",
                base_size=held,
            )  # fmt: skip
        if ctx.portfolio.held_size(product_id) > 0 or ctx.buying(product_id):
            return None
        p = self.params
        return Proposal(
            product_id=product_id,
            side=Side.BUY,
            strategy_id=self.strategy_id,
            conviction=conviction,
            reason=f"EMA {p.fast}/{p.slow} cross up, gap {gap_atr:.2f} ATR",
            size_pct=p.size_pct,
            stop_loss_pct=_pct(min(p.stop_atr * atr_frac, 0.99)),
            take_profit_pct=_pct(min(p.target_atr * atr_frac, 10.0)),
            max_hold_s=p.max_hold_hours * 3600,
        )


def _gap(fast: float | None, slow: float | None) -> float | None:
    """The fast EMA's distance above the slow one (None while either warms up)."""
    return None if fast is None or slow is None else fast - slow


def _pct(fraction: float) -> Decimal:
    """A fraction as a percent with 2 decimals (at least 0.01 %)."""
    return max(Decimal(str(round(fraction * 100, 2))), Decimal("0.01"))
