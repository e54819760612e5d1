"""A per-test hang watchdog: a test still running after `TRADER_TEST_LIMIT_S` seconds
(default 600) gets every thread's stack and every pending asyncio task's stack printed to
the real terminal, then the run ends with exit code 3.

A hung test would otherwise hold the whole run until CI's own limit and print nothing.
Thread stacks alone show an idle event loop in `select()`; the task stacks show which
`await` never returned."""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import os
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

import pytest

EXIT_HUNG = 3
DEFAULT_LIMIT_S = 600.0


def limit_s() -> float:
    raw = os.environ.get("TRADER_TEST_LIMIT_S", "")
    if not raw:
        return DEFAULT_LIMIT_S
    try:
        value = float(raw)
    except ValueError:
        raise pytest.UsageError(f"TRADER_TEST_LIMIT_S={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise pytest.UsageError(f"TRADER_TEST_LIMIT_S={raw!r} must be above zero")
    return value


def running_loops() -> list[asyncio.AbstractEventLoop]:
    return [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, asyncio.AbstractEventLoop) and obj.is_running()
    ]


def dump_tasks(out: TextIO) -> None:
    """Pending tasks of every running loop, read from this thread: the loop is stuck, so
    the read is racy at worst, and it is the last thing this process does."""
    for loop in running_loops():
        tasks = [t for t in list(asyncio.all_tasks(loop)) if not t.done()]
        print(f"\n== {len(tasks)} pending asyncio task(s) on {loop!r}", file=out)
        for task in tasks:
            print(f"-- {task.get_name()}", file=out)
            for where in await_chain(task.get_coro()):
                print(f"   {where}", file=out)


def await_chain(awaitable: object) -> Iterator[str]:
    """Where each coroutine in a task's await chain is suspended, outermost first."""
    while awaitable is not None:
        frame = next(
            (
                getattr(awaitable, a)
                for a in ("cr_frame", "gi_frame", "ag_frame")
                if hasattr(awaitable, a)
            ),
            None,
        )
        if frame is None:
            yield repr(awaitable)
            return
        yield f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        awaitable = next(
            (
                getattr(awaitable, a)
                for a in ("cr_await", "gi_yieldfrom", "ag_await")
                if hasattr(awaitable, a)
            ),
            None,
        )


class Watchdog:
    def __init__(self, config: pytest.Config, limit: float) -> None:
        self.config = config
        self.limit = limit

    def fire(self, nodeid: str) -> None:
        capman = self.config.pluginmanager.getplugin("capturemanager")
        captured = ""
        if capman is not None:
            captured = capman.read_global_capture().err[-20000:]
            capman.suspend_global_capture(in_=True)
        out = sys.stderr
        print(f"\n\nHUNG: {nodeid} still running after {self.limit:.0f} s", file=out)
        if captured:
            print(f"== its stderr so far (last 20000 chars)\n{captured}", file=out)
        print("== thread stacks", file=out, flush=True)
        faulthandler.dump_traceback(file=out, all_threads=True)
        dump_tasks(out)
        out.flush()
        os._exit(EXIT_HUNG)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        timer = threading.Timer(self.limit, self.fire, args=(item.nodeid,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()


def install(config: pytest.Config) -> None:
    config.pluginmanager.register(Watchdog(config, limit_s()), "trader-hang-watchdog")
