"""Daily (86400-s) candle history for the simulated venue (SIM-1).

Every market source also offers `daily_history(product_id)`: closed ONE_DAY candles, oldest
first, on UTC day boundaries, for the days *before* its 1-minute history (the last one ends
at or before the UTC midnight that starts the day of the first 1-minute candle). The candle
store serves ONE_DAY requests from these for the days before the minute history and from
the aggregated minutes for the days the minute history covers; this keeps a year of daily
history cheap (no months of 1-minute bars).

This module holds the pieces the sources share:
- `daily_walk`: the synthetic sources' seeded random walk, generated backwards from the
  first 1-minute history price (GARCH-like daily volatility, prices on the tick grid);
- `aggregate_days`: real bars (1- or 5-minute) merged into UTC days, for the replays;
- `to_venue_days`: recorded daily bars moved onto the venue clock by whole days.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from trader.core.types import Candle, ProductRules
from trader.sim.market.walk import ALPHA, BETA

DAY = 86400
MINUTES_PER_DAY = 1440
DAILY_DAYS = 400  # default length of a synthetic daily history
WICK = 0.5  # wick length beyond open/close, in units of the day's sigma
ACTIVITY_SD = 0.35  # log-normal day-to-day volume noise
REVERSION = 0.005  # daily pull of the log price towards the end price (keeps a year sane)
VARIANCE_CAP = 4.0  # daily variance stays within [0.05, 4] × long-run
DEFAULT_DAY_NOTIONAL = 20_000.0 * MINUTES_PER_DAY  # quote volume/day when no minutes exist


def floor_day(epoch: float) -> int:
    """The UTC midnight at or before `epoch`."""
    return int(epoch) // DAY * DAY


def day_notional(minutes: Iterable[Candle]) -> float:
    """Quote volume per day of a run of 1-minute candles (the daily volume scale)."""
    total, count = 0.0, 0
    for candle in minutes:
        total += float(candle.volume) * float(candle.close)
        count += 1
    if count == 0 or total <= 0.0:
        return DEFAULT_DAY_NOTIONAL
    return total * MINUTES_PER_DAY / count


def daily_walk(
    rules: ProductRules,
    end_ticks: int,
    end_day: int,
    days: int,
    minute_vol: float,
    notional: float,
    rng: random.Random,
) -> list[Candle]:
    """`days` closed daily candles, oldest first, the last one ending at `end_day` (a UTC
    midnight) and closing at exactly `end_ticks` ticks.

    The log-price walk runs backwards from the end: each day draws a return with a GARCH(1,1)
    daily sigma (long-run `minute_vol·√1440`, the walk module's α and β, variance capped at
    4× long-run) plus a weak pull (`REVERSION`) towards the end price, so a year of the most
    volatile products spans a realistic range instead of orders of magnitude; wicks go
    beyond the open/close; the volume is about `notional` quote (scaled by the day's
    volatility and log-normal noise) in whole base increments. Prices are whole ticks
    (≥ 1), so they sit on the product's quote grid. Deterministic for the `rng` state.
    """
    if end_day % DAY:
        raise ValueError(f"end_day {end_day} is not a UTC midnight")
    if days <= 0:
        return []
    long_run = minute_vol * minute_vol * MINUTES_PER_DAY
    long_sigma = math.sqrt(long_run)
    omega = long_run * (1.0 - ALPHA - BETA)
    floor_var, cap_var = long_run * 0.05, long_run * VARIANCE_CAP
    gauss, exp = rng.gauss, math.exp
    variance, level = long_run, 0.0
    rows: list[tuple[float, float, float, float, float]] = []
    for _ in range(days):
        sigma = math.sqrt(variance)
        opening = level * (1.0 - REVERSION) - sigma * gauss(0.0, 1.0)
        ret = level - opening
        high = max(opening, level) + sigma * WICK * abs(gauss(0.0, 1.0))
        low = min(opening, level) - sigma * WICK * abs(gauss(0.0, 1.0))
        activity = sigma / long_sigma * exp(gauss(0.0, ACTIVITY_SD))
        rows.append((opening, high, low, level, activity))
        level = opening
        variance = min(max(omega + ALPHA * ret * ret + BETA * variance, floor_var), cap_var)
    rows.reverse()
    tick, base = rules.quote_increment, rules.base_increment
    tick_f, base_f = float(tick), float(base)
    first_start = end_day - DAY * days
    candles: list[Candle] = []
    for index, (o, h, lo, c, activity) in enumerate(rows):
        ot, ht, lt, ct = (max(1, round(end_ticks * exp(x))) for x in (o, h, lo, c))
        ht, lt = max(ot, ht, ct), min(ot, lt, ct)
        steps = max(1, int(notional * activity / (ct * tick_f) / base_f))
        candles.append(
            Candle(
                rules.product_id,
                first_start + DAY * index,
                Decimal(ot) * tick,
                Decimal(ht) * tick,
                Decimal(lt) * tick,
                Decimal(ct) * tick,
                Decimal(steps) * base,
            )
        )
    return candles


def aggregate_days(bars: Iterable[Candle]) -> list[Candle]:
    """Bars (oldest first) merged into UTC-day candles, oldest first; empty days omitted."""
    days: list[Candle] = []
    for bar in bars:
        start = floor_day(bar.start)
        if days and days[-1].start == start:
            last = days[-1]
            days[-1] = replace(
                last,
                high=max(last.high, bar.high),
                low=min(last.low, bar.low),
                close=bar.close,
                volume=last.volume + bar.volume,
            )
        elif days and start < days[-1].start:
            raise ValueError(f"{bar.product_id} bars are not in time order at {bar.start}")
        else:
            days.append(replace(bar, start=start))
    return days


def to_venue_days(
    days: Iterable[Candle], first_minute: int, venue_first_minute: int
) -> list[Candle]:
    """Recorded daily candles for the days before the one holding `first_minute` (the data
    time of the first 1-minute history candle), moved by whole days so that day maps to the
    UTC day holding `venue_first_minute` (its venue time). Starts stay on UTC midnights."""
    cutoff = floor_day(first_minute)
    shift = floor_day(venue_first_minute) - cutoff
    out: list[Candle] = []
    for day in days:
        if day.start % DAY:
            raise ValueError(f"{day.product_id} daily candle {day.start} is not at midnight")
        if day.start + DAY <= cutoff:
            out.append(replace(day, start=day.start + shift))
    return out
