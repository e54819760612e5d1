"""Own orders whose reported fills the fills endpoint does not list (X-4, X-1, OPS-5).

An order that finished at the venue having filled is verified by the reconciler once the
fills stored for it hold the filled size the venue reported; until then it is asked again
at every reconcile, and a SELL keeps its product's next exit waiting (`exit_guard`). The
fills endpoint normally lists a fill within seconds. An order still short at a reconcile
`execution.fills_missing_after_s` after the reconcile that first found it short is the
operator's: one ERROR line (`order_fills_missing`, with what the venue reported and what
is stored), `/readyz` names the order and its product, `trader_orders_fills_missing`
counts it; a SELL also moves trading to REDUCING with reason `exit_fills_missing` (its
position cannot be sold, and the ledger's cash and position are off by what it sold: no
new entries; the other positions' exits go on), until `trader resume`. When its fills
arrive, the order leaves `/readyz` and the gauge (`order_fills_stored`).
The time counts from this process's first reconcile that found the order short, on the
monotonic clock (a wall clock step neither raises the alarm early nor holds it back).
"""

from __future__ import annotations

from typing import Final

import structlog

from trader.core.clock import Clock
from trader.core.types import Side
from trader.desk.keeper import StateKeeper
from trader.execution.exit_guard import ShortFills, short_fills
from trader.execution.metrics import ExecutionMetrics
from trader.state.db import Database

log = structlog.get_logger("trader.execution")

EXIT_FILLS_MISSING: Final = "exit_fills_missing"  # the REDUCING reason


class MissingFills:
    def __init__(
        self,
        db: Database,
        keeper: StateKeeper,
        metrics: ExecutionMetrics,
        timer: Clock,
        after_s: float,
    ) -> None:
        self._db = db
        self._keeper = keeper
        self._metrics = metrics
        self._timer = timer
        self.after_s = after_s
        self._first_seen: dict[str, float] = {}  # order id -> when a reconcile found it short
        self._overdue: dict[str, ShortFills] = {}  # past the bound: reported

    async def observe(self, short: dict[str, str]) -> None:
        """A reconcile's finished orders (venue order id -> intent id) whose fills are not
        all stored."""
        now = self._timer()
        for order_id in set(self._first_seen) - set(short):
            self._stored(order_id, now)
        for order_id in short:
            self._first_seen.setdefault(order_id, now)
        late = {
            order_id: intent_id
            for order_id, intent_id in short.items()
            if order_id not in self._overdue and now - self._first_seen[order_id] >= self.after_s
        }
        if late:
            await self._report(await self._db.run(lambda conn: short_fills(conn, late)), now)
        self._metrics.fills_missing.set(len(self._overdue))

    def _stored(self, order_id: str, now: float) -> None:
        since = self._first_seen.pop(order_id)
        missing = self._overdue.pop(order_id, None)
        if missing is not None:
            log.warning(
                "order_fills_stored",
                order_id=order_id,
                product_id=missing.product_id,
                missing_s=round(now - since),
            )

    async def _report(self, found: list[ShortFills], now: float) -> None:
        for order in found:
            self._overdue[order.order_id] = order
            log.error(
                "order_fills_missing",
                order_id=order.order_id,
                product_id=order.product_id,
                side=order.side.value,
                reported_filled=str(order.reported),
                stored=str(order.stored),
                missing_s=round(now - self._first_seen[order.order_id]),
            )
        exits = [order for order in found if order.side is Side.SELL]
        if exits:
            detail = "; ".join(_describe(order) for order in exits)
            await self._keeper.reduce(EXIT_FILLS_MISSING, detail[:500])

    def problems(self) -> list[str]:
        """For `/readyz`: each order past the bound, named with its product."""
        now = self._timer()
        return [
            f"fills missing for {now - self._first_seen[order.order_id]:.0f} s: {_describe(order)}"
            for order in self._overdue.values()
        ]


def _describe(order: ShortFills) -> str:
    waits = f"; exits of {order.product_id} wait" if order.side is Side.SELL else ""
    return (
        f"order {order.order_id} ({order.product_id} {order.side.value}): the venue reported "
        f"{order.reported} filled, {order.stored} stored{waits}"
    )
