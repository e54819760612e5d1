"""S-1 properties: incremental measures equal a brute-force recomputation; no look-ahead."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trader.triggers import TriggerEngine
from trader.triggers.series import ProductSeries

from ..risk.factories import candle
from .helpers import T0, config

CFG = config(
    price_move={"enabled": True, "threshold_15m_pct": 0.1, "threshold_60m_pct": 0.1},
    volume_spike={"enabled": True, "ratio_threshold": 0.1, "full_score_ratio": 5},
    breakout={"enabled": True, "lookback_hours": 1, "buffer_pct": 0.01},
    momentum={"enabled": True, "lookback_minutes": 15, "min_return_pct": 0.1},
)


@st.composite
def series(draw, min_size=30, max_size=260):
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    gaps = draw(st.lists(st.sampled_from([1, 1, 1, 1, 2, 5]), min_size=n, max_size=n))
    moves = draw(st.lists(st.integers(min_value=-30, max_value=30), min_size=n, max_size=n))
    volumes = draw(st.lists(st.integers(min_value=0, max_value=50), min_size=n, max_size=n))
    start, price, out = T0, 1000, []
    for gap, move, volume in zip(gaps, moves, volumes, strict=True):
        start += 60 * gap
        price = max(1, price + move)
        out.append(candle("X-USD", start, price, volume, high=price + 3, low=max(1, price - 3)))
    return out


def _brute(candles, cfg):
    last = candles[-1]
    t, close = last.start, float(last.close)

    def lagged(lag):
        refs = [c for c in candles if c.start <= t - lag]
        if not refs or refs[-1].start < t - 2 * lag:
            return None
        return close / float(refs[-1].close) - 1

    span = cfg.breakout.lookback_hours * 3600
    prior = [c for c in candles[:-1] if c.start > t - span]
    covered = candles[0].start <= t - span
    high = max(float(c.high) for c in prior) if prior and covered else None
    closes = [float(c.close) for c in candles]
    rets = [(candles[i].start, math.log(closes[i] / closes[i - 1])) for i in range(1, len(candles))]
    day = [r for s, r in rets if s > t - 86400]
    sigma = None
    if len(day) >= 30:
        mean = sum(day) / len(day)
        sigma = math.sqrt(sum((r - mean) ** 2 for r in day) / (len(day) - 1))
    return {
        "return_15m": lagged(900),
        "return_60m": lagged(3600),
        "breakout_up": None if high is None else close / high - 1,
        "momentum_return": lagged(cfg.momentum.lookback_minutes * 60),
        "sigma": sigma,
    }


@settings(max_examples=40, deadline=None)
@given(series())
def test_s1_property_incremental_equals_brute_force(candles):
    state = ProductSeries(CFG)
    for c in candles:
        state.apply(c)
    measures = state.measures()
    assert measures is not None
    for name, expected in _brute(candles, CFG).items():
        actual = getattr(measures, name)
        if expected is None:
            assert actual is None, name
        else:
            assert actual == pytest.approx(expected, rel=1e-6, abs=1e-9), name


@settings(max_examples=40, deadline=None)
@given(series(), st.data())
def test_s1_property_no_look_ahead(candles, data):
    """Replacing or dropping the candles not closed at `now` never changes the decision."""
    cut = data.draw(st.integers(min_value=1, max_value=len(candles) - 1))
    now = candles[cut].start + data.draw(st.integers(min_value=0, max_value=59))
    closed, future = candles[:cut], candles[cut:]
    assert all(c.start + 60 > now for c in future)
    replaced = [
        candle("X-USD", c.start, data.draw(st.integers(1, 5000)), data.draw(st.integers(0, 999)))
        for c in future
    ]
    shuffled = data.draw(st.permutations(replaced))
    decisions = []
    for tail in ([], future, replaced, shuffled):
        engine = TriggerEngine(CFG)
        engine.feed([*closed, *tail])
        decisions.append((engine.evaluate(now), engine.sigma("X-USD")))
    assert all(d == decisions[0] for d in decisions[1:])


def test_s1_day_window_measures_equal_brute_force_with_gaps():
    """Volume ratio, sigma and momentum shares over > 24 h of gappy data."""
    import random

    rng = random.Random(11)
    start, price, candles = T0, 1000.0, []
    while len(candles) < 1700:
        start += 60 * rng.choice([1, 1, 1, 2, 7])
        price = max(1.0, price + rng.randint(-20, 20))
        candles.append(candle("X-USD", start, price, rng.randint(0, 40)))
    state = ProductSeries(CFG)
    for c in candles:
        state.apply(c)
    measures = state.measures()
    t = candles[-1].start
    value = {c.start: float(c.volume) * float(c.close) for c in candles}
    day = sum(v for s, v in value.items() if s > t - 86400)
    hour = sum(v for s, v in value.items() if s > t - 3600)
    assert measures.volume_ratio == pytest.approx(hour / (day / 24), rel=1e-9)
    assert measures.sigma == pytest.approx(_brute(candles, CFG)["sigma"], rel=1e-6)
    lookback = CFG.momentum.lookback_minutes * 60
    pairs = [(a, b) for a, b in itertools.pairwise(candles) if b.start > t - lookback]
    ups = sum(1 for a, b in pairs if b.close > a.close)
    assert measures.momentum_up_share == pytest.approx(ups / len(pairs))
