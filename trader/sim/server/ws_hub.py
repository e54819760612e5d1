"""Fan-out of market data and own-order updates to WebSocket sessions (SIM-1, protocol §5).

The driver reports what changed (`on_trade`, `on_book`, `on_order`, `on_status`) and calls
`flush` every tick; the hub turns that into `ticker` (on change), `l2_data` (diffs of the
engine's aggregated book against what was published), `market_trades` (batched every
250 ms), `candles` (every 1 s, when the forming 5-minute bucket changed), `ticker_batch`
(every 5 s, changed products only, no bid/ask) and `heartbeats` (every 1 s).
"""

from __future__ import annotations

import time
from decimal import Decimal

import orjson

from trader.core.types import Candle, Trade
from trader.matching.types import SimOrder
from trader.sim.server.context import VenueContext
from trader.sim.server.encode import go_time_ns, rfc3339
from trader.sim.server.encode_market import product_price
from trader.sim.server.encode_orders import user_order_json
from trader.sim.server.ws_channels import (
    book_diff,
    candles_events,
    heartbeat_events,
    l2_update_events,
    status_events,
    status_row,
    ticker_events,
    ticker_row,
    trades_events,
    user_events,
)
from trader.sim.server.ws_session import WsSession

Stats = tuple[Decimal, Decimal, Decimal, Decimal]
BookSides = tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]
CANDLE_S = 300


