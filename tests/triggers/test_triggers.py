"""S-1 triggers: thresholds (both sides), direction, scores, selection, freshness, feeding."""

from __future__ import annotations

import pytest

from trader.triggers import Direction, TriggerEngine, TriggerKind

from ..risk.factories import candle
from .helpers import T0, config, flat, now_after


def _fire(cfg, candles, now=None, regime="normal"):
    engine = TriggerEngine(cfg)
    engine.feed(candles)
    return engine.evaluate(now if now is not None else now_after(candles), regime)


PRICE_MOVE = {"price_move": {"enabled": True}}


@pytest.mark.parametrize(
    ("last", "kinds"),
    [
        (101.49, set()),
        (101.51, {TriggerKind.PRICE_MOVE_15M}),
        (98.49, {TriggerKind.PRICE_MOVE_15M}),
        (103.01, {TriggerKind.PRICE_MOVE_15M, TriggerKind.PRICE_MOVE_60M}),
    ],
)
def test_s1_price_move_thresholds(last, kinds):
    candles = flat("BTC-USD", 70)
    candles.append(candle("BTC-USD", candles[-1].start + 60, last))
    signals = _fire(config(**PRICE_MOVE), candles)
    assert {s.kind for s in signals} == kinds
    for signal in signals:
        assert signal.direction is (Direction.UP if last > 100 else Direction.DOWN)
        assert 0 < signal.score <= 1
        assert signal.values["return_pct"] == pytest.approx((last / 100 - 1) * 100)


def test_s1_price_move_score_saturates_at_full_multiple():
    candles = flat("BTC-USD", 70)
    candles.append(candle("BTC-USD", candles[-1].start + 60, 110))
    signals = _fire(config(**PRICE_MOVE), candles)
    assert all(s.score == 1.0 for s in signals)


def test_s1_price_move_needs_reference_history():
    candles = flat("BTC-USD", 10)  # less than 15 minutes of history
    candles.append(candle("BTC-USD", candles[-1].start + 60, 110))
    assert _fire(config(**PRICE_MOVE), candles) == []


def test_s1_regime_raises_thresholds():
    candles = flat("BTC-USD", 70)
    candles.append(candle("BTC-USD", candles[-1].start + 60, 102.0))  # 2 % move
    cfg = config(**PRICE_MOVE)
    assert {s.kind for s in _fire(cfg, candles)} == {TriggerKind.PRICE_MOVE_15M}
    assert _fire(cfg, candles, regime="high_vol") == []  # threshold 2.25 %
    assert _fire(cfg, candles, regime="unknown") == []  # strictest multiplier


@pytest.mark.parametrize(("ratio", "fires"), [(2.9, False), (3.1, True)])
def test_s1_volume_spike_last_hour_vs_daily_average(ratio, fires):
    day = flat("BTC-USD", 1440, volume=10.0)
    # last hour volume raised so that hour / (day / 24) == ratio (day includes the hour)
    hour_each = 10.0 * ratio * 1380 / (24 * 60 - 60 * ratio)  # solve h*60 = ratio*(h*60+13800)/24
    candles = day[:-60] + [candle("BTC-USD", c.start, 100.0, hour_each) for c in day[-60:]]
    signals = _fire(config(volume_spike={"enabled": True}), candles)
    assert bool(signals) is fires
    if fires:
        assert signals[0].values["volume_ratio"] == pytest.approx(ratio)
        assert signals[0].direction is Direction.NEUTRAL  # flat price


def test_s1_volume_spike_needs_a_full_day():
    candles = flat("BTC-USD", 1000, volume=1.0) + [
        candle("BTC-USD", T0 + 60 * (1000 + i), 100.0, 100.0) for i in range(60)
    ]
    assert _fire(config(volume_spike={"enabled": True}), candles) == []


@pytest.mark.parametrize(
    ("close", "direction"),
    [(100.19, None), (100.21, Direction.UP), (99.81, None), (99.79, Direction.DOWN)],
)
def test_s1_breakout_n_hour_high_with_buffer(close, direction):
    candles = flat("BTC-USD", 61)
    candles.append(candle("BTC-USD", candles[-1].start + 60, close))
    signals = _fire(config(breakout={"enabled": True, "lookback_hours": 1}), candles)
    assert [s.direction for s in signals] == ([direction] if direction else [])


def test_s1_breakout_needs_full_lookback():
    candles = flat("BTC-USD", 30)
    candles.append(candle("BTC-USD", candles[-1].start + 60, 105))
    assert _fire(config(breakout={"enabled": True, "lookback_hours": 1}), candles) == []


def _ramp(pid, minutes, step, wiggle_every=0):
    price, out = 100.0, []
    for i in range(minutes):
        price += -step / 2 if wiggle_every and i % wiggle_every == 0 else step
        out.append(candle(pid, T0 + 60 * i, round(price, 4)))
    return out


@pytest.mark.parametrize(
    ("step", "wiggle", "fires"),
    [
        (0.05, 0, True),  # +3 % over the hour, every candle up
        (0.01, 0, False),  # +0.6 %: below min return
        (0.1, 2, False),  # +1.5 % but only half the candles up: inconsistent
        (0.1, 3, True),  # +3 % with two thirds of the candles up
    ],
)
def test_s1_momentum_return_and_consistency(step, wiggle, fires):
    candles = flat("BTC-USD", 5) + [
        candle("BTC-USD", c.start + 300, c.close) for c in _ramp("BTC-USD", 70, step, wiggle)
    ]
    signals = _fire(config(momentum={"enabled": True}), candles)
    assert bool(signals) is fires
    if fires:
        assert signals[0].direction is Direction.UP
        assert signals[0].values["consistency"] >= 0.55


