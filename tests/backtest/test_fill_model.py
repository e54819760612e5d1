"""BT-3 the bar fill model: the path inside a bar, trade-through fills capped by the bar's
volume, spreads per product, lifetimes in bars, stops and targets taken where the path
crosses them — unit by unit, then end to end over real recorded 5-minute bars."""

from __future__ import annotations

import json
import math
import random
import sqlite3
import subprocess
import sys
from collections import deque
from dataclasses import replace
from decimal import Decimal

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.support.daemon import DaemonDir
from trader.backtest.data import load_dataset
from trader.backtest.fills import (
    BarFills,
    Levels,
    PathWalker,
    SpreadEstimator,
    bps_fraction,
    corners,
    touch,
    touch_bid,
)
from trader.backtest.session import lifetimes_in_bars
from trader.config.app import BacktestConfig, ExecutionConfig
from trader.core.products import ceil_to_increment, floor_to_increment
from trader.core.types import Candle

from ..risk.factories import candle, rules

D = Decimal
SET = "binance-5m-24pairs-2021"


def bar(o: str, h: str, lo: str, c: str, v: str = "100") -> Candle:
    return Candle("X-USD", 0, D(o), D(h), D(lo), D(c), D(v))


TICK = D("0.01")


def walk(walker: PathWalker, levels: Levels) -> list[tuple[float, Decimal, bool, bool]]:
    points = []
    while (point := walker.peek(levels)) is not None:
        walker.take(point)
        points.append((point.time, point.price, point.corner, point.trade))
    return points


def test_bt3_path_goes_low_first_on_an_up_bar_and_high_first_on_a_down_bar():
    assert corners(bar("10", "12", "9", "11"), low_first=False) == [D(10), D(9), D(12), D(11)]
    assert corners(bar("10", "12", "9", "9.5"), low_first=False) == [D(10), D(12), D(9), D("9.5")]
    assert corners(bar("10", "12", "9", "9.5"), low_first=True) == [D(10), D(9), D(12), D("9.5")]
    assert corners(bar("10", "10", "10", "10"), low_first=False) == [D(10)]


def test_bt3_a_crossed_stop_is_a_point_of_the_path_at_its_own_time():
    """Falling from 10 to 9 through a stop at 9.5: the path shows 9.5 halfway in time."""
    walker = PathWalker(bar("10", "12", "9", "11"), 0.0, 300.0, TICK, low_first=False)
    points = walk(walker, Levels(stops=[(D("9.5"), None)], targets=[(D("11.5"), D("11.4"))]))
    assert points == [
        (0.0, D(10), True, True),
        (37.5, D("9.5"), False, False),
        (75.0, D(9), True, True),
        (75.0 + 75.0 * 2.5 / 3, D("11.5"), False, False),
        (150.0, D(12), True, True),
        (225.0, D(11), True, True),
    ]


def test_bt3_a_resting_bid_fills_when_the_price_passes_it_before_a_stop_below():
    """The leg from 10 down to 9 prints its trade one tick through a bid at 9.8 — when the
    price gets there, not at the low — and shows a stop at 9.6 after it; the low prints
    nothing more."""
    walker = PathWalker(bar("10", "10", "9", "9.2"), 0.0, 300.0, TICK, low_first=False)
    points = walk(walker, Levels(stops=[(D("9.6"), None)], bids=[D("9.8")]))
    assert [(p, corner, trade) for _t, p, corner, trade in points] == [
        (D(10), True, True),
        (D("9.79"), False, True),
        (D("9.6"), False, False),
        (D(9), True, False),
        (D("9.2"), True, True),
    ]


def test_bt3_levels_asked_at_each_step_watch_a_position_opened_inside_the_bar():
    walker = PathWalker(bar("10", "12", "9", "11"), 0.0, 300.0, TICK, low_first=False)
    first = walker.peek(Levels())
    assert first is not None
    walker.take(first)
    low = walker.peek(Levels())  # nothing held yet: straight to the low
    assert low is not None and low.price == D(9) and low.corner
    walker.take(low)
    target = walker.peek(Levels(targets=[(D("10.5"), D("10.4"))]))  # bought at the low
    assert target is not None and target.price == D("10.5") and target.bid == D("10.4")


def test_bt3_touch_is_the_spread_around_the_price_or_up_from_a_target_bid():
    r = rules("X-USD")
    assert touch(r, D(100), D("0.002"), None) == (D("99.90"), D("100.10"))
    assert touch(r, D(100), D("0"), None) == (D("100.00"), D("100.01"))  # one tick at least
    assert touch(r, D("100.1"), D("0.002"), D("100.001")) == (D("100.01"), D("100.22"))