class Hub:
    """Sessions plus the market state last published to them."""

    def __init__(self, ctx: VenueContext, l2_depth: int = 250) -> None:
        self.ctx = ctx
        self.l2_depth = l2_depth
        self.sessions: set[WsSession] = set()
        self.published_books: dict[str, BookSides] = {}
        self.last_ticker: dict[str, tuple[Decimal, object]] = {}
        self.batch_dirty: set[str] = set()
        self.pending_trades: dict[str, list[Trade]] = {}
        self.dirty_books: set[str] = set()
        self.dirty_tickers: set[str] = set()
        self.last_candle: dict[str, Candle] = {}
        self.stats_cache: dict[str, tuple[float, Stats]] = {}
        self.heartbeat_counter = 0
        self.started = time.monotonic()
        self.intervals = {"trades": 0.25, "second": 1.0, "batch": 5.0}
        self._next = {"trades": 0.0, "second": 0.0, "batch": 0.0}

    # --- inputs from the driver / engine ------------------------------------------------
    def on_trade(self, trade: Trade) -> None:
        self.pending_trades.setdefault(trade.product_id, []).append(trade)
        self.dirty_books.add(trade.product_id)
        self.dirty_tickers.add(trade.product_id)

    def on_book(self, product_id: str) -> None:
        self.dirty_books.add(product_id)
        self.dirty_tickers.add(product_id)

    def on_order(self, order: SimOrder) -> None:
        """Engine listener: one `user` update per state or fill change of an own order."""
        self.dirty_books.add(order.product_id)
        self.dirty_tickers.add(order.product_id)
        sessions = [s for s in self.sessions if self._wants_user(s, order.product_id)]
        if not sessions:
            return
        row = user_order_json(order, self.ctx.portfolio_id)
        payload = orjson.dumps(user_events("update", [row]))
        for session in sessions:
            session.send("user", payload)

    def on_status(self, product_id: str) -> None:
        rules = self.ctx.engine.product(product_id)
        if rules is None:
            return
        payload = orjson.dumps(status_events("update", [status_row(rules)]))
        for session in self.sessions:
            if session.wants("status", product_id):
                session.send("status", payload)

    @staticmethod
    def _wants_user(session: WsSession, product_id: str) -> bool:
        return "user" in session.subscriptions and (
            session.user_all_products or session.wants("user", product_id)
        )

    # --- periodic output ----------------------------------------------------------------
    def flush(self, now: float, mono: float | None = None) -> None:
        """Publish what changed since the last call; run the 250 ms / 1 s / 5 s timers."""
        mono = time.monotonic() if mono is None else mono
        self._flush_books(now)
        self._flush_tickers(now)
        if mono >= self._next["trades"]:
            self._next["trades"] = mono + self.intervals["trades"]
            self._flush_trades()
        if mono >= self._next["second"]:
            self._next["second"] = mono + self.intervals["second"]
            self._heartbeat(mono)
            self._flush_candles(now)
        if mono >= self._next["batch"]:
            self._next["batch"] = mono + self.intervals["batch"]
            self._flush_ticker_batch(now)

    def _subscribers(self, subscription: str, product_id: str) -> list[WsSession]:
        return [s for s in self.sessions if s.wants(subscription, product_id)]

    def _flush_books(self, now: float) -> None:
        dirty, self.dirty_books = self.dirty_books, set()
        for product_id in dirty:
            sessions = self._subscribers("level2", product_id)
            if not sessions or self.ctx.engine.product(product_id) is None:
                self.published_books.pop(product_id, None)
                continue
            old = self.published_books.get(product_id)
            new = self.current_book(product_id)
            self.published_books[product_id] = new
            if old is None:
                continue
            changes = book_diff(old[0], new[0], "bid") + book_diff(old[1], new[1], "offer")
            if changes:
                payload = orjson.dumps(l2_update_events(product_id, changes, rfc3339(now)))
                for session in sessions:
                    session.send("l2_data", payload)

    def current_book(self, product_id: str) -> BookSides:
        bids, asks = self.ctx.engine.book(product_id, self.l2_depth)
        return {b.price: b.size for b in bids}, {a.price: a.size for a in asks}

    def published_book(self, product_id: str) -> BookSides:
        """What `l2_data` subscribers of `product_id` currently hold (snapshot source)."""
        book = self.published_books.get(product_id)
        if book is None:
            book = self.published_books[product_id] = self.current_book(product_id)
        return book

    def _flush_tickers(self, now: float) -> None:
        dirty, self.dirty_tickers = self.dirty_tickers, set()
        for product_id in dirty:
            if self.ctx.engine.product(product_id) is None:  # delisted: its channel is silent
                continue
            price = product_price(self.ctx, product_id)
            quote = self.ctx.engine.quote(product_id)
            key = (
                price,
                None if quote is None else (quote.bid, quote.bid_size, quote.ask, quote.ask_size),
            )
            if self.last_ticker.get(product_id) == key:
                continue
            self.last_ticker[product_id] = key
            self.batch_dirty.add(product_id)
            sessions = self._subscribers("ticker", product_id)
            if sessions:
                row = ticker_row(product_id, price, self.stats(product_id, now), quote)
                payload = orjson.dumps(ticker_events("update", [row]))
                for session in sessions:
                    session.send("ticker", payload)

    def ticker_snapshot_row(self, product_id: str, with_book: bool = True) -> dict[str, str]:
        now = self.ctx.clock.market_now()
        price = product_price(self.ctx, product_id)
        quote = self.ctx.engine.quote(product_id)
        return ticker_row(product_id, price, self.stats(product_id, now), quote, with_book)

    def stats(self, product_id: str, now: float) -> Stats:
        """24 h (volume, low, high, % change), cached for one second per product."""
        cached = self.stats_cache.get(product_id)
        if cached is not None and now - cached[0] < 1.0:
            return cached[1]
        volume, low, high = self.ctx.history.stats_24h(product_id, now)
        price = product_price(self.ctx, product_id)
        start = int(now) - 86400
        old = self.ctx.history.candles(product_id, 60, start, start + 60, now)
        base = old[-1].open if old else Decimal(0)
        change = (price - base) / base * 100 if base else Decimal(0)
        stats = (volume, low, high, change)
        self.stats_cache[product_id] = (now, stats)
        return stats

    def _flush_trades(self) -> None:
        pending, self.pending_trades = self.pending_trades, {}
        for product_id, trades in pending.items():
            sessions = self._subscribers("market_trades", product_id)
            if not sessions:
                continue
            newest_first = list(reversed(trades))
            payload = orjson.dumps(trades_events("update", newest_first))
            for session in sessions:
                session.send("market_trades", payload)

    def _heartbeat(self, mono: float) -> None:
        self.heartbeat_counter += 1
        sessions = [s for s in self.sessions if "heartbeats" in s.subscriptions]
        if not sessions:
            return
        current = go_time_ns(self.ctx.clock.now_ns(), mono - self.started)
        payload = orjson.dumps(heartbeat_events(current, self.heartbeat_counter))
        for session in sessions:
            session.send("heartbeats", payload)

    def forming_candle(self, product_id: str, now: float) -> Candle | None:
        start = int(now) // CANDLE_S * CANDLE_S
        rows = self.ctx.history.candles(product_id, CANDLE_S, start, start + CANDLE_S, now)
        return rows[0] if rows else None

    def _flush_candles(self, now: float) -> None:
        wanted = {p for s in self.sessions for p in s.subscriptions.get("candles", ())}
        for product_id in wanted:
            candle = self.forming_candle(product_id, now)
            if candle is None or self.last_candle.get(product_id) == candle:
                continue
            self.last_candle[product_id] = candle
            payload = orjson.dumps(candles_events("update", [candle]))
            for session in self._subscribers("candles", product_id):
                session.send("candles", payload)

    def _flush_ticker_batch(self, now: float) -> None:
        changed, self.batch_dirty = self.batch_dirty, set()
        for product_id in sorted(changed):
            sessions = self._subscribers("ticker_batch", product_id)
            if not sessions:
                continue
            row = ticker_row(
                product_id,
                product_price(self.ctx, product_id),
                self.stats(product_id, now),
                None,
                with_book=False,
            )
            payload = orjson.dumps(ticker_events("update", [row]))
            for session in sessions:
                session.send("ticker_batch", payload)

    def close_all(self, code: int) -> int:
        sessions = list(self.sessions)
        for session in sessions:
            session.close_now(code)
        return len(sessions)
