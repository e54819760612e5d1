"""EX-3: the clock offset injected at the venue is measured (median, RTT-corrected),
exported, flagged past `max_clock_offset_ms`, and corrects JWT `nbf` so auth works."""

from __future__ import annotations

import pytest

from tests.exchange.support import adapter, sample
from tests.sim.test_server_support import open_venue
from trader.exchange.clock import ClockSync
from trader.exchange.errors import ExchangeHttpError
from trader.exchange.metrics import adapter_metrics
from trader.exchange.models import ServerTime
from trader.ops.metrics import Metrics


@pytest.mark.parametrize("offset_s", [-30.0, 45.0])
async def test_ex3_offset_measured_and_jwts_corrected(offset_s):
    async with open_venue() as venue:
        metrics = Metrics()
        async with adapter(venue, metrics=metrics) as exchange:
            venue.faults.set_clock_offset(offset_s)
            if offset_s < 0:  # local clock ahead: nbf in the venue's future → refused
                with pytest.raises(ExchangeHttpError) as caught:
                    await exchange.accounts()
                assert caught.value.status == 401
            measured = await exchange.clock.measure()
            assert measured == pytest.approx(offset_s, abs=0.05)
            assert sample(metrics, "trader_clock_offset_seconds") == pytest.approx(
                offset_s, abs=0.05
            )
            assert exchange.clock.is_skewed()
            failures = venue.ctx.auth_failures
            assert await exchange.accounts()
            assert venue.ctx.auth_failures == failures
            venue.faults.set_clock_offset(0.2)
            await exchange.clock.measure()
            assert not exchange.clock.is_skewed()  # 200 ms < max_clock_offset_ms 1000


async def test_ex3_median_of_samples_is_rtt_corrected():
    wall = [1000.0]
    replies = iter([(5.0, 0.2), (15.0, 0.2), (5.1, 0.8), (4.9, 0.2), (5.0, 0.4)])

    async def fetch() -> ServerTime:
        offset, rtt = next(replies)
        sent = wall[0]
        wall[0] += rtt
        return ServerTime(sent + rtt / 2 + offset, "")  # stamped mid-flight

    clock = ClockSync(
        fetch, adapter_metrics(Metrics()), max_offset_ms=1000, samples=5, wall=lambda: wall[0]
    )
    offset = await clock.measure()
    assert offset == pytest.approx(5.0, abs=1e-9)  # RTT removed; median drops the outlier
    assert clock.now() == pytest.approx(wall[0] + 5.0)
