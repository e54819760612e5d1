"""Order manager (X-2): maker-first entries, bounded reprices, taker exits.

An entry is a post-only limit at the touch, sent as GTD with `end_time = now + ttl`, so the
venue itself expires it — even one created late by a resend after an unknown outcome.
When it expires (or is still working past its deadline, and is then cancelled) with size
left, it is repriced at the new touch as a new intent (purpose `reprice`, parent linked;
the old one's fills are kept) up to `max_reprices` times, then optionally sent as an IOC
limit with a slippage cap. A post-only rejection reprices at once (no blind retry). Exits
are IOC limits at the touch minus a slippage cap: they take liquidity, bounded.
Timers are deadlines checked by `tick()`, never sleeps inside the cycle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import structlog

from trader.core.clock import Clock
from trader.core.orders import OrderKind, RejectCause
from trader.core.products import (
    notional_problem,
    quantize_price,
    quantize_size,
    size_problem,
    status_problem,
)
from trader.core.types import ProductRules, Quote, Side
from trader.execution.drafts import OrderDraft
from trader.execution.engine import ExecutionEngine
from trader.execution.intents import TERMINAL, Intent, IntentState, Purpose
from trader.execution.store import get_intent
from trader.execution.working import WorkingEntry

log = structlog.get_logger("trader.orders")

POST_ONLY_CROSS: Final = RejectCause.POST_ONLY_WOULD_CROSS.value  # how its reject_reason starts
BPS: Final = Decimal(10000)


@dataclass(frozen=True, slots=True)
class ExecutionPolicy:
    entry_ttl_s: float = 30.0
    max_reprices: int = 2
    taker_fallback: bool = False
    taker_slippage_bps: Decimal = Decimal(20)
    exit_slippage_bps: Decimal = Decimal(50)
    cancel_grace_s: float = 5.0


@dataclass(frozen=True, slots=True)
class NotSent:
    """An IOC the manager did not send, and why. `by_rules`: the product's rules and
    flags make it unfillable or unsendable as sized and priced (it counts as a refusal);
    otherwise nothing is known yet (no quote, an unknown product)."""

    problem: str
    by_rules: bool


class OrderManager:
    def __init__(
        self,
        engine: ExecutionEngine,
        quote: Callable[[str], Quote | None],
        rules: Callable[[str], ProductRules | None],
        policy: ExecutionPolicy,
        cancel_one: Callable[[str], Awaitable[object]],
        refresh: Callable[[str], Awaitable[None]],
        clock: Clock,
        venue_clock: Callable[[], float] | None = None,
    ) -> None:
        """`venue_clock`: the venue's time (the local clock corrected by the measured
        offset), for the GTD `end_time` the venue judges; deadlines use `clock`."""
        self.engine = engine
        self._quote = quote
        self._rules = rules
        self.policy = policy
        self._cancel_one = cancel_one
        self._refresh = refresh
        self._clock = clock
        self._venue_clock = venue_clock or clock
        self.working: dict[str, WorkingEntry] = {}
        # each working intent as last read, with the database's write count before that
        # read: while no call has written the file since, the stored intent is the same
        self._read: dict[str, tuple[int, Intent]] = {}

    async def enter(
        self,
        product_id: str,
        side: Side,
        base_size: Decimal,
        *,
        proposal_id: str | None = None,
        cycle_id: str | None = None,
        strategy: str | None = None,
    ) -> Intent | None:
        entry = WorkingEntry(
            "", product_id, side, base_size, Decimal(0), 0, 0.0, proposal_id, cycle_id, strategy
        )
        return await self._post(entry, Purpose.ENTRY, parent=None)

    async def _post(
        self, entry: WorkingEntry, purpose: Purpose, parent: str | None
    ) -> Intent | None:
        quote, rules = self._quote(entry.product_id), self._rules(entry.product_id)
        remaining = (
            quantize_size(entry.wanted - entry.filled_before, rules) if rules else Decimal(0)
        )
        problem = post_problem(quote, rules, remaining, is_market=False, post_only=True)
        if problem is not None:
            log.warning(
                "entry_not_posted",
                product_id=entry.product_id,
                remaining=str(remaining),
                reason=problem,
            )
            return None
        assert quote is not None and rules is not None
        touch = quote.bid if entry.side is Side.BUY else quote.ask
        now = self._clock()
        draft = OrderDraft(
            product_id=entry.product_id,
            side=entry.side,
            kind=OrderKind.LIMIT_GTD,
            purpose=purpose,
            base_size=remaining,
            limit_price=quantize_price(touch, entry.side, rules),
            post_only=True,
            # whole seconds (RFC 3339), on the venue's clock: a local clock stepped back or
            # ahead must not send an end_time in the venue's past, or one far beyond the TTL
            end_time=int(self._venue_clock() + self.policy.entry_ttl_s) + 1.0,
            cycle_id=entry.cycle_id,
            proposal_id=entry.proposal_id,
            parent_intent_id=parent,
            strategy=entry.strategy,
        )
        intent = await self.engine.place(draft)
        working = entry.moved(
            intent_id=intent.intent_id,
            deadline=now + self.policy.entry_ttl_s + self.policy.cancel_grace_s,
        )
        if intent.state is IntentState.REJECTED and (intent.reject_reason or "").startswith(
            POST_ONLY_CROSS
        ):
            return await self._reprice(working, intent)
        if intent.state not in TERMINAL:
            self.working[intent.intent_id] = working
        return intent

    async def tick(self) -> None:
        """Advance every working entry whose intent finished or whose deadline passed."""
        now = self._clock()
        for intent_id, entry in list(self.working.items()):
            intent = await self._load(intent_id)
            if intent is None:
                self._forget(intent_id)
            elif intent.state in TERMINAL:
                self._forget(intent_id)
                await self._finished(entry, intent)
            elif now > entry.deadline and intent.exchange_order_id:
                await self._settle_overdue(intent_id, intent.exchange_order_id)

    async def _load(self, intent_id: str) -> Intent | None:
        """The stored intent; read again only after a call that wrote the state file
        (intents are written through this connection alone: one instance, OPS-1)."""
        db = self.engine.db
        writes = db.writes
        read = self._read.get(intent_id)
        if read is not None and read[0] == writes:
            return read[1]
        intent = await db.run(lambda conn: get_intent(conn, intent_id))
        if intent is not None and intent_id in self.working:
            self._read[intent_id] = (writes, intent)
        return intent

    def _forget(self, intent_id: str) -> None:
        self.working.pop(intent_id, None)
        self._read.pop(intent_id, None)

    async def _settle_overdue(self, intent_id: str, order_id: str) -> None:
        """Past its deadline: ask the venue (the user stream may be down); cancel only an
        order that is still working, then ask again so the next tick sees the outcome."""
        await self._refresh(order_id)
        intent = await self._load(intent_id)
        if intent is not None and intent.state not in TERMINAL:
            log.warning("entry_past_deadline_cancelling", intent_id=intent_id, order_id=order_id)
            await self._cancel_one(order_id)
            await self._refresh(order_id)

    async def _finished(self, entry: WorkingEntry, intent: Intent) -> None:
        filled = entry.filled_before + intent.filled_size
        if filled >= entry.wanted or intent.state is IntentState.FILLED:
            log.info("entry_done", product_id=entry.product_id, filled=str(filled))
            return
        if intent.state in (IntentState.EXPIRED, IntentState.CANCELLED, IntentState.REJECTED):
            await self._reprice(entry.moved(filled_before=filled), intent)

    async def _reprice(self, entry: WorkingEntry, previous: Intent) -> Intent | None:
        if entry.reprices < self.policy.max_reprices:
            nxt = entry.moved(reprices=entry.reprices + 1)
            return await self._post(nxt, Purpose.REPRICE, parent=previous.intent_id)
        if self.policy.taker_fallback:
            return await self._take(entry, previous.intent_id)
        log.info(
            "entry_abandoned",
            product_id=entry.product_id,
            reprices=entry.reprices,
            filled=str(entry.filled_before),
        )
        return None

    async def _take(self, entry: WorkingEntry, parent: str) -> Intent | None:
        taken = await self._ioc(
            entry.product_id,
            entry.side,
            entry.wanted - entry.filled_before,
            self.policy.taker_slippage_bps,
            Purpose.REPRICE,
            parent,
            entry.proposal_id,
            entry.cycle_id,
            strategy=entry.strategy,
        )
        return taken if isinstance(taken, Intent) else None

    async def exit(
        self,
        product_id: str,
        base_size: Decimal,
        *,
        purpose: Purpose = Purpose.EXIT,
        cycle_id: str | None = None,
        reason: str | None = None,
        slippage_bps: Decimal | None = None,
        strategy: str | None = None,
    ) -> Intent | NotSent:
        """Sell `base_size` now, no worse than the bid minus the slippage cap (the exit cap
        unless given, e.g. the kill switch's flatten cap); `NotSent` when it cannot be."""
        return await self._ioc(
            product_id,
            Side.SELL,
            base_size,
            self.policy.exit_slippage_bps if slippage_bps is None else slippage_bps,
            purpose,
            None,
            None,
            cycle_id,
            reason,
            strategy=strategy,
        )

    async def _ioc(
        self,
        product_id: str,
        side: Side,
        size: Decimal,
        slippage_bps: Decimal,
        purpose: Purpose,
        parent: str | None,
        proposal_id: str | None,
        cycle_id: str | None,
        reason: str | None = None,
        *,
        strategy: str | None = None,
    ) -> Intent | NotSent:
        quote, rules = self._quote(product_id), self._rules(product_id)
        if quote is None or rules is None:
            return _not_sent(
                product_id,
                purpose,
                size,
                "no quote" if quote is None else "unknown product",
                by_rules=False,
            )
        size = quantize_size(size, rules)
        bound = slippage_bps / BPS
        cap = quote.ask * (1 + bound) if side is Side.BUY else quote.bid * (1 - bound)
        # the cap must stay a cap: round away from aggression (BUY down, SELL up)
        limit = quantize_price(cap, side, rules)
        problem = (
            status_problem(rules, is_market=False, post_only=False)
            or size_problem(size, rules)
            or ioc_price_problem(limit, quote, side, rules)
            or notional_problem(size * limit, rules)
        )
        if problem is not None:
            return _not_sent(product_id, purpose, size, problem, by_rules=True)
        draft = OrderDraft(
            product_id=product_id,
            side=side,
            kind=OrderKind.SOR_LIMIT_IOC,
            purpose=purpose,
            base_size=size,
            limit_price=limit,
            cycle_id=cycle_id,
            proposal_id=proposal_id,
            parent_intent_id=parent,
            reason=reason,
            strategy=strategy,
        )
        return await self.engine.place(draft)


def _not_sent(
    product_id: str, purpose: Purpose, size: Decimal, problem: str, *, by_rules: bool
) -> NotSent:
    log.error(
        "ioc_not_sent", product_id=product_id, purpose=purpose.value, size=str(size), reason=problem
    )
    return NotSent(problem, by_rules)


def ioc_price_problem(limit: Decimal, quote: Quote, side: Side, rules: ProductRules) -> str | None:
    """Why an IOC limit on the product's price grid cannot fill within its cap, or None: it
    rounds to zero, or no grid price lies between the cap and the touch (a SELL's limit
    above the bid, a BUY's below the ask: nothing on the book can take it)."""
    grid = rules.quote_increment
    if limit <= 0:
        return f"limit price rounds to {limit} on quote_increment {grid}"
    if side is Side.SELL and limit > quote.bid:
        return f"limit {limit} on quote_increment {grid} is above the bid {quote.bid}: unfillable"
    if side is Side.BUY and limit < quote.ask:
        return f"limit {limit} on quote_increment {grid} is below the ask {quote.ask}: unfillable"
    return None


def post_problem(
    quote: Quote | None,
    rules: ProductRules | None,
    size: Decimal,
    *,
    is_market: bool,
    post_only: bool,
) -> str | None:
    """Why an order cannot be sent now (EX-4: product rules and status flags, shared with
    risk and the venue), or None."""
    if quote is None:
        return "no quote"
    if rules is None:
        return "unknown product"
    return status_problem(rules, is_market=is_market, post_only=post_only) or size_problem(
        size, rules
    )
