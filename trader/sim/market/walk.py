"""A seeded random walk with GARCH(1,1) volatility clustering (SIM-1, synthetic market).

The GARCH recursion runs on 1-minute returns: at each minute boundary
`variance = ω + α·r² + β·variance` with r the log return of the minute just closed (0 for a
minute without trades), so clustering does not depend on the trade rate. Within a minute a
step of `dt` seconds draws a return with standard deviation `sigma·sqrt(dt/60)`.

The walk's price is an integer number of ticks (exact); the variance is a float model
parameter, not money. Every price that leaves this module is `ticks × quote_increment`, an
exact Decimal on the product's grid.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

from trader.core.types import Candle, ProductRules

ALPHA = 0.10
BETA = 0.88
WICK = 0.5  # wick length in units of the minute's sigma (history candles)


@dataclass(slots=True)
class WalkState:
    ticks: int
    variance: float  # per-minute return variance
    long_run: float  # per-minute long-run variance
    minute: int = 0  # start of the minute being formed (epoch s)
    minute_open: int = 0  # ticks at that minute's start

    @property
    def sigma(self) -> float:
        return math.sqrt(self.variance)


def garch_update(state: WalkState, minute_return: float) -> None:
    omega = state.long_run * (1.0 - ALPHA - BETA)
    state.variance = omega + ALPHA * minute_return * minute_return + BETA * state.variance
    state.variance = min(max(state.variance, state.long_run * 0.05), state.long_run * 20.0)


def roll_minutes(state: WalkState, time: float) -> None:
    """Apply the GARCH update for every minute boundary passed before `time`."""
    minute = int(time) // 60 * 60
    while state.minute < minute:
        garch_update(state, math.log(state.ticks / state.minute_open))
        state.minute += 60
        state.minute_open = state.ticks


def step(state: WalkState, time: float, dt: float, rng: random.Random) -> None:
    """Move the price by one trade `dt` seconds after the previous one, at `time`."""
    roll_minutes(state, time)
    ret = state.sigma * math.sqrt(dt / 60.0) * rng.gauss(0.0, 1.0)
    state.ticks = max(1, round(state.ticks * math.exp(ret)))


def to_ticks(price: Decimal, rules: ProductRules) -> int:
    return max(1, int(price / rules.quote_increment))


def price_of(ticks: int, rules: ProductRules) -> Decimal:
    return Decimal(ticks) * rules.quote_increment


def history_candles(
    rules: ProductRules,
    end_ticks: int,
    end_time: int,
    minutes: int,
    long_run: float,
    rng: random.Random,
) -> tuple[list[Candle], float]:
    """`minutes` closed 1-minute candles ending at `end_time` whose last close is `end_ticks`.

    The log-price path is generated forward (one GARCH step per minute, wicks drawn beyond
    open/close) and anchored so it ends exactly at `end_ticks`. Returns the candles and the
    variance after the last minute, so a live walk continues the same volatility regime.
    """
    variance, level = long_run, 0.0
    rows: list[tuple[float, float, float, float, float]] = []
    omega = long_run * (1.0 - ALPHA - BETA)
    for _ in range(minutes):
        sigma = math.sqrt(variance)
        ret = sigma * rng.gauss(0.0, 1.0)
        high = max(level, level + ret) + sigma * WICK * abs(rng.gauss(0.0, 1.0))
        low = min(level, level + ret) - sigma * WICK * abs(rng.gauss(0.0, 1.0))
        activity = sigma / math.sqrt(long_run) * math.exp(rng.gauss(0.0, 0.5))
        rows.append((level, high, low, level + ret, activity))
        level += ret
        variance = min(
            max(omega + ALPHA * ret * ret + BETA * variance, long_run * 0.05), long_run * 20.0
        )
    anchor = end_ticks
    candles = []
    for index, (o, h, lo, c, activity) in enumerate(rows):
        ticks = [max(1, round(anchor * math.exp(x - level))) for x in (o, h, lo, c)]
        start = end_time - 60 * (minutes - index)
        candles.append(
            Candle(
                rules.product_id,
                start,
                price_of(ticks[0], rules),
                price_of(max(ticks), rules),
                price_of(min(ticks), rules),
                price_of(ticks[3], rules),
                _volume(20_000.0 * activity, ticks[3], rules),
            )
        )
    return candles, variance


def _volume(notional: float, ticks: int, rules: ProductRules) -> Decimal:
    """Base volume worth about `notional` quote, a whole number of base increments."""
    price = float(price_of(ticks, rules))
    steps = max(1, int(notional / price / float(rules.base_increment)))
    return Decimal(steps) * rules.base_increment
