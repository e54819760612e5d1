"""X-6: PAPER's direct mapping gives exactly what the Coinbase wire round trip gave.

PAPER once sent each order as a Coinbase body through the simulator's HTTP parser and read
the engine's answers back through the simulator's encoder and the adapter's parser. The
mapping in `trader.execution.paper_orders` replaced that route; these tests run both routes
side by side on one engine (the simulator's codec is still there, serving the simulated
venue) and require equal requests, orders and fills: values, exponents and times alike.
"""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest

from tests.matching.test_engine_support import BTC, FEES, make_engine, standard_book
from trader.backtest.market import BacktestMarket, BacktestVenue
from trader.core.clock import SimClock
from trader.core.orders import OrderKind, OrderRequest
from trader.core.types import Side, Trade
from trader.exchange.coinbase import parse
from trader.exchange.coinbase.fields import Reader
from trader.exchange.coinbase.orders import serialize_order
from trader.exchange.models import (
    MarketTrade,
    OrderAccepted,
    OrderRejected,
    TickerEvent,
    TradesEvent,
)
from trader.execution.paper import PaperExchange
from trader.execution.paper_orders import engine_order, fill_model, order_model
from trader.matching import MatchingEngine
from trader.matching.types import NewOrder
from trader.sim.server.encode_orders import fill_json, order_json
from trader.sim.server.order_parse import parse_new_order

D = Decimal
REQUESTS = [
    OrderRequest("m-base", "BTC-USD", Side.BUY, OrderKind.MARKET_IOC, base_size=D("0.50000")),
    OrderRequest("m-quote", "BTC-USD", Side.BUY, OrderKind.MARKET_IOC, quote_size=D("1E+2")),
    OrderRequest(
        "gtc-po", "BTC-USD", Side.BUY, OrderKind.LIMIT_GTC,
        base_size=D("0.3"), limit_price=D("99.50"), post_only=True,
    ),
    OrderRequest(
        "gtd", "BTC-USD", Side.SELL, OrderKind.LIMIT_GTD,
        base_size=D("0.2"), limit_price=D("104"), post_only=False, end_time=1000.75,
    ),
    OrderRequest(
        "fok", "BTC-USD", Side.BUY, OrderKind.LIMIT_FOK,
        base_size=D("0.1"), limit_price=D("101"), post_only=True,
    ),
    OrderRequest(
        "ioc", "BTC-USD", Side.SELL, OrderKind.SOR_LIMIT_IOC,
        base_size=D("0.1"), limit_price=D("99"),
    ),
    OrderRequest(
        "crossing-po", "BTC-USD", Side.BUY, OrderKind.LIMIT_GTC,
        base_size=D("0.1"), limit_price=D("101"), post_only=True,
    ),
]  # fmt: skip


def _over_the_wire(request: OrderRequest) -> NewOrder:
    return parse_new_order(orjson.loads(serialize_order(request)))


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: r.client_order_id)
def test_engine_order_equals_the_parsed_coinbase_body(request_: OrderRequest) -> None:
    mapped, parsed = engine_order(request_), _over_the_wire(request_)
    assert mapped == parsed
    assert str(mapped.spec) == str(parsed.spec)  # exponents too, not only values


def _run_both_routes() -> MatchingEngine:
    engine = make_engine(usd="100000", btc="5")
    standard_book(engine)
    for at, request in enumerate(REQUESTS, start=1):
        engine.create_order(engine_order(request), 10.123457 * at)
    engine.apply_market(Trade("BTC-USD", "t-1", D("99.25"), D("0.4"), Side.SELL, 80.5), 80.5)
    engine.apply_market(Trade("BTC-USD", "t-2", D("104.5"), D("0.05"), Side.BUY, 90.25), 90.25)
    return engine


def test_orders_and_fills_read_back_as_the_adapter_parsed_them() -> None:
    engine = _run_both_routes()
    orders, fills = engine.orders(), engine.fills()
    assert len(orders) >= 6 and len(fills) >= 3
    for order in orders:
        wire = parse.order(Reader("paper/order", order_json(order, "paper", "paper")))
        direct = order_model(order)
        assert direct == wire and str(direct) == str(wire)
        assert direct.order_configuration == wire.order_configuration
    for fill in fills:
        wire_fill = parse.fill(Reader("paper/fills", fill_json(fill, "paper", "paper")))
        assert fill_model(fill) == wire_fill and str(fill_model(fill)) == str(wire_fill)


