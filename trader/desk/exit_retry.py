"""Refused exits are retried with backoff, and a position whose exit keeps being refused is
the operator's to look at (EX-4, R-2).

An exit the venue refuses is not sent again at the next exit check (once a second): the
product waits `BACKOFF_FIRST_S`, doubling with each refusal in a row up to `BACKOFF_CAP_S`.
After `ALERT_AFTER` refusals in a row trading moves to REDUCING with reason
`exit_rejected` (no new entries; exits go on trying, until `trader resume`), and `/readyz`
names the product until one of its exits is accepted (or none has been tried for
`BACKOFF_CAP_S` past its backoff: no exit is due any more). Every refusal of an exit is
counted (`trader_exit_rejections_total{product}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import structlog

from trader.core.clock import Clock
from trader.desk.keeper import StateKeeper
from trader.execution.intents import Intent, IntentState
from trader.execution.metrics import ExecutionMetrics

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
    def __init__(self, keeper: StateKeeper, metrics: ExecutionMetrics, clock: Clock) -> None:
        self._keeper = keeper
        self._metrics = metrics
        self._clock = clock
        self._refused: dict[str, Refusals] = {}

    def may_send(self, product_id: str) -> bool:
        """False while the product's last exit was refused and its backoff runs."""
        refused = self._refused.get(product_id)
        if refused is None:
            return True
        now = self._clock()
        if _forgotten(refused, now):
            del self._refused[product_id]
        return now >= refused.next_at

    async def sent(self, product_id: str, intent: Intent | None) -> None:
        """Learn from an exit's first answer: refused, or anything else (which ends the
        product's refusals). An exit not sent (no quote, below the product's minimum)
        teaches nothing."""
        if intent is None:
            return
        if intent.state is IntentState.REJECTED:
            await self._refusal(product_id, intent.reject_reason or "")
            return
        refused = self._refused.pop(product_id, None)
        if refused is not None:
            log.warning(
                "exit_accepted_after_refusals", product_id=product_id, refused=refused.count
            )

    async def _refusal(self, product_id: str, reason: str) -> None:
        now = self._clock()
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

    def problems(self) -> list[str]:
        """For `/readyz`: each product whose exits keep being refused."""
        now = self._clock()
        return [
            f"exit for {pid} refused {r.count} times in a row: {r.reason[:200]}"
            for pid, r in sorted(self._refused.items())
            if r.count >= ALERT_AFTER and not _forgotten(r, now)
        ]


def _forgotten(refused: Refusals, now: float) -> bool:
    """No exit tried long past the backoff: none is due any more (the position is gone,
    its exit levels are not met, or trading is halted)."""
    return now >= refused.next_at + BACKOFF_CAP_S
