"""Candle series builders for trigger tests."""

from __future__ import annotations

from trader.config.signals import SignalsConfig
from trader.core.types import Candle

from ..risk.factories import candle

T0 = 1_763_600_000 - (1_763_600_000 % 60)  # a minute boundary


def flat(pid: str, minutes: int, price: float = 100.0, volume: float = 10.0, start: int = T0):
    return [candle(pid, start + 60 * i, price, volume) for i in range(minutes)]


def now_after(candles: list[Candle]) -> float:
    """The earliest decision time at which the last candle is closed."""
    return float(candles[-1].start + 60)


def config(**overrides: object) -> SignalsConfig:
    """Only the named triggers enabled (others off), min_score 0."""
    base: dict[str, object] = {
        "price_move": {"enabled": False},
        "volume_spike": {"enabled": False},
        "breakout": {"enabled": False},
        "momentum": {"enabled": False},
        "min_score": 0.0,
    }
    base.update(overrides)
    return SignalsConfig.model_validate(base)
