"""`SyntheticSource`: a seeded synthetic market of N products (SIM-1).

Each product has its own `random.Random` stream (seeded from the source seed and the
product id), so its events do not depend on the other products or on how `now` is chunked:
`advance` is deterministic for a seed and independent of the sequence of `now` values (the
concatenated output is the same). Trades arrive as a Poisson process (`trades_per_minute`
per product), each one a GARCH-like walk step (see `walk.py`), followed by a 10-level book
snapshot whose spread widens with volatility. `history` holds 25 h of closed 1-minute
candles ending at the start, anchored on the live walk's starting price and variance; its
last hour doubles as the recent trades a fresh venue shows (`prehistory.py`).
`daily_history` holds `daily_days` (default 400) closed daily candles before that: a walk
generated backwards from the first 1-minute price (`daily.daily_walk`) with its own seeded
stream, built on demand (not at construction) so a large universe stays cheap to build.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from trader.core.products import floor_to_increment
from trader.core.types import BookLevel, Candle, ProductRules, Side, Trade
from trader.matching.types import BookUpdate, MarketEvent
from trader.sim.market.daily import DAILY_DAYS, daily_walk, day_notional, floor_day
from trader.sim.market.prehistory import next_trade_id, prehistory_trades
from trader.sim.market.rules import rules_for_price
from trader.sim.market.walk import WalkState, history_candles, price_of, step, to_ticks

HISTORY_MINUTES = 1500
BOOK_DEPTH = 10
SPREAD_BPS = 2.0
MAJORS: tuple[tuple[str, str, float], ...] = (
    ("BTC-USD", "65000.00", 0.0007),
    ("ETH-USD", "1900.00", 0.0009),
    ("SOL-USD", "150.00", 0.0014),
    ("XRP-USD", "0.5200", 0.0012),
    ("DOGE-USD", "0.12000", 0.0016),
    ("ADA-USD", "0.38000", 0.0013),
    ("AVAX-USD", "28.000", 0.0015),
    ("LINK-USD", "14.000", 0.0014),
    ("LTC-USD", "80.00", 0.0011),
    ("DOT-USD", "5.5000", 0.0014),
)


@dataclass(slots=True)
class _Product:
    rules: ProductRules
    rng: random.Random
    walk: WalkState
    next_time: float
    last_time: float
    trade_seq: int = 0
    started: bool = False


def product_specs(count: int, seed: int) -> list[tuple[str, Decimal, float]]:
    """(product_id, start price, per-minute vol) for `count` products: majors, then SYNnnn."""
    specs = [(p, Decimal(price), vol) for p, price, vol in MAJORS[:count]]
    rng = random.Random(f"synthetic-universe:{seed}")
    for number in range(1, count - len(specs) + 1):
        price = Decimal(f"{10 ** rng.uniform(-3.0, 3.5):.5g}")
        specs.append((f"SYN{number:03d}-USD", price, rng.uniform(0.0008, 0.003)))
    return specs


class SyntheticSource:
    """Implements `trader.sim.contract.MarketSource`.

    `daily_days`: days of daily history per product, one number for all or a mapping
    `{product_id: days}` (products not in it get `DAILY_DAYS`)."""

    def __init__(
        self,
        *,
        start: float,
        seed: int,
        products: int = 10,
        trades_per_minute: float = 20.0,
        daily_days: int | Mapping[str, int] = DAILY_DAYS,
    ) -> None:
        if trades_per_minute <= 0:
            raise ValueError("trades_per_minute must be positive")
        days = daily_days.values() if isinstance(daily_days, Mapping) else [daily_days]
        if any(d < 0 for d in days):
            raise ValueError("daily_days must not be negative")
        self._start = start
        self._seed = seed
        self._daily_days = daily_days
        self._rate = trades_per_minute / 60.0
        self._products: list[_Product] = []
        self._history: dict[str, list[Candle]] = {}
        self._recent: dict[str, list[Trade]] = {}
        self._vols: dict[str, float] = {}
        history_end = int(start) // 60 * 60
        for product_id, price, vol in product_specs(products, seed):
            rules = rules_for_price(product_id, price)
            rng = random.Random(f"synthetic:{seed}:{product_id}")
            ticks = to_ticks(price, rules)
            candles, variance = history_candles(
                rules, ticks, history_end, HISTORY_MINUTES, vol * vol, rng
            )
            self._history[product_id] = candles
            self._recent[product_id] = recent = prehistory_trades(rules, candles)
            self._vols[product_id] = vol
            walk = WalkState(ticks, variance, vol * vol, history_end, ticks)
            seq = next_trade_id(recent) - 1
            self._products.append(_Product(rules, rng, walk, start, start, trade_seq=seq))

    def products(self) -> list[ProductRules]:
        return [p.rules for p in self._products]

    def history(self, product_id: str) -> list[Candle]:
        return list(self._history[product_id])

    def recent_trades(self, product_id: str) -> list[Trade]:
        """The last hour of history as trades (`prehistory.py`); live ids continue after."""
        return list(self._recent[product_id])

    def daily_history(self, product_id: str) -> list[Candle]:
        """Daily candles ending at the UTC midnight before the first 1-minute candle, the
        last closing at that candle's open; volumes on the 1-minute history's scale."""
        minutes = self._history[product_id]
        rules = next(p.rules for p in self._products if p.rules.product_id == product_id)
        days = self._daily_days
        count = days.get(product_id, DAILY_DAYS) if isinstance(days, Mapping) else days
        rng = random.Random(f"synthetic-daily:{self._seed}:{product_id}")
        return daily_walk(
            rules,
            to_ticks(minutes[0].open, rules),
            floor_day(minutes[0].start),
            count,
            self._vols[product_id],
            day_notional(minutes),
            rng,
        )

    def advance(self, now: float) -> list[MarketEvent]:
        keyed: list[tuple[float, int, int, MarketEvent]] = []
        for index, product in enumerate(self._products):
            if not product.started and self._start <= now:
                product.started = True
                keyed.append((self._start, index, 0, self._book(product, self._start)))
                product.next_time = self._start + self._gap(product)
            while product.started and product.next_time <= now:
                trade, book = self._trade_and_book(product)
                keyed.append((trade.time, index, 0, trade))
                keyed.append((book.time, index, 1, book))
        keyed.sort(key=lambda item: item[:3])
        return [item[3] for item in keyed]

    def _gap(self, product: _Product) -> float:
        return product.rng.expovariate(self._rate)

    def _trade_and_book(self, product: _Product) -> tuple[Trade, BookUpdate]:
        time = product.next_time
        before = product.walk.ticks
        step(product.walk, time, max(time - product.last_time, 1e-3), product.rng)
        product.last_time = time
        product.trade_seq += 1
        rules = product.rules
        price = price_of(product.walk.ticks, rules)
        maker = Side.SELL if product.walk.ticks > before else Side.BUY
        notional = Decimal(str(round(math.exp(product.rng.gauss(math.log(300.0), 1.0)), 2)))
        size = max(floor_to_increment(notional / price, rules.base_increment), rules.base_increment)
        trade = Trade(rules.product_id, str(product.trade_seq), price, size, maker, time)
        book = self._book(product, time)
        product.next_time = time + self._gap(product)
        return trade, book

    def _book(self, product: _Product, time: float) -> BookUpdate:
        walk, rules, rng = product.walk, product.rules, product.rng
        widen = math.sqrt(walk.variance / walk.long_run)
        spread = max(1, round(walk.ticks * SPREAD_BPS / 10_000 * widen))
        bid = max(1, walk.ticks - spread // 2)
        ask = bid + spread
        bids: list[BookLevel] = []
        asks: list[BookLevel] = []
        for level in range(BOOK_DEPTH):
            for side_ticks, out in ((bid - level * spread, bids), (ask + level * spread, asks)):
                if side_ticks <= 0:
                    continue
                price = price_of(side_ticks, rules)
                notional = Decimal(str(round(1500 * (level + 1) * rng.lognormvariate(0, 0.5), 2)))
                size = floor_to_increment(notional / price, rules.base_increment)
                out.append(BookLevel(price, max(size, rules.base_increment)))
        return BookUpdate(rules.product_id, tuple(bids), tuple(asks), time, snapshot=True)
