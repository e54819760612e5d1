"""EX-1, X-4, R-5: the REST parser holds fills and balances to the WebSocket decoder's
money rule (one rule, `fields.amount_problem`), and an accounts listing is read once per
account. The class of input: any non-positive fill size or price, any negative fee or
balance; repeated, conflicting and second-wallet account rows. Over the real adapter and
a real loopback HTTP server: a malformed fill is left out of its page, said once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from tests.exchange.support import answered_by, sample, venue_answering
from trader.exchange.coinbase import decode, parse
from trader.exchange.coinbase.fields import Reader
from trader.exchange.errors import ExchangeProtocolError
from trader.ops.metrics import Metrics

NON_POSITIVE = st.decimals(max_value=0, allow_nan=False, allow_infinity=False, places=8)
NEGATIVE = st.decimals(max_value=Decimal("-1E-12"), allow_nan=False, allow_infinity=False)
NOT_POSITIVE_TEXT = st.one_of(
    NON_POSITIVE.map(str), st.sampled_from(["NaN", "Infinity", "1e400", "", "-1"])
)
DECIMAL_TEXT = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0", "-0", "0.000", "1e21", "1e-21", "-1", "5", "Infinity", "NaN"]),
)


def fill_row(**changes: Any) -> dict[str, Any]:
    row = {
        "entry_id": "e1",
        "trade_id": "t1",
        "order_id": "o1",
        "product_id": "BTC-USD",
        "side": "BUY",
        "price": "100.5",
        "size": "0.01",
        "commission": "0.001",
        "liquidity_indicator": "MAKER",
        "trade_time": "2026-01-01T00:00:00Z",
    }
    row.update(changes)
    return row


def account_row(currency: str = "USD", uuid: str = "u-usd", **values: str) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "currency": currency,
        "available_balance": {"value": values.get("available", "100"), "currency": currency},
        "hold": {"value": values.get("hold", "0"), "currency": currency},
        "type": values.get("type", "ACCOUNT_TYPE_FIAT"),
        "active": True,
        "ready": True,
    }


def _refusal(call: Any) -> ExchangeProtocolError:
    with pytest.raises(ExchangeProtocolError) as caught:
        call()
    return caught.value


@given(value=NON_POSITIVE, key=st.sampled_from(["size", "price"]))
def test_x4_a_fill_with_a_size_or_price_not_above_zero_is_refused_naming_the_field(value, key):
    refused = _refusal(lambda: parse.fill(Reader("fills", fill_row(**{key: str(value)}))))
    assert (refused.endpoint, refused.field) == ("fills", key)


@given(value=NEGATIVE)
def test_x4_a_fill_with_a_negative_fee_is_refused(value):
    refused = _refusal(lambda: parse.fill(Reader("fills", fill_row(commission=str(value)))))
    assert refused.field == "commission" and "negative" in str(refused)


def test_x4_a_well_formed_fill_and_a_zero_fee_are_taken():
    fill = parse.fill(Reader("fills", fill_row(commission="0")))
    assert (fill.size, fill.price, fill.commission) == (Decimal("0.01"), Decimal("100.5"), 0)


@given(text=DECIMAL_TEXT)
def test_ex1_rest_and_websocket_refuse_the_same_figures(text):
    """One rule: a price or size the WS decoder refuses, the REST parser refuses too."""
    decode.clear_decimal_cache()
    for ws_reader, rest_key in ((decode.positive, "price"), (decode.quantity, "commission")):
        try:
            ws_reader(text)
            ws_ok = True
        except (ValueError, ArithmeticError):
            ws_ok = False
        try:
            parse.fill(Reader("fills", fill_row(**{rest_key: text})))
            rest_ok = True
        except ExchangeProtocolError:
            rest_ok = False
        assert ws_ok == rest_ok, (text, rest_key)


@given(value=NEGATIVE, key=st.sampled_from(["available", "hold"]))
def test_r5_a_negative_balance_is_refused_naming_currency_and_field(value, key):
    row = account_row(**{key: str(value)})
    refused = _refusal(lambda: parse.unique_accounts(Reader("accounts", {"a": [row]}).items("a")))
    field = "available_balance.value" if key == "available" else "hold.value"
    assert refused.field == f"a[0].{field}" and "negative" in str(refused)


def _accounts(*rows: dict[str, Any]) -> list[Any]:
    return parse.unique_accounts(Reader("accounts", {"accounts": list(rows)}).items("accounts"))


@given(repeats=st.integers(min_value=2, max_value=5))
def test_r5_an_account_served_again_is_taken_once(repeats):
    usd, btc = account_row(), account_row("BTC", "u-btc", available="0.5")
    accounts = _accounts(*([usd, btc] * repeats))
    assert [(a.currency, a.available) for a in accounts] == [
        ("USD", Decimal(100)),
        ("BTC", Decimal("0.5")),
    ]


def test_r5_conflicting_rows_of_one_account_refuse_the_listing():
    refused = _refusal(lambda: _accounts(account_row(), account_row(available="200")))
    assert refused.field == "accounts[1].uuid" and "u-usd" in str(refused)


def test_r5_a_second_wallet_of_one_currency_and_type_refuses_the_listing():
    refused = _refusal(lambda: _accounts(account_row(), account_row(uuid="u-usd-2")))
    assert refused.field == "accounts[1].currency" and "second USD account" in str(refused)


def test_r5_a_vault_beside_the_wallet_is_its_own_account():
    vault = account_row(uuid="u-vault", type="ACCOUNT_TYPE_VAULT", available="5")
    assert len(_accounts(account_row(), vault)) == 2


async def test_x4_a_malformed_fill_is_left_out_of_its_page_and_said_once():
    fills = [
        fill_row(),
        fill_row(trade_id="t-bad", size="-0.01"),
        fill_row(trade_id="t2", order_id="o2", side="SELL"),
    ]
    page = {"fills": fills, "cursor": ""}
    async with venue_answering({"/orders/historical/fills": page}) as url:
        metrics = Metrics()
        exchange = answered_by(url, metrics)
        try:
            with structlog.testing.capture_logs() as logs:
                first = await exchange.fills(start=0.0)
                again = await exchange.fills(start=0.0)
        finally:
            await exchange.close()
    assert [f.trade_id for f in first] == [f.trade_id for f in again] == ["t1", "t2"]
    refused = [e for e in logs if e["event"] == "exchange_fill_refused"]
    assert len(refused) == 1
    assert refused[0]["endpoint"] == "fills" and refused[0]["trade_id"] == "t-bad"
    assert refused[0]["field"] == "fills[1].size" and refused[0]["log_level"] == "error"
    assert sample(metrics, "trader_venue_data_errors_total", kind="malformed_fill") == 1


async def test_r5_a_repeated_accounts_page_is_read_once_a_negative_one_refused_said_once():
    rows = [account_row(), account_row("BTC", "u-btc", available="0.5")]
    bodies = {"/accounts": {"accounts": rows + rows, "has_next": False, "cursor": ""}}
    async with venue_answering(bodies) as url:
        exchange = answered_by(url, Metrics())
        try:
            accounts = await exchange.accounts()
            bodies["/accounts"]["accounts"] = [account_row(available="-50000")]
            with structlog.testing.capture_logs() as logs:
                for _ in range(3):  # read again and again: said once
                    with pytest.raises(ExchangeProtocolError) as caught:
                        await exchange.accounts()
        finally:
            await exchange.close()
    assert [e["event"] for e in logs] == ["exchange_malformed_payload"]
    assert sorted((a.currency, a.available) for a in accounts) == [
        ("BTC", Decimal("0.5")),
        ("USD", Decimal(100)),
    ]
    assert caught.value.field == "accounts[0].available_balance.value"
    assert "is negative" in str(caught.value)


@given(text=NOT_POSITIVE_TEXT, side=st.sampled_from(["bids", "asks"]))
def test_ex1_a_pricebook_price_not_above_zero_is_refused(text, side):
    book = {"product_id": "BTC-USD", "bids": [{"price": "1", "size": "1"}],
            "asks": [{"price": "2", "size": "1"}], "time": "2026-01-01T00:00:00Z"}  # fmt: skip
    book[side][0]["price"] = text
    refused = _refusal(lambda: parse.pricebook_quote(Reader("best_bid_ask", book)))
    assert refused.field == f"{side}[0].price"