def test_s1_selection_min_score_cap_and_tie_break():
    candles = []
    for pid, last in (("AAA-USD", 103.0), ("BBB-USD", 103.0), ("CCC-USD", 101.6)):
        series = flat(pid, 70)
        series.append(candle(pid, series[-1].start + 60, last))
        candles += series
    engine = TriggerEngine(config(**PRICE_MOVE, max_triggers_per_cycle=10, min_score=0.34))
    engine.feed(candles)
    selected = engine.evaluate(now_after(candles))
    keys = [(s.product_id, s.kind.value) for s in selected]
    assert keys == [
        ("AAA-USD", "price_move_15m"),  # 3 % / 4.5 % = 0.667
        ("BBB-USD", "price_move_15m"),  # same score: product id breaks the tie
        ("CCC-USD", "price_move_15m"),  # 1.6 % / 4.5 % = 0.356
    ]  # the 60m moves score 3 % / 9 % = 0.333 < min_score
    assert all(s.score >= 0.34 for s in selected)
    capped = TriggerEngine(config(**PRICE_MOVE, max_triggers_per_cycle=2, min_score=0.34))
    capped.feed(candles)
    assert [s.product_id for s in capped.evaluate(now_after(candles))] == ["AAA-USD", "BBB-USD"]


def test_s1_out_of_order_and_duplicate_candles_are_ignored():
    engine = TriggerEngine(config(**PRICE_MOVE))
    assert engine.on_candle(candle("BTC-USD", T0 + 60, 100))
    assert not engine.on_candle(candle("BTC-USD", T0 + 60, 500))  # duplicate start
    assert not engine.on_candle(candle("BTC-USD", T0, 500))  # older
    assert engine.on_candle(candle("ETH-USD", T0, 1))  # other products are independent
    engine.advance(T0 + 1000)
    assert str(engine.last_close("BTC-USD")) == "100"


def test_s1_forming_candle_is_not_used():
    candles = flat("BTC-USD", 70)
    forming = candle("BTC-USD", candles[-1].start + 60, 110)
    engine = TriggerEngine(config(**PRICE_MOVE))
    engine.feed([*candles, forming])
    assert engine.evaluate(forming.start + 59.999) == []
    assert engine.last_closed_start("BTC-USD") == candles[-1].start
    assert engine.evaluate(forming.start + 60) != []  # closed exactly at now: usable


def test_s1_stale_product_is_not_evaluated():
    candles = flat("BTC-USD", 70)
    candles.append(candle("BTC-USD", candles[-1].start + 60, 110))
    end = now_after(candles)
    assert _fire(config(**PRICE_MOVE), candles, now=end + 180) != []
    assert _fire(config(**PRICE_MOVE), candles, now=end + 180.5) == []


def test_s1_now_must_not_go_backwards():
    engine = TriggerEngine(config())
    engine.evaluate(T0 + 600)
    with pytest.raises(ValueError):
        engine.evaluate(T0 + 599)


def test_s1_sigma_estimate_needs_samples():
    engine = TriggerEngine(config())
    engine.feed(flat("BTC-USD", 20))
    engine.advance(T0 + 10_000)
    assert engine.sigma("BTC-USD") is None
    engine.feed(candle("BTC-USD", T0 + 60 * (20 + i), 100 + (i % 2)) for i in range(40))
    engine.advance(T0 + 100_000)
    sigma = engine.sigma("BTC-USD")
    assert sigma is not None and sigma > 0


def test_s1_a_restart_after_missing_data_starts_the_windows_again_at_its_candle():
    """The venue's data was missing up to `at` (`trader.core.gaps`): the first candle at or
    after `at` begins the product's windows again, a breakout needs its whole lookback of
    candles after it and sigma its samples; other products go on; the bars start again."""
    engine = TriggerEngine(config(breakout={"lookback_hours": 2}))
    bars_restarted: list[str] = []
    engine.restart_sinks.append(bars_restarted.append)
    before = flat("A", 180) + flat("B", 180 + 240)
    engine.feed(before)
    engine.advance(now_after(before))
    gap_end = T0 + (180 + 240) * 60
    engine.restart("A", gap_end)
    after = [candle("A", gap_end, 130.0, 10.0), candle("B", gap_end, 130.0, 10.0)]
    engine.feed(after)
    fired = engine.evaluate(float(gap_end + 60))
    assert [(s.product_id, s.kind) for s in fired] == [("B", TriggerKind.BREAKOUT)]
    assert engine.sigma("A") is None and engine.sigma("B") is not None
    assert bars_restarted == ["A"]
    refill = flat("A", 120, price=131.0, start=gap_end + 60)
    engine.feed(refill)
    assert engine.evaluate(now_after(refill)) == [] and bars_restarted == ["A"]
    engine.feed([candle("A", refill[-1].start + 60, 140.0, 10.0)])
    assert [s.product_id for s in engine.evaluate(now_after(refill) + 60)] == ["A"]
