"""The backtest's bar fill model (BT-1): what the market does inside a bar, stated once.

A bar says only where the price opened, how far it went each way, where it closed and how
much traded. The model below turns that into the venue events the paper exchange fills
against — the same matching engine, order manager and exit check as PAPER and LIVE:

- **Path.** The price walks open → low → high → close when the bar closed up, open → high
  → low → close when it closed down; but when a held position's stop and target both lie
  inside the bar, the low comes first (the pessimistic order for a long).
- **Trades.** Each leg of the path (corner to corner) prints one trade, together the bar's
  volume times `participation`: one tick beyond the first resting own order the leg goes
  through — when the price passes it, before whatever the leg crosses later — else at
  the leg's corner. A resting limit fills only when a trade prints *through* its price
  (strictly beyond it), at its limit price, at most the trade's size — so an order larger
  than `participation` of the bar fills over several bars. (A trade exactly at the limit
  fills only after the book's size ahead of it, as in PAPER.)
- **Touch.** Around every point of the path the book is the price ± half the product's
  spread: `backtest.spread_bps` when configured, else estimated from the value the product
  traded over the day before (`SpreadEstimator`: thinner books quote wider), within
  `min_spread_bps..max_spread_bps` (the widest until a day's bars are seen); a set with
  recorded bid/ask uses those. Each of the touch and `paper.depth_levels`
  deeper levels holds an equal share of `participation` of the bar's volume: what a taker
  can take in one bar.
- **Stops and targets along the path.** Where the path crosses a held position's stop
  price, the touch is shown there (the mid at the stop, so the bid is half a spread below
  it) and the daemon's own exit check runs: the exit is an IOC at that bid minus the
  slippage cap, walking the book. A take-profit is shown where the bid reaches the target.
  Trailing stops and the other exits are checked at every corner of the path.
- **Lifetimes in bars.** An entry's lifetime (`execution.entry_ttl_s`) is rounded up to
  whole bars: a post-only entry placed at a bar's open works through that bar's path.

Spreads are estimated in float (a statistical estimate); prices and sizes are Decimal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from librt.vecs import vec
from mypy_extensions import i64

from trader.config.app import BacktestConfig
from trader.core.products import Grid, grids_of
from trader.core.types import Candle, ProductRules, Quote
from trader.core.values import write_once
from trader.sim.market.bars import TopOfBook

BPS: Final = Decimal(10000)
# exact factors instead of exact divisions (a Decimal division costs twice a product): the
# same value, and for a normalized number of basis points the same digits and exponent
BPS_FRACTION: Final = Decimal("1E-4")
BPS_TENTHOUSANDTHS: Final = Decimal("1E-8")  # 1/10000 of a basis point, as a fraction
WHOLE_LIMIT: Final = 2147483648.0  # below 2**31 a float's product by 10000 is off < 2**-22
HALF_MARGIN: Final = 1e-6
HALF: Final = Decimal("0.5")
# Decimal operands (an int one is converted on every operation), `Final`: C statics
ONE: Final = Decimal(1)
TWO: Final = Decimal(2)
DAY_S: Final = 86400
MIN_BARS: Final = 12  # bars before an estimate replaces the ceiling


class SpreadEstimator:
    """A product's spread from its liquidity: `factor` basis points at one million quote
    units traded a day, falling with the square root of the day's traded value (quote
    volume over the bars of the trailing day). Only closed bars enter it.

    Estimators that read the spread from a bar's high, low and close (Roll; Abdi and
    Ranaldo) were measured on the recorded 5-minute set and read the volatility instead:
    20-66 bps for BTC and ETH in May 2021, ten times what those books quoted; they are not
    used."""

    __slots__ = ("_count", "_next", "_total", "_values", "factor", "window")

    def __init__(self, window: int, factor: float) -> None:
        if window < 1:
            raise ValueError("the spread estimate needs a window of at least one bar")
        self.window = window
        self.factor = factor
        # the last `window` bars' quote values in a ring (a vector: compiled, read and
        # written as machine numbers); `_next` is the oldest's slot once it is full
        self._values = vec[float]([0.0] * window)
        self._next: i64 = 0
        self._count: i64 = 0
        self._total = 0.0

    def observe(self, bar: Candle) -> None:
        value = float(bar.close * bar.volume)
        self._total += value
        slot = self._next
        if self._count == self.window:  # full: the oldest bar leaves after the new one adds
            self._total -= self._values[slot]
        else:
            self._count += 1
        self._values[slot] = value
        self._next = slot + 1 if slot + 1 < self.window else 0

    def fraction(self) -> float | None:
        """The estimated spread as a fraction of the price (None before MIN_BARS bars)."""
        if self._count < MIN_BARS:
            return None
        per_day = max(self._total, 0.0) * self.window / float(self._count)
        if per_day <= 0:
            return None
        return self.factor / 10000.0 / math.sqrt(per_day / 1e6)


@dataclass(frozen=True, slots=True, init=False)
class PathPoint:
    """A point of a bar's path: a corner, a crossed exit level or the first trade through a
    resting order's price; a trade prints there when `trade`; the touch is placed by `bid`
    when set (a take-profit level), else around `price`. Read-only (`core/values.py`)."""

    time: float
    price: Decimal
    corner: bool
    trade: bool
    bid: Decimal | None

    def __init__(
        self, time: float, price: Decimal, corner: bool, trade: bool, bid: Decimal | None = None
    ) -> None:
        self.time = time  # type: ignore[misc]
        self.price = price  # type: ignore[misc]
        self.corner = corner  # type: ignore[misc]
        self.trade = trade  # type: ignore[misc]
        self.bid = bid  # type: ignore[misc]


def corners(bar: Candle, *, low_first: bool) -> list[Decimal]:
    """The bar's path corners, equal neighbours merged."""
    middle = [bar.low, bar.high] if low_first or bar.close >= bar.open else [bar.high, bar.low]
    path: list[Decimal] = []
    for price in [bar.open, *middle, bar.close]:
        if not path or path[-1] != price:
            path.append(price)
    return path


