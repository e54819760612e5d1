"""A user's plugin code run while the configuration loads — a strategy file's import, a
strategy's constructor, a universe filter's file — in a thread of its own with a time
limit (STR-2). Code that never returns (`while True: pass`, a long sleep, a wait on input)
then fails the load with one line instead of holding up `check-config`, a start or a
SIGHUP reload for ever.

A thread cannot be stopped: one that overruns is left running as a daemon thread (it does
not keep the process alive at exit) and whatever it returns later is dropped. The limit of
a strategy is `strategies.yaml: load_limit_s`; a universe filter's file has `LOAD_LIMIT_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Final, TypeVar, cast

T = TypeVar("T")
LOAD_LIMIT_S: Final = 10.0


class LoadOverrun(Exception):
    """The plugin code did not return within its limit; its thread is left running."""

    def __init__(self, limit_s: float) -> None:
        super().__init__(
            f"did not finish loading within {limit_s:g} s (its import or constructor is "
            "still running: a loop, a sleep or a wait?)"
        )
        self.limit_s = limit_s


def within_limit(work: Callable[[], T], limit_s: float, name: str) -> T:
    """What `work()` returns or raises, run in a daemon thread called `name`; LoadOverrun
    when it takes longer than `limit_s` seconds."""
    outcome: list[tuple[T | None, BaseException | None]] = []
    finished = threading.Event()

    def run() -> None:
        outcome.append(_called(work))
        finished.set()

    threading.Thread(target=run, name=name, daemon=True).start()
    if not finished.wait(limit_s):
        raise LoadOverrun(limit_s)
    return _unpacked(outcome[0])


async def within_limit_async(work: Callable[[], T], limit_s: float, name: str) -> T:
    """`within_limit` awaited: the event loop goes on while `work` runs."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[tuple[T | None, BaseException | None]] = loop.create_future()

    def hand_over(outcome: tuple[T | None, BaseException | None]) -> None:
        if not done.done():
            done.set_result(outcome)

    def run() -> None:
        outcome = _called(work)
        with contextlib.suppress(RuntimeError):  # a closed event loop: the daemon is gone
            loop.call_soon_threadsafe(hand_over, outcome)

    threading.Thread(target=run, name=name, daemon=True).start()
    try:
        outcome = await asyncio.wait_for(asyncio.shield(done), limit_s)
    except TimeoutError:
        raise LoadOverrun(limit_s) from None
    return _unpacked(outcome)


def _called(work: Callable[[], T]) -> tuple[T | None, BaseException | None]:
    try:
        return work(), None
    except BaseException as exc:  # noqa: BLE001 -- handed to the caller as it is
        return None, exc


def _unpacked(outcome: tuple[T | None, BaseException | None]) -> T:
    value, failed = outcome
    if failed is not None:
        raise failed
    return cast(T, value)