def test_a_post_only_limit_that_would_cross_is_refused_with_the_reason_the_manager_reads() -> None:
    engine = make_engine()
    standard_book(engine)
    crossing = next(r for r in REQUESTS if r.client_order_id == "crossing-po")
    outcome = engine.create_order(engine_order(crossing), 1.0)
    assert not outcome.success
    assert outcome.failure_reason == "INVALID_LIMIT_PRICE_POST_ONLY"


def _paper_exchange() -> PaperExchange:
    clock = SimClock(1000.0)
    venue = BacktestVenue({BTC.product_id: BTC}, BacktestMarket(10), clock)
    paper = PaperExchange(
        venue, [BTC], {"USD": D("100000")}, FEES, latency_s=0.0, clock=clock, seed=3
    )
    touch = TickerEvent("BTC-USD", D("100"), D("100"), D("2"), D("100.10"), D("2"), 1000.0)
    paper.apply_market_event(touch)
    return paper


async def test_paper_resends_its_own_bytes_and_refuses_other_bytes() -> None:
    paper = _paper_exchange()
    request = REQUESTS[2]  # a post-only buy below the touch: it rests
    accepted = await paper.create_order_raw(paper.serialize_order(request))
    assert isinstance(accepted, OrderAccepted)
    assert accepted.client_order_id == request.client_order_id
    order = await paper.get_order(accepted.order_id)
    assert (order.status, order.limit_price, order.post_only) == ("OPEN", D("99.50"), True)
    assert order.order_configuration == {
        "limit_limit_gtc": {"base_size": "0.3", "limit_price": "99.50", "post_only": True}
    }
    refused = await paper.create_order_raw(serialize_order(request))  # a Coinbase body
    assert isinstance(refused, OrderRejected)
    assert (refused.reason, refused.http_status) == ("INVALID_REQUEST", 400)


def _touch(paper: PaperExchange, bid: str, bid_size: str, ask: str, at: float) -> None:
    event = TickerEvent("BTC-USD", D(bid), D(bid), D(bid_size), D(ask), D("2"), at)
    paper.apply_market_event(event)


def _print(paper: PaperExchange, price: str, size: str, at: float) -> None:
    trade = MarketTrade("BTC-USD", f"t{at}", D(price), D(size), "SELL", at)
    paper.apply_market_event(TradesEvent([trade], snapshot=False))


async def test_x6_an_order_meets_the_latest_touch_after_many_without_orders() -> None:
    """PERF-4: touches between orders are applied when an order meets the book; what the
    order meets is exactly the latest touch (its prices, sizes and time)."""
    paper = _paper_exchange()
    for n, (bid, ask) in enumerate((("101", "101.10"), ("99", "99.20"), ("110", "110.20"))):
        _touch(paper, bid, "2", ask, 1001.0 + n)
        _print(paper, bid, "0.1", 1001.5 + n)
    buy = OrderRequest("mb", "BTC-USD", Side.BUY, OrderKind.MARKET_IOC, base_size=D("0.5"))
    assert isinstance(await paper.create_order(buy), OrderAccepted)
    quote = paper.engine.quote("BTC-USD")
    assert quote is not None
    assert (quote.bid, quote.ask, quote.time) == (D("110"), D("110.20"), 1003.0)
    assert [(f.price, f.size) for f in paper.engine.fills()] == [(D("110.20"), D("0.5"))]


async def test_x6_while_an_order_rests_every_touch_reaches_its_queue() -> None:
    """A touch that shrinks the size ahead of a resting order counts at once: the next
    print at its price fills it past the smaller queue."""
    paper = _paper_exchange()
    _touch(paper, "100", "2", "100.10", 1001.0)
    join = OrderRequest(
        "j", "BTC-USD", Side.BUY, OrderKind.LIMIT_GTC,
        base_size=D("0.5"), limit_price=D("100"), post_only=True,
    )  # fmt: skip
    assert isinstance(await paper.create_order(join), OrderAccepted)
    _touch(paper, "100", "0.5", "100.10", 1002.0)  # 0.5 left ahead of the order
    _print(paper, "100", "1", 1003.0)
    assert [(f.price, f.size) for f in paper.engine.fills()] == [(D("100"), D("0.5"))]
