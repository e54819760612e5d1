"""Incremental technical indicators for strategies (pure: no I/O, no numpy).

Each indicator is fed one observation at a time with O(1) amortised work and exposes
`update(...)`, `update_candle(candle)`, `value`, `ready`, `warmup` and `updates` (see
`trader.indicators.base`). Arithmetic is float; money is never computed here. Each module's
docstring gives the exact definition its class computes.
"""

from __future__ import annotations

from trader.indicators.atr import ATR
from trader.indicators.base import CandleLike, Indicator, SeriesIndicator
from trader.indicators.bollinger import Bands, BollingerBands
from trader.indicators.extremes import HighestHigh, LowestLow
from trader.indicators.macd import MACD, MacdValue
from trader.indicators.moving import EMA, SMA
from trader.indicators.rsi import RSI
from trader.indicators.vwap import VWAP
from trader.indicators.zscore import ZScore

__all__ = [
    "ATR",
    "EMA",
    "MACD",
    "RSI",
    "SMA",
    "VWAP",
    "Bands",
    "BollingerBands",
    "CandleLike",
    "HighestHigh",
    "Indicator",
    "LowestLow",
    "MacdValue",
    "SeriesIndicator",
    "ZScore",
]
