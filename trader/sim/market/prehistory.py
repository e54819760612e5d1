"""Trades before the start (SIM-1): what a freshly started venue already shows as recent.

A real venue has a trade history the moment a client connects: `products/{id}/ticker` and
the `market_trades` snapshot list the last prints at once. The recorded WS capture has its
real snapshot trades; the other sources derive them from their own 1-minute history: the
last `PREHISTORY_MINUTES` candles each become their intra-bar trade path (`bars.bar_trades`:
open → low/high → close, the candle's volume split over it), timed inside the candle's
minute. They are therefore consistent with the REST candles (same prices and volume), all
at or before the start, with trade ids 1..n so that the source's live ids continue after.
"""

from __future__ import annotations

from trader.core.types import Candle, ProductRules, Trade
from trader.sim.market.bars import bar_trades

PREHISTORY_MINUTES = 60
CANDLE_S = 60.0


def prehistory_trades(
    rules: ProductRules, history: list[Candle], minutes: int = PREHISTORY_MINUTES
) -> list[Trade]:
    """Trades of the last `minutes` history candles, oldest first, ids from 1."""
    trades: list[Trade] = []
    next_id = 1
    for candle in history[-minutes:] if minutes > 0 else []:
        made = bar_trades(candle, rules, float(candle.start), CANDLE_S, next_id)
        trades.extend(made)
        if made:
            next_id = int(made[-1].trade_id) + 1
    return trades


def next_trade_id(trades: list[Trade]) -> int:
    """The first live trade id after `trades` (1 when there are none)."""
    return int(trades[-1].trade_id) + 1 if trades else 1
