"""EX-2: the live market applies stream events only for the products it was built for; any
event for another product (ticker, trades, level2) is counted and its product remembered
(a bounded number of names), never applied."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader.exchange.models import BookEvent, MarketTrade, TickerEvent, TradesEvent
from trader.marketdata.live import MAX_UNKNOWN_NAMED, LiveMarket

ONE = Decimal(1)


def events_for(product_id: str) -> list[object]:
    trade = MarketTrade(product_id, "t1", ONE, ONE, "BUY", 120.0)
    return [
        TickerEvent(product_id, ONE, ONE, ONE, Decimal(2), ONE, 120.0),
        TradesEvent([trade], False),
        BookEvent(product_id, True, [("bid", ONE, ONE)]),
    ]


@pytest.mark.parametrize("kind", [0, 1, 2], ids=["ticker", "trades", "level2"])
def test_ex2_an_event_for_a_product_not_subscribed_is_counted_not_applied(kind):
    live = LiveMarket(["BTC-USD"], 60.0)
    live.apply(events_for("ZZZ-USD")[kind], 121.0)
    assert (live.unknown_products, live.unknown_ids) == (1, {"ZZZ-USD"})
    assert live.quotes.products() == [] and live.books == {} and live.live_products == set()
    live.apply(events_for("BTC-USD")[kind], 121.0)
    assert live.unknown_products == 1  # the subscribed product is applied as ever


def test_ex2_names_of_unsubscribed_products_are_bounded():
    live = LiveMarket(["BTC-USD"], 60.0)
    for n in range(MAX_UNKNOWN_NAMED * 3):
        live.apply(events_for(f"X{n}-USD")[0], 121.0)
    assert live.unknown_products == MAX_UNKNOWN_NAMED * 3
    assert len(live.unknown_ids) == MAX_UNKNOWN_NAMED
