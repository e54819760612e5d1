"""A user's plugin code — a strategy's or a universe filter's file import, its parameter
model, its constructor — in a thread of its own with a time limit (STR-2), wherever it
runs: the configuration's load, the daemon's builds at start and at a SIGHUP reload (off
the event loop: `within_limit_async`), a backtest's. Code that never returns
(`while True: pass`, a long sleep, a wait on input) then fails with one line instead of
holding up `check-config`, a start or a reload for ever, or freezing the event loop.

A thread cannot be stopped: one that overruns is left running as a daemon thread (it does
not keep the process alive at exit) and whatever it returns later is dropped. A command
that leaves one ends its process at once when it is done (`end_now`): the interpreter's
own shutdown would stop the thread where it stands, and one inside native code (a
parameter validator called by pydantic's core) crashes the process there. The limit of a
strategy is `strategies.yaml: load_limit_s`; of a universe filter,
`universe.yaml: load_limit_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn, TypeVar, cast

T = TypeVar("T")
_LEFT: list[threading.Thread] = []  # the threads that overran, left running


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

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    if not finished.wait(limit_s):
        _LEFT.append(thread)
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

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        outcome = await asyncio.wait_for(asyncio.shield(done), limit_s)
    except TimeoutError:
        _LEFT.append(thread)
        raise LoadOverrun(limit_s) from None
    return _unpacked(outcome)


def left_running() -> bool:
    """Whether a thread that overran its limit is still running."""
    return bool(left_running_names())


def left_running_names() -> list[str]:
    """The names of the threads that overran their limit and still run (`build rules`,
    `load filter f`), oldest first."""
    return [thread.name for thread in _LEFT if thread.is_alive()]


def end_now(code: int) -> NoReturn:
    """End the process with `code` once its output is flushed, without the interpreter's
    shutdown (which stops the threads left running wherever they stand)."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken stream: nothing to flush
            stream.flush()
    os._exit(code)


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
