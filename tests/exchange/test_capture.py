"""EX-2 / PERF-2 ground truth: every frame of the real Coinbase capture decodes into typed
events (Decimal money), and the real `/market/products` body parses into ProductRules."""

from __future__ import annotations

import gzip
from collections import Counter
from decimal import Decimal

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trader.exchange.coinbase import parse
from trader.exchange.coinbase.decode import (
    DECODERS,
    IGNORED_CHANNELS,
    _fraction,
    decode_events,
    fast_time,
)
from trader.exchange.coinbase.fields import Reader, parse_time
from trader.exchange.coinbase.ws import SequenceTracker
from trader.exchange.models import BookEvent, TickerEvent, TradesEvent
from trader.marketdata.live import LiveMarket

CAPTURE = "coinbase-ws-capture-2026/advanced-trade-btc-eth.jsonl.gz"


@pytest.fixture(scope="module")
def records(shared_data):
    with gzip.open(shared_data / CAPTURE, "rt", encoding="utf-8") as handle:
        return [orjson.loads(line) for line in handle]


def test_ex2_every_captured_frame_decodes(records):
    frames = [orjson.loads(r["data"]) for r in records if r["t"] == "recv"]
    assert len(frames) == 1030
    kinds: Counter[str] = Counter()
    tracker = SequenceTracker()
    for frame in frames:
        channel = frame["channel"]
        assert channel in DECODERS or channel in IGNORED_CHANNELS
        assert tracker.check(frame["sequence_num"]) == "ok"  # nothing lost in the capture
        for event in decode_events(channel, frame):
            kinds[type(event).__name__] += 1
            if isinstance(event, TickerEvent):
                assert isinstance(event.bid, Decimal) and event.bid <= event.ask
            elif isinstance(event, TradesEvent):
                assert all(t.side in ("BUY", "SELL") and t.size > 0 for t in event.trades)
            elif isinstance(event, BookEvent):
                assert all(side in ("bid", "offer") for side, _, _ in event.updates)
    assert kinds["TickerEvent"] >= 158 and kinds["TradesEvent"] >= 59
    assert kinds["BookEvent"] >= 775


def test_ex2_capture_applies_to_quotes_books_and_candles(records):
    frames = [orjson.loads(r["data"]) for r in records if r["t"] == "recv"]
    live = LiveMarket(["BTC-USD", "ETH-USD"], 1786309500.0)
    for frame in frames:
        for event in decode_events(frame["channel"], frame):
            live.apply(event, fast_time(frame["timestamp"]))
    btc = live.quotes.get("BTC-USD")
    assert btc is not None and btc.bid < btc.ask and btc.spread_bps < 5
    bids, asks = live.books["BTC-USD"]
    assert max(bids) < min(asks)
    assert live.builders["BTC-USD"].forming  # trades were applied to forming minutes
    assert not live.store.closed_candles("BTC-USD")  # nothing closes without the timer


def test_ex4_real_products_body_parses(records):
    body = next(r["data"] for r in records if r["t"] == "http")
    products = [
        parse.product_rules(p) for p in Reader("products", orjson.loads(body)).items("products")
    ]
    btc = next(p for p in products if p.product_id == "BTC-USD")
    assert btc.base_increment == Decimal("0.00000001") and btc.quote_increment == Decimal("0.01")
    assert btc.quote_min_size == Decimal("1") and btc.status == "online"


@pytest.mark.parametrize(
    "text",
    [
        "2026-08-09T21:05:48.298032046Z",
        "2026-08-09T21:05:48Z",
        "2026-08-09T21:05:48.1Z",
        "2026-08-09T23:05:48.298032+02:00",
        "1970-01-01T00:00:00Z",
    ],
)
def test_ex2_fast_time_matches_full_parse(text):
    assert fast_time(text) == pytest.approx(parse_time(text, "t", "t"), abs=1e-6)


def _reference_fraction(text: str) -> float | None:
    """The fraction as `float` reads `.` and ASCII digits (the shape checked first)."""
    fraction = text[19:-1]
    if fraction.rstrip("0123456789") != ".":
        return None if fraction else 0.0
    return float(fraction)


SECOND = "2026-08-09T21:05:48"
ODD_FRACTIONS = st.text(alphabet=st.sampled_from([*"0123456789._e+- Z", "\u0663", "\uff15"]))


@given(st.one_of(st.from_regex(r"\.[0-9]{0,40}", fullmatch=True), ODD_FRACTIONS))
def test_ex2_fast_fraction_reads_as_float_reads_the_same_text(fraction: str):
    """Digit by digit and one exact division (up to 15 places) gives the very double
    `float` gives; every other shape is refused alike (None, or ValueError for `.`)."""
    text = SECOND + fraction + "Z"
    try:
        expected: float | str | None = _reference_fraction(text)
    except ValueError:
        expected = "ValueError"
    try:
        got: float | str | None = _fraction(text)
    except ValueError:
        got = "ValueError"
    assert got == expected and repr(got) == repr(expected)