Level = tuple[Decimal, Decimal | None]  # (price on the path, bid shown there, if set)


@dataclass(frozen=True, slots=True, init=False)
class Levels:
    """What a product's path stops at, besides its corners: exit levels of the position
    held, and the prices own orders rest at (bids, asks). Read-only (`core/values.py`)."""

    stops: Sequence[Level]
    targets: Sequence[Level]
    bids: Sequence[Decimal]
    asks: Sequence[Decimal]

    def __init__(
        self,
        stops: Sequence[Level] = (),
        targets: Sequence[Level] = (),
        bids: Sequence[Decimal] = (),
        asks: Sequence[Decimal] = (),
    ) -> None:
        self.stops = stops  # type: ignore[misc]
        self.targets = targets  # type: ignore[misc]
        self.bids = bids  # type: ignore[misc]
        self.asks = asks  # type: ignore[misc]


class PathWalker:
    """One product's bar, point by point. `peek(levels)` names the next point for the
    product's levels now; `take(point)` moves there. A product's levels change only at its
    own points (its fills and exits), so a peeked point stays right while other products'
    points are walked. Each leg between corners prints its trade once: at the first
    resting price it goes through (one tick beyond it), else at its corner."""

    def __init__(
        self, bar: Candle, start: float, span: float, tick: Decimal, *, low_first: bool
    ) -> None:
        self.bar = bar
        self.path = corners(bar, low_first=low_first)
        self.start = start
        self.span = span
        self.tick = tick
        self._index = 0  # the next corner
        self._at: Decimal | None = None  # the price last shown
        self._time = start
        self._printed = False  # the leg to the next corner printed its trade already

    def _corner_time(self, index: int) -> float:
        return self.start + self.span * index / len(self.path)

    def peek(self, levels: Levels) -> PathPoint | None:
        """The next point; None after the close."""
        if self._index >= len(self.path):
            return None
        corner = self.path[self._index]
        here = self._at
        if here is not None and corner != here:
            found = self._crossing(here, corner, levels)
            if found is not None:
                price, trade, bid = found
                share = float((price - here) / (corner - here))
                time = self._time + (self._corner_time(self._index) - self._time) * share
                return PathPoint(time, price, False, trade, bid)
        return PathPoint(self._corner_time(self._index), corner, True, not self._printed)

    def _crossing(
        self, here: Decimal, corner: Decimal, levels: Levels
    ) -> tuple[Decimal, bool, Decimal | None] | None:
        """The first level met on the way from `here` to `corner`: (price, trade, bid)."""
        met: list[tuple[Decimal, bool, Decimal | None]] = []
        if corner < here:  # falling: stops, then trades through resting bids
            met += [(p, False, b) for p, b in levels.stops if corner <= p < here]
            if not self._printed:
                through = (p - self.tick for p in levels.bids)
                met += [(p, True, None) for p in through if corner <= p < here]
            return max(met, key=lambda m: (m[0], not m[1])) if met else None
        met += [(p, False, b) for p, b in levels.targets if here < p <= corner]
        if not self._printed:
            through = (p + self.tick for p in levels.asks)
            met += [(p, True, None) for p in through if here < p <= corner]
        return min(met, key=lambda m: (m[0], m[1])) if met else None

    @property
    def done(self) -> bool:
        """The close was taken: no point is left."""
        return self._index >= len(self.path)

    def take(self, point: PathPoint) -> None:
        self._at, self._time = point.price, point.time
        if point.corner:
            self._index += 1
            self._printed = False
        elif point.trade:
            self._printed = True


