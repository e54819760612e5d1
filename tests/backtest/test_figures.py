"""BT-4 the figures a trader judges a run by: each against a hand computation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader.backtest.figures import (
    calmar,
    daily_results,
    drawdown_period,
    pair_extremes,
    trade_figures,
)
from trader.backtest.report import entry_tags, round_trips
from trader.backtest.stats import EquityPoint, RoundTrip
from trader.backtest.tables import by_entry_tag, by_pair
from trader.state.report_rows import entry_tag

D = Decimal
DAY = 86400


def trip(pid: str, pnl: str, opened: float = 0.0, held: float = 3600.0, tag: str = "") -> RoundTrip:
    return RoundTrip(pid, opened, opened + held, D(1), D(100), D(100), D(0), D(pnl), "s", "x", tag)


def test_bt4_profit_factor_expectancy_and_sqn():
    trips = [trip("A", "30"), trip("B", "-10"), trip("A", "20"), trip("B", "-20")]
    found = trade_figures(trips)
    assert found["profit_factor"] == D("1.6667")  # 50 / 30
    assert found["expectancy"] == D("5")  # 20 / 4
    # mean 5, sample sd sqrt(((25)^2 + 15^2 + 15^2 + 25^2) / 3) = sqrt(1700/3)
    expected = 2 * 5 / (D(1700) / 3).sqrt()
    assert found["sqn"] == expected.quantize(D("0.0001"))
    assert found["best_trade"] == {"product_id": "A", "opened_at": 0.0, "pnl": D(30)}
    assert found["worst_trade"]["pnl"] == D(-20)


def test_bt4_without_losses_or_trades_the_ratios_are_absent():
    assert trade_figures([trip("A", "5"), trip("A", "7")])["profit_factor"] is None
    empty = trade_figures([])
    assert empty["expectancy"] is None and empty["sqn"] is None and empty["best_trade"] is None
    assert empty["max_consecutive_losses"] == 0


def test_bt4_sqn_counts_at_most_100_trades():
    many = [trip("A", "2" if i % 2 else "-1") for i in range(400)]
    few = many[:100]
    assert trade_figures(many)["sqn"] == pytest.approx(trade_figures(few)["sqn"], rel=D("0.01"))


def test_bt4_durations_of_winners_and_losers_and_the_longest_losing_streak():
    trips = [
        trip("A", "1", held=600), trip("A", "-1", held=7200), trip("A", "-2", held=3600),
        trip("A", "3", held=1800), trip("A", "-1"), trip("A", "-1"), trip("A", "-1"),
        trip("A", "0"),
    ]  # fmt: skip
    found = trade_figures(trips)
    assert found["avg_duration_winners_s"] == D(1200)
    assert found["avg_duration_losers_s"] == D((7200 + 3600 * 5) // 6)  # a draw is no win
    assert found["max_consecutive_losses"] == 3


def test_bt4_best_and_worst_pair_by_net_pnl():
    table = by_pair([trip("A", "5"), trip("B", "-3"), trip("A", "-1"), trip("C", "4")])
    assert pair_extremes(table) == {
        "best_pair": {"product_id": "A", "pnl": D(4)},
        "worst_pair": {"product_id": "B", "pnl": D(-3)},
    }
    assert pair_extremes({}) == {"best_pair": None, "worst_pair": None}


def points(*values: tuple[int, str]) -> list[EquityPoint]:
    return [EquityPoint(t, D(v)) for t, v in values]


def test_bt4_drawdown_depth_start_bottom_recovery_and_duration():
    series = points((0, "100"), (10, "120"), (20, "90"), (30, "110"), (40, "121"), (50, "100"))
    found = drawdown_period(series)
    assert found == {"max_pct": D("25.0000"), "start": 10, "bottom": 20, "end": 40,
                     "duration_s": 30}  # fmt: skip


def test_bt4_a_drawdown_not_recovered_lasts_to_the_end():
    found = drawdown_period(points((0, "100"), (10, "80"), (20, "90")))
    assert found["end"] is None and found["duration_s"] == 20 and found["max_pct"] == D(20)
    assert drawdown_period(points((0, "1"), (1, "2")))["start"] is None


def test_bt4_calmar_is_cagr_over_the_deepest_drawdown():
    assert calmar(D(30), D(12)) == D("2.5000")
    assert calmar(None, D(5)) is None and calmar(D(5), D(0)) is None


def test_bt4_days_won_drawn_and_lost_by_utc_closing_equity():
    series = points(
        (0, "100"), (DAY - 1, "101"),  # day 0: won
        (DAY + 5, "99"), (2 * DAY - 5, "101"),  # day 1: drawn (101 -> 101)
        (2 * DAY, "100"),  # day 2: lost
    )  # fmt: skip
    assert daily_results(series) == {"wins": 1, "draws": 1, "losses": 1}
    assert daily_results([]) == {"wins": 0, "draws": 0, "losses": 0}


def test_bt4_entry_tag_is_the_proposals_own_else_its_trigger_kinds_else_the_strategy():
    assert entry_tag({"tag": "dip", "trigger_refs": ["momentum:X:1"]}) == "dip"
    refs = ["momentum:X-USD:1", "breakout:X-USD:1", "momentum:X-USD:2"]
    assert entry_tag({"tag": "", "trigger_refs": refs, "strategy_id": "rules"}) == (
        "breakout+momentum"
    )
    assert entry_tag({"strategy_id": "trend_1h"}) == "trend_1h"


def test_bt4_round_trips_carry_their_entry_tag_through_reprices():
    intents = [
        {"intent_id": "e1", "parent_intent_id": None, "tag": "dip"},
        {"intent_id": "r1", "parent_intent_id": "e1", "tag": None},
        {"intent_id": "x1", "parent_intent_id": None, "tag": None},
    ]
    tags = entry_tags(intents)
    assert tags == {"e1": "dip", "r1": "dip"}
    fills = [
        {"product_id": "A", "side": "BUY", "price": "10", "size": "1", "fee": "0", "time": 1.0,
         "intent_id": "r1"},
        {"product_id": "A", "side": "SELL", "price": "11", "size": "1", "fee": "0", "time": 2.0,
         "intent_id": "x1"},
    ]  # fmt: skip
    trips = round_trips(fills, {"x1": "take_profit"}, tags)
    assert [(t.entry_tag, t.exit_reason, t.pnl) for t in trips] == [("dip", "take_profit", D(1))]
    assert list(by_entry_tag(trips)) == ["dip"]


def test_bt4_return_before_fees_gives_every_fee_back():
    from trader.backtest.figures import return_before_fees_pct
    from trader.backtest.stats import Summary

    summary = Summary(D(10000), D(9900), D(-1), None, None, None, D(2), 3, None, D(250), None,
                      D(50000))  # fmt: skip
    assert return_before_fees_pct(summary) == D("1.5000")  # -100 + 250 on 10,000
