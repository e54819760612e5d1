"""Stopping background tasks for certain.

`task.cancel()` asks once; library code can lose that request (Python 3.11's
`asyncio.wait_for` returns the inner result instead of raising when the cancellation
arrives just as the inner await completes). A stop that awaits such a task waits forever.
`cancel_and_wait` repeats the request until every task has ended, names any task that
needed it, and gives up (loudly) rather than hang a shutdown.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Coroutine, Iterable
from typing import Any

import structlog

from trader.exchange.errors import ExchangeError
from trader.state.db import StateUnavailableError

log = structlog.get_logger(__name__)

RESEND_S = 1.0
GIVE_UP_S = 5.0


async def cancel_and_wait(
    tasks: Iterable[asyncio.Task[object]],
    *,
    resend_s: float = RESEND_S,
    give_up_s: float = GIVE_UP_S,
) -> list[asyncio.Task[object]]:
    """Cancel `tasks` and wait until each has ended; returns those still running after
    `give_up_s` (logged as errors). A task that ended with an exception other than its
    cancellation is logged too: a stop never hides a failure."""
    given = list(tasks)
    pending = {t for t in given if not t.done()}
    ended = [t for t in given if t.done()]
    for task in pending:
        task.cancel()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_s
    while pending:
        left = deadline - loop.time()
        if left <= 0:
            for task in pending:
                log.error("task_did_not_stop", task=task.get_name())
            break
        done, pending = await asyncio.wait(pending, timeout=min(resend_s, left))
        ended.extend(done)
        for task in pending:
            log.warning("task_cancel_resent", task=task.get_name())
            task.cancel()
    for task in ended:
        if not task.cancelled() and task.exception() is not None:
            log.error("task_failed_before_stop", task=task.get_name(), error=repr(task.exception()))
    return sorted(pending, key=lambda t: t.get_name())


async def run_step(name: str, work: Coroutine[Any, Any, Any], limit_s: float | None = None) -> None:
    """One shutdown step, bounded by `limit_s`; its failure is logged, never raised."""
    try:
        async with asyncio.timeout(limit_s):
            await work
    except TimeoutError:
        log.error("shutdown_step_timed_out", step=name, limit_s=limit_s)
    except Exception as exc:  # one step's failure must not skip the ones after it
        # the state file or the venue out of reach is named; anything else gets its trace
        known = isinstance(exc, StateUnavailableError | ExchangeError | sqlite3.Error)
        log.error("shutdown_step_failed", step=name, error=repr(exc)[:300], exc_info=not known)
