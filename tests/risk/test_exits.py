"""R-2 exits: stop, trailing, take-profit, max hold; only HALTED blocks them."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trader.config.policy import PolicyConfig
from trader.core.decision import ExitReason
from trader.core.portfolio import Position
from trader.core.risk_state import Cooldown, RiskState
from trader.core.types import TradingState
from trader.risk.exits import (
    exit_for,
    exit_within,
    exits_due,
    filter_exits,
    stop_price,
    target_price,
    update_peaks,
)

from .factories import NOW, position, rules

POLICY = PolicyConfig()


def _reason(pos, price, now=NOW, policy=POLICY):
    exits = exits_due([pos], {pos.product_id: D(price)} if price else {}, now, policy)
    return exits[0].reason if exits else None


@pytest.mark.parametrize(
    ("price", "expected"),
    [("97.01", None), ("97", ExitReason.STOP_LOSS), ("50", ExitReason.STOP_LOSS)],
)
def test_r2_stop_loss_boundary(price, expected):
    assert _reason(position(cost="100", stop="3"), price) == expected


@pytest.mark.parametrize(
    ("price", "expected"),
    [("105.99", None), ("106", ExitReason.TAKE_PROFIT), ("200", ExitReason.TAKE_PROFIT)],
)
def test_r2_take_profit_boundary(price, expected):
    pos = position(cost="100", stop="3", take_profit_pct=D("6"))
    assert _reason(pos, price) == expected


@pytest.mark.parametrize(
    ("held_for", "expected"),
    [(3599.0, None), (3600.0, ExitReason.MAX_HOLD), (9999.0, ExitReason.MAX_HOLD)],
)
def test_r2_max_hold_boundary(held_for, expected):
    pos = position(entry=NOW - held_for, max_hold_s=3600.0)
    assert _reason(pos, "100") == expected


def test_r2_max_hold_fires_without_a_price():
    pos = position(entry=NOW - 7200, max_hold_s=3600.0)
    exits = exits_due([pos], {}, NOW, POLICY)
    assert [e.reason for e in exits] == [ExitReason.MAX_HOLD]
    assert exits[0].price is None


@pytest.mark.parametrize(
    ("peak", "price", "expected"),
    [
        ("120", "116", None),  # 4 % trail: 115.2
        ("120", "115.2", ExitReason.TRAILING_STOP),
        ("120", "110", ExitReason.TRAILING_STOP),
        (None, "99", None),  # peak = cost 100, trail 96
    ],
)
def test_r2_trailing_stop(peak, price, expected):
    pos = position(
        cost="100", stop="10", trailing_stop_pct=D("4"), peak_price=D(peak) if peak else None
    )
    assert _reason(pos, price) == expected


def test_r2_stop_loss_wins_over_take_profit_and_max_hold():
    pos = position(cost="100", stop="3", entry=NOW - 99999, max_hold_s=10.0)
    assert _reason(pos, "90") == ExitReason.STOP_LOSS


def test_r2_position_without_plan_uses_policy_default_stop():
    pos = position(cost="100", stop=None)
    assert _reason(pos, "95.01") is None
    assert _reason(pos, "95") == ExitReason.STOP_LOSS  # default_stop_loss_pct = 5


def test_r2_exit_size_quantized_and_dust_skipped():
    pos = position(size="1.23456789")
    exits = exits_due([pos], {"BTC-USD": D("1")}, NOW, POLICY, rules={"BTC-USD": rules()})
    assert exits[0].base_size == D("1.2345")
    dust = position(size="0.00001")
    assert exits_due([dust], {"BTC-USD": D("1")}, NOW, POLICY, rules={"BTC-USD": rules()}) == []


@pytest.mark.parametrize(
    ("state", "passes"),
    [
        (RiskState(), True),
        (RiskState(trading_state=TradingState.REDUCING), True),
        (RiskState(cooldowns={"BTC-USD": Cooldown(NOW + 9e9, "after_stop")}), True),
        (RiskState(trading_state=TradingState.HALTED, halt_reason="daily_loss"), False),
    ],
)
def test_r2_only_halted_blocks_exits(state, passes):
    exits = exits_due([position()], {"BTC-USD": D("1")}, NOW, POLICY)
    assert len(filter_exits(exits, state)) == (1 if passes else 0)


def test_r2_update_peaks_only_raises():
    pos = position(peak_price=D("110"))
    assert update_peaks({"BTC-USD": pos}, {"BTC-USD": D("105")})["BTC-USD"].peak_price == D("110")
    assert update_peaks({"BTC-USD": pos}, {"BTC-USD": D("111")})["BTC-USD"].peak_price == D("111")


def test_r2_exits_sorted_and_skip_empty_positions():
    positions = {
        "ETH-USD": position("ETH-USD", cost="100"),
        "BTC-USD": position("BTC-USD", cost="100"),
        "SOL-USD": position("SOL-USD", size="0"),
    }
    prices = {pid: D("1") for pid in positions}
    assert [e.product_id for e in exits_due(positions, prices, NOW, POLICY)] == [
        "BTC-USD",
        "ETH-USD",
    ]


@settings(max_examples=200, deadline=None)
@given(
    cost=st.decimals(min_value=D("0.00001"), max_value=D("100000"), places=5),
    pct=st.sampled_from(["0.5", "0.50", "3", "3.0", "2.75", "10", "1E+1", "0.001"]),
)
def test_r2_stop_and_target_prices_are_the_plain_formula_for_any_percentage_object(cost, pct):
    """The factors are kept per setting object: every Decimal written any way gives the
    very Decimal of `cost * (1 ∓ pct / 100)`, on the first call and on later ones."""
    config = PolicyConfig()
    for own in (D(pct), D(pct)):  # two equal objects, each looked up twice
        held = position(cost=str(cost), stop=str(own), take_profit_pct=own)
        below, above = cost * (1 - own / 100), cost * (1 + own / 100)
        for _ in range(2):
            assert (stop_price(held, config), target_price(held, config)) == (below, above)
            assert str(stop_price(held, config)) == str(below)
            assert str(target_price(held, config)) == str(above)


_PCT = st.decimals(min_value=D("0.01"), max_value=D("60"), places=2)
_PRICE = st.decimals(min_value=D("0.00001"), max_value=D("90000"), places=5)


@st.composite
def _bounded(draw: st.DrawFn) -> tuple[Position, PolicyConfig, D, D, float]:
    policy = PolicyConfig.model_validate(
        {
            "default_stop_loss_pct": draw(_PCT),
            "default_take_profit_pct": draw(st.none() | _PCT),
            "trailing_stop_pct": draw(st.none() | _PCT),
            "default_max_hold_s": draw(st.none() | st.floats(60, 86_400)),
        }
    )
    held = position(
        cost=str(draw(_PRICE)),
        entry=NOW - draw(st.floats(0, 86_400)),
        stop=draw(st.none() | _PCT.map(str)),
        take_profit_pct=draw(st.none() | _PCT),
        trailing_stop_pct=draw(st.none() | _PCT),
        max_hold_s=draw(st.none() | st.floats(60, 86_400)),
        peak_price=draw(st.none() | _PRICE),
    )
    low, high = sorted((draw(st.just(D(0)) | _PRICE), draw(_PRICE)))  # a zero bid: max hold
    return held, policy, low, high, NOW + draw(st.floats(0, 3_600))


@settings(max_examples=400, deadline=None)
@given(_bounded(), st.lists(st.tuples(st.integers(0, 1000), st.floats(0, 1)), max_size=8))
def test_r2_no_exit_within_a_price_range_means_none_at_any_price_or_time_in_it(case, points):
    """`exit_within` answers for every price between its ends and every time up to its
    bound (the backtest passes a held bar's points on its word): where it says no,
    `exit_for` finds nothing at any of them — whatever mix of stop, trailing stop,
    take-profit and max hold, own or the policy's."""
    held, policy, low, high, until = case
    if exit_within(held, low, high, until, policy):
        return
    for step, back in points:
        price = low + (high - low) * D(step) / 1000
        assert exit_for(held, price, until - back * 7_200, policy) is None
