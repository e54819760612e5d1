"""BT-1: the tables a trader acts on — per pair and per exit reason, the benchmark over the
same window, the positions open at the end, how entries fared — from hand-made trips,
fills and intents whose figures are worked out here."""

from __future__ import annotations

from decimal import Decimal as D

from trader.backtest.report import fill_rows_of, round_trips
from trader.backtest.stats import RoundTrip
from trader.backtest.tables import benchmark, by_exit_reason, by_pair, entries, open_positions


def trip(pid: str, pnl: str, reason: str) -> RoundTrip:
    return RoundTrip(pid, 0.0, 60.0, D(1), D(100), D(100), D("0.1"), D(pnl), "s", reason)


TRIPS = [
    trip("BTC-USD", "10", "take_profit"),
    trip("BTC-USD", "-4", "stop_loss"),
    trip("ETH-USD", "-2", "stop_loss"),
]


def test_bt1_results_per_pair_and_per_exit_reason():
    pairs = by_pair(TRIPS)
    assert list(pairs) == ["BTC-USD", "ETH-USD"]
    btc = pairs["BTC-USD"]
    assert (btc["trades"], btc["wins"], btc["win_rate_pct"], btc["pnl"]) == (2, 1, D(50), D(6))
    assert (btc["best"], btc["worst"], btc["fees"]) == (D(10), D(-4), D("0.2"))
    reasons = by_exit_reason(TRIPS)
    assert reasons["stop_loss"]["trades"] == 2 and reasons["stop_loss"]["pnl"] == D(-6)
    assert reasons["take_profit"]["win_rate_pct"] == D(100)


def test_bt1_a_trips_exit_reason_is_its_last_sales():
    fills = [
        {"time": 1.0, "product_id": "X-USD", "side": "BUY", "price": "10", "size": "2",
         "fee": "0", "intent_id": "e", "strategy": "s"},
        {"time": 2.0, "product_id": "X-USD", "side": "SELL", "price": "11", "size": "1",
         "fee": "0", "intent_id": "a", "strategy": "s"},
        {"time": 3.0, "product_id": "X-USD", "side": "SELL", "price": "9", "size": "1",
         "fee": "0", "intent_id": "b", "strategy": "s"},
    ]  # fmt: skip
    (only,) = round_trips(fills, {"a": "take_profit", "b": "stop_loss"})
    assert only.exit_reason == "stop_loss" and only.pnl == D(0)


def test_bt1_benchmark_is_equal_weight_buy_and_hold_and_btc():
    closes = {"BTC-USD": (D(100), D(150)), "ETH-USD": (D(10), D(9)), "BAD-USD": (D(0), D(1))}
    bench = benchmark(closes)
    assert bench["btc_buy_and_hold_pct"] == D(50)
    assert bench["equal_weight_buy_and_hold_pct"] == D(20)  # (50 - 10) / 2; no price: left out
    assert bench["change_by_product_pct"] == {"BTC-USD": D(50), "ETH-USD": D(-10)}
    assert benchmark({})["equal_weight_buy_and_hold_pct"] is None


def test_bt1_open_positions_at_the_end_with_their_marks():
    fills = [
        {"product_id": "A-USD", "side": "BUY", "price": "10", "size": "4", "fee": "0.4"},
        {"product_id": "A-USD", "side": "SELL", "price": "12", "size": "1", "fee": "0.1"},
        {"product_id": "B-USD", "side": "BUY", "price": "5", "size": "1", "fee": "0"},
        {"product_id": "B-USD", "side": "SELL", "price": "6", "size": "1", "fee": "0"},
    ]
    (only,) = open_positions(fill_rows_of(fills), {"A-USD": D(11)}).items()
    pid, row = only
    assert pid == "A-USD" and row["base_size"] == D(3)
    assert row["average_cost"] == D("10.1") and row["unrealized_pnl"] == D("2.7")


def test_bt1_entries_count_first_attempts_chains_and_expiries():
    def intent(iid, purpose, state, filled="0", parent=None):
        return {"intent_id": iid, "purpose": purpose, "state": state, "filled_size": filled,
                "parent_intent_id": parent}  # fmt: skip

    intents = [
        intent("e1", "entry", "EXPIRED"),
        intent("r1", "reprice", "FILLED", "1", parent="e1"),
        intent("e2", "entry", "FILLED", "1"),
        intent("e3", "entry", "EXPIRED"),
        intent("r3", "reprice", "EXPIRED", parent="e3"),
        intent("x1", "exit", "FILLED", "1"),
    ]
    made = entries(intents)
    assert (made["placed"], made["first_attempt_filled"], made["chains_filled"]) == (3, 1, 2)
    assert made["attempts_expired"] == 3
    assert made["fill_rate_pct"] == D("66.6667")
