"""Turning recorded bars into venue events (SIM-1): a deterministic intra-bar trade path
and a synthetic layered book around the price (or around a recorded bid/ask).

Path: open → low → high → close when the bar closed up (close ≥ open), open → high → low →
close when it closed down; consecutive equal waypoints are merged. The bar's volume is split
equally over the waypoint trades (floored to the base increment, remainder on the last).
Each trade is followed by a book snapshot around its price. Prices come straight from the
bar, so they are exact Decimals; nothing is rounded except sizes floored to the grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trader.core.products import ceil_to_increment, floor_to_increment
from trader.core.types import BookLevel, Candle, ProductRules, Side, Trade
from trader.matching.types import BookUpdate, MarketEvent

BOOK_DEPTH = 10
LEVEL_NOTIONAL = Decimal(2500)  # quote value of the first level; level i holds (i + 1) times it
SPREAD_FRACTION = Decimal("0.0002")  # 2 bps when no recorded bid/ask exists


@dataclass(frozen=True, slots=True)
class TopOfBook:
    """A recorded best bid/ask (from quote bars) to centre the synthetic book on."""

    bid: Decimal
    bid_size: Decimal
    ask: Decimal
    ask_size: Decimal


def waypoints(bar: Candle) -> list[Decimal]:
    """The bar's price path, equal neighbours merged."""
    middle = [bar.low, bar.high] if bar.close >= bar.open else [bar.high, bar.low]
    path: list[Decimal] = []
    for price in [bar.open, *middle, bar.close]:
        if not path or path[-1] != price:
            path.append(price)
    return path


def split_volume(volume: Decimal, parts: int, increment: Decimal) -> list[Decimal]:
    """`parts` sizes on the grid adding up to `volume` floored to the grid (zeros dropped)."""
    total = floor_to_increment(volume, increment)
    share = floor_to_increment(total / parts, increment)
    sizes = [share] * (parts - 1) + [total - share * (parts - 1)]
    return sizes


def bar_trades(
    bar: Candle, rules: ProductRules, venue_start: float, venue_span: float, next_id: int
) -> list[Trade]:
    """Trades of one bar at venue times spread over [venue_start, venue_start + venue_span)."""
    path = waypoints(bar)
    sizes = split_volume(bar.volume, len(path), rules.base_increment)
    trades: list[Trade] = []
    previous = path[0]
    for index, (price, size) in enumerate(zip(path, sizes, strict=True)):
        if size <= 0:
            continue
        maker = Side.SELL if price >= previous else Side.BUY
        time = venue_start + venue_span * index / len(path)
        trades.append(Trade(bar.product_id, str(next_id + index), price, size, maker, time))
        previous = price
    return trades


def touch_prices(
    rules: ProductRules, price: Decimal, top: TopOfBook | None = None
) -> tuple[Decimal, Decimal]:
    """The best bid and ask of the synthetic book: the recorded ones when given, else ±1 bp
    around `price` on the tick grid (at least one tick apart)."""
    if top is not None and top.bid < top.ask:
        return top.bid, top.ask
    tick = rules.quote_increment
    half = max(tick, price * SPREAD_FRACTION / 2)
    bid = floor_to_increment(price - half, tick)
    return bid, max(ceil_to_increment(price + half, tick), bid + tick)


def touch_sizes(
    rules: ProductRules, price: Decimal, top: TopOfBook | None = None
) -> tuple[Decimal, Decimal]:
    """Sizes at the best bid and ask of the synthetic book (see `synthetic_book`)."""
    size = _level_size(rules, price, 0)
    if top is None:
        return size, size
    bid_size = max(top.bid_size, rules.base_increment) if top.bid_size > 0 else size
    ask_size = max(top.ask_size, rules.base_increment) if top.ask_size > 0 else size
    return bid_size, ask_size


def synthetic_book(
    rules: ProductRules, price: Decimal, time: float, top: TopOfBook | None = None
) -> BookUpdate:
    """A layered snapshot: the recorded bid/ask when given, else ±1 bp around `price`."""
    tick = rules.quote_increment
    bid, ask = touch_prices(rules, price, top)
    step = max(tick, ceil_to_increment(price * Decimal("0.0005"), tick))
    bids, asks = [], []
    for level in range(BOOK_DEPTH):
        size = _level_size(rules, price, level)
        if bid - step * level > 0:
            bids.append(BookLevel(bid - step * level, size))
        asks.append(BookLevel(ask + step * level, size))
    bid_size, ask_size = touch_sizes(rules, price, top)
    if bids:
        bids[0] = BookLevel(bids[0].price, bid_size)
    asks[0] = BookLevel(asks[0].price, ask_size)
    return BookUpdate(rules.product_id, tuple(bids), tuple(asks), time, snapshot=True)


def _level_size(rules: ProductRules, price: Decimal, level: int) -> Decimal:
    size = floor_to_increment(LEVEL_NOTIONAL * (level + 1) / price, rules.base_increment)
    return max(size, rules.base_increment)


def bar_events(
    bar: Candle,
    rules: ProductRules,
    venue_start: float,
    venue_span: float,
    next_id: int,
    top: TopOfBook | None = None,
) -> list[MarketEvent]:
    """A book snapshot at the bar's open, then each trade followed by a book around it."""
    events: list[MarketEvent] = [synthetic_book(rules, bar.open, venue_start, top)]
    for trade in bar_trades(bar, rules, venue_start, venue_span, next_id):
        events.append(trade)
        events.append(synthetic_book(rules, trade.price, trade.time, top))
    return events


def split_bar(bar: Candle, minutes: int, increment: Decimal) -> list[Candle]:
    """A multi-minute bar as `minutes` 1-minute candles walking the same waypoint path.

    Minute boundary k sits on waypoint round(k·(n−1)/minutes), so the pieces open at the
    bar's open, close at its close and together reach its high and low (needs minutes ≥ 3).
    """
    path = waypoints(bar)
    last = len(path) - 1
    bounds = [path[round(k * last / minutes)] for k in range(minutes + 1)]
    volumes = split_volume(bar.volume, minutes, increment)
    return [
        Candle(
            bar.product_id,
            bar.start + 60 * i,
            bounds[i],
            max(bounds[i], bounds[i + 1]),
            min(bounds[i], bounds[i + 1]),
            bounds[i + 1],
            volumes[i],
        )
        for i in range(minutes)
    ]
