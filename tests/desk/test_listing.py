"""EX-4: the venue's listing read again — a traded product delisted (gone from the listing,
404 on its own route) gets status `delisted`, listed again its rules come back, a product
the daemon would trade that it does not is named once — and the positions left in a
delisted product. `RulesWatch` reads a real simulated venue through the Coinbase adapter;
the venue's listing is changed as its control endpoint does."""

from __future__ import annotations

from decimal import Decimal

import structlog

from tests.exchange.support import adapter, sample
from tests.risk.factories import rules
from tests.sim.test_server_support import open_venue
from trader.desk.listing import DelistedProducts, delisted
from trader.desk.product_rules import DELISTED, RulesWatch
from trader.ops.metrics import Metrics

TRADED = ("BTC-USD", "ETH-USD")
D = Decimal


def _names(logs: list[dict], event: str) -> list[str]:
    return [e["product_id"] for e in logs if e["event"] == event]


async def test_ex4_a_delisted_product_gets_status_delisted_once_and_its_rules_back_when_relisted():
    async with open_venue(driver=False, rate_limit_public=None) as venue:
        venue.step()
        async with adapter(venue, creds=False) as exchange:
            listed = await exchange.products()
            traded = {p.product_id: p for p in listed if p.product_id in TRADED}
            told: list[str] = []
            watch = RulesWatch(exchange, traded, 300.0, lambda listing: listing)
            watch.changed.append(lambda new: told.append(f"{new.product_id}:{new.status}"))
            online = traded["ETH-USD"]
            venue.engine.set_listed("ETH-USD", False)
            with structlog.testing.capture_logs() as logs:
                assert await watch.refresh() == ["ETH-USD"]
                assert await watch.refresh() == []  # delisted already: nothing new
            assert traded["ETH-USD"].status == DELISTED and delisted(traded["ETH-USD"])
            assert told == ["ETH-USD:delisted"]
            assert _names(logs, "product_delisted") == ["ETH-USD"]
            # the products it does not trade are named once, for a restart
            assert _names(logs, "product_listed") == ["SOL-USD"]
            venue.engine.set_listed("ETH-USD", True)
            with structlog.testing.capture_logs() as logs:
                assert await watch.refresh() == ["ETH-USD"]
            assert traded["ETH-USD"] == online
            assert told[-1] == "ETH-USD:online"
            assert _names(logs, "product_relisted") == ["ETH-USD"]
            assert not _names(logs, "product_listed")


async def test_ex4_a_product_missing_from_the_listing_whose_route_does_not_answer_keeps_its_rules():
    async with open_venue(driver=False, rate_limit_public=None) as venue:
        venue.step()
        async with adapter(venue, creds=False) as exchange:
            traded = {p.product_id: p for p in await exchange.products() if p.product_id in TRADED}
            before = dict(traded)
            watch = RulesWatch(exchange, traded, 300.0)
            venue.engine.set_listed("ETH-USD", False)
            venue.faults.add(
                "http_5xx", status=503, path_prefix="/api/v3/brokerage/market/products/ETH-USD"
            )
            with structlog.testing.capture_logs() as logs:
                assert await watch.refresh() == []
            assert traded == before
            assert _names(logs, "product_listing_unknown") == ["ETH-USD"]
            assert not _names(logs, "product_delisted")


def test_ex4_a_position_left_in_a_delisted_product_is_reported_once_per_size():
    metrics = Metrics()
    found = DelistedProducts(metrics)
    eth = rules("ETH-USD")
    found.observe({"ETH-USD": D("2")})  # not delisted: nothing to say
    assert found.problems() == []
    found.changed(rules("ETH-USD", status=DELISTED))
    assert sample(metrics, "trader_delisted_position", product="ETH-USD") == 0
    with structlog.testing.capture_logs() as logs:
        found.observe({"ETH-USD": D("2"), "BTC-USD": D("1")})
        found.observe({"ETH-USD": D("2")})
        found.observe({"ETH-USD": D("1.5")})  # part sold elsewhere: said again
    assert [(e["product_id"], e["size"]) for e in logs] == [("ETH-USD", "2"), ("ETH-USD", "1.5")]
    assert all(e["event"] == "delisted_position_left" for e in logs)
    assert sample(metrics, "trader_delisted_position", product="ETH-USD") == 1.5
    assert found.problems() == [
        "ETH-USD delisted by the venue with 1.5 held: no exit is possible,"
        " the position is the operator's"
    ]
    found.observe({})  # the operator sold it
    assert found.problems() == []
    assert sample(metrics, "trader_delisted_position", product="ETH-USD") == 0
    found.changed(eth)  # listed again: not the operator's any more, the gauge gone
    found.observe({"ETH-USD": D("3")})
    assert found.problems() == []
    gauge = metrics.registry.get_sample_value("trader_delisted_position", {"product": "ETH-USD"})
    assert gauge is None
