"""The market-data service (EX-2, S-1): backfill, live stream, REST fallback, freshness.

    async with MarketDataService(exchange, ["BTC-USD"], metrics) as md:
        md.quote("BTC-USD"); md.closed_candles("BTC-USD", until=now); md.data_age("BTC-USD")

At start it consumes `exchange.market_stream` and backfills closed 1-minute candles over
REST (awaited, or in the background with `backfill_in_background`; no candle is closed
before the backfill is stored). A timer closes due minutes, repairs partial minutes from
REST (start-up, disconnects, sequence gaps) and, while the stream is down, polls
`best_bid_ask`. Time is the exchange's: `clock` defaults to `exchange.clock.now` (EX-3
corrected) when the exchange has one, so minute boundaries match the trades' timestamps.
`data_age` is honest: time since the product's data was last confirmed (a ticker or REST
quote, or a heartbeat while the subscribed stream is in sync). Stream data for a product
not subscribed is not applied: each such product is named once
(`market_data_unsubscribed_product`) and every message counted
(`trader_venue_data_errors_total{kind="unsubscribed_product"}`). A crossed or locked touch
(ticker or level2) is not applied either: every one counted
(`trader_venue_data_errors_total{kind="crossed_touch"}`), one `market_data_crossed_touch`
line per product and episode (until a sound ticker of the product arrives). REST candles
are judged for missing hours before they are stored (`gaps.py`, `subscribe_restarts`).
A product can stop being followed (`follow(pid, False)`: the venue lists it no more) and be
followed again: meanwhile it is not subscribed, polled, repaired nor exported, its age
grows without making the others stale, and the stream is opened again on the followed
products (its minutes repaired like a reconnect's).
Nothing here blocks the loop; every wait is a task.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import structlog

from trader.core.clock import Clock, wall_clock
from trader.core.gaps import GapRule
from trader.core.types import Candle, Quote
from trader.exchange.errors import ExchangeError
from trader.exchange.interface import Exchange
from trader.exchange.metrics import adapter_metrics
from trader.exchange.models import StreamStatus
from trader.marketdata.builder import CANDLE_S
from trader.marketdata.candles import CandleListener, CandleStore
from trader.marketdata.gaps import CandleGaps, RestartListener
from trader.marketdata.live import LiveMarket
from trader.marketdata.metrics import market_data_metrics
from trader.marketdata.venue_reports import VenueDataReports
from trader.ops.metrics import Metrics
from trader.ops.tasks import cancel_and_wait

log = structlog.get_logger("trader.exchange")
RecordedCandles = Callable[[str, int, int], Awaitable[list[Candle]]]


@dataclass(frozen=True, slots=True)
class MarketDataSettings:
    history: int = 1500
    backfill_minutes: int = 1500
    grace_s: float = 2.0
    tick_s: float = 0.5
    poll_interval_s: float = 2.0
    level2: bool = False
    repair_attempts: int = 5
    backfill_concurrency: int = 4
    backfill_in_background: bool = False  # quotes flow at once; candles once backfilled
    gaps: GapRule = field(default_factory=GapRule)  # REST holes judged missing (signals.yaml)


def _exchange_clock(exchange: Exchange) -> Clock:
    """`exchange.clock.now` (local time corrected by the measured offset) if available."""
    now = getattr(getattr(exchange, "clock", None), "now", None)
    return now if callable(now) else wall_clock


class MarketDataService:
    """Latest quotes, closed candles and data age for a fixed set of products."""

    def __init__(
        self,
        exchange: Exchange,
        product_ids: Sequence[str],
        metrics: Metrics,
        *,
        settings: MarketDataSettings | None = None,
        clock: Clock | None = None,
        recorded: RecordedCandles | None = None,
    ) -> None:
        self.exchange = exchange
        self.recorded = recorded
        self.product_ids = list(dict.fromkeys(product_ids))
        self.unfollowed: set[str] = set()  # products the venue lists no more
        self.settings = settings or MarketDataSettings()
        self.metrics = market_data_metrics(metrics)
        self._venue_data_errors = adapter_metrics(metrics).venue_data_errors
        self._clock = clock = clock or _exchange_clock(exchange)
        self.live = LiveMarket(
            self.product_ids,
            clock() - self.settings.grace_s,
            history=self.settings.history,
            grace_s=self.settings.grace_s,
        )
        self.stream_up = False
        self._down_since: float | None = (
            min(b.watermark for b in self.live.builders.values()) if self.product_ids else clock()
        )
        self._alive_at: float | None = None
        self._last_poll = float("-inf")
        self._repairing: dict[str, asyncio.Task[None]] = {}
        self._repair_failures: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._poller: asyncio.Task[None] | None = None
        self.backfilled = asyncio.Event()
        self.reports = VenueDataReports(self.live, self._venue_data_errors, len(self.product_ids))
        self.gaps = CandleGaps(self.settings.gaps, self.product_ids, self._venue_data_errors)
        self.live.store.subscribe(self.gaps.observe)  # first: before any listener of theirs

    # --- accessors ---------------------------------------------------------------------
    @property
    def candles(self) -> CandleStore:
        return self.live.store

    def quote(self, product_id: str) -> Quote | None:
        return self.live.quotes.get(product_id)

    def quotes(self) -> dict[str, Quote]:
        return {p: q for p in self.followed() if (q := self.quote(p)) is not None}

    def followed(self) -> list[str]:
        return [p for p in self.product_ids if p not in self.unfollowed]

    def follow(self, product_id: str, followed: bool) -> None:
        """Follow the product again, or stop (it is delisted); the stream is subscribed
        again on what is followed now."""
        if product_id not in self.product_ids or followed is (product_id not in self.unfollowed):
            return
        if followed:
            self.unfollowed.discard(product_id)
        else:
            self.unfollowed.add(product_id)
            with contextlib.suppress(KeyError):  # never exported yet
                self.metrics.age.remove(product_id)
        log.info("market_data_follows", product=product_id, followed=followed)
        if self._tasks and not self._tasks[0].done():
            now = self._clock()  # the switch is an outage of every product's stream
            self._on_status(StreamStatus("market", "down", "resubscribe", now), now)
            self._tasks[0].cancel()
            self._tasks[0] = asyncio.create_task(self._consume(), name="marketdata-stream")

    def closed_candles(self, product_id: str, until: float | None = None) -> Sequence[Candle]:
        return self.live.store.closed_candles(product_id, until)

    def subscribe_candles(self, listener: CandleListener) -> Callable[[], None]:
        return self.live.store.subscribe(listener)

    def subscribe_restarts(self, listener: RestartListener) -> Callable[[], None]:
        """`listener(product, at)`: the venue's candles were missing up to `at`; called
        before the product's candles from `at` on are stored."""
        return self.gaps.subscribe(listener)

    def data_age(self, product_id: str, now: float | None = None) -> float:
        """Seconds since this product's data was last confirmed; inf when never."""
        now = self._clock() if now is None else now
        fresh = self.live.quotes.received_at(product_id)
        if self.stream_up and self._alive_at is not None and product_id in self.live.live_products:
            fresh = self._alive_at if fresh is None else max(fresh, self._alive_at)
        return float("inf") if fresh is None else max(0.0, now - fresh)

    # --- lifecycle ---------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Run the stream and the timer as tasks and backfill (bounded concurrency).
        With `backfill_in_background`, return at once: quotes flow immediately and no
        candle is closed before the backfill is stored (`backfilled` is set then), so the
        store stays in start order."""
        self._tasks = [
            asyncio.create_task(self._consume(), name="marketdata-stream"),
            asyncio.create_task(self._timer(), name="marketdata-timer"),
        ]
        if self.settings.backfill_in_background:
            self._tasks.append(asyncio.create_task(self._backfill(), name="candle-backfill"))
        else:
            await self._backfill()

    async def stop(self) -> None:
        tasks = self._tasks + list(self._repairing.values())
        if self._poller is not None:
            tasks.append(self._poller)
        await cancel_and_wait(tasks)
        self._tasks, self._repairing = [], {}
        self.stream_up = False
        self.metrics.stream_up.set(0)

    # --- backfill ----------------------------------------------------------------------
    async def _backfill(self) -> None:
        limit = asyncio.Semaphore(self.settings.backfill_concurrency)

        async def one(product_id: str) -> None:
            end = self.live.builders[product_id].watermark
            start = end - self.settings.backfill_minutes * CANDLE_S
            kept = await self._recorded(product_id, start, end)
            if kept:  # PERF-7: the venue is asked only for what came after the record
                start = kept[-1].start + CANDLE_S
            candles: list[Candle] = []
            async with limit:
                try:
                    if start < end:
                        candles = await self.exchange.candles(product_id, start, end)
                except ExchangeError as exc:
                    log.warning("candle_backfill_failed", product=product_id, error=str(exc))
                answer = [*kept, *(c for c in candles if c.start < end)]
                answer = await self.gaps.settle(product_id, end, answer, self.exchange.candles)
            recorded = {c.start for c in kept}
            stored = [c for c in answer if self.live.store.add(c)]
            from_record = sum(1 for c in stored if c.start in recorded)
            self.metrics.candles.labels(source="record").inc(from_record)
            self.metrics.candles.labels(source="backfill").inc(len(stored) - from_record)

        if self.settings.backfill_minutes > 0:
            await asyncio.gather(*(one(p) for p in self.product_ids))
        self.backfilled.set()

    async def _recorded(self, product_id: str, start: int, end: int) -> list[Candle]:
        """The daemon's own recorded candles of [start, end) (none without a record; a
        record that cannot be read is logged and the venue asked for the whole span)."""
        if self.recorded is None:
            return []
        try:
            return await self.recorded(product_id, start, end)
        except (sqlite3.Error, ArithmeticError, ValueError, TypeError) as exc:
            log.warning("candle_record_unreadable", product=product_id, error=str(exc)[:200])
            return []

    # --- stream ------------------------------------------------------------------------
    async def _consume(self) -> None:
        """Run the stream forever; a bug in a consumer step is logged and the stream reopened
        (the adapter itself reconnects on every network problem)."""
        while True:
            try:
                await self._consume_once()
            except Exception:
                log.exception("market_stream_consumer_failed")
                self._on_status(
                    StreamStatus("market", "down", "consumer_error", self._clock()), self._clock()
                )
                await asyncio.sleep(1.0)

    async def _consume_once(self) -> None:
        stream = self.exchange.market_stream(self.followed(), level2=self.settings.level2)
        live, clock = self.live, self._clock
        try:
            async for event in stream:
                now = clock()
                if type(event) is StreamStatus:
                    self._on_status(event, now)
                else:
                    live.apply(event, now)
                if self.stream_up:
                    self._alive_at = now
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    def _on_status(self, status: StreamStatus, now: float) -> None:
        if status.state == "up":
            if self._down_since is not None:
                self.live.taint(self._down_since, now)
            self._down_since = None
            self.stream_up = True
            self.metrics.stream_up.set(1)
            log.info("market_stream_up", stream=status.stream)
        elif status.state == "down":
            if self._down_since is None:
                self._down_since = self._alive_at if self._alive_at is not None else now
            self.stream_up = False
            self.live.live_products.clear()
            self.live.books.clear()  # stale levels: wait for the next snapshot
            self.metrics.stream_up.set(0)
        elif status.state == "resync":
            self.live.taint(self._alive_at if self._alive_at is not None else now, now)
            self.live.books.clear()  # level2 snapshots follow the resubscribe

    # --- timer: closing, repairs, fallback, freshness ------------------------------------
    async def _timer(self) -> None:
        while True:
            try:
                self._tick()
            except Exception:
                log.exception("market_data_tick_failed")
            await asyncio.sleep(self.settings.tick_s)

    def _tick(self) -> None:
        """Taint outage minutes, close due candles, start repairs and polls, export ages."""
        now = self._clock()
        if not self.stream_up and self._down_since is not None:
            self.live.taint(self._down_since, now)
        if self.backfilled.is_set():
            stored = self.live.close_due(now)
            if stored:
                self.metrics.candles.labels(source="stream").inc(len(stored))
            self._start_repairs(now)
        if (
            not self.stream_up
            and now - self._last_poll >= self.settings.poll_interval_s
            and (self._poller is None or self._poller.done())
        ):
            self._last_poll = now
            self._poller = asyncio.create_task(self._poll_quotes(), name="quote-poll")
        self._export_ages(now)
        self.reports.report()

    def _start_repairs(self, now: float) -> None:
        for product_id, builder in self.live.builders.items():
            if product_id in self._repairing or product_id in self.unfollowed:
                continue
            span = builder.repair_range(now)
            if span is not None:
                self._repairing[product_id] = asyncio.create_task(
                    self._repair(product_id, *span), name=f"candle-repair-{product_id}"
                )

    async def _repair(self, product_id: str, lo: int, hi: int) -> None:
        try:
            fetched = await self._repair_fetch(product_id, lo, hi)
            if fetched is None:
                return
            candles, outcome = fetched
            candles = await self.gaps.settle(product_id, hi, candles, self.exchange.candles)
        finally:
            self._repairing.pop(product_id, None)
        self._repair_failures.pop(product_id, None)
        self.metrics.repairs.labels(outcome=outcome).inc()
        closed = self.live.builders[product_id].apply_repair(lo, hi, candles, self._clock())
        stored = self.live.store_all(closed)
        self.metrics.candles.labels(source="rest").inc(stored)

    async def _repair_fetch(
        self, product_id: str, lo: int, hi: int
    ) -> tuple[list[Candle], str] | None:
        """The venue's candles of [lo, hi) and the outcome; None: failed, tried again later."""
        try:
            return await self.exchange.candles(product_id, lo, hi), "repaired"
        except ExchangeError as exc:
            failures = self._repair_failures.get(product_id, 0) + 1
            self._repair_failures[product_id] = failures
            log.warning(
                "candle_repair_failed",
                product=product_id,
                start=lo,
                end=hi,
                attempt=failures,
                error=str(exc),
            )
            if failures < self.settings.repair_attempts:
                self.metrics.repairs.labels(outcome="failed").inc()
                return None
            log.error("candle_repair_given_up", product=product_id, start=lo, end=hi)
            return [], "given_up"

    async def _poll_quotes(self) -> None:
        try:
            quotes = await self.exchange.best_bid_ask(self.followed())
        except ExchangeError as exc:
            self.metrics.polls.labels(outcome="error").inc()
            log.warning("quote_poll_failed", error=str(exc))
            return
        now = self._clock()
        for quote in quotes.values():
            self.live.quotes.set(quote, now)
        self.metrics.polls.labels(outcome="ok").inc()

    def _export_ages(self, now: float) -> None:
        for product_id in self.followed():
            self.metrics.age.labels(product=product_id).set(self.data_age(product_id, now))