@given(
    st.decimals(min_value="0.000001", max_value="1000000", places=8),
    st.integers(0, 5000).map(lambda n: Decimal(n) / Decimal(10000)),
    st.sampled_from(["0.00000001", "0.0001", "0.01", "0.05", "0.5", "1", "10"]),
)
def test_bt3_touch_is_the_grid_rounding_of_price_plus_and_minus_half_the_spread(
    price, spread, tick
):
    """The touch rounds `price ± price × spread / 2` to the tick (bid down, ask up, one
    tick apart at least), whatever price, spread and grid; its bid alone is the same."""
    r = replace(rules("X-USD"), quote_increment=Decimal(tick))
    half = price * spread / 2
    bid = floor_to_increment(price - half, Decimal(tick))
    ask = max(ceil_to_increment(price + half, Decimal(tick)), bid + Decimal(tick))
    assert touch(r, price, spread, None) == (bid, ask)
    assert str(touch_bid(r, price, spread)) == str(bid)


@given(
    st.lists(st.decimals(min_value="0.000001", max_value="1000000", places=8), min_size=2),
    st.integers(0, 5000).map(lambda n: Decimal(n) / Decimal(10000)),
    st.sampled_from(["0.00000001", "0.0001", "0.01", "0.05", "0.5", "1", "10"]),
)
def test_bt3_a_higher_price_never_shows_a_lower_bid(prices, spread, tick):
    """The bids of a bar's corners lie between the bids at its low and its high (what a
    held bar's walk is judged quiet by, `Runner._quiet_levels`)."""
    r = replace(rules("X-USD"), quote_increment=Decimal(tick))
    bids = [touch(r, price, spread, None)[0] for price in sorted(prices)]
    assert bids == sorted(bids)


def _day_of_bars(pid: str, quote_per_bar: float, bars: int = 288) -> list[Candle]:
    return [candle(pid, 300 * i, 100, quote_per_bar / 100) for i in range(bars)]


@pytest.mark.parametrize(("per_day", "bps"), [(1e6, 40.0), (4e6, 20.0), (100e6, 4.0)])
def test_bt3_spread_estimate_widens_as_the_traded_value_thins(per_day, bps):
    estimator = SpreadEstimator(288, 40.0)
    assert estimator.fraction() is None
    for one in _day_of_bars("X-USD", per_day / 288):
        estimator.observe(one)
    found = estimator.fraction()
    assert found is not None and found * 1e4 == pytest.approx(bps)


@pytest.mark.parametrize("window", [12, 13, 288])
def test_bt3_spread_estimate_sums_the_last_window_of_bars_as_a_running_total(window):
    """The estimate's running total of the last `window` bars' quote values: the newest
    added, then the oldest taken off, in that order, for thousands of bars of very
    different sizes: bit for bit what a queue of the bars gives."""
    rng = random.Random(window)
    estimator, kept, total = SpreadEstimator(window, 40.0), deque[float](), 0.0
    for i in range(5 * window + 7):
        close, volume = rng.choice(("0.0001234", "17.5", "61234.56")), rng.uniform(0, 1e4)
        one = candle("X-USD", 300 * i, close, f"{volume:.6f}")
        estimator.observe(one)
        value = float(one.close * one.volume)
        kept.append(value)
        total += value
        if len(kept) > window:
            total -= kept.popleft()
        if len(kept) < 12:
            assert estimator.fraction() is None
            continue
        per_day = max(total, 0.0) * window / len(kept)
        assert estimator.fraction() == 40.0 / 10000.0 / math.sqrt(per_day / 1e6)


def test_bt3_spread_estimate_refuses_an_empty_window():
    with pytest.raises(ValueError, match="at least one bar"):
        SpreadEstimator(0, 40.0)


