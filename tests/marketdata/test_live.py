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


def _ticker(bid: str, ask: str, product_id: str = "BTC-USD") -> TickerEvent:
    return TickerEvent(product_id, ONE, Decimal(bid), ONE, Decimal(ask), ONE, 120.0)


@pytest.mark.parametrize(("bid", "ask"), [("2", "1"), ("1", "1"), ("1e6", "0.0001")])
def test_ex2_a_crossed_or_locked_ticker_is_refused_and_drops_the_quote(bid, ask):
    live = LiveMarket(["BTC-USD"], 60.0)
    live.apply(_ticker("1", "2"), 121.0)
    live.apply(_ticker(bid, ask), 122.0)
    assert live.quotes.get("BTC-USD") is None and live.quotes.received_at("BTC-USD") is None
    assert "BTC-USD" not in live.live_products
    assert (live.crossed, live.crossed_now) == ({"BTC-USD": 1}, {"BTC-USD"})
    live.apply(_ticker("1", "1.5"), 123.0)  # a sound touch again: applied, episode over
    quote = live.quotes.get("BTC-USD")
    assert quote is not None and quote.ask == Decimal("1.5") and live.crossed_now == set()


def test_ex2_a_level2_event_leaving_the_book_crossed_drops_that_book():
    live = LiveMarket(["BTC-USD"], 60.0)
    live.apply(BookEvent("BTC-USD", True, [("bid", ONE, ONE), ("offer", Decimal(2), ONE)]), 1.0)
    live.apply(BookEvent("BTC-USD", False, [("bid", Decimal(2), ONE)]), 2.0)  # locked
    assert "BTC-USD" not in live.books and live.crossed == {"BTC-USD": 1}
    live.apply(BookEvent("BTC-USD", True, [("bid", ONE, ONE), ("offer", Decimal(3), ONE)]), 3.0)
    assert live.books["BTC-USD"] == ({ONE: ONE}, {Decimal(3): ONE})
