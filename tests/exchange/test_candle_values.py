"""EX-1, S-1: the venue's candles are data only when they can be true. The class of input:
any price not a positive finite decimal within 10^±20 (zero, negative, NaN, infinite,
`1e400`, empty text), a negative volume, any open or close outside low..high, a start off
the bar's grid, one start answered twice with other figures. Over the real adapter and a
real loopback HTTP server: the whole answer is refused, said once, counted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from tests.exchange.support import answered_by, sample, venue_answering
from trader.exchange.coinbase import parse
from trader.exchange.coinbase.fields import Reader
from trader.exchange.errors import ExchangeProtocolError
from trader.ops.metrics import Metrics

START = 1_795_905_840  # a whole minute
PRICES = ("open", "high", "low", "close")
PRICE = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**6), places=2)
NOT_A_PRICE = st.one_of(
    st.decimals(max_value=0, allow_nan=False, allow_infinity=False, places=8).map(str),
    st.sampled_from(["", "NaN", "-NaN", "Infinity", "-Infinity", "1e400", "1e21", "1e-21", "x"]),
)


def candle_row(**changes: Any) -> dict[str, Any]:
    row = {
        "start": str(START),
        "low": "99",
        "high": "102",
        "open": "100",
        "close": "101",
        "volume": "3.5",
    }
    row.update(changes)
    return row


def _listing(*rows: dict[str, Any], bar_s: int = 60) -> dict[int, Any]:
    reader = Reader("candles", {"candles": list(rows)}, "BTC-USD/ONE_MINUTE")
    return parse.unique_candles("BTC-USD", reader.items("candles"), bar_s)


def _refusal(*rows: dict[str, Any]) -> ExchangeProtocolError:
    with pytest.raises(ExchangeProtocolError) as caught:
        _listing(*rows)
    return caught.value


@given(key=st.sampled_from(PRICES), text=NOT_A_PRICE)
def test_ex1_a_candle_price_that_is_no_price_is_refused_naming_the_field(key, text):
    refused = _refusal(candle_row(), candle_row(start=str(START + 60), **{key: text}))
    assert (refused.endpoint, refused.field) == ("candles", f"BTC-USD/ONE_MINUTE.candles[1].{key}")


@given(text=st.sampled_from(["-1", "-0.00000001", "NaN", "Infinity", "1e400", ""]))
def test_ex1_a_candle_volume_below_zero_or_no_number_is_refused(text):
    assert _refusal(candle_row(volume=text)).field == "BTC-USD/ONE_MINUTE.candles[0].volume"


@given(o=PRICE, h=PRICE, lo=PRICE, c=PRICE)
def test_s1_a_candle_is_taken_exactly_when_open_and_close_lie_within_low_and_high(o, h, lo, c):
    row = candle_row(open=str(o), high=str(h), low=str(lo), close=str(c))
    consistent = lo <= min(o, c) and max(o, c) <= h
    if consistent:
        assert _listing(row)[START].high == h
    else:
        refused = _refusal(row)
        assert refused.field == "BTC-USD/ONE_MINUTE.candles[0]" and "not within" in str(refused)


@given(offset=st.integers(min_value=1, max_value=59))
def test_s1_a_candle_off_its_bar_grid_is_refused(offset):
    refused = _refusal(candle_row(start=str(START + offset)))
    assert "grid" in str(refused)


def test_s1_a_daily_candle_is_held_to_the_day_grid():
    assert _listing(candle_row(start="1795824000"), bar_s=86400)
    with pytest.raises(ExchangeProtocolError, match="86400-second grid"):
        _listing(candle_row(), bar_s=86400)


def test_s1_a_candle_answered_twice_is_taken_once_with_other_figures_refused():
    assert list(_listing(candle_row(), candle_row(), candle_row(start=str(START - 60)))) == [
        START,
        START - 60,
    ]
    refused = _refusal(candle_row(), candle_row(close="100.5"))
    assert refused.field == "BTC-USD/ONE_MINUTE.candles[1].start" and "other figures" in str(
        refused
    )


async def test_ex1_a_malformed_candle_refuses_its_answer_said_once_and_counted():
    path = "/market/products/BTC-USD/candles"
    bodies: dict[str, Any] = {path: {"candles": [candle_row(start=str(START + 60)), candle_row()]}}
    async with venue_answering(bodies) as url:
        metrics = Metrics()
        exchange = answered_by(url, metrics)
        try:
            good = await exchange.candles("BTC-USD", START, START + 120)
            bodies[path]["candles"][0]["low"] = "0"
            with structlog.testing.capture_logs() as logs:
                for _ in range(3):  # read again and again: said once, counted each time
                    with pytest.raises(ExchangeProtocolError):
                        await exchange.candles("BTC-USD", START, START + 120)
        finally:
            await exchange.close()
    assert [c.start for c in good] == [START, START + 60]
    assert [e["event"] for e in logs] == ["exchange_malformed_payload"]
    assert (
        logs[0]["field"] == "BTC-USD/ONE_MINUTE.candles[0].low"
        and "not positive" in logs[0]["error"]
    )
    assert sample(metrics, "trader_venue_data_errors_total", kind="malformed_candle") == 3
