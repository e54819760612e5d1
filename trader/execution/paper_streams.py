"""The paper exchange's two streams (X-6), apart from `paper.py` so that module compiles
(trader/native_modules.txt: the compiler takes no async generators).

`applied`: the market stream of the real adapter, each event applied to the paper books
before it is passed on; the adapter's stream is opened at the first read, as before.
`queued`: the own-order events the matching engine queued, as they come.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from trader.exchange.models import MarketEvent, UserEvent


async def applied(
    open_stream: Callable[[], AsyncIterator[MarketEvent]],
    apply: Callable[[MarketEvent], None],
) -> AsyncIterator[MarketEvent]:
    async for event in open_stream():
        apply(event)
        yield event


async def queued(queue: asyncio.Queue[UserEvent]) -> AsyncIterator[UserEvent]:
    while True:
        yield await queue.get()
