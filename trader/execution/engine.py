"""The execution engine (X-1): one exchange order per intent, under any fault.

1. `place` builds the request, derives the client order id from the intent id, serializes
   the body once and commits the intent (with those bytes) as SUBMITTING in one durable
   write — before the request leaves (or as CANCELLED, unsent, when the send gate refuses).
   A SELL is committed only when the exit guard allows it, read in that same database
   call (`exit_guard`: one exit in flight per position, never larger than the position);
   a refused one is recorded as CANCELLED, unsent.
2. It then sends. Only a definite answer moves the intent on: accepted → OPEN, a first
   request refused → REJECTED. Timeouts, 5xx, lost connections leave it SUBMITTING.
3. `resolve_pending` resends the byte-identical body of every SUBMITTING intent (the venue
   returns the original order for a known client id), or the user channel reports the
   order first. A restart runs the same resolution: NEW intents were never sent and are
   closed; SUBMITTING ones are resent.
4. Only proof ends an unknown outcome (X-7). A resend answered "accepted" is proof. A
   resend answered with a rejection (4xx, `success:false`) says only that *this* request
   made no order — the first one may have. The intent then waits, unsent, until a lookup
   by client id in the product's order list, made at least `absence_proof_s` after the
   last send, finds the order (adopted) or does not (REJECTED: it never existed). 429, 5xx,
   timeouts and network errors prove nothing and are resent.

The resend backoff and the absence window are measured on the monotonic clock: a wall
clock step neither ends the venue's window early nor holds the resends for its length.
"""

from __future__ import annotations

import math
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Final

import orjson
import structlog

from trader.core.clock import Clock
from trader.core.orders import OrderRequest, RejectCause
from trader.core.types import Mode
from trader.exchange.coinbase.orders import order_configuration
from trader.exchange.errors import ExchangeError
from trader.exchange.interface import OrderEntry
from trader.exchange.models import CreateOrderResult, Order, OrderAccepted, OrderRejected
from trader.execution import exit_guard, store
from trader.execution.drafts import OrderDraft, log_intent
from trader.execution.ids import OrderIds
from trader.execution.intents import AT_THE_VENUE, Intent, IntentState, Purpose
from trader.execution.metrics import ExecutionMetrics
from trader.state.db import Database

log = structlog.get_logger("trader.execution")

SendGate = Callable[[Purpose], str | None]  # why an intent may not be sent now, or None
OrderFound = Callable[[Order], Awaitable[None]]
LOOKUP_SLACK_S: Final = 60.0  # the order list is read from this long before the intent was made


DUPLICATE: Final = RejectCause.DUPLICATE_CLIENT_ID


def rejection_text(result: OrderRejected) -> str:
    """An intent's `reject_reason`: the cause in the daemon's words (what the order manager
    acts on), then the venue's own reason and message."""
    return f"{result.cause.value}: {result.reason}: {result.message}"


