"""Series builders and batch reference formulas shared by the indicator tests.

The references are written from each definition over the whole series (no incremental
state), so they check the incremental classes independently.
"""

from __future__ import annotations

import random
from decimal import Decimal

from trader.core.types import Candle

SEEDS = (1, 2, 3, 7, 42)
T0 = 1_763_600_040


def walk(rng: random.Random, count: int, start: float = 100.0, step: float = 1.0) -> list[float]:
    """A random walk of `count` values (Gaussian steps of scale `step`)."""
    values, price = [], start
    for _ in range(count):
        price += rng.gauss(0.0, step)
        values.append(price)
    return values


def candles(rng: random.Random, count: int, start: float = 100.0) -> list[Candle]:
    """Consistent random candles (low <= open, close <= high), Decimal fields like the
    exchange's, with some gaps between one close and the next open and some zero volumes."""
    out, close = [], start
    for i in range(count):
        open_ = close + rng.choice((0.0, 0.0, rng.gauss(0.0, 2.0)))
        close = open_ + rng.gauss(0.0, 1.0)
        high = max(open_, close) + rng.random()
        low = min(open_, close) - rng.random()
        volume = rng.choice((0.0, rng.random() * 10, rng.random() * 1000))
        out.append(
            Candle(
                "X-USD",
                T0 + 60 * i,
                *(Decimal(repr(round(v, 6))) for v in (open_, high, low, close, volume)),
            )
        )
    return out


def hlc(candle: Candle) -> tuple[float, float, float]:
    return float(candle.high), float(candle.low), float(candle.close)


def closes(series: list[Candle]) -> list[float]:
    return [float(c.close) for c in series]


def batch_ema(values: list[float], period: int) -> list[float | None]:
    """EMA from its closed form: with seed s = mean(values[:period]) and a = 2/(period+1),
    EMA at index t >= period-1 is (1-a)^(t-period+1) * s + sum_j a (1-a)^(t-j) x_j over
    j = period .. t. None before index period-1."""
    alpha = 2.0 / (period + 1)
    out: list[float | None] = [None] * min(period - 1, len(values))
    if len(values) < period:
        return out
    seed = sum(values[:period]) / period
    for t in range(period - 1, len(values)):
        weighted = sum(alpha * (1 - alpha) ** (t - j) * values[j] for j in range(period, t + 1))
        out.append((1 - alpha) ** (t - period + 1) * seed + weighted)
    return out


def drifting_prices(count: int = 100_000, seed: int = 11) -> list[float]:
    """`count` prices near 30 000 moving by cents: the case where naive running sums of
    values and squares lose the variance to cancellation and drift over a long run."""
    rng = random.Random(seed)
    price, out = 30_000.0, []
    for _ in range(count):
        price += rng.gauss(0.0, 0.01)
        out.append(price + rng.gauss(0.0, 0.005))
    return out