def test_bt3_spread_is_configured_else_estimated_within_bounds():
    cfg = BacktestConfig(spread_bps={"BTC-USD": 0.5}, min_spread_bps=2, max_spread_bps=30)
    fills = BarFills(cfg, 300, depth_levels=4)
    assert fills.spread("BTC-USD") == D("0.00005")
    assert fills.spread("X-USD") == D("0.003")  # nothing seen yet: the widest
    for one in _day_of_bars("X-USD", 1e3):  # 0.3 M a day: 73 bps, held at the cap
        fills.closed(one)
    assert fills.spread("X-USD") == D("0.003")
    for one in _day_of_bars("Y-USD", 1e7):  # 2.9 bn a day: under the floor
        fills.closed(one)
    assert fills.spread("Y-USD") == D("0.0002")
    for one in _day_of_bars("Z-USD", 4e6 / 288):  # 4 M a day: 20 bps
        fills.closed(one)
    assert fills.spread("Z-USD") == D("0.002")


def test_bt3_sizes_are_the_participation_share_of_the_bar():
    fills = BarFills(BacktestConfig(participation=D("0.2")), 300, depth_levels=3)
    r = rules("X-USD", base_increment="0.001")
    one = bar("10", "12", "9", "11", v="40")
    walker = PathWalker(one, 0.0, 300.0, TICK, low_first=False)
    assert fills.trade_size(walker, r) == D(2)  # 40 x 0.2 over 4 corners
    assert fills.level_size(one, r) == D(2)  # 40 x 0.2 over the touch and 3 levels
    assert fills.level_size(bar("10", "12", "9", "11", v="0"), r) == D("0.001")


@pytest.mark.parametrize(
    ("ttl", "bar_s", "expected"), [(30, 300, 299), (300, 300, 299), (301, 300, 599), (30, 60, 59)]
)
def test_bt3_entry_lifetimes_round_up_to_whole_bars(ttl, bar_s, expected):
    execution = lifetimes_in_bars(ExecutionConfig(entry_ttl_s=ttl), bar_s)
    assert execution.entry_ttl_s == expected


# -- end to end: a strategy that always wants in, over real bars ---------------------------
EAGER = """\
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from trader.strategies import Proposal, Side, Strategy, StrategyContext


class Eager(Strategy):
    timeframes: ClassVar[Mapping[str, int]] = {"5m": 1}

    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        return [
            Proposal(pid, Side.BUY, self.strategy_id, 0.9, "always",
                     size_pct=Decimal(2), stop_loss_pct=Decimal("0.8"),
                     take_profit_pct=Decimal("1.2"), max_hold_s=6 * 3600.0)
            for pid in sorted(ctx.market.tiers)
            if ctx.portfolio.held_size(pid) == 0 and not ctx.buying(pid)
        ]
"""
PARTICIPATION = D("0.05")