def touch(
    rules: ProductRules, price: Decimal, spread: Decimal, bid: Decimal | None
) -> tuple[Decimal, Decimal]:
    """Bid and ask `spread` (a fraction) apart around `price` — or from `bid` up — on the
    tick grid, at least one tick apart."""
    return _touch(grids_of(rules).quote, price, spread, bid)


def _touch(
    grid: Grid, price: Decimal, spread: Decimal, bid: Decimal | None
) -> tuple[Decimal, Decimal]:
    """`touch` on the product's price grid (looked up once by the caller)."""
    tick = grid.increment
    if bid is not None:
        best_bid = grid.ceil(bid)
        return best_bid, _at_least(grid.ceil(best_bid + price * spread), best_bid + tick)
    half = price * spread * HALF  # the value of `/ 2`: only the grid's rounding reads it
    best_bid = grid.floor(price - half)
    return best_bid, _at_least(grid.ceil(price + half), best_bid + tick)


def touch_bid(rules: ProductRules, price: Decimal, spread: Decimal) -> Decimal:
    """The bid of `touch(rules, price, spread, None)`, without working out the ask."""
    return grids_of(rules).quote.floor(price - price * spread * HALF)


def _at_least(value: Decimal, floor: Decimal) -> Decimal:
    """`max(value, floor)` — the same object it returns — without the builtin's generic
    call (a touch and a level size are worked out for every product at every bar)."""
    return floor if floor > value else value


def bps_fraction(bps: float) -> Decimal:
    """`bps` to 4 decimals, as a fraction: exactly `Decimal(repr(round(bps, 4))) / 10000`
    (the same digits and exponent). Asked at every bar whose spread estimate moved, so the
    whole number of 1/10000 bps is found in float arithmetic where that is exact: `scaled`
    is off the true value by at most 2**-22 below 2**31, so away from a half it rounds
    where the exact value does, and `n` with its trailing zeros stripped is the same
    coefficient the rounded text normalizes to. At a half, out of range or at zero: the
    text."""
    scaled = bps * 10000.0
    if -WHOLE_LIMIT < scaled < WHOLE_LIMIT:
        whole = math.floor(scaled)
        part = scaled - whole
        if abs(part - 0.5) > HALF_MARGIN:
            n = whole + 1 if part > 0.5 else whole
            if n:
                return Decimal(n).normalize() * BPS_TENTHOUSANDTHS
    return _bps_fraction_text(bps)


def _bps_fraction_text(bps: float) -> Decimal:
    """`bps_fraction` through the rounded text (one float-to-text conversion, not two)."""
    rounded = Decimal(format(bps, ".4f"))
    if not rounded:  # repr keeps "0.0": its exponent, not normalize's "0"
        return Decimal(repr(round(bps, 4))) / BPS
    return rounded.normalize() * BPS_FRACTION


