"""Refused exits are retried with backoff, and a position whose exit keeps being refused is
the operator's to look at (EX-4, R-2).

An exit the venue refuses is not sent again at the next exit check (once a second): the
product waits `BACKOFF_FIRST_S`, doubling with each refusal in a row up to `BACKOFF_CAP_S`.
Two more outcomes count as refusals: an exit the product's rules make unfillable or
unsendable as sized and priced (not sent at all: `NotSent.by_rules`), and an IOC exit the
venue took but cancelled (or expired) without a fill, learned at the product's next exit
check. A fill of the product's exit ends its refusals.
After `ALERT_AFTER` refusals in a row trading moves to REDUCING with reason
`exit_rejected` (no new entries; exits go on trying, until `trader resume`), and `/readyz`
names the product until one of its exits fills (or none has been tried for
`BACKOFF_CAP_S` past its backoff: no exit is due any more). Every refusal of an exit is
counted (`trader_exit_rejections_total{product}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import structlog

from trader.core.clock import Clock
from trader.core.types import Side
from trader.desk.keeper import StateKeeper
from trader.exchange.models import Fill
from trader.execution import store
from trader.execution.intents import TERMINAL, Intent, IntentState
from trader.execution.manager import NotSent
from trader.execution.metrics import ExecutionMetrics
from trader.state.db import Database

log = structlog.get_logger("trader.act")

BACKOFF_FIRST_S: Final = 2.0
BACKOFF_CAP_S: Final = 60.0
ALERT_AFTER: Final = 3
EXIT_REJECTED: Final = "exit_rejected"  # the REDUCING reason


@dataclass(slots=True)
class Refusals:
    """One product's exits refused in a row: how many, since when, the last reason, and
    when the next may be sent."""

    count: int
    since: float
    reason: str
    next_at: float


class ExitRetry:
    def __init__(
        self, keeper: StateKeeper, metrics: ExecutionMetrics, timer: Clock, db: Database
    ) -> None:
        """`timer` measures the backoff (the daemon's: monotonic, so a wall clock stepped
        back does not hold a product's exits for the length of the step)."""
        self._keeper = keeper
        self._metrics = metrics
        self._timer = timer
        self._db = db
        self._refused: dict[str, Refusals] = {}
        self._taken: dict[str, str] = {}  # product -> its exit the venue took, outcome unknown

    async def may_send(self, product_id: str) -> bool:
        """False while the product's last exit was refused (or ended unfilled) and its
        backoff runs."""
        await self._learn_outcome(product_id)
        refused = self._refused.get(product_id)
        if refused is None:
            return True
        now = self._timer()
        if _forgotten(refused, now):
            del self._refused[product_id]
        return now >= refused.next_at

    async def sent(self, product_id: str, outcome: Intent | NotSent) -> None:
        """Learn from an exit's first answer: refused, not sendable by the product's rules,
        or taken (its outcome is learned later). An exit not sent for want of a quote, or
        held back by the send gate or the exit guard, teaches nothing."""
        if isinstance(outcome, NotSent):
            if outcome.by_rules:
                await self._refusal(product_id, f"not sent: {outcome.problem}")
            return
        if outcome.state is IntentState.REJECTED:
            await self._refusal(product_id, outcome.reject_reason or "")
        elif outcome.exchange_order_id is not None or outcome.state is IntentState.SUBMITTING:
            self._taken[product_id] = outcome.intent_id

    async def on_fills(self, fills: list[Fill]) -> None:
        """A product's exit filled: its refusals end."""
        for product_id in sorted({f.product_id for f in fills if f.side is Side.SELL}):
            refused = self._refused.pop(product_id, None)
            if refused is not None:
                log.warning(
                    "exit_accepted_after_refusals", product_id=product_id, refused=refused.count
                )

    async def _learn_outcome(self, product_id: str) -> None:
        """The exit the venue took last, once it has ended: without a fill, a refusal."""
        intent_id = self._taken.get(product_id)
        if intent_id is None:
            return
        intent = await self._db.run(lambda conn: store.get_intent(conn, intent_id))
        if intent is not None and intent.state not in TERMINAL:
            return
        del self._taken[product_id]
        if intent is not None and intent.filled_size == 0:
            await self._refusal(
                product_id,
                f"exit {intent_id} {intent.state.value.lower()} unfilled"
                f" (limit {intent.limit_price}, size {intent.base_size})",
            )

    async def _refusal(self, product_id: str, reason: str) -> None:
        now = self._timer()
        refused = self._refused.get(product_id)
        if refused is None:
            refused = self._refused[product_id] = Refusals(0, now, reason, now)
        refused.count += 1
        refused.reason = reason
        wait = min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2 ** (refused.count - 1))
        refused.next_at = now + wait
        self._metrics.exit_rejections.labels(product=product_id).inc()
        log.error(
            "exit_refused_backing_off",
            product_id=product_id,
            refusals=refused.count,
            retry_in_s=wait,
            reason=reason[:300],
        )
        if refused.count == ALERT_AFTER:
            detail = (
                f"{product_id}: {refused.count} exits refused in {now - refused.since:.0f} s; "
                f"last: {reason[:300]}"
            )
            await self._keeper.reduce(EXIT_REJECTED, detail)

    def forget(self, product_id: str) -> None:
        """The product's refusals end without a fill: it is delisted, no exit is tried
        (`listing.py`)."""
        self._refused.pop(product_id, None)
        self._taken.pop(product_id, None)

    def problems(self) -> list[str]:
        """For `/readyz`: each product whose exits keep being refused."""
        now = self._timer()
        return [
            f"exit for {pid} refused {r.count} times in a row: {r.reason[:200]}"
            for pid, r in sorted(self._refused.items())
            if r.count >= ALERT_AFTER and not _forgotten(r, now)
        ]


def _forgotten(refused: Refusals, now: float) -> bool:
    """No exit tried long past the backoff: none is due any more (the position is gone,
    its exit levels are not met, or trading is halted)."""
    return now >= refused.next_at + BACKOFF_CAP_S