@pytest.fixture(scope="module")
def eager_run(tmp_path_factory, shared_data):
    home = DaemonDir(tmp_path_factory.mktemp("fills") / "home")
    (home.root / "config/strategies/eager.py").write_text(EAGER)
    path = home.root / "config/strategies.yaml"
    raw = yaml.safe_load(path.read_text())
    for entry in raw["registry"].values():
        entry["enabled"] = False
    raw["registry"]["eager"] = {"class": "strategies/eager.py:Eager", "enabled": True,
                                "max_at_risk_pct": 5, "max_proposals_per_cycle": 5}  # fmt: skip
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    policy_path = home.root / "config/policy.yaml"
    policy = yaml.safe_load(policy_path.read_text())
    policy["min_target_cost_multiple"] = 0  # 1.2 % targets: a fill test, not a strategy
    policy_path.write_text(yaml.safe_dump(policy, sort_keys=False))
    app = yaml.safe_load(home.config.read_text())
    app["backtest"] = {"participation": str(PARTICIPATION)}
    home.config.write_text(yaml.safe_dump(app, sort_keys=False))
    out = home.root / "out"
    run = subprocess.run(
        [sys.executable, "-m", "trader", "backtest", "--config", str(home.config),
         "--data", str(shared_data / SET), "--products", "BTC-USD,ETH-USD,ADA-USD,UNI-USD",
         "--from", "2021-05-10", "--to", "2021-05-13", "--listed-before", "2020-01-01",
         "--out", str(out)],
        cwd=home.root, capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    dataset = load_dataset(shared_data / SET, ["BTC-USD", "ETH-USD", "ADA-USD", "UNI-USD"])
    bars = {
        (pid, series.starts[row]): series.candle(row)
        for pid, series in dataset.series.items()
        for row in range(len(series))
        if 1620604800 <= series.starts[row] < 1620864000
    }
    conn = sqlite3.connect(out / "backtest.db")
    yield conn, bars, json.loads((out / "report.json").read_text())
    conn.close()


def _bar_of(bars, pid: str, at: float) -> Candle:
    start = int(at) - int(at) % 300
    return bars[(pid, start)]


def test_bt3_first_entry_attempts_fill_in_their_own_bar_through_the_price(eager_run):
    conn, bars, report = eager_run
    firsts = conn.execute(
        "SELECT i.intent_id, i.product_id, i.limit_price, i.created_at, i.state FROM intents i "
        "WHERE i.purpose = 'entry' AND i.parent_intent_id IS NULL"
    ).fetchall()
    assert len(firsts) >= 20
    filled = 0
    for intent_id, pid, limit, created, _state in firsts:
        fills = conn.execute(
            "SELECT price, trade_time FROM fills WHERE intent_id = ?", (intent_id,)
        ).fetchall()
        for price, when in fills:
            assert D(price) == D(limit)  # at the limit, never better
            assert int(when) // 300 == int(created) // 300  # in the bar it was placed in
            assert _bar_of(bars, pid, when).low < D(limit)  # the bar traded through it
        filled += bool(fills)
    assert filled >= len(firsts) // 2, (filled, len(firsts))
    assert report["entries"]["first_attempt_filled"] == filled


def test_bt3_no_bar_fills_more_than_the_participation_share(eager_run):
    conn, bars, _ = eager_run
    rows = conn.execute(
        "SELECT product_id, CAST(trade_time AS INTEGER) / 300 * 300, side, "
        "GROUP_CONCAT(size, ' ') FROM fills GROUP BY 1, 2, 3"
    ).fetchall()
    for pid, start, _side, sizes in rows:
        total = sum(D(s) for s in sizes.split())
        assert total <= bars[(pid, start)].volume * PARTICIPATION, (pid, start)


def test_bt3_stops_and_targets_are_taken_where_the_path_crosses_them(eager_run):
    _conn, bars, report = eager_run
    exits = [t for t in report["trades"] if t["exit_reason"] in ("stop_loss", "take_profit")]
    assert {t["exit_reason"] for t in exits} == {"stop_loss", "take_profit"}
    for trade in exits:
        entry, exit_price = D(trade["entry_price"]), D(trade["exit_price"])
        move = exit_price / entry - 1
        closing = _bar_of(bars, trade["product_id"], trade["closed_at"])
        if trade["exit_reason"] == "stop_loss":
            # the stop at -0.8 %, less half a spread and the book walked: never the bar's
            # low when the low is far below, never better than the stop; at worst half a
            # spread (at most 50 bps) below the low when the stop sat at it
            assert D("-0.0080") - D("0.004") <= move <= D("-0.0079"), trade
            assert exit_price >= closing.low * (1 - D("0.0025")), trade
        else:
            assert D("0.0119") <= move <= D("0.0125"), trade
            assert exit_price <= closing.high
        assert trade["closed_at"] % 300 != 0 or closing.open <= entry * (1 + move)


def test_bt3_report_counts_fill_rate_and_expired_entries(eager_run):
    conn, _, report = eager_run
    entries = report["entries"]
    expired = conn.execute(
        "SELECT COUNT(*) FROM intents WHERE purpose IN ('entry', 'reprice') AND state = 'EXPIRED'"
    ).fetchone()[0]
    assert entries["attempts_expired"] == expired
    assert 0 < Decimal(entries["fill_rate_pct"]) <= 100


def _near_a_half(grid_and_step: tuple[int, int]) -> float:
    grid, step = grid_and_step
    value = (grid + 0.5) / 10_000
    for _ in range(abs(step)):
        value = math.nextafter(value, math.inf if step > 0 else -math.inf)
    return value


@given(
    st.one_of(
        st.floats(min_value=1e-9, max_value=1000, allow_nan=False),
        st.integers(0, 10_000_000).map(lambda n: n / 10_000),  # on the 4-decimal grid
        st.tuples(st.integers(0, 10_000_000), st.sampled_from([-2, -1, 0, 1, 2])).map(
            _near_a_half  # halfway between two grid values, and the floats beside it
        ),
        st.sampled_from([1e-5, 5e-5, 0.00015, 2.0, 20.0, 50.0, 100.0, 999.99995, 1000.0]),
    )
)
def test_bt3_a_spread_in_bps_becomes_the_fraction_the_reference_formula_gives(bps):
    """The same Decimal to the last digit and exponent as `repr(round(bps, 4)) / 10000`."""
    expected = Decimal(repr(round(bps, 4))) / Decimal(10000)
    assert str(bps_fraction(bps)) == str(expected)
