"""BT-1 backtest report: round trips from fills, hourly series, exposure, byte-stable JSON."""

from __future__ import annotations

import json
from decimal import Decimal as D
from typing import Any

from trader.backtest.report import (
    RunInfo,
    build_report,
    by_strategy,
    exposure,
    fill_stats,
    hourly,
    report_json,
    round_trips,
)
from trader.backtest.runner import StepLog
from trader.backtest.stats import RoundTrip
from trader.config.universe import ClusterConfig, UniverseConfig

H = 3600


def fill(time: float, pid: str, side: str, price: str, size: str, fee: str, **extra: Any):
    return {
        "time": time,
        "product_id": pid,
        "side": side,
        "price": price,
        "size": size,
        "fee": fee,
        "liquidity": extra.get("liquidity", "TAKER"),
        "intent_id": extra.get("intent_id", f"i-{time}"),
        "purpose": extra.get("purpose", "ENTRY" if side == "BUY" else "EXIT"),
        "strategy": extra.get("strategy", "rules"),
    }


FILLS = [
    fill(100.0, "BTC-USD", "BUY", "100", "1", "0.1", liquidity="MAKER"),
    fill(200.0, "ETH-USD", "BUY", "50", "2", "0.05"),  # never sold: still open
    fill(300.0, "BTC-USD", "BUY", "110", "1", "0.1"),
    fill(400.0, "BTC-USD", "SELL", "120", "2", "0.2"),
]


def test_bt1_round_trip_averages_entries_and_nets_all_fees():
    """BT-1: buy 1 @100 + buy 1 @110, sell 2 @120, fees 0.4 → entry 105, exit 120, pnl 29.6;
    a product still held makes no trip."""
    assert round_trips(FILLS) == [
        RoundTrip(
            product_id="BTC-USD",
            opened_at=100.0,
            closed_at=400.0,
            base_size=D("2"),
            entry_price=D("105"),
            exit_price=D("120"),
            fees=D("0.4"),
            pnl=D("29.6"),
            strategy="rules",
        )
    ]
    trip = round_trips(FILLS)[0]
    assert isinstance(trip.pnl, D) and str(trip.pnl) == "29.6"
    assert round_trips(FILLS[1:2]) == []


def test_bt1_round_trips_restart_after_flat_and_count_partial_exits():
    """BT-1: a trip ends when the position is flat again; the next buy opens a new one."""
    fills = [
        fill(0.0, "SOL-USD", "BUY", "10", "3", "0.03"),
        fill(60.0, "SOL-USD", "SELL", "11", "1", "0.011"),  # partial exit: still open
        fill(120.0, "SOL-USD", "SELL", "9", "2", "0.018"),
        fill(180.0, "SOL-USD", "BUY", "8", "1", "0.008"),
        fill(240.0, "SOL-USD", "SELL", "7", "1", "0.007"),
    ]
    first, second = round_trips(fills)
    assert (first.opened_at, first.closed_at, first.base_size) == (0.0, 120.0, D("3"))
    assert first.exit_price == D("29") / D("3")  # (11 + 18) / 3
    assert first.fees == D("0.059")
    assert first.pnl == D("29") - D("30") - D("0.059")
    assert (second.opened_at, second.entry_price, second.exit_price) == (180.0, D(8), D(7))
    assert second.pnl == D("-1.015")


def test_bt1_fill_stats_mark_makers_and_notional():
    """BT-1: each fill's fee, notional (price × size) and whether it was a maker."""
    stats = fill_stats(FILLS)
    assert [(s.fee, s.notional, s.maker) for s in stats] == [
        (D("0.1"), D("100"), True),
        (D("0.05"), D("100"), False),
        (D("0.1"), D("110"), False),
        (D("0.2"), D("240"), False),
    ]


def test_bt1_hourly_keeps_the_last_point_of_each_hour_and_the_last_point():
    """BT-1: one point an hour (the last of the hour), plus the very last point."""
    series = [
        (0, D("100")),
        (1800, D("101")),
        (3540, D("102")),  # last of hour 0
        (3600, D("103")),  # alone in hour 1
        (7500, D("104")),
        (7800, D("105")),  # last of hour 2 and of the series
    ]
    assert hourly(series) == [(3540, D("102")), (3600, D("103")), (7800, D("105"))]
    assert hourly(series[:5]) == [(3540, D("102")), (3600, D("103")), (7500, D("104"))]
    assert hourly([(10, D(1))]) == [(10, D(1))]
    assert hourly([]) == []


def test_bt1_exposure_max_and_time_average_by_product_and_cluster():
    """BT-1: exposure max and mean over all steps (a step without a position counts as 0)."""
    universe = UniverseConfig(clusters={"majors": ClusterConfig(members=["BTC", "ETH"])})
    log = StepLog()
    log.exposure = [
        (0, {"BTC-USD": D("100"), "ETH-USD": D("50")}),
        (300, {"BTC-USD": D("200")}),
        (600, {"DOGE-USD": D("30")}),
    ]
    result = exposure(log, universe, steps=4)
    assert result["by_product"] == {
        "BTC-USD": {"max": D("200"), "mean": D("75")},
        "DOGE-USD": {"max": D("30"), "mean": D("7.5")},
        "ETH-USD": {"max": D("50"), "mean": D("12.5")},
    }
    assert result["by_cluster"] == {"majors": {"max": D("200"), "mean": D("87.5")}}
    assert list(result["by_product"]) == sorted(result["by_product"])


