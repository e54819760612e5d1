"""Per-product incremental indicator state over closed bars (S-1).

The bars are the triggers' timeframe (`signals.timeframe`: 1, 5 or 15 minutes). Every
window is a time span (15 min, 60 min, the momentum lookback, the breakout hours, 24 h)
counted in whole bars; `sigma` is reported per minute (a bar's sigma over the square root
of its minutes) so the outlier guard and the volatility filter mean the same at every
timeframe. `ProductSeries.apply(candle)` is O(1) amortized; `measures()` reads the running
sums. The caller (`TriggerEngine`) guarantees bars arrive closed and strictly in time
order. A measure needing more history than has been seen is None (fail closed: no trigger).
Statistics here are float (returns, shares, sigma); prices stay Decimal outside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from librt.vecs import vec

from trader.config.signals import SignalsConfig
from trader.core.types import Candle
from trader.core.values import write_once
from trader.triggers.rolling import MonotonicExtreme, WindowRing

DAY_S: Final = 86400
HOUR_S: Final = 3600
MIN_SIGMA_SAMPLES: Final = 30
# the ring's channels and windows (Final: compiled, a constant rather than a lookup)
QUOTE_VOLUME: Final = 0
LOGRET: Final = 1
LOGRET_SQ: Final = 2
RETURNS: Final = 3
UPS: Final = 4
DOWNS: Final = 5
CLOSE: Final = 6
CHANNELS: Final = 7
DAY: Final = 0
HOUR: Final = 1
MOVES: Final = 2


@dataclass(frozen=True, slots=True, init=False)
class SeriesMeasures:
    """Indicator values after the last applied candle (returns are fractions); the
    measures only a disabled trigger reads are None. Built once per product per candle:
    its `__init__` is written out (`core/values.py`)."""

    last_start: int
    return_15m: float | None
    return_60m: float | None
    volume_ratio: float | None
    breakout_up: float | None
    breakout_down: float | None
    momentum_return: float | None
    momentum_up_share: float | None
    momentum_down_share: float | None
    sigma: float | None

    def __init__(
        self,
        last_start: int,
        return_15m: float | None,
        return_60m: float | None,
        volume_ratio: float | None,
        breakout_up: float | None,
        breakout_down: float | None,
        momentum_return: float | None,
        momentum_up_share: float | None,
        momentum_down_share: float | None,
        sigma: float | None,
    ) -> None:
        self.last_start = last_start  # type: ignore[misc]
        self.return_15m = return_15m  # type: ignore[misc]
        self.return_60m = return_60m  # type: ignore[misc]
        self.volume_ratio = volume_ratio  # type: ignore[misc]
        self.breakout_up = breakout_up  # type: ignore[misc]
        self.breakout_down = breakout_down  # type: ignore[misc]
        self.momentum_return = momentum_return  # type: ignore[misc]
        self.momentum_up_share = momentum_up_share  # type: ignore[misc]
        self.momentum_down_share = momentum_down_share  # type: ignore[misc]
        self.sigma = sigma  # type: ignore[misc]


def _ratio_minus_one(value: float, reference: float | None) -> float | None:
    if reference is None or reference <= 0:
        return None
    return value / reference - 1.0


class ProductSeries:
    """Rolling windows for one product; see module docstring."""

    def __init__(self, config: SignalsConfig, phase: int = 0) -> None:
        bar_s = self.bar_s = config.bar_seconds
        breakout_span = config.breakout.lookback_hours * 3600
        momentum_bars = config.momentum.lookback_minutes * 60 // bar_s
        self._breakout_span = breakout_span
        self._momentum_bars = momentum_bars
        self._day_bars = DAY_S // bar_s
        self._lag_15m = 900 // bar_s
        self._lag_60m = HOUR_S // bar_s
        self._sqrt_bar_minutes = math.sqrt(bar_s / 60)
        # what the enabled triggers read (`scoring.product_signals`); the rest stays None
        self._wants_returns = config.price_move.enabled or config.volume_spike.enabled
        self._wants_volume = config.volume_spike.enabled
        self._wants_breakout = config.breakout.enabled
        self._wants_momentum = config.momentum.enabled
        self._ring = self._window_ring(phase)
        self._bucket = vec[float]([0.0] * CHANNELS)  # one bar's channel values, reused
        self._highs = MonotonicExtreme(breakout_span, maximum=True)
        self._lows = MonotonicExtreme(breakout_span, maximum=False)
        self.first_start: int | None = None
        self.last_start: int | None = None
        self.last_close: float | None = None
        self.last_close_decimal: Decimal | None = None
        self._prior_high: float | None = None
        self._prior_low: float | None = None
        self._cached: SeriesMeasures | None = None

    def _window_ring(self, phase: int) -> WindowRing:
        """The day (sigma, always), the hour and the momentum lookback, keeping and summing
        only the channels the enabled triggers read."""
        volume, momentum = self._wants_volume, self._wants_momentum
        day: tuple[int, ...] = (LOGRET, LOGRET_SQ, RETURNS) + ((QUOTE_VOLUME,) if volume else ())
        hour: tuple[int, ...] = (QUOTE_VOLUME,) if volume else ()
        moves: tuple[int, ...] = (RETURNS, UPS, DOWNS) if momentum else ()
        closes: tuple[int, ...] = (CLOSE,) if self._wants_returns or momentum else ()
        return WindowRing(
            self._day_bars + 1,  # keeps the bar exactly 24 h back (2 x 720 min lookback)
            CHANNELS,
            (self._day_bars, self._lag_60m, self._momentum_bars),
            (day, hour, moves),
            phase=phase,
            stored=tuple(sorted(set(day + moves + closes))),
        )

    def apply(self, candle: Candle) -> None:
        """Fold one closed candle in (strictly after the previous one)."""
        start = candle.start
        if self.last_start is not None and start <= self.last_start:
            raise ValueError(f"candle {start} not after {self.last_start}")
        close = float(candle.close)
        if self._wants_breakout:
            self._prior_high = self._highs.query(start)
            self._prior_low = self._lows.query(start)
            self._highs.push(start, float(candle.high))
            self._lows.push(start, float(candle.low))
        quote_volume = float(candle.volume) * close if self._wants_volume else 0.0
        self._push_sums(start // self.bar_s, close, quote_volume)
        if self.first_start is None:
            self.first_start = start
        self.last_start = start
        self.last_close = close
        self.last_close_decimal = candle.close
        self._cached = None

    def _push_sums(self, bar: int, close: float, quote_volume: float) -> None:
        previous = self.last_close
        compared = previous is not None and previous > 0 and close > 0
        logret = math.log(close / previous) if compared and previous is not None else 0.0
        up = 1.0 if compared and previous is not None and close > previous else 0.0
        down = 1.0 if compared and previous is not None and close < previous else 0.0
        bucket = self._bucket
        bucket[QUOTE_VOLUME] = quote_volume
        bucket[LOGRET] = logret
        bucket[LOGRET_SQ] = logret * logret
        bucket[RETURNS] = 1.0 if compared else 0.0
        bucket[UPS] = up
        bucket[DOWNS] = down
        bucket[CLOSE] = close
        self._ring.push(bar, bucket)

    def covers(self, seconds: int) -> bool:
        """True when history reaches back `seconds` before the last candle's start."""
        if self.first_start is None or self.last_start is None:
            return False
        return self.first_start <= self.last_start - seconds

    def measures(self) -> SeriesMeasures | None:
        """Indicator values, cached until the next candle; None before any candle."""
        if self.last_start is None or self.last_close is None:
            return None
        if self._cached is None:
            self._cached = self._compute(self.last_start, self.last_close)
        return self._cached

    def _compute(self, last_start: int, close: float) -> SeriesMeasures:
        """The measures the enabled triggers read; a disabled trigger's stay None."""
        bar = last_start // self.bar_s
        returns, breakout = self._wants_returns, self._wants_breakout
        momentum_return = None
        up_share = down_share = None
        if self._wants_momentum:
            momentum_return = self._lagged_return(bar, self._momentum_bars, close)
            ring = self._ring
            comparisons = ring.total(MOVES, RETURNS)
            if momentum_return is not None and comparisons > 0:
                up_share = ring.total(MOVES, UPS) / comparisons
                down_share = ring.total(MOVES, DOWNS) / comparisons
        return SeriesMeasures(
            last_start=last_start,
            return_15m=self._lagged_return(bar, self._lag_15m, close) if returns else None,
            return_60m=self._lagged_return(bar, self._lag_60m, close) if returns else None,
            volume_ratio=self._volume_ratio() if self._wants_volume else None,
            breakout_up=self._breakout(close, self._prior_high, up=True) if breakout else None,
            breakout_down=self._breakout(close, self._prior_low, up=False) if breakout else None,
            momentum_return=momentum_return,
            momentum_up_share=up_share,
            momentum_down_share=down_share,
            sigma=self.sigma(),
        )

    def _lagged_return(self, bar: int, lag: int, close: float) -> float | None:
        """Return since the latest close at or before `lag` bars ago, if that close is
        not older than twice the lag (a long gap gives no reference: fail closed)."""
        found = self._ring.latest_at_or_before(bar - lag, bar - 2 * lag, CLOSE)
        return None if found is None else _ratio_minus_one(close, found[1])

    def _volume_ratio(self) -> float | None:
        if not self.covers(DAY_S - self.bar_s):
            return None
        hourly_average = self._ring.total(DAY, QUOTE_VOLUME) / 24.0
        if hourly_average <= 0:
            return None
        return max(self._ring.total(HOUR, QUOTE_VOLUME), 0.0) / hourly_average

    def _breakout(self, close: float, extreme: float | None, *, up: bool) -> float | None:
        if extreme is None or extreme <= 0 or not self.covers(self._breakout_span):
            return None
        return close / extreme - 1.0 if up else 1.0 - close / extreme

    def sigma(self) -> float | None:
        """Standard deviation of the bars' log returns over the last 24 h (>= 30 samples),
        per minute: a bar's sigma over the square root of its minutes."""
        ring = self._ring
        n = ring.total(DAY, RETURNS)
        if n < MIN_SIGMA_SAMPLES:
            return None
        total, squares = ring.total(DAY, LOGRET), ring.total(DAY, LOGRET_SQ)
        variance = (squares - total * total / n) / (n - 1)
        return math.sqrt(max(variance, 0.0)) / self._sqrt_bar_minutes


write_once(SeriesMeasures)
