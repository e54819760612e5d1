"""The shape every indicator shares, and the candle it reads.

Indicator arithmetic is float: these are statistics for strategies, not money. Money
(prices, sizes, balances sent to or read from the venue) is `Decimal` elsewhere and is never
computed here; a candle's `Decimal` fields are converted with `float()` on the way in.

Every indicator is a small class fed one observation at a time, oldest first:

- `update(...)` folds in the newest observation (the values that indicator needs, as
  floats) with O(1) amortised work and returns `value`;
- `update_candle(candle)` does the same from any object with float-convertible attributes
  `open, high, low, close, volume` (such as `trader.core.types.Candle`), reading only the
  fields the indicator needs;
- `warmup` is how many updates it takes to produce the first value; `updates` counts the
  updates so far; `ready` is `updates >= warmup`;
- `value` is None until `ready`. Once ready it is a number, except where a definition is
  undefined for the data and the class says so (`ZScore` when the window's standard
  deviation is 0; `VWAP` while the summed volume is 0).

Inputs are not checked for NaN or infinity; a non-finite input makes the values that depend
on it non-finite.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Generic, Protocol, SupportsFloat, TypeVar

ValueT = TypeVar("ValueT")
ItemT = TypeVar("ItemT")


class CandleLike(Protocol):
    """Anything with float-convertible OHLCV attributes (e.g. `trader.core.types.Candle`)."""

    @property
    def open(self) -> SupportsFloat: ...

    @property
    def high(self) -> SupportsFloat: ...

    @property
    def low(self) -> SupportsFloat: ...

    @property
    def close(self) -> SupportsFloat: ...

    @property
    def volume(self) -> SupportsFloat: ...


def check_period(name: str, period: int, minimum: int = 1) -> int:
    """`period` if it is an int >= `minimum`; ValueError naming the argument otherwise."""
    if isinstance(period, bool) or not isinstance(period, int):
        raise ValueError(f"{name} must be an int, got {period!r}")
    if period < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {period}")
    return period


class Indicator(ABC, Generic[ValueT]):
    """Bookkeeping shared by all indicators: the current value, update count, warm-up."""

    __slots__ = ("_value", "updates", "warmup")

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.updates = 0
        self._value: ValueT | None = None

    @property
    def value(self) -> ValueT | None:
        """The value after the last update; None until `ready` (see the module docstring)."""
        return self._value

    @property
    def ready(self) -> bool:
        """True once `warmup` updates have been folded in."""
        return self.updates >= self.warmup

    @abstractmethod
    def update_candle(self, candle: CandleLike) -> ValueT | None:
        """Fold in the fields of `candle` this indicator reads; return `value`."""

    def _fold_until_valued(self, items: Sequence[ItemT], fold: Callable[[ItemT], object]) -> int:
        """Feed `items` to `fold` one by one until there is a value (the seeding a batch
        loop leaves to the single-step code); return how many were used."""
        used = 0
        while self._value is None and used < len(items):
            fold(items[used])
            used += 1
        return used


class SeriesIndicator(Indicator[ValueT]):
    """An indicator of one number per step; `update_candle` feeds it the close."""

    __slots__ = ()

    @abstractmethod
    def update(self, value: float) -> ValueT | None:
        """Fold in the newest value; return `value`."""

    def update_candle(self, candle: CandleLike) -> ValueT | None:
        return self.update(float(candle.close))

    def update_many(self, values: Sequence[float]) -> ValueT | None:
        """Fold in `values` oldest first, exactly as one `update` each; return `value`.
        Indicators that recompute a window every bar override it with a tighter loop."""
        for value in values:
            self.update(value)
        return self._value
