"""Own orders the user channel has gone quiet about (EX-2, X-4, X-5).

A user channel can stay connected — heartbeats and sequence numbers intact — and still
deliver no order events. An own order working at the venue (OPEN or PARTIALLY_FILLED in
the database) that has had no user-channel event for `execution.user_channel_silence_s`
is read over REST (`get_order`, the single-order status) and what the venue says goes
through the tracker, the very path of a user-channel event (its fills are then synced
from the fills endpoint, X-4). An order read unchanged is asked again after twice the
wait before, up to `MAX_WAIT_FACTOR` times the bound (while the channel is known behind:
after the bound) — a resting order costs a few reads.
At most `READS_PER_PASS` orders are read per pass, a pass a second (the venue's private
REST limit is far above).

A read that finds a change the channel did not deliver is a missed event: counted
(`trader_user_channel_missed_events_total`), logged once per episode
(`user_channel_behind`), the user channel reconnected, and the daemon reports the channel
behind (`/readyz`) until the episode ends (`user_channel_caught_up`, with how): the
channel delivers an order event again, or it has proved itself without one — reopened
after the change was found, subscribed and never dropped since, for the silence bound
after its subscription and after the last change found over REST, with every order
working now read back unchanged (or heard) since then. With no working order that last
condition holds at once. A failed read proves nothing: its order counts as not read back.
The paper venue delivers its events synchronously: it is never watched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

import structlog

from trader.exchange.errors import ExchangeError
from trader.exchange.interface import Exchange
from trader.exchange.models import Order
from trader.execution.tracker import OrderTracker
from trader.ops.metrics import Metrics
from trader.state.db import Database
from trader.state.orders import working_progress

log = structlog.get_logger("trader.execution")

PASS_S = 1.0
READS_PER_PASS = 5
MAX_WAIT_FACTOR = 4


class WatchMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.reads = metrics.counter(
            "trader_user_channel_order_reads",
            "own working orders read over REST after user-channel silence",
        )
        self.missed = metrics.counter(
            "trader_user_channel_missed_events",
            "order changes found over REST that the user channel did not deliver",
        )


@dataclass(slots=True)
class _Watched:
    """When the channel (or a read) last told us about the order, and the wait from then;
    `confirmed`: whether that was word of the order (False: first seen, or a read failed)."""

    since: float
    wait_s: float
    confirmed: bool = True


class SilentOrderWatch:
    def __init__(
        self,
        db: Database,
        exchange: Exchange,
        tracker: OrderTracker,
        metrics: Metrics,
        silence_s: float,
        reconnect: Callable[[], None],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.exchange = exchange
        self.tracker = tracker
        self.metrics = metrics.shared(WatchMetrics)
        self.silence_s = silence_s
        self.reconnect = reconnect
        self._now = monotonic
        self._watched: dict[str, _Watched] = {}
        self._behind_since: float | None = None
        self._up_since: float | None = None  # the channel subscribed and not dropped since
        self._last_missed: float | None = None
        self._read_error: str | None = None

    @property
    def behind(self) -> bool:
        return self._behind_since is not None

    def problems(self) -> list[str]:
        if self._behind_since is None:
            return []
        return ["user channel behind: order changes found over REST that it did not deliver"]

    def heard(self, order_id: str) -> None:
        """A user-channel event for `order_id` (the channel is delivering again)."""
        self._watched[order_id] = _Watched(self._now(), self.silence_s)
        if self._behind_since is not None:
            log.info(
                "user_channel_caught_up",
                behind_s=round(self._now() - self._behind_since, 1),
                how="an order event delivered",
            )
            self._behind_since = None

    def stream_state(self, state: str) -> None:
        """The user channel's lifecycle: `up` (subscribed), `down`, `resync` (a gap: its
        snapshots follow, so the proof starts again)."""
        if state == "up" or (state == "resync" and self._up_since is not None):
            self._up_since = self._now()
        elif state == "down":
            self._up_since = None

    async def keep_watching(self) -> None:
        while True:
            await asyncio.sleep(PASS_S)
            await self.check_once()

    async def check_once(self) -> int:
        """One pass: read the quiet working orders past their wait; returns the reads."""
        started = self._now()
        working = await self.db.run(working_progress)
        for gone in set(self._watched) - set(working):
            del self._watched[gone]
        due: list[tuple[float, str]] = []
        for order_id in working:
            watched = self._watched.setdefault(
                order_id, _Watched(started, self.silence_s, confirmed=False)
            )
            if started - watched.since >= watched.wait_s:
                due.append((watched.since, order_id))
        due.sort()
        for _, order_id in due[:READS_PER_PASS]:
            await self._read(order_id, working[order_id], started)
        self._catch_up(working)
        return min(len(due), READS_PER_PASS)

    def _catch_up(self, working: Iterable[str]) -> None:
        """End the episode when the reopened channel has proved itself (module doc)."""
        if self._behind_since is None or self._up_since is None:
            return
        if self._up_since < self._behind_since:
            return  # not reopened since the change was found
        quiet_since = max(self._up_since, self._last_missed or self._up_since)
        now = self._now()
        if now - quiet_since < self.silence_s:
            return
        orders = list(working)
        for order_id in orders:
            watched = self._watched.get(order_id)
            if watched is None or not watched.confirmed or watched.since < quiet_since:
                return
        log.info(
            "user_channel_caught_up",
            behind_s=round(now - self._behind_since, 1),
            how="no change missed since the channel reopened",
            quiet_s=round(now - quiet_since, 1),
            working_read_back=len(orders),
        )
        self._behind_since = None

    async def _read(self, order_id: str, known_filled: Decimal, started: float) -> None:
        try:
            order = await self.exchange.get_order(order_id)
        except ExchangeError as exc:
            self._read_failed(order_id, str(exc))
            return
        if self._read_error is not None:
            log.info("silent_order_reads_work_again", after_error=self._read_error)
            self._read_error = None
        self.metrics.reads.inc()
        watched = self._watched.get(order_id)
        if watched is not None and watched.since > started:
            return  # the channel spoke meanwhile: its event is the newer word
        if order.status != "OPEN" or order.filled_size != known_filled:
            if await self._still_as_known(order_id, known_filled):
                self._missed(order, known_filled)
        else:
            self._watched[order_id] = _Watched(self._now(), self._next_wait(watched))
        await self.tracker.on_order(order)

    async def _still_as_known(self, order_id: str, known_filled: Decimal) -> bool:
        """Whether the database still holds the order as the pass read it (another path —
        a cancel's own read, a reconcile — may have applied the change meanwhile)."""
        working = await self.db.run(working_progress)
        return working.get(order_id) == known_filled

    def _read_failed(self, order_id: str, error: str) -> None:
        """Asked again after the bound; said once until a read works again."""
        self._watched[order_id] = _Watched(self._now(), self.silence_s, confirmed=False)
        if self._read_error is None:
            log.warning("silent_order_read_failed", order_id=order_id, error=error[:300])
        self._read_error = error[:300]

    def _next_wait(self, watched: _Watched | None) -> float:
        """Twice the last wait, up to the cap; the bound itself while the channel is behind."""
        if watched is None or self._behind_since is not None:
            return self.silence_s
        return min(watched.wait_s * 2, self.silence_s * MAX_WAIT_FACTOR)

    def _missed(self, order: Order, known_filled: Decimal) -> None:
        self.metrics.missed.inc()
        self._watched[order.order_id] = _Watched(self._now(), self.silence_s)
        self._last_missed = self._now()
        if self._behind_since is not None:
            return
        self._behind_since = self._now()
        log.warning(
            "user_channel_behind",
            order_id=order.order_id,
            product_id=order.product_id,
            venue_status=order.status,
            venue_filled=str(order.filled_size),
            known_filled=str(known_filled),
            silence_s=self.silence_s,
        )
        self.reconnect()