class BarFills:
    """The fill model's state for one backtest: each product's spread estimate."""

    def __init__(self, config: BacktestConfig, bar_seconds: int, depth_levels: int) -> None:
        self.config = config
        self.book_levels = depth_levels + 1
        self._window = max(MIN_BARS, DAY_S // bar_seconds)
        # the settings read for every bar, read once (a setting is a pydantic attribute)
        self._levels = Decimal(self.book_levels)
        self._participation = config.participation
        self._configured = {p: Decimal(repr(bps)) / BPS for p, bps in config.spread_bps.items()}
        self._min_bps, self._max_bps = config.min_spread_bps, config.max_spread_bps
        self._factor_bps = config.spread_factor_bps
        self._estimators: dict[str, SpreadEstimator] = {}
        # the last estimate (bps) and its fraction: made again only when the estimate moved
        self._last_bps: dict[str, tuple[float, Decimal]] = {}

    def spread(self, product_id: str) -> Decimal:
        """The product's spread as a fraction: configured, else estimated, within bounds."""
        configured = self._configured.get(product_id)
        if configured is not None:
            return configured
        estimator = self._estimators.get(product_id)
        estimate = None if estimator is None else estimator.fraction()
        bps = self._max_bps if estimate is None else estimate * 10000.0
        low, high = self._min_bps, self._max_bps  # within bounds (floats: no builtin call)
        bps = low if low > bps else bps
        bps = high if high < bps else bps
        last = self._last_bps.get(product_id)
        if last is not None and last[0] == bps:  # unchanged: within a bar, or held at a bound
            return last[1]
        spread = bps_fraction(bps)
        self._last_bps[product_id] = (bps, spread)
        return spread

    def closed(self, bar: Candle) -> None:
        """A bar closed: it joins its product's spread estimate."""
        estimator = self._estimators.get(bar.product_id)
        if estimator is None:
            estimator = self._estimators[bar.product_id] = SpreadEstimator(
                self._window, self._factor_bps
            )
        estimator.observe(bar)

    def trade_size(self, walker: PathWalker, rules: ProductRules) -> Decimal:
        """The size printed at each corner: `participation` of the bar, split equally."""
        share = walker.bar.volume * self._participation / len(walker.path)
        return grids_of(rules).base.floor(share)

    def level_size(self, bar: Candle, rules: ProductRules) -> Decimal:
        """The size at the touch and at each deeper level (at least one increment)."""
        return self._level_size(bar, grids_of(rules).base)

    def _level_size(self, bar: Candle, grid: Grid) -> Decimal:
        size = grid.floor(bar.volume * self._participation / self._levels)
        return _at_least(size, grid.increment)

    def bar_spread(self, bar: Candle, top: TopOfBook | None) -> Decimal:
        """The spread inside `bar`: the recorded one at its open, else the product's."""
        if top is not None and top.bid < top.ask:
            return (top.ask - top.bid) * TWO / (top.ask + top.bid)
        return self.spread(bar.product_id)

    def opening(self, bar: Candle, rules: ProductRules, top: TopOfBook | None) -> Quote:
        """The touch at the bar's open (the recorded one where the set has it)."""
        grids = grids_of(rules)
        size = self._level_size(bar, grids.base)
        if top is not None and top.bid < top.ask:
            return Quote(bar.product_id, top.bid, size, top.ask, size, float(bar.start))
        bid, ask = _touch(grids.quote, bar.open, self.spread(bar.product_id), None)
        return Quote(bar.product_id, bid, size, ask, size, float(bar.start))

    def at_point(
        self, rules: ProductRules, point: PathPoint, spread: Decimal, size: Decimal
    ) -> Quote:
        """The touch at a point of a bar's path; `size`: the bar's `level_size`."""
        bid, ask = touch(rules, point.price, spread, point.bid)
        return Quote(rules.product_id, bid, size, ask, size, point.time)

    def exit_levels(
        self, stop: Decimal | None, target: Decimal | None, spread: Decimal
    ) -> tuple[list[Level], list[Level]]:
        """Where the path shows a stop (mid at the stop: the bid half a spread below it)
        and a target (the bid at the target: the mid half a spread above it)."""
        stops: list[Level] = [] if stop is None else [(stop, None)]
        targets: list[Level] = [] if target is None else [(target * (ONE + spread / TWO), target)]
        return stops, targets


write_once(PathPoint, Levels)
