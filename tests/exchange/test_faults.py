"""EX-1 / X-1 under venue fault injection: 429 storms, 5xx, dropped connections, 401,
timeout after accept. Reads retry with backoff; POST /orders never retries blindly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest

from tests.exchange.support import adapter, sample
from tests.sim.test_server_support import open_venue
from trader.config.app import RateLimitConfig
from trader.core.orders import OrderKind, OrderRequest
from trader.core.types import Side
from trader.exchange.coinbase.http import retry_after
from trader.exchange.errors import ExchangeUnavailableError
from trader.exchange.models import OrderAccepted, OrderRejected, OrderUnknown
from trader.ops.metrics import Metrics

ACCOUNTS = "/api/v3/brokerage/accounts"
ORDERS = "/api/v3/brokerage/orders"


@pytest.fixture
async def env():
    async with open_venue() as venue:
        metrics = Metrics()
        async with adapter(venue, metrics=metrics) as exchange:
            yield venue, exchange, metrics


def _market(cid: str) -> OrderRequest:
    return OrderRequest(cid, "BTC-USD", Side.BUY, OrderKind.MARKET_IOC, quote_size=Decimal("25"))


@pytest.mark.parametrize("body", ["json", "html"])
async def test_ex1_429_storm_backs_off_and_recovers(body):
    async with open_venue() as venue:
        metrics = Metrics()
        limits = RateLimitConfig(private_per_s=30, public_per_s=10)
        async with adapter(venue, metrics=metrics, rate_limits=limits) as exchange:
            await exchange.accounts()
            assert sample(metrics, "trader_rate_limit_headroom", bucket="private") > 0.9
            venue.faults.add("http_429", count=4, path_prefix=ACCOUNTS, body=body)
            accounts = await exchange.accounts()
            assert accounts
            headroom_after_storm = sample(metrics, "trader_rate_limit_headroom", bucket="private")
            assert headroom_after_storm < 0.5
            assert (
                sample(
                    metrics,
                    "trader_exchange_requests_total",
                    endpoint="accounts",
                    outcome="rate_limited",
                )
                == 4
            )
            assert (
                sample(metrics, "trader_exchange_retries_total", endpoint="accounts", reason="429")
                == 4
            )
            for _ in range(3):
                await exchange.fee_rates()
            assert venue.faults.counts["http_429"] == 4


async def test_ex1_429_storm_past_budget_is_unavailable(env):
    venue, exchange, metrics = env
    venue.faults.add("http_429", path_prefix=ACCOUNTS)
    with pytest.raises(ExchangeUnavailableError, match="429"):
        await exchange.accounts()
    assert (
        sample(
            metrics, "trader_exchange_requests_total", endpoint="accounts", outcome="rate_limited"
        )
        == 6
    )


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_ex1_reads_retry_5xx(env, status):
    venue, exchange, metrics = env
    venue.faults.add("http_5xx", count=2, path_prefix=ACCOUNTS, status=status)
    assert await exchange.accounts()
    assert (
        sample(
            metrics, "trader_exchange_requests_total", endpoint="accounts", outcome="server_error"
        )
        == 2
    )
    assert sample(metrics, "trader_exchange_requests_total", endpoint="accounts", outcome="ok") == 1


async def test_ex1_reads_retry_dropped_connections(env):
    venue, exchange, metrics = env
    await exchange.fee_rates()  # a pooled keep-alive connection exists
    venue.faults.add("timeout_after_accept", count=3, path_prefix=ACCOUNTS, mode="drop")
    assert await exchange.accounts()
    assert venue.faults.counts["timeout_after_accept"] == 3
    assert (
        sample(metrics, "trader_exchange_requests_total", endpoint="accounts", outcome="network")
        >= 1
    )
    assert sample(metrics, "trader_exchange_requests_total", endpoint="accounts", outcome="ok") == 1


async def test_ex1_read_timeout_is_retried(env):
    venue, exchange, metrics = env
    venue.faults.add("latency", count=1, path_prefix=ACCOUNTS, latency_ms=2500)
    assert await exchange.accounts()
    assert (
        sample(metrics, "trader_exchange_requests_total", endpoint="accounts", outcome="timeout")
        == 1
    )


async def test_ex1_401_once_is_retried_with_a_new_token(env):
    venue, exchange, metrics = env
    venue.faults.add("http_401", count=1, path_prefix=ACCOUNTS)
    assert await exchange.accounts()
    venue.faults.add("http_401", count=1, path_prefix=ORDERS, method="POST")
    assert isinstance(await exchange.create_order(_market("auth-1")), OrderAccepted)
    assert (
        sample(metrics, "trader_exchange_retries_total", endpoint="create_order", reason="401") == 1
    )
    venue.faults.add("http_401", count=2, path_prefix=ORDERS, method="POST")
    result = await exchange.create_order(_market("auth-2"))
    assert isinstance(result, OrderRejected) and result.http_status == 401


@pytest.mark.parametrize(
    ("fault", "retry_after_s"),
    [
        ({"kind": "http_429", "retry_after_s": 2}, 2.0),
        ({"kind": "http_429", "body": "html", "retry_after_s": 5}, 5.0),
        ({"kind": "http_5xx", "status": 503, "retry_after_s": 1}, 1.0),
        ({"kind": "http_429"}, None),
        ({"kind": "http_5xx", "status": 502}, None),
    ],
)
async def test_ex1_a_cancel_refused_for_now_says_how_long_the_venue_asked_to_wait(
    env, fault, retry_after_s
):
    venue, exchange, _ = env
    venue.faults.add(**fault, count=1, path_prefix=f"{ORDERS}/batch_cancel")
    with pytest.raises(ExchangeUnavailableError) as refused:
        await exchange.cancel_orders(["an-order"])
    assert refused.value.endpoint == "cancel_orders"
    assert refused.value.retry_after_s == retry_after_s


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        (timedelta(seconds=30), 30.0),  # an HTTP date this far from the answer's Date
        (timedelta(hours=-1), 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),  # a date, but the answer has no Date
        ("", None),
        ("soon", None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_ex1_retry_after_reads_seconds_or_an_http_date_and_nothing_else(header, seconds):
    headers = {}
    if isinstance(header, timedelta):
        sent = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
        headers["Date"] = format_datetime(sent, usegmt=True)
        header = format_datetime(sent + header, usegmt=True)
    found = retry_after({**headers, "Retry-After": header})
    if seconds is None:
        assert found is None
    else:
        assert found == seconds
    assert retry_after({}) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_x1_create_order_5xx_is_unknown_not_retried(env, status):
    venue, exchange, _ = env
    venue.faults.add("http_5xx", count=1, path_prefix=ORDERS, method="POST", status=status)
    result = await exchange.create_order(_market("c-5xx"))
    assert result == OrderUnknown(f"HTTP {status}")
    assert venue.faults.counts["http_5xx"] == 1  # sent once
    assert venue.engine.orders() == []
    retry = await exchange.create_order_raw(exchange.serialize_order(_market("c-5xx")))
    assert isinstance(retry, OrderAccepted)


async def test_x1_timeout_after_accept_is_unknown_and_identical_resend_returns_same_order(env):
    venue, exchange, _ = env
    request = _market("intent-42")
    body = exchange.serialize_order(request)
    venue.faults.add(
        "timeout_after_accept", count=1, path_prefix=ORDERS, method="POST", mode="hold", hold_s=5.0
    )
    first = await exchange.create_order_raw(body)
    assert isinstance(first, OrderUnknown) and first.cause == "timeout"
    ledger = [o for o in venue.engine.orders() if o.client_order_id == "intent-42"]
    assert len(ledger) == 1  # the venue did accept it
    second = await exchange.create_order_raw(body)
    assert isinstance(second, OrderAccepted) and second.order_id == ledger[0].order_id
    assert len(venue.engine.orders()) == 1


async def test_x1_connection_dropped_after_accept_is_unknown(env):
    venue, exchange, _ = env
    venue.faults.add(
        "timeout_after_accept", count=1, path_prefix=ORDERS, method="POST", mode="drop"
    )
    result = await exchange.create_order(_market("intent-drop"))
    assert isinstance(result, OrderUnknown)
    assert len(venue.engine.orders()) == 1


async def test_ex1_rate_limit_headroom_is_read_at_scrape_time():
    """An idle bucket refills while nobody calls; the gauge shows it (an alert on low
    headroom must not fire on a healthy, quiet daemon)."""
    from trader.exchange.coinbase.ratelimit import TokenBucket
    from trader.exchange.metrics import adapter_metrics

    now = [100.0]
    metrics = Metrics()
    bucket = TokenBucket("private", 10, adapter_metrics(metrics).headroom, lambda: now[0])
    for _ in range(int(bucket.capacity)):
        await bucket.acquire()
    assert sample(metrics, "trader_rate_limit_headroom", bucket="private") == 0.0
    now[0] += 0.25
    assert sample(metrics, "trader_rate_limit_headroom", bucket="private") == 0.5
    now[0] += 5
    assert sample(metrics, "trader_rate_limit_headroom", bucket="private") == 1.0
