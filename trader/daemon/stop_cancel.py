"""OPS-3: the graceful stop's cancel-all, within its share of `shutdown.timeout_s`.

The cancel-all is retried as the kill switch's is (`CancelDriver.retrying`: a doubling
backoff, longer when the venue's `Retry-After` asks for it) until one pass completes or the
budget is spent. Reading the venue's open orders gets its own share of the budget; the
orders the state file knows are cancelled even when that read fails or does not answer.
Whatever of the daemon's own may still be open afterwards — an intent the state file has
working at the venue, or one whose send was never resolved — is named in one CRITICAL line
(`shutdown_orders_left_open`), and the stop exits `EXIT_ORDERS_LEFT`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, Final

import structlog

from trader.daemon.killswitch import CancelDriver
from trader.execution import store
from trader.execution.intents import Intent
from trader.state.db import Database, StateUnavailableError

log = structlog.get_logger("trader.daemon")

LIST_SHARE: Final = 0.25  # of the budget: the longest one read of the venue's open orders takes
READ_LEFT_S: Final = 1.0  # the state file's answer to "what is left open", at most
NAMED_AT_MOST: Final = 100  # orders the CRITICAL line names (its `count` says how many in all)
ACTION: Final = (
    "these orders may still rest at the venue: check and cancel them there, "
    "or start the daemon again (it reconciles and cancels on a halt)"
)
# a cancel-all whose read of the venue's open orders is bounded by the given seconds
BoundedCancelAll = Callable[[float], Awaitable[int]]


async def cancel_within(
    driver: CancelDriver, cancel_all: BoundedCancelAll, db: Database, budget_s: float
) -> bool:
    """Cancel every own open order within `budget_s`; False (after the CRITICAL line) when
    something of the daemon's own may still be open at the venue."""
    try:
        async with asyncio.timeout(budget_s):
            await driver.retrying(
                lambda: cancel_all(budget_s * LIST_SHARE),
                "shutdown_cancel_all_retry",
                "shutdown_cancel_all_failed",
            )
    except TimeoutError:
        log.error("shutdown_cancel_all_timed_out", limit_s=budget_s, error=driver.last_error)
    left = await _left_open(db)
    if left is not None and not left:
        return True
    log.critical(
        "shutdown_orders_left_open",
        count=len(left) if left is not None else None,
        orders=[_named(intent) for intent in left[:NAMED_AT_MOST]] if left else "unknown",
        last_error=driver.last_error,
        action=ACTION,
    )
    return False


async def _left_open(db: Database) -> list[Intent] | None:
    """The intents that may be open at the venue (sent and not finished, or their send not
    resolved); None when the state file does not answer."""
    try:
        async with asyncio.timeout(READ_LEFT_S):
            return await db.run(store.live_intents)
    except (TimeoutError, StateUnavailableError, sqlite3.Error) as exc:
        log.error("shutdown_orders_unknown", error=f"{type(exc).__name__}: {exc}"[:300])
        return None


def _named(intent: Intent) -> dict[str, Any]:
    return {
        "order_id": intent.exchange_order_id,
        "client_order_id": intent.client_order_id,
        "product_id": intent.product_id,
        "side": intent.side.value,
        "state": intent.state.value,
    }
