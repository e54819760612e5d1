"""Whether a 1-minute candle can be true (EX-1, S-1): the one check the venue's candles and
the daemon's own record of them pass before they are stored or fed to the triggers.

A candle starts on its bar's grid, its prices are finite and above zero, its volume finite
and not negative, each within 10^±`MAX_EXPONENT` (the venue adapter's bound for every money
figure), and its open and close lie between its low and its high. `candle_problem`
names the first rule broken, or returns None.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from trader.core.types import Candle

ZERO: Final = Decimal(0)
MAX_EXPONENT: Final = 20  # |log10| of any price or size: beyond it is not a market's number
PRICES: Final = ("open", "high", "low", "close")


def _out_of_range(value: Decimal) -> bool:
    return not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT


def candle_problem(candle: Candle, bar_s: int = 60) -> str | None:
    """The first rule `candle` breaks (a phrase naming the field), or None."""
    if candle.start % bar_s:
        return f"start {candle.start} is not on the {bar_s}-second grid"
    for name in PRICES:
        price: Decimal = getattr(candle, name)
        if not price.is_finite() or price <= ZERO or _out_of_range(price):
            return f"{name} {price} is not a positive price within 1e±{MAX_EXPONENT}"
    volume = candle.volume
    if not volume.is_finite() or volume < ZERO or (volume and _out_of_range(volume)):
        return f"volume {volume} is not zero or above within 1e{MAX_EXPONENT}"
    body_low, body_high = sorted((candle.open, candle.close))
    if not candle.low <= body_low <= body_high <= candle.high:
        return (
            f"open {candle.open} and close {candle.close} are not within "
            f"low {candle.low} and high {candle.high}"
        )
    return None