def sample_report() -> dict[str, Any]:
    info = RunInfo(
        data="klines-5m",
        fingerprint="ab" * 32,
        config_hash="cd" * 32,
        start=10 * H,
        end=13 * H,
        warmup_s=H,
        bar_seconds=300,
        products=("BTC-USD", "ETH-USD"),
        quote_currency="USD",
        listed_at={"BTC-USD": 0.0, "ETH-USD": 0.0},
    )
    log = StepLog(steps=4, bars=8, proposals=3, approved=2, exits=1)
    log.equity = [
        (10 * H, D("1000")),
        (10 * H + 1800, D("1010.5")),
        (11 * H, D("990.25")),
        (12 * H + 300, D("1029.6")),
    ]
    log.exposure = [(10 * H, {"BTC-USD": D("100")}), (11 * H, {"BTC-USD": D("220")})]
    log.rejections = {"spread": 2, "cluster_cap": 1}
    log.halts = [(11 * H + 5.0, "drawdown")]
    universe = UniverseConfig(clusters={"majors": ClusterConfig(members=["BTC"])})
    report, summary, points = build_report(info, log, list(FILLS), [], universe)
    assert [p.equity for p in points] == [e for _, e in log.equity]
    assert (summary.trades, summary.fees, summary.end_equity) == (1, D("0.45"), D("1029.6"))
    return report


def test_bt1_build_report_collects_trades_fees_and_decisions():
    """BT-1: the report holds the run, trades, fees by liquidity, decisions and series."""
    report = sample_report()
    assert report["fees"] == {"total": D("0.45"), "maker": D("0.1"), "taker": D("0.35")}
    assert [t["pnl"] for t in report["trades"]] == [D("29.6")]
    assert report["decisions"]["halts"] == [{"time": 11 * H + 5.0, "reason": "drawdown"}]
    assert list(report["risk_rejections"]) == ["cluster_cap", "spread"]
    assert report["equity_hourly"] == [
        (10 * H + 1800, D("1010.5")),
        (11 * H, D("990.25")),
        (12 * H + 300, D("1029.6")),
    ]
    assert report["run"]["products"] == ("BTC-USD", "ETH-USD")


def test_bt1_report_json_is_byte_identical_sorted_and_keeps_decimals_exact():
    """BT-1: identical input → identical bytes; keys sorted; Decimals as their exact text."""
    first, second = report_json(sample_report()), report_json(sample_report())
    assert first == second
    assert first.endswith(b"}\n")
    parsed = json.loads(first)
    assert list(parsed) == sorted(parsed)
    assert list(parsed["run"]) == sorted(parsed["run"])
    assert parsed["fees"] == {"maker": "0.1", "taker": "0.35", "total": "0.45"}
    assert parsed["trades"][0]["pnl"] == "29.6"
    assert parsed["trades"][0]["entry_price"] == "105"
    assert parsed["equity_hourly"][-1] == [12 * H + 300, "1029.6"]
    assert parsed["run"]["products"] == ["BTC-USD", "ETH-USD"]
    # a dict built in another key order gives the same bytes
    assert report_json({"b": D("1.10"), "a": [D("2")]}) == report_json(
        {"a": [D("2")], "b": D("1.10")}
    )
    assert json.loads(report_json({"b": D("1.10")})) == {"b": "1.10"}


def test_str5_the_report_breaks_results_down_by_strategy():
    """STR-5: proposals and approvals from the steps; fills, volume, fees, realized PnL at
    average cost and round trips from the fills, each to its strategy; an unattributed fill
    (the operator's, the kill switch's) under `(none)`."""
    fills = [
        fill(100.0, "BTC-USD", "BUY", "100", "1", "0.1", strategy="trend"),
        fill(150.0, "ETH-USD", "BUY", "50", "2", "0.1", strategy="reversion"),
        fill(200.0, "BTC-USD", "SELL", "120", "1", "0.1", strategy="trend"),
        fill(250.0, "ETH-USD", "SELL", "40", "2", "0.1", strategy=None),
    ]
    log = StepLog(by_strategy={"trend": [3, 1], "reversion": [2, 2]})
    rows = by_strategy(log, fills, round_trips(fills))
    assert list(rows) == ["(none)", "reversion", "trend"]
    trend, reversion, none = rows["trend"], rows["reversion"], rows["(none)"]
    assert (trend["proposals"], trend["approved"], trend["fills"]) == (3, 1, 2)
    assert trend["realized_pnl"] == D("19.8") and trend["trades"] == 1
    assert trend["win_rate_pct"] == D("100") and trend["trades_pnl"] == D("19.8")
    assert (reversion["fills"], reversion["realized_pnl"], reversion["trades"]) == (1, 0, 1)
    assert reversion["trades_pnl"] == D("-20.2")  # the trip opened by its entry
    assert none["realized_pnl"] == D("-20.2") and none["fills"] == 1  # the sale's loss
    assert sum((r["volume"] for r in rows.values()), D(0)) == D("100") + 100 + 120 + 80
