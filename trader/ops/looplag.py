"""Event-loop lag (OPS-5): how late a short sleep wakes up, as a histogram.

`/healthz` fails when the monitor has not beaten recently: the loop is stuck.
"""

from __future__ import annotations

import asyncio
import time

from trader.ops.metrics import Metrics


class LoopLagMonitor:
    def __init__(self, metrics: Metrics, interval_s: float = 0.25) -> None:
        self._metrics = metrics
        self._interval = interval_s
        self.last_beat = time.monotonic()
        self.last_lag_s = 0.0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(self._interval)
            self.last_lag_s = max(0.0, loop.time() - started - self._interval)
            self._metrics.loop_lag.observe(self.last_lag_s)
            self.last_beat = time.monotonic()

    def problems(self, unhealthy_after_s: float) -> list[str]:
        silent = time.monotonic() - self.last_beat
        found: list[str] = []
        if silent > unhealthy_after_s:
            found.append(f"event loop monitor silent for {silent:.1f} s")
        if self.last_lag_s > unhealthy_after_s:
            found.append(f"event loop lag {self.last_lag_s:.3f} s")
        return found
