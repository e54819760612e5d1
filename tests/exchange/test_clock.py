"""EX-3: the clock offset injected at the venue is measured (median, RTT-corrected),
exported, flagged past `max_clock_offset_ms`, and corrects JWT `nbf` so auth works; JWTs
are signed on the clock the venue accepts — the measured offset, or the local clock when
the `/time` answer is what is off; readings far off, or failing, do not move the offset."""

from __future__ import annotations

import time

import pytest
import structlog

from tests.exchange.support import adapter, sample
from tests.sim.test_server_support import open_venue
from trader.exchange.clock import ClockSync, SigningBasis
from trader.exchange.coinbase.exchange import CoinbaseExchange
from trader.exchange.errors import ExchangeHttpError
from trader.exchange.key_standing import KeyStanding
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


@pytest.mark.parametrize("step_s", [-3600.0, -48.0, -1.5, 1.5, 48.0, 3600.0])
async def test_ex3_a_wall_clock_step_after_the_measurement_is_followed_at_once(step_s):
    """The venue 5 s ahead, measured; then the local wall clock steps (NTP, `date -s`):
    tokens and `now()` keep the venue's time (was: off by the step until the next
    measurement, every token refused); the skew check keeps the measured offset."""
    wall, elapsed = [1000.0], [50.0]

    async def fetch() -> ServerTime:
        return ServerTime(wall[0] + 5.0, "")

    clock = ClockSync(
        fetch, adapter_metrics(Metrics()), samples=1, wall=lambda: wall[0],
        elapsed=lambda: elapsed[0],
    )  # fmt: skip
    assert await clock.measure() == pytest.approx(5.0)
    wall[0] += 30.0 + step_s  # 30 s pass, and the wall clock steps
    elapsed[0] += 30.0
    assert clock.now() == pytest.approx(1035.0)  # the venue's clock: 1000 + 5 + 30
    assert wall[0] + clock.signing_offset_s() == pytest.approx(1035.0)
    assert clock.signing_offset_s(SigningBasis.LOCAL) == 0.0
    assert clock.offset_s == pytest.approx(5.0) and clock.is_skewed()
    wall[0] += 600.0  # a suspended machine: the sleep counted on both clocks
    elapsed[0] += 600.0
    assert clock.now() == pytest.approx(1635.0)


HOURS_OFF = 3 * 3600.0
ACCOUNTS = "/api/v3/brokerage/accounts"


async def _first_private(exchange: CoinbaseExchange, kind: str) -> None:
    """A read (GET, retried) or a write (POST, sent once) as the first signed request."""
    if kind == "read":
        assert await exchange.accounts()
    else:
        assert await exchange.cancel_orders(["no-such-order"])


@pytest.mark.parametrize("kind", ["read", "write"])
async def test_ex3_a_time_answer_hours_off_signs_on_the_local_clock_the_venue_accepts(kind):
    """`/time` hours off while the venue checks tokens on its true clock: the first private
    request, refused on the measured offset (with a new token too), goes through on the
    local clock, which is kept; the key is not refused, the skew still reported."""
    async with open_venue() as venue:
        metrics, standing = Metrics(), KeyStanding("test key")
        async with adapter(venue, metrics=metrics, key_standing=standing) as exchange:
            venue.faults.add("time_skew", skew_s=HOURS_OFF)
            assert await exchange.clock.measure() == pytest.approx(HOURS_OFF, abs=1)
            assert exchange.clock.is_skewed()
            with structlog.testing.capture_logs() as logs:
                await _first_private(exchange, kind)
                await _first_private(exchange, "read")  # straight on the kept basis
            assert venue.ctx.auth_failures == 2  # the first request's two tokens only
            switched = [e for e in logs if e["event"] == "signing_clock_switched"]
            assert len(switched) == 1 and switched[0]["basis"] == "local"
            assert switched[0]["offset_s"] == 0
            assert switched[0]["refused_offset_s"] == pytest.approx(HOURS_OFF, abs=1)
            assert exchange.clock.basis is SigningBasis.LOCAL
            assert exchange.clock.now() == pytest.approx(time.time(), abs=1)
            assert standing.accepted_once and standing.refusals == 0
            endpoint = "accounts" if kind == "read" else "cancel_orders"
            retried = "trader_exchange_retries_total"
            assert sample(metrics, retried, endpoint=endpoint, reason="clock") == 1
            venue.faults.clear()  # `/time` honest again: offset and local clock agree
            await exchange.clock.measure()
            assert not exchange.clock.is_skewed() and await exchange.accounts()
            assert venue.ctx.auth_failures == 2


