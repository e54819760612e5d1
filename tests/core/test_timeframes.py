"""STR-4: one resampler builds every timeframe from closed candles; a bar is visible only
once it has closed; history is bounded; recorded multi-minute bars fed as the backtest
feeds them give the very bars the data holds."""

from __future__ import annotations

import random
from decimal import Decimal as D

import pytest

from trader.config.signals import SignalsConfig
from trader.core.timeframes import (
    MAX_BACKFILL_MINUTES,
    TIMEFRAMES,
    BarBook,
    BarView,
    Resampler,
    backfill_minutes,
    check_needs,
)
from trader.core.types import Candle
from trader.sim.market.bars import split_bar
from trader.triggers.engine import TriggerEngine


def _series(rng: random.Random, minutes: int, gaps: float, step: int = 60) -> list[Candle]:
    out, price, t = [], D("100"), 1_600_000_000 - 1_600_000_000 % 86400
    for _ in range(minutes):
        t += step
        if rng.random() < gaps:
            continue
        move = D(rng.randint(-50, 50)) / 100
        high = price + abs(move) + D(rng.randint(0, 20)) / 100
        low = price - abs(move) - D(rng.randint(0, 20)) / 100
        close = price + move
        out.append(Candle("BTC-USD", t, price, high, low, close, D(rng.randint(0, 900)) / 10))
        price = close
    return out


def batch(candles: list[Candle], seconds: int) -> list[Candle]:
    """Bars straight from the definition: group by bucket, aggregate."""
    buckets: dict[int, list[Candle]] = {}
    for c in candles:
        buckets.setdefault(c.start - c.start % seconds, []).append(c)
    return [
        Candle(
            group[0].product_id,
            start,
            group[0].open,
            max(c.high for c in group),
            min(c.low for c in group),
            group[-1].close,
            sum((c.volume for c in group), D(0)),
        )
        for start, group in sorted(buckets.items())
    ]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("timeframe", sorted(TIMEFRAMES))
def test_str4_resampled_bars_equal_the_batch_aggregate(seed, timeframe):
    seconds = TIMEFRAMES[timeframe]
    candles = _series(random.Random(seed), 3 * 1440, gaps=0.1 * (seed % 2))
    resampler = Resampler(seconds, history=10_000)
    for candle in candles:
        resampler.add(candle, 60)
    expected = batch(candles, seconds)
    closed = list(resampler.bars)
    # every bucket but possibly the last (still forming) has closed, exactly as the batch
    assert closed == expected[: len(closed)]
    assert len(expected) - len(closed) in (0, 1)
    last_end = candles[-1].start + 60
    assert (len(closed) == len(expected)) == (last_end % seconds == 0)


@pytest.mark.parametrize("minutes", [5, 15])
def test_str4_recorded_bars_split_for_the_triggers_resample_to_the_recorded_bars(minutes):
    native = _series(random.Random(minutes), 400, gaps=0.0, step=60 * minutes)
    pieces = [p for bar in native for p in split_bar(bar, minutes, D("0.00000001"))]
    for timeframe in ("5m", "15m", "1h", "4h"):
        seconds = TIMEFRAMES[timeframe]
        if seconds < minutes * 60:
            continue
        from_pieces, from_native = Resampler(seconds, 1000), Resampler(seconds, 1000)
        for piece in pieces:
            from_pieces.add(piece, 60)
        for bar in native:
            from_native.add(bar, minutes * 60)
        assert (
            list(from_pieces.bars)
            == list(from_native.bars)
            == batch(native, seconds)[: len(from_native.bars)]
        )


def test_str4_a_bar_is_visible_only_after_it_closed_at_a_decision_time():
    engine = TriggerEngine(SignalsConfig())
    book = BarBook({"15m": 10})
    engine.candle_sinks.append(book.add)
    candles = _series(random.Random(7), 60, gaps=0.0)
    for candle in candles:
        engine.on_candle(candle)  # fed ahead of time: the engine holds them back
    every_bar = batch(candles, 900)
    for now in range(candles[0].start, candles[-1].start + 61, 60):
        engine.advance(float(now))
        assert list(book.bars("BTC-USD", "15m")) == [b for b in every_bar if b.start + 900 <= now]


def test_str4_history_is_bounded_and_each_strategy_sees_what_it_declared():
    book = BarBook({"1m": 5, "5m": 3})
    for candle in _series(random.Random(3), 100, gaps=0.0):
        book.add(candle)
    assert len(book.bars("BTC-USD", "1m")) == 5 and len(book.bars("BTC-USD", "5m")) == 3
    view = BarView(book, {"1m": 2})
    assert list(view("BTC-USD", "1m")) == list(book.bars("BTC-USD", "1m"))[-2:]
    with pytest.raises(ValueError, match="not in the strategy's `timeframes`"):
        view("BTC-USD", "5m")
    assert view("ETH-USD", "1m") == ()


@pytest.mark.parametrize(
    ("needs", "text"),
    [
        ({"2h": 10}, "unknown timeframe '2h'"),
        ({"1h": 0}, "1..5000"),
        ({"1h": 10_000}, "1..5000"),
        ({"1h": 2.5}, "an int of bars"),
        ({"1h": True}, "an int of bars"),
    ],
)
def test_str4_a_bad_timeframe_declaration_is_refused(needs, text):
    with pytest.raises(ValueError, match=text.replace("(", r"\(").replace(".", r"\.")):
        check_needs(needs)


def test_str4_a_start_backfills_the_declared_bars_up_to_a_week():
    assert backfill_minutes({}, 1500) == 1500
    assert backfill_minutes({"15m": 200}, 1500) == 3000
    assert backfill_minutes({"1h": 20, "5m": 10}, 1500) == 1500  # the triggers need more
    assert backfill_minutes({"1h": 500}, 1500) == MAX_BACKFILL_MINUTES == 7 * 1440
