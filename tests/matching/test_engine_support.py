"""Builders shared by the engine tests (SIM-1), plus a check that they build what they say."""

from __future__ import annotations

import itertools
from decimal import Decimal

from trader.core.orders import OrderKind
from trader.core.types import BookLevel, FeeRates, ProductRules, Side, Trade
from trader.matching import MatchingEngine
from trader.matching.types import BookUpdate, NewOrder, OrderSpec, VenueSetup

D = Decimal
BTC = ProductRules(
    product_id="BTC-USD",
    base_currency="BTC",
    quote_currency="USD",
    base_increment=D("0.00000001"),
    quote_increment=D("0.01"),
    base_min_size=D("0.0001"),
    base_max_size=D("100"),
    quote_min_size=D("1"),
    quote_max_size=D("1000000"),
)
FEES = FeeRates(maker=D("0.004"), taker=D("0.006"))
_ids = itertools.count(1)


def make_engine(
    usd: str = "100000",
    btc: str = "0",
    seed: int = 7,
    products: list[ProductRules] | None = None,
    fill_on_book: bool = True,
) -> MatchingEngine:
    balances = {"USD": D(usd), "BTC": D(btc)}
    setup = VenueSetup(balances=balances, fees=FEES, seed=seed, fill_on_book=fill_on_book)
    return MatchingEngine(products or [BTC], setup)


def levels(pairs: list[tuple[str, str]]) -> tuple[BookLevel, ...]:
    return tuple(BookLevel(D(p), D(s)) for p, s in pairs)


def set_book(
    engine: MatchingEngine,
    bids: list[tuple[str, str]],
    asks: list[tuple[str, str]],
    t: float = 0.0,
    snapshot: bool = True,
) -> None:
    engine.apply_market(BookUpdate("BTC-USD", levels(bids), levels(asks), t, snapshot), t)


def standard_book(engine: MatchingEngine) -> None:
    """Bids 100/99/98 (1, 2, 3 BTC), asks 101/102/103 (1, 2, 3 BTC)."""
    set_book(
        engine,
        [("100", "1"), ("99", "2"), ("98", "3")],
        [("101", "1"), ("102", "2"), ("103", "3")],
    )


def coid() -> str:
    return f"client-{next(_ids)}"


def limit(
    side: Side,
    size: str,
    price: str,
    *,
    post_only: bool = False,
    client_id: str | None = None,
    kind: OrderKind = OrderKind.LIMIT_GTC,
    end_time: float | None = None,
    product_id: str = "BTC-USD",
) -> NewOrder:
    spec = OrderSpec(
        kind, base_size=D(size), limit_price=D(price), post_only=post_only, end_time=end_time
    )
    return NewOrder(client_id or coid(), product_id, side, spec, {kind.value: {}})


def market(
    side: Side, base: str | None = None, quote: str | None = None, client_id: str | None = None
) -> NewOrder:
    spec = OrderSpec(
        OrderKind.MARKET_IOC,
        base_size=D(base) if base is not None else None,
        quote_size=D(quote) if quote is not None else None,
    )
    return NewOrder(client_id or coid(), "BTC-USD", side, spec, {"market_market_ioc": {}})


def trade(price: str, size: str, t: float = 1.0, maker: Side = Side.BUY) -> Trade:
    return Trade("BTC-USD", f"t{next(_ids)}", D(price), D(size), maker, t)


def balance(engine: MatchingEngine, currency: str) -> tuple[Decimal, Decimal]:
    """(available, hold) of one currency."""
    for b in engine.balances():
        if b.currency == currency:
            return b.available, b.hold
    raise AssertionError(f"no balance row for {currency}")


def test_sim1_support_builds_standard_book():
    engine = make_engine()
    standard_book(engine)
    quote = engine.quote("BTC-USD")
    assert quote is not None
    assert (quote.bid, quote.ask) == (D("100"), D("101"))
    assert balance(engine, "USD") == (D("100000"), D("0"))
