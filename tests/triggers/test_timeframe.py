"""S-1 trigger timeframes: the triggers are computed on closed bars of `signals.timeframe`,
built from finer candles by the one resampler or fed as they are, never cut from longer
bars; every trigger kind fires on real 5-minute data."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from trader.backtest.data import load_dataset
from trader.config.loader import load_config
from trader.config.signals import SignalsConfig
from trader.core.types import Candle
from trader.triggers import TriggerEngine, TriggerKind
from trader.triggers.series import ProductSeries

from ..core.test_timeframes import batch
from ..risk.factories import candle
from .helpers import T0, config

EVERYTHING = {
    "price_move": {"enabled": True, "threshold_15m_pct": 0.1, "threshold_60m_pct": 0.1},
    "volume_spike": {"enabled": True, "ratio_threshold": 0.1, "full_score_ratio": 5},
    "breakout": {"enabled": True, "lookback_hours": 1, "buffer_pct": 0.01},
    "momentum": {
        "enabled": True,
        "lookback_minutes": 15,
        "min_return_pct": 0.1,
        "min_consistency": 0.0,
    },
}
DAY0 = T0 - T0 % 86400  # a day boundary: every timeframe's bars start on it


@st.composite
def minute_walk(draw, days=1.3):
    """Whole 15-minute buckets of 1-minute candles, a random walk with random volumes."""
    buckets = draw(st.integers(min_value=14, max_value=int(days * 96)))
    moves = draw(st.lists(st.integers(-25, 25), min_size=buckets * 15, max_size=buckets * 15))
    price, out = 1000, []
    for i, move in enumerate(moves):
        price = max(5, price + move)
        volume = draw(st.integers(0, 40)) if i % 7 == 0 else 10
        out.append(candle("X-USD", DAY0 + 60 * i, price, volume, high=price + 2, low=price - 2))
    return out


@settings(max_examples=15, deadline=None)
@given(minute_walk(), st.sampled_from(["5m", "15m"]))
def test_s1_timeframe_bars_built_from_minutes_decide_as_the_bars_themselves(minutes, timeframe):
    """Live (1-minute candles built into the timeframe's bars) and a backtest over data of
    that timeframe fire the same triggers with the same scores at every bar close."""
    cfg = config(timeframe=timeframe, **EVERYTHING)
    seconds = cfg.bar_seconds
    bars = batch(minutes, seconds)
    live, recorded = TriggerEngine(cfg, 60), TriggerEngine(cfg, seconds)
    live.feed(minutes)
    recorded.feed(bars)
    for bar in bars:
        now = float(bar.start + seconds)
        assert live.fired(now) == recorded.fired(now)
        assert live.sigma("X-USD") == recorded.sigma("X-USD")
        assert live.last_close("X-USD") == recorded.last_close("X-USD")


def _brute_bars(bars: list[Candle], seconds: int, momentum_minutes: int) -> dict[str, float | None]:
    last = bars[-1]
    t, close = last.start, float(last.close)

    def lagged(lag: int) -> float | None:
        refs = [c for c in bars if c.start <= t - lag]
        if not refs or refs[-1].start < t - 2 * lag:
            return None
        return close / float(refs[-1].close) - 1

    closes = [float(c.close) for c in bars]
    rets = [(bars[i].start, math.log(closes[i] / closes[i - 1])) for i in range(1, len(bars))]
    day = [r for s, r in rets if s > t - 86400]
    sigma = None
    if len(day) >= 30:
        mean = sum(day) / len(day)
        sigma = math.sqrt(sum((r - mean) ** 2 for r in day) / (len(day) - 1))
        sigma /= math.sqrt(seconds / 60)  # per minute
    moves = [r for s, r in rets if s > t - momentum_minutes * 60]
    return {
        "return_15m": lagged(900),
        "return_60m": lagged(3600),
        "momentum_return": lagged(momentum_minutes * 60),
        "momentum_up_share": sum(r > 0 for r in moves) / len(moves) if moves else None,
        "sigma": sigma,
    }


@settings(max_examples=25, deadline=None)
@given(minute_walk(days=2.2))
def test_s1_measures_on_5_minute_bars_equal_brute_force(minutes):
    """Returns over 15/60 min, the momentum share and the per-minute sigma, on 5 m bars."""
    cfg = config(timeframe="5m", **EVERYTHING)
    bars = batch(minutes, 300)
    series = ProductSeries(cfg)
    for bar in bars:
        series.apply(bar)
    measures = series.measures()
    assert measures is not None
    for name, expected in _brute_bars(bars, 300, 15).items():
        actual = getattr(measures, name)
        if expected is None or (name == "momentum_up_share" and measures.momentum_return is None):
            assert actual is None, name
        else:
            assert actual == pytest.approx(expected, rel=1e-6, abs=1e-9), name


def test_s1_sigma_is_per_minute_at_every_timeframe():
    """A bar's sigma is scaled to one minute: a random walk's estimate agrees at 1, 5, 15 m."""
    import random

    rng = random.Random(7)
    price, minutes = 1000.0, []
    for i in range(3 * 1440):
        price *= math.exp(rng.gauss(0.0, 0.001))
        minutes.append(candle("X-USD", DAY0 + 60 * i, round(price, 6)))
    estimates = []
    for timeframe in ("1m", "5m", "15m"):
        cfg = config(timeframe=timeframe)
        engine = TriggerEngine(cfg, cfg.bar_seconds)
        engine.feed(batch(minutes, cfg.bar_seconds))
        engine.advance(float(minutes[-1].start + 60))
        sigma = engine.sigma("X-USD")
        assert sigma is not None
        estimates.append(sigma)
    assert all(e == pytest.approx(0.001, rel=0.25) for e in estimates), estimates


@pytest.mark.parametrize(("timeframe", "candle_s"), [("1m", 300), ("5m", 900), ("5m", 600)])
def test_s1_candles_longer_than_the_timeframe_are_refused(timeframe, candle_s):
    with pytest.raises(ValueError, match="cannot be built from"):
        TriggerEngine(config(timeframe=timeframe), candle_s)


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"timeframe": "2m"}, "timeframe"),
        ({"timeframe": "1h"}, "timeframe"),
        ({"timeframe": "15m", "momentum": {"lookback_minutes": 20}}, "lookback_minutes"),
        ({"timeframe": "5m", "momentum": {"lookback_minutes": 12}}, "lookback_minutes"),
    ],
)
def test_s1_timeframe_must_hold_every_window_in_whole_bars(overrides, names):
    with pytest.raises(ValidationError, match=names):
        SignalsConfig.model_validate(overrides)


def test_s1_a_bar_forming_at_a_decision_is_not_used():
    """Live at 5 m: a cycle inside a bucket sees the bars before it, not the minutes of the
    forming one — yet the product stays fresh (its last minute is current)."""
    cfg = config(
        timeframe="5m",
        price_move={"enabled": True, "threshold_15m_pct": 0.1, "threshold_60m_pct": 50},
    )
    minutes = [candle("X-USD", DAY0 + 60 * i, 100) for i in range(60)]
    minutes += [candle("X-USD", DAY0 + 3600 + 60 * i, 110) for i in range(3)]  # forming
    engine = TriggerEngine(cfg, 60)
    engine.feed(minutes)
    assert engine.fired(float(DAY0 + 3600 + 180)) == []
    assert engine.last_close("X-USD") == Decimal("110")
    for i in range(3, 5):
        engine.on_candle(candle("X-USD", DAY0 + 3600 + 60 * i, 110))
    fired = engine.fired(float(DAY0 + 3600 + 300))
    assert {s.kind for s in fired} == {TriggerKind.PRICE_MOVE_15M}


def _day(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_s1_every_trigger_kind_fires_on_recorded_5_minute_bars(shared_data):
    """The shipped signals on the 24-pair 5-minute set's own bars (two volatile weeks of
    2021, eight pairs): breakout and momentum fire beside the others, as live."""
    path = shared_data / "binance-5m-24pairs-2021"
    products = ["BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "DOT-USD", "LINK-USD", "UNI-USD",
                "MATIC-USD"]  # fmt: skip
    dataset = load_dataset(path, products)
    signals = load_config(_repo_app_yaml()).signals
    assert signals.timeframe == "5m"
    engine = TriggerEngine(signals, dataset.bar_seconds)
    start, end = _day("2021-05-05"), _day("2021-05-19")
    kinds: dict[TriggerKind, int] = {}
    for pid, series in dataset.series.items():
        for row in range(len(series)):
            if start - 86400 <= series.starts[row] < end:
                engine.on_candle(series.candle(row))
        assert pid in products
    for t in range(start, end, 300):
        for signal in engine.fired(float(t)):
            kinds[signal.kind] = kinds.get(signal.kind, 0) + 1
    assert set(kinds) == set(TriggerKind), kinds


def _repo_app_yaml():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "app.yaml.example"


@settings(max_examples=20, deadline=None)
@given(minute_walk(days=1.6), st.sets(st.sampled_from(sorted(EVERYTHING)), max_size=4))
def test_s1_a_subset_of_triggers_fires_what_all_of_them_fire_of_its_kinds(minutes, enabled):
    """The measures only disabled triggers read are skipped: the enabled ones fire exactly
    as they do with every trigger on, at every bar close."""
    every = config(timeframe="5m", **EVERYTHING)
    some = config(timeframe="5m", **{name: EVERYTHING[name] for name in enabled})
    kinds = {kind for name in enabled for kind in TriggerKind if kind.value.startswith(name)}
    bars = batch(minutes, 300)
    full, part = TriggerEngine(every, 300), TriggerEngine(some, 300)
    full.feed(bars)
    part.feed(bars)
    for bar in bars:
        now = float(bar.start + 300)
        assert part.fired(now) == [s for s in full.fired(now) if s.kind in kinds]
        assert part.sigma("X-USD") == full.sigma("X-USD")
