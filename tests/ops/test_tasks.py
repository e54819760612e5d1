"""Stopping background tasks for certain (trader/ops/tasks.py): the shutdown paths of the
daemon, the market-data service, the order feed, the clock sync and the simulated venue."""

from __future__ import annotations

import asyncio
import contextlib

from structlog.testing import capture_logs

from trader.ops.tasks import cancel_and_wait


async def loses_first_cancel(stopped: list[str]) -> None:
    """What Python 3.11's `asyncio.wait_for` does when the cancellation meets a completing
    inner await: the request is dropped and the loop goes on."""
    with contextlib.suppress(asyncio.CancelledError):  # the lost request
        await asyncio.sleep(30)
    try:
        await asyncio.sleep(30)
    finally:
        stopped.append("second request")


async def test_a_lost_cancellation_is_sent_again_and_named():
    stopped: list[str] = []
    task = asyncio.create_task(loses_first_cancel(stopped), name="stream")
    await asyncio.sleep(0)
    with capture_logs() as logs:
        left = await cancel_and_wait([task], resend_s=0.05, give_up_s=5.0)
    assert left == [] and task.cancelled() and stopped == ["second request"]
    assert {"event": "task_cancel_resent", "task": "stream", "log_level": "warning"} in logs


async def test_a_task_that_never_stops_is_given_up_loudly_not_waited_for_forever():
    released = False

    async def stubborn() -> None:
        while not released:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    with capture_logs() as logs:
        left = await cancel_and_wait([task], resend_s=0.02, give_up_s=0.1)
    assert left == [task] and not task.done()
    assert {"event": "task_did_not_stop", "task": "stubborn", "log_level": "error"} in logs
    released = True
    task.cancel()
    await task


async def test_a_task_that_failed_before_the_stop_is_reported():
    async def broken() -> None:
        raise RuntimeError("feed parser crashed")

    async def idle() -> None:
        await asyncio.sleep(30)

    failed = asyncio.create_task(broken(), name="broken")
    running = asyncio.create_task(idle(), name="idle")
    await asyncio.sleep(0.01)
    with capture_logs() as logs:
        assert await cancel_and_wait([failed, running]) == []
    assert running.cancelled()
    [report] = [e for e in logs if e["event"] == "task_failed_before_stop"]
    assert report["task"] == "broken" and "feed parser crashed" in report["error"]