async def test_ex3_a_local_clock_hours_off_signs_with_the_measured_offset():
    """The venue's clock (its `/time` and its token check alike) hours from ours: after the
    measurement every token is accepted at once, on the measured offset."""
    async with open_venue() as venue:
        standing = KeyStanding("test key")
        async with adapter(venue, key_standing=standing) as exchange:
            venue.faults.set_clock_offset(HOURS_OFF)
            await exchange.clock.measure()
            with structlog.testing.capture_logs() as logs:
                for kind in ("read", "write", "read"):
                    await _first_private(exchange, kind)
            assert venue.ctx.auth_failures == 0 and standing.refusals == 0
            assert exchange.clock.basis is SigningBasis.MEASURED
            assert exchange.clock.now() == pytest.approx(time.time() + HOURS_OFF, abs=1)
            assert not [e for e in logs if e["event"] == "signing_clock_switched"]


async def test_ex3_a_key_refused_on_both_clocks_is_a_refusal_and_moves_no_basis():
    async with open_venue() as venue:
        standing = KeyStanding("test key")
        async with adapter(venue, key_standing=standing) as exchange:
            venue.faults.add("time_skew", skew_s=HOURS_OFF)
            await exchange.clock.measure()
            venue.faults.add("http_401", path_prefix=ACCOUNTS)
            with pytest.raises(ExchangeHttpError) as caught:
                await exchange.accounts()
            assert caught.value.status == 401
            assert venue.faults.counts["http_401"] == 3  # new token, then the other clock
            assert standing.refusals == 1 and exchange.clock.basis is SigningBasis.MEASURED


async def test_ex3_a_refusal_on_a_clock_within_the_bound_is_not_sent_a_third_time():
    async with open_venue() as venue, adapter(venue) as exchange:
        await exchange.clock.measure()
        venue.faults.add("http_401", path_prefix=ACCOUNTS)
        with pytest.raises(ExchangeHttpError):
            await exchange.accounts()
        assert venue.faults.counts["http_401"] == 2


@pytest.mark.parametrize("skew_s", [HOURS_OFF, -HOURS_OFF, 1e9, -1e9])
@pytest.mark.parametrize("absurd", [1, 2])
async def test_ex3_fewer_than_half_of_the_readings_far_off_do_not_move_the_offset(skew_s, absurd):
    async with open_venue() as venue, adapter(venue) as exchange:
        venue.faults.add("time_skew", skew_s=skew_s, count=absurd)
        assert await exchange.clock.measure() == pytest.approx(0.0, abs=0.5)
        assert venue.faults.counts["time_skew"] == absurd
        assert not exchange.clock.is_skewed()


async def test_ex3_a_time_answer_that_keeps_failing_keeps_the_offset_counted_and_logged_once():
    async with open_venue() as venue:
        metrics = Metrics()
        async with adapter(venue, metrics=metrics) as exchange:
            venue.faults.set_clock_offset(30.0)
            await exchange.clock.measure()
            venue.faults.add("http_4xx", status=400, path_prefix="/api/v3/brokerage/time")
            with structlog.testing.capture_logs() as logs:
                for _ in range(3):
                    with pytest.raises(ExchangeHttpError):
                        await exchange.clock.measure()
            assert exchange.clock.offset_s == pytest.approx(30.0, abs=0.5)
            assert sample(metrics, "trader_clock_offset_failures_total") == 3
            assert [e["event"] for e in logs] == ["clock_offset_failed"]
            assert logs[0]["kept_offset_s"] == pytest.approx(30.0, abs=0.5)
            venue.faults.clear()
            with structlog.testing.capture_logs() as logs:
                assert await exchange.clock.measure() == pytest.approx(0.0, abs=0.5)
            assert [e["event"] for e in logs] == [
                "clock_offset_measured_again",
                "clock_offset_measured",
            ]