class ExecutionEngine:
    def __init__(
        self,
        db: Database,
        exchange: OrderEntry,
        ids: OrderIds,
        metrics: ExecutionMetrics,
        *,
        mode: str,
        send_gate: SendGate,
        clock: Clock,
        timer: Clock = time.monotonic,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        resend_after_s: float = 1.0,
        resend_max_backoff_s: float = 15.0,
        absence_proof_s: float = 15.0,
    ) -> None:
        self.db = db
        self.exchange = exchange
        self.ids = ids
        self.metrics = metrics
        self.mode = mode
        self._send_gate = send_gate
        self._clock = clock
        self._timer = timer  # durations: the resend backoff, the absence window
        self._new_id = new_id
        self._resend_after = resend_after_s
        self._resend_max = resend_max_backoff_s
        self._absence_proof_s = absence_proof_s
        self._last_attempt: dict[str, float] = {}  # intent id → `timer` at its last send
        self._unproven: dict[str, str] = {}  # intent id → the rejection a resend got
        self.order_found: list[OrderFound] = []  # told of every order a lookup finds
        # told of the product of every order refused by the product's rules (EX-4)
        self.rules_refused: list[Callable[[str], None]] = []

    # -- new orders --------------------------------------------------------------------
    def build(
        self,
        draft: OrderDraft,
        *,
        state: IntentState = IntentState.NEW,
        attempts: int = 0,
        reject_reason: str | None = None,
    ) -> Intent:
        intent_id = self._new_id()
        client_id = self.ids.client_order_id(intent_id)
        request = OrderRequest(
            client_order_id=client_id,
            product_id=draft.product_id,
            side=draft.side,
            kind=draft.kind,
            base_size=draft.base_size,
            quote_size=draft.quote_size,
            limit_price=draft.limit_price,
            post_only=draft.post_only,
            end_time=draft.end_time,
        )
        return Intent(
            intent_id=intent_id,
            client_order_id=client_id,
            mode=self.mode,
            purpose=draft.purpose,
            product_id=draft.product_id,
            side=draft.side,
            order_configuration=orjson.dumps(order_configuration(request)).decode(),
            request_body=self.exchange.serialize_order(request),
            base_size=draft.base_size,
            quote_size=draft.quote_size,
            limit_price=draft.limit_price,
            state=state,
            created_at=self._clock(),
            cycle_id=draft.cycle_id,
            proposal_id=draft.proposal_id,
            parent_intent_id=draft.parent_intent_id,
            expires_at=draft.end_time,
            reason=draft.reason,
            strategy=draft.strategy,
            attempts=attempts,
            reject_reason=reject_reason,
        )

    async def place(self, draft: OrderDraft) -> Intent:
        """Decide and send at once: the intent is committed directly as SUBMITTING (one
        durable write, still before the request leaves), or as CANCELLED when the send
        gate or the exit guard refuses — so every decision leaves its row. DRY_RUN stops
        at the gate: the intent, with the very bytes LIVE would send, is DRY (OPS-2)."""
        refusal = self._send_gate(draft.purpose)
        if refusal is not None:
            return await self._not_sent(draft, refusal)
        now = self._clock()
        dry = self.mode == Mode.DRY_RUN.value
        state, submitted_at = (IntentState.DRY, None) if dry else (IntentState.SUBMITTING, now)
        intent = self.build(draft, state=state, attempts=0 if dry else 1)
        guarded = await self.db.run(
            lambda conn: exit_guard.commit(conn, intent, draft, submitted_at)
        )
        if guarded is not None:
            return await self._not_sent(draft, guarded)
        log_intent(intent, draft)
        if dry:
            return intent
        self.metrics.order_moved("SUBMITTING")
        await self._send(intent)
        return await self._reload(intent)

    async def _not_sent(self, draft: OrderDraft, refusal: str) -> Intent:
        """Refused by the send gate or the exit guard: recorded as CANCELLED, unsent."""
        why = f"not sent: {refusal}"
        intent = self.build(draft, state=IntentState.CANCELLED, reject_reason=why)
        await self.db.run(lambda conn: store.insert_intent(conn, intent))
        log.warning(
            "intent_not_sent",
            intent_id=intent.intent_id,
            product_id=draft.product_id,
            purpose=draft.purpose.value,
            reason=refusal,
        )
        return intent

    async def _send(self, intent: Intent, *, resend: bool = False) -> CreateOrderResult:
        self._last_attempt[intent.intent_id] = self._timer()
        started = time.perf_counter()
        result = await self.exchange.create_order_raw(intent.request_body)
        self.metrics.roundtrip.observe(time.perf_counter() - started)
        await self.apply_create_result(intent, result, resend=resend)
        return result

    # -- answers -----------------------------------------------------------------------
    async def apply_create_result(
        self, intent: Intent, result: CreateOrderResult, *, resend: bool = False
    ) -> None:
        """`resend`: an earlier request for this client id may have made the order, so a
        rejection proves nothing about it (X-7)."""
        now = self._clock()
        if isinstance(result, OrderAccepted):
            self._unproven.pop(intent.intent_id, None)
            await self._accepted(intent, result, now)
        elif isinstance(result, OrderRejected) and resend:
            await self._rejected_resend(intent, result, now)
        elif isinstance(result, OrderRejected) and result.cause is not DUPLICATE:
            await self._reject(intent, rejection_text(result), now)
            log.warning(
                "order_rejected",
                intent_id=intent.intent_id,
                reason=result.reason,
                message=result.message,
                product_id=intent.product_id,
            )
            if result.cause is RejectCause.PRODUCT_RULES:
                for listener in self.rules_refused:
                    listener(intent.product_id)
        elif isinstance(result, OrderRejected):
            await self._find_duplicate(intent)
        else:
            cause = result.cause
            await self.db.run(
                lambda conn: store.note_outcome_unknown(conn, intent.intent_id, cause, now)
            )
            log.warning(
                "order_outcome_unknown",
                intent_id=intent.intent_id,
                cause=cause,
                client_order_id=intent.client_order_id,
            )

    async def _reject(self, intent: Intent, reason: str, now: float) -> None:
        """REJECTED, only where proven: a first request refused, or a lookup that shows
        the order absent (X-7)."""
        if await self.db.run(
            lambda conn: store.move(
                conn, intent.intent_id, IntentState.REJECTED, now, reject_reason=reason[:500]
            )
        ):
            self.metrics.order_moved("REJECTED")

    async def _accepted(self, intent: Intent, result: OrderAccepted, now: float) -> None:
        if result.client_order_id and result.client_order_id != intent.client_order_id:
            raise RuntimeError(
                f"venue answered intent {intent.intent_id} with order {result.order_id} "
                f"of client id {result.client_order_id}; expected {intent.client_order_id}"
            )
        order_id = result.order_id

        def apply(conn: sqlite3.Connection) -> bool:
            moved = store.move(
                conn, intent.intent_id, IntentState.OPEN, now, exchange_order_id=order_id
            )
            if not moved:
                store.update_fields(conn, intent.intent_id, now, exchange_order_id=order_id)
            return moved

        if await self.db.run(apply):
            self.metrics.order_moved("OPEN")
        log.info(
            "order_accepted",
            intent_id=intent.intent_id,
            order_id=order_id,
            product_id=intent.product_id,
            side=intent.side.value,
            base_size=None if intent.base_size is None else str(intent.base_size),
            limit_price=None if intent.limit_price is None else str(intent.limit_price),
        )

    async def _rejected_resend(self, intent: Intent, result: OrderRejected, now: float) -> None:
        """A resend refused: this request made no order, the first may have. Stop sending
        and prove it either way by a lookup once the venue's window has passed. (A refusal
        as a duplicate says the order exists: it is looked up now and resent until found.)"""
        if result.cause is DUPLICATE:
            await self._find_duplicate(intent)
            return
        answer = f"{result.reason}: {result.message}"[:300]
        self._unproven[intent.intent_id] = answer
        await self.db.run(
            lambda conn: store.update_fields(
                conn, intent.intent_id, now, last_error=f"resend answered {answer}"
            )
        )
        log.warning(
            "order_resend_rejected_unproven",
            intent_id=intent.intent_id,
            client_order_id=intent.client_order_id,
            reason=result.reason,
            http_status=result.http_status,
            lookup_in_s=self._absence_proof_s,
        )

    async def _lookup(self, intent: Intent) -> Order | None:
        """The venue's order for this intent's client id, from the product's order list
        (the venue has no client-id filter); None when the list does not hold it."""
        since = intent.created_at - LOOKUP_SLACK_S
        orders = await self.exchange.list_orders(product_ids=[intent.product_id], start=since)
        return next((o for o in orders if o.client_order_id == intent.client_order_id), None)

    async def _adopt_found(self, intent: Intent, order: Order) -> None:
        self._unproven.pop(intent.intent_id, None)
        accepted = OrderAccepted(order.order_id, order.client_order_id, order.product_id)
        await self._accepted(intent, accepted, self._clock())
        for listener in self.order_found:
            await listener(order)

    async def _find_duplicate(self, intent: Intent) -> None:
        """The venue says the client id exists: find that order among recent ones (X-1).
        Not found (or the list unreadable): the intent stays SUBMITTING and is resent."""
        try:
            match = await self._lookup(intent)
        except ExchangeError as exc:
            log.warning("order_lookup_failed", intent_id=intent.intent_id, error=str(exc))
            return
        if match is None:
            log.error(
                "duplicate_client_id_not_found",
                intent_id=intent.intent_id,
                client_order_id=intent.client_order_id,
            )
            return
        await self._adopt_found(intent, match)

    async def _prove(self, intent: Intent) -> None:
        """X-7: the order list, read `absence_proof_s` after the last send, settles an
        intent whose resend was refused: the order is there (adopted) or never existed."""
        try:
            match = await self._lookup(intent)
        except ExchangeError as exc:
            log.warning("order_lookup_failed", intent_id=intent.intent_id, error=str(exc))
            return
        if match is not None:
            log.warning(
                "order_found_by_lookup", intent_id=intent.intent_id, order_id=match.order_id
            )
            await self._adopt_found(intent, match)
            return
        answer = self._unproven.pop(intent.intent_id, "")
        reason = f"absent at the venue {self._absence_proof_s:g} s after the last send; {answer}"
        await self._reject(intent, reason, self._clock())
        log.warning(
            "order_absence_proven",
            intent_id=intent.intent_id,
            client_order_id=intent.client_order_id,
            attempts=intent.attempts,
        )

    # -- unknown outcomes --------------------------------------------------------------
    async def resolve_pending(self, *, force: bool = False) -> int:
        """Resend every SUBMITTING intent whose backoff has passed; return how many are left."""
        pending = await self.db.run(lambda conn: store.intents_in(conn, (IntentState.SUBMITTING,)))
        for intent in pending:
            since_sent = self._since_sent(intent.intent_id)
            if intent.intent_id in self._unproven:
                if since_sent >= self._absence_proof_s:
                    await self._prove(intent)
            elif force or since_sent >= self._backoff(intent):
                await self._resend(intent)
        left = await self.db.run(lambda conn: store.intents_in(conn, (IntentState.SUBMITTING,)))
        self._forget_settled({intent.intent_id for intent in left})
        self._export_unknown(left)
        at_venue = await self.db.run(lambda conn: store.count_open_orders(conn, AT_THE_VENUE))
        self.metrics.open_orders.set(at_venue)
        return len(left)

    def _since_sent(self, intent_id: str) -> float:
        """Seconds since this process last sent the intent (never: infinite, it is due)."""
        sent = self._last_attempt.get(intent_id)
        return math.inf if sent is None else self._timer() - sent

    def _forget_settled(self, pending: set[str]) -> None:
        """Drop what is kept for intents no longer SUBMITTING (a send in flight keeps its
        stamp: it may not be in the list read before its row was written)."""
        horizon = self._timer() - 4 * self._resend_max
        for intent_id in [i for i in self._unproven if i not in pending]:
            del self._unproven[intent_id]
        for intent_id, sent in list(self._last_attempt.items()):
            if intent_id not in pending and sent < horizon:
                del self._last_attempt[intent_id]

    def _backoff(self, intent: Intent) -> float:
        """Seconds before the next resend: doubling from `resend_after_s`, capped."""
        doubled: float = self._resend_after * 2 ** max(0, intent.attempts - 1)
        return min(self._resend_max, doubled)

    async def _resend(self, intent: Intent) -> None:
        now = self._clock()
        await self.db.run(lambda conn: store.count_attempt(conn, intent.intent_id, now))
        self.metrics.resends.inc()
        log.info("order_resend", intent_id=intent.intent_id, attempt=intent.attempts + 1)
        await self._send(intent, resend=True)

    async def close_unsent(self) -> int:
        """At start: NEW intents were committed but never sent (the SUBMITTING commit comes
        first), so they are closed, never sent late (ST-2)."""
        unsent = await self.db.run(lambda conn: store.intents_in(conn, (IntentState.NEW,)))
        now = self._clock()
        ids = [intent.intent_id for intent in unsent]

        def close(conn: sqlite3.Connection) -> None:
            for intent_id in ids:
                store.move(
                    conn,
                    intent_id,
                    IntentState.CANCELLED,
                    now,
                    reject_reason="never sent (restart)",
                )

        await self.db.run(close)
        return len(unsent)

    def _export_unknown(self, pending: list[Intent]) -> None:
        self.metrics.intents_unknown.set(len(pending))
        oldest = min((i.created_at for i in pending), default=None)
        self.metrics.intents_unknown_age.set(0 if oldest is None else self._clock() - oldest)

    async def _reload(self, intent: Intent) -> Intent:
        fresh = await self.db.run(lambda conn: store.get_intent(conn, intent.intent_id))
        assert fresh is not None
        return fresh
