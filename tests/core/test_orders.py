"""X-1, X-2: the venue-neutral order model — kinds, time in force, request validation, and
the byte form a locally matched venue persists and resends."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader.core.orders import (
    OrderKind,
    OrderRequest,
    TimeInForce,
    decode_request,
    encode_request,
    order_type,
    time_in_force,
)
from trader.core.types import Side

D = Decimal
REQUESTS = [
    OrderRequest("m-base", "BTC-USD", Side.BUY, OrderKind.MARKET_IOC, base_size=D("0.50000")),
    OrderRequest("m-quote", "BTC-USD", Side.SELL, OrderKind.MARKET_IOC, quote_size=D("1E+2")),
    OrderRequest(
        "gtd", "ETH-USD", Side.SELL, OrderKind.LIMIT_GTD,
        base_size=D("0.2"), limit_price=D("104.10"), post_only=True, end_time=1000.75,
    ),
    OrderRequest(
        "fok", "BTC-USD", Side.BUY, OrderKind.LIMIT_FOK, base_size=D("1E-8"), limit_price=D("7")
    ),
]  # fmt: skip


def test_kind_values_are_the_persisted_configuration_keys() -> None:
    assert {k.name: k.value for k in OrderKind} == {
        "MARKET_IOC": "market_market_ioc",
        "LIMIT_GTC": "limit_limit_gtc",
        "LIMIT_GTD": "limit_limit_gtd",
        "LIMIT_FOK": "limit_limit_fok",
        "SOR_LIMIT_IOC": "sor_limit_ioc",
        "STOP_LIMIT_GTC": "stop_limit_stop_limit_gtc",
        "STOP_LIMIT_GTD": "stop_limit_stop_limit_gtd",
        "BRACKET_GTC": "trigger_bracket_gtc",
        "BRACKET_GTD": "trigger_bracket_gtd",
    }


def test_time_in_force_and_order_type_of_every_kind() -> None:
    gtc, gtd = TimeInForce.GOOD_UNTIL_CANCELLED, TimeInForce.GOOD_UNTIL_DATE_TIME
    ioc, fok = TimeInForce.IMMEDIATE_OR_CANCEL, TimeInForce.FILL_OR_KILL
    expected = {
        OrderKind.MARKET_IOC: (ioc, "MARKET"),
        OrderKind.LIMIT_GTC: (gtc, "LIMIT"),
        OrderKind.LIMIT_GTD: (gtd, "LIMIT"),
        OrderKind.LIMIT_FOK: (fok, "LIMIT"),
        OrderKind.SOR_LIMIT_IOC: (ioc, "LIMIT"),
        OrderKind.STOP_LIMIT_GTC: (gtc, "STOP_LIMIT"),
        OrderKind.STOP_LIMIT_GTD: (gtd, "STOP_LIMIT"),
        OrderKind.BRACKET_GTC: (gtc, "BRACKET"),
        OrderKind.BRACKET_GTD: (gtd, "BRACKET"),
    }
    assert {k: (time_in_force(k), order_type(k)) for k in OrderKind} == expected


@pytest.mark.parametrize(
    ("kind", "base", "quote", "limit", "problem"),
    [
        (OrderKind.MARKET_IOC, None, None, None, "exactly one of base_size and quote_size"),
        (OrderKind.MARKET_IOC, D(1), D(1), None, "exactly one"),
        (OrderKind.LIMIT_GTC, D(1), None, None, "needs base_size and limit_price"),
        (OrderKind.LIMIT_GTD, D(1), None, D(1), "needs end_time"),
    ],
)
def test_a_request_that_cannot_be_placed_is_refused_at_construction(
    kind: OrderKind,
    base: Decimal | None,
    quote: Decimal | None,
    limit: Decimal | None,
    problem: str,
) -> None:
    with pytest.raises(ValueError, match=problem):
        OrderRequest(
            "c-1", "BTC-USD", Side.BUY, kind, base_size=base, quote_size=quote, limit_price=limit
        )


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: r.client_order_id)
def test_the_byte_form_round_trips_exactly_and_is_deterministic(request_: OrderRequest) -> None:
    body = encode_request(request_)
    decoded = decode_request(body)
    assert decoded == request_ and str(decoded) == str(request_)  # exponents kept too
    assert encode_request(decoded) == body


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b"{}",
        b'{"kind": "limit_limit_gtc"}',
        encode_request(REQUESTS[0]).replace(b'"BUY"', b'"HOLD"'),
        encode_request(REQUESTS[0]).replace(b'"0.50000"', b'"NaN"'),
        encode_request(REQUESTS[0]).replace(b'"market_market_ioc"', b'"market_market_gtc"'),
        encode_request(REQUESTS[2]).replace(b"1000.75", b'"soon"'),
    ],
    ids=repr,
)
def test_bytes_that_are_not_a_request_are_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        decode_request(body)
