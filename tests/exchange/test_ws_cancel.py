"""EX-2 / OPS-3: a stream reader stops when it is cancelled, whatever the frame timing.

Python 3.11's `asyncio.wait_for` drops a cancellation that arrives after the awaited
receive has completed but before the waiting task resumes; the stream then kept reading
and the market-data service's stop waited on it forever. The reader now bounds its
receive with `asyncio.timeout`. The race needs one exact interleaving, which a socket
cannot produce on demand, so the connection here is a stand-in whose next frame the test
releases — the code under test is the real `WsStream._read`."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from trader.core.clock import wall_clock
from trader.exchange.coinbase.ws import WsStream
from trader.exchange.metrics import adapter_metrics
from trader.ops.metrics import Metrics

HEARTBEAT = orjson.dumps(
    {"channel": "heartbeats", "client_id": "", "timestamp": "2026-11-21T00:00:00Z",
     "sequence_num": 0, "events": [{"current_time": "2026-11-21", "heartbeat_counter": 1}]}
)  # fmt: skip


class HeldConnection:
    """Answers `recv` with a frame the test releases."""

    def __init__(self) -> None:
        self.frame: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def recv(self, decode: bool = False) -> bytes:
        return await self.frame


@pytest.mark.parametrize("turns_before_cancel", [0, 1, 2, 3, 4])
async def test_ex2_reader_cancelled_as_its_frame_arrives_stops(turns_before_cancel: int):
    stream = WsStream(
        "market", "ws://127.0.0.1:9", [], adapter_metrics(Metrics()), signer=None, clock=wall_clock
    )
    connection = HeldConnection()
    reader = stream._read(connection)  # type: ignore[arg-type]
    task = asyncio.create_task(anext(reader), name="reader")
    await asyncio.sleep(0)  # the reader waits for its frame
    connection.frame.set_result(HEARTBEAT)
    for _ in range(turns_before_cancel):
        await asyncio.sleep(0)
    requested = task.cancel()  # False only if the reader already returned the frame
    done, _ = await asyncio.wait([task], timeout=2.0)
    assert task in done
    assert task.cancelled() == requested, "a cancellation the reader accepted was dropped"
    await reader.aclose()
