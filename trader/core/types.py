"""Domain types shared by every stage of the pipeline.

Money (prices, sizes, balances, fees) is always `Decimal`, parsed from the exchange's
strings. Time is UNIX epoch seconds as `float` (candle starts as `int`): time is not money,
and the decision core takes `now` as an argument instead of reading a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from trader.core.values import write_once

# Decimal operands for the hot properties: an int operand is converted on every operation
# `Final`: compiled, C statics rather than a module-dictionary lookup at every use
_TWO: Final = Decimal(2)
_ZERO: Final = Decimal(0)
_BPS: Final = Decimal(10000)
_INFINITY: Final = Decimal("Infinity")


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


# a side by its text: a dict lookup, where `Side(text)` is the enum type's Python-level call
SIDES: Final[dict[str, Side]] = {side.value: side for side in Side}


class TradingState(StrEnum):
    """OPS-4: ACTIVE trades; REDUCING allows exits only; HALTED allows cancels only."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


class Mode(StrEnum):
    """OPS-2: DRY_RUN never calls an order endpoint; PAPER fills locally; LIVE is real."""

    DRY_RUN = "DRY_RUN"
    PAPER = "PAPER"
    LIVE = "LIVE"


@dataclass(frozen=True, slots=True)
class ProductRules:
    """What the venue allows for one product (EX-4), from `GET /products`."""

    product_id: str
    base_currency: str
    quote_currency: str
    base_increment: Decimal
    quote_increment: Decimal
    base_min_size: Decimal
    base_max_size: Decimal
    quote_min_size: Decimal
    quote_max_size: Decimal
    status: str = "online"
    trading_disabled: bool = False
    cancel_only: bool = False
    limit_only: bool = False
    post_only: bool = False
    auction_mode: bool = False


@dataclass(frozen=True, slots=True, init=False)
class Candle:
    """A closed bucket of trades. `start` is the bucket's first second (UTC epoch).
    Read-only (`core/values.py`)."""

    product_id: str
    start: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def __init__(
        self,
        product_id: str,
        start: int,
        open: Decimal,
        high: Decimal,
        low: Decimal,
        close: Decimal,
        volume: Decimal,
    ) -> None:
        self.product_id = product_id  # type: ignore[misc]
        self.start = start  # type: ignore[misc]
        self.open = open  # type: ignore[misc]
        self.high = high  # type: ignore[misc]
        self.low = low  # type: ignore[misc]
        self.close = close  # type: ignore[misc]
        self.volume = volume  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class Trade:
    """One market trade print. `side` is the maker side, as Coinbase reports it.
    Read-only (`core/values.py`)."""

    product_id: str
    trade_id: str
    price: Decimal
    size: Decimal
    side: Side
    time: float

    def __init__(
        self, product_id: str, trade_id: str, price: Decimal, size: Decimal, side: Side, time: float
    ) -> None:
        self.product_id = product_id  # type: ignore[misc]
        self.trade_id = trade_id  # type: ignore[misc]
        self.price = price  # type: ignore[misc]
        self.size = size  # type: ignore[misc]
        self.side = side  # type: ignore[misc]
        self.time = time  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class Quote:
    """Best bid and ask of one product at `time`. Read-only (`core/values.py`)."""

    product_id: str
    bid: Decimal
    bid_size: Decimal
    ask: Decimal
    ask_size: Decimal
    time: float

    def __init__(
        self,
        product_id: str,
        bid: Decimal,
        bid_size: Decimal,
        ask: Decimal,
        ask_size: Decimal,
        time: float,
    ) -> None:
        self.product_id = product_id  # type: ignore[misc]
        self.bid = bid  # type: ignore[misc]
        self.bid_size = bid_size  # type: ignore[misc]
        self.ask = ask  # type: ignore[misc]
        self.ask_size = ask_size  # type: ignore[misc]
        self.time = time  # type: ignore[misc]

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / _TWO

    @property
    def spread_bps(self) -> Decimal:
        mid = self.mid
        if mid <= _ZERO:
            return _INFINITY
        return (self.ask - self.bid) / mid * _BPS


@dataclass(frozen=True, slots=True, init=False)
class BookLevel:
    price: Decimal
    size: Decimal

    def __init__(
        self,
        price: Decimal,
        size: Decimal,
    ) -> None:
        self.price = price  # type: ignore[misc]
        self.size = size  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class FeeRates:
    """Maker and taker rates as fractions (0.004 = 0.40 %), X-3."""

    maker: Decimal
    taker: Decimal


write_once(Candle, Trade, Quote, BookLevel)
