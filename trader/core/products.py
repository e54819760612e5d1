"""Product rules (EX-4): one shared quantizer used by risk, execution, paper and the venue.

Sizes are floored to `base_increment`. Prices move to the passive side of the grid: a BUY
price is floored, a SELL price is ceiled, so quantizing never makes an order more aggressive.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Final

from trader.core.derived import Derived
from trader.core.types import ProductRules, Side


def floor_to_increment(value: Decimal, increment: Decimal) -> Decimal:
    """Largest multiple of `increment` that is <= `value`."""
    return _to_increment(value, increment, ROUND_FLOOR)


def ceil_to_increment(value: Decimal, increment: Decimal) -> Decimal:
    """Smallest multiple of `increment` that is >= `value`."""
    return _to_increment(value, increment, ROUND_CEILING)


ZERO: Final = Decimal(0)
NOT_POSITIVE: Final = 0
POWER_OF_TEN: Final = 1
OTHER_GRID: Final = 2


def _grid_kind(increment: Decimal) -> int:
    """Whether an increment is no grid (not positive), one written as 1 x 10^k, or another."""
    if not increment > ZERO:
        return NOT_POSITIVE
    return POWER_OF_TEN if increment.as_tuple().digits == (1,) else OTHER_GRID


# an increment's kind, per increment object, not value: "0.01" and "0.010" are equal
# Decimals but not equal grids (the rules' increments are parsed once); one lookup answers
# both questions every rounding asks
_GRID_KIND: Final = Derived[Decimal, int](_grid_kind)


def _to_increment(value: Decimal, increment: Decimal, rounding: str) -> Decimal:
    """`value` rounded to a multiple of `increment`, written with the increment's places.
    The rounding is passed by position: by keyword, Decimal parses a dict on every call."""
    return _on_grid(value, increment, _GRID_KIND.get(increment), rounding)


def _on_grid(value: Decimal, increment: Decimal, kind: int, rounding: str) -> Decimal:
    """For an increment written as a power of ten (0.01, 1, 1E+1) one `quantize`; any
    other (0.05, 0.5, 0.010) counts whole increments. Both give the same Decimal."""
    if kind == POWER_OF_TEN:
        return value.quantize(increment, rounding)
    if kind == NOT_POSITIVE:
        raise ValueError(f"increment must be positive, got {increment}")
    steps = (value / increment).to_integral_value(rounding)
    return (steps * increment).quantize(increment)


class Grid:
    """One increment with its kind worked out once: `floor` and `ceil` are
    `floor_to_increment` and `ceil_to_increment` on it without looking the kind up at each
    call (the backtest's fill model puts every bar's touch and sizes on the grid)."""

    __slots__ = ("_kind", "increment")

    def __init__(self, increment: Decimal) -> None:
        self.increment = increment
        self._kind = _grid_kind(increment)

    def floor(self, value: Decimal) -> Decimal:
        return _on_grid(value, self.increment, self._kind, ROUND_FLOOR)

    def ceil(self, value: Decimal) -> Decimal:
        return _on_grid(value, self.increment, self._kind, ROUND_CEILING)


class ProductGrids:
    """A product's two grids: sizes on `base_increment`, prices on `quote_increment`."""

    __slots__ = ("base", "quote")

    def __init__(self, rules: ProductRules) -> None:
        self.base = Grid(rules.base_increment)
        self.quote = Grid(rules.quote_increment)


# per rules object (rules are read-only and parsed once per product)
_GRIDS: Final = Derived[ProductRules, ProductGrids](ProductGrids)


def grids_of(rules: ProductRules) -> ProductGrids:
    """The product's grids, made once per rules object."""
    return _GRIDS.get(rules)


def on_grid(value: Decimal, increment: Decimal) -> bool:
    """True when `value` is an exact multiple of `increment` (the venue rejects others)."""
    return increment > 0 and value % increment == 0


def quantize_size(size: Decimal, rules: ProductRules) -> Decimal:
    """Floor a base size to the product's `base_increment` (never rounds up)."""
    return floor_to_increment(size, rules.base_increment)


def quantize_price(price: Decimal, side: Side, rules: ProductRules) -> Decimal:
    """Move a limit price onto the grid toward the passive side."""
    if side is Side.BUY:
        return floor_to_increment(price, rules.quote_increment)
    return ceil_to_increment(price, rules.quote_increment)


def size_problem(size: Decimal, rules: ProductRules) -> str | None:
    """Why a base size cannot be sent as is, or None when it can."""
    if size <= 0:
        return "size must be positive"
    if not on_grid(size, rules.base_increment):
        return f"size {size} is not a multiple of base_increment {rules.base_increment}"
    if size < rules.base_min_size:
        return f"size {size} is below base_min_size {rules.base_min_size}"
    if size > rules.base_max_size:
        return f"size {size} is above base_max_size {rules.base_max_size}"
    return None


def notional_problem(notional: Decimal, rules: ProductRules) -> str | None:
    """Why a quote notional is outside the product's limits, or None."""
    if notional < rules.quote_min_size:
        return f"notional {notional} is below quote_min_size {rules.quote_min_size}"
    if notional > rules.quote_max_size:
        return f"notional {notional} is above quote_max_size {rules.quote_max_size}"
    return None


def status_problem(rules: ProductRules, *, is_market: bool, post_only: bool) -> str | None:
    """Why the product's status flags forbid a new order of this kind, or None (EX-4)."""
    if rules.status != "online":
        return f"product status is {rules.status}"
    if rules.trading_disabled:
        return "trading_disabled"
    if rules.cancel_only:
        return "cancel_only"
    if rules.limit_only and is_market:
        return "limit_only product refuses market orders"
    if rules.post_only and not post_only:
        return "post_only product refuses orders that may take liquidity"
    return None
