"""EX-1: what the venue's answers say about the API key. A 401 is retried once with a new
token; only a 401 that survives it is a refusal, and only refusals that go on (several
private requests in a row, over seconds, nothing accepted in between) reject the key.
The adapter against the in-process simulated venue, with its fault injection."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.exchange.support import adapter, venue_credentials
from tests.sim.test_server_support import open_venue
from tests.support.venue import throwaway_key_pem
from trader.config.secrets import Credentials
from trader.core.orders import OrderKind, OrderRequest
from trader.core.types import Side
from trader.exchange.errors import ExchangeHttpError, ExchangeUnavailableError
from trader.exchange.key_standing import REFUSALS, SPAN_S, KeyStanding
from trader.exchange.models import OrderRejected

ACCOUNTS = "/api/v3/brokerage/accounts"
ORDERS = "/api/v3/brokerage/orders"
REFUSED = "the venue refused the API key (HTTP 401)"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_ex1_refusals_reject_the_key_only_when_they_go_on_in_numbers_and_time():
    clock = Clock()
    standing = KeyStanding("k1 (CB_API_KEY_FILE=/etc/trader/key.json)", clock=clock)
    for n in range(REFUSALS - 1):
        standing.refused("accounts")
        clock.now += SPAN_S
        assert standing.rejection() is None, n  # too few, however long
    standing.accepted()  # one answer that passed authentication ends the streak
    for _ in range(REFUSALS + 5):
        standing.refused("list_orders")
    assert standing.rejection() is None  # many, but within a moment
    clock.now += SPAN_S
    line = standing.rejection()
    assert line is not None and line.startswith(REFUSED)
    assert "k1 (CB_API_KEY_FILE=/etc/trader/key.json)" in line and "list_orders" in line
    assert "\n" not in line and standing.accepted_once


def test_ex1_the_rejection_names_the_endpoints_refused_first():
    clock = Clock()
    standing = KeyStanding("k", clock=clock)
    for endpoint in ("accounts", "list_orders", "best_bid_ask", "fills", "accounts"):
        standing.refused(endpoint)
    clock.now += SPAN_S
    line = standing.rejection()
    assert line is not None and "(accounts, list_orders, best_bid_ask and 1 more)" in line
    assert "5 private requests" in line and not standing.accepted_once


@pytest.mark.parametrize("offset_s", [-7200.04, 3.5, 86_400.0])
def test_ex1_ex3_a_refusal_on_both_clocks_names_the_offset_and_the_system_clock(offset_s):
    clock = Clock()
    standing = KeyStanding("k", clock=clock)
    for _ in range(REFUSALS):
        standing.refused_on_both_clocks(offset_s)
        standing.refused("accounts")
    clock.now += SPAN_S
    line = standing.rejection()
    assert line is not None and line.startswith(f"{REFUSED} on both clock bases: key k;")
    assert f"the venue's /time, {offset_s:+.1f} s from the local one (accounts)" in line
    assert "check the system clock (NTP, e.g. timedatectl) as well as that the key" in line
    standing.accepted()  # a new streak on one clock: the key's line alone
    for _ in range(REFUSALS):
        standing.refused("accounts")
    clock.now += SPAN_S
    line = standing.rejection()
    assert line is not None and "clock" not in line and "check that the key exists" in line


def _market(cid: str) -> OrderRequest:
    return OrderRequest(cid, "BTC-USD", Side.BUY, OrderKind.MARKET_IOC, quote_size=Decimal("25"))


async def test_ex1_a_401_the_new_token_gets_past_is_no_refusal_one_it_does_not_is():
    standing = KeyStanding("k", span_s=0)
    async with open_venue() as venue, adapter(venue, key_standing=standing) as exchange:
        venue.faults.add("http_401", count=1, path_prefix=ACCOUNTS)
        assert await exchange.accounts()
        assert standing.accepted_once and standing.refusals == 0
        venue.faults.add("http_401", count=2, path_prefix=ACCOUNTS)
        with pytest.raises(ExchangeHttpError):
            await exchange.accounts()
        venue.faults.add("http_401", count=2, path_prefix=ORDERS, method="POST")
        refused = await exchange.create_order(_market("refused-1"))
        assert isinstance(refused, OrderRejected) and refused.http_status == 401
        assert standing.refusals == 2 and standing.rejection() is None
        venue.faults.add("http_5xx", count=10, path_prefix=ACCOUNTS)  # says nothing of the key
        with pytest.raises(ExchangeUnavailableError):
            await exchange.accounts()
        assert standing.refusals == 2
        assert await exchange.accounts()  # accepted: the streak is over
        assert standing.refusals == 0 and standing.refused_since is None


@pytest.mark.parametrize("kind", ["unknown_name", "other_key"])
async def test_ex1_a_key_the_venue_does_not_know_is_rejected_naming_key_and_endpoint(kind):
    async with open_venue() as venue:
        own = venue_credentials(venue)
        key = (
            Credentials("organizations/o/apiKeys/unknown", own.private_key, "test")
            if kind == "unknown_name"
            else Credentials(own.key_name, throwaway_key_pem().decode(), "test")
        )
        standing = KeyStanding(key.describe(), span_s=0)
        async with adapter(venue, creds=key, key_standing=standing) as exchange:
            for _ in range(REFUSALS):
                with pytest.raises(ExchangeHttpError) as refused:
                    await exchange.list_orders()
                assert refused.value.status == 401
            assert await exchange.products()  # public: says nothing of the key
        line = standing.rejection()
        assert line is not None and line.startswith(REFUSED)
        assert f"key {key.key_name} (test)" in line and "list_orders" in line
        assert not standing.accepted_once
