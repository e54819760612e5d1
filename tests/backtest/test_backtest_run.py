"""BT-1 end to end: `python -m trader backtest` over the REAL recorded sets.

One command runs the shipped strategy (rules strategy, shipped risk policy) through the
live universe, triggers, risk engine, order manager and paper exchange on a simulated
clock; it writes report.json (byte-identical when run again), equity.html and the run's
state file, and prints a summary table. On a terminal it shows a progress bar with ETA.
"""

from __future__ import annotations

import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
KLINES = "binance-5m-24pairs-2021"
WINDOW = ("--from", "2021-02-01", "--to", "2021-02-04")


def _backtest(data: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader", "backtest", "--data", str(data), "--out", str(out),
         "--config", str(REPO_ROOT / "app.yaml.example"), *extra],
        cwd=out.parent, capture_output=True, text=True, timeout=240,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip


@pytest.fixture(scope="module")
def kline_run(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp("bt")
    first = _backtest(shared_data / KLINES, root / "a", *WINDOW)
    second = _backtest(shared_data / KLINES, root / "b", *WINDOW)
    return root, first, second


def test_bt1_backtest_of_the_shipped_strategy_writes_report_picture_and_summary(kline_run):
    root, first, _ = kline_run
    assert first.returncode == 0, first.stderr
    for label in ("Return", "CAGR", "Sharpe", "Sortino", "Max drawdown", "Trades", "Win rate",
                  "Fees", "Maker ratio"):  # fmt: skip
        assert label in first.stdout
    report = json.loads((root / "a" / "report.json").read_text())
    assert report["run"]["data"] == "klines-5m" and report["run"]["bar_seconds"] == 300
    assert len(report["run"]["fingerprint"]) == 64 and len(report["run"]["config_hash"]) == 64
    decisions = report["decisions"]
    assert decisions["bars"] == 24 * (3 * 288 + 25 * 12)  # 3 days plus 25 h of warm-up
    assert decisions["steps"] == 3 * 288
    assert decisions["proposals"] > 0 and sum(report["risk_rejections"].values()) > 0
    assert report["fills"] and report["intents"]
    sides = {f["side"] for f in report["fills"]}
    assert sides == {"BUY", "SELL"}
    assert {f["liquidity"] for f in report["fills"]} <= {"MAKER", "TAKER"}
    fees = sum(float(f["fee"]) for f in report["fills"])
    assert abs(float(report["fees"]["total"]) - fees) < 1e-9
    assert report["equity_hourly"][0][0] >= 1612137600
    assert {"by_product", "by_cluster"} <= set(report["exposure"])
    html = (root / "a" / "equity.html").read_text()
    assert html.count("<svg") == 2 and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_bt4_the_report_and_picture_carry_what_a_trader_acts_on(kline_run):
    """Per pair, exit reason and entry tag; the figures; the page's table, benchmark line
    and a marker at every trade's entry and exit."""
    root, first, _ = kline_run
    report = json.loads((root / "a" / "report.json").read_text())
    trades = report["trades"]
    assert trades, "no trade: nothing proven"
    for section in ("by_pair", "by_exit_reason", "by_entry_tag"):
        assert sum(row["trades"] for row in report[section].values()) == len(trades)
    assert all(t["entry_tag"] for t in trades)
    figures = report["figures"]
    for key in ("profit_factor", "expectancy", "sqn", "calmar", "drawdown", "days",
                "best_pair", "worst_pair", "best_trade", "worst_trade",
                "avg_duration_winners_s", "avg_duration_losers_s", "max_consecutive_losses",
                "halts"):  # fmt: skip
        assert key in figures
    days = figures["days"]
    assert days["wins"] + days["draws"] + days["losses"] == 3
    assert "Profit factor" in first.stdout and "Days won / drawn / lost" in first.stdout
    html = (root / "a" / "equity.html").read_text()
    assert '<polyline class="benchmark"' in html and '<table class="summary">' in html
    assert html.count('<path class="entry"') == len(trades)
    assert html.count('<path class="win"') + html.count('<path class="loss"') == len(trades)


def test_bt1_identical_inputs_give_a_byte_identical_report(kline_run):
    root, first, second = kline_run
    assert first.returncode == second.returncode == 0
    assert (root / "a" / "report.json").read_bytes() == (root / "b" / "report.json").read_bytes()
    assert (root / "a" / "equity.html").read_bytes() == (root / "b" / "equity.html").read_bytes()


def test_bt1_the_run_state_file_holds_the_audit_trail_like_the_daemons(kline_run):
    root, _, _ = kline_run
    conn = sqlite3.connect(root / "a" / "backtest.db")
    try:
        joined = conn.execute(
            "SELECT COUNT(*) FROM intents i JOIN proposals p USING (proposal_id) "
            "JOIN verdicts v USING (proposal_id) WHERE i.purpose = 'entry'"
        ).fetchone()[0]
        entries = conn.execute("SELECT COUNT(*) FROM intents WHERE purpose = 'entry'").fetchone()
        modes = {r[0] for r in conn.execute("SELECT DISTINCT mode FROM cycles")}
    finally:
        conn.close()
    assert joined == entries[0] > 0  # every entry joins the proposal and verdict behind it
    assert modes == {"BACKTEST"}


def test_bt1_coinbase_minute_set_with_recorded_quotes(tmp_path, shared_data):
    out = tmp_path / "cb"
    result = _backtest(
        shared_data / "coinbase-minute-2018",
        out,
        "--from",
        "2018-04-06",
        "--to",
        "2018-04-06T06:00",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["run"]["data"] == "coinbase-minute" and report["run"]["bar_seconds"] == 60
    assert report["decisions"]["steps"] == 360


def test_bt1_progress_bar_with_eta_on_a_terminal(tmp_path, shared_data):
    out = tmp_path / "tty"
    args = [sys.executable, "-m", "trader", "backtest", "--data",
            str(shared_data / "coinbase-minute-2018"), "--from", "2018-04-06",
            "--to", "2018-04-06T03:00", "--out", str(out),
            "--config", str(REPO_ROOT / "app.yaml.example")]  # fmt: skip
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        args, stdin=follower, stdout=follower, stderr=follower, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait(timeout=60) == 0
    os.close(leader)
    text = seen.decode(errors="replace")
    assert "backtest" in text and "%" in text and "bars/s" in text
    assert "ETA" in text or "took" in text
    assert "\r" in text


def test_bt1_listed_before_lets_the_first_weeks_of_a_set_trade(tmp_path, shared_data):
    """The sets carry no listing dates: by default each product counts as listed at its
    first bar, so the universe's 30-day listing-age filter keeps the first weeks of the
    5-minute set (from 2020-12-01) empty. `--listed-before` gives the operator's date, and
    the report says which listing times the run used."""
    window = ("--from", "2020-12-03", "--to", "2020-12-06",
              "--products", "BTC-USD,ETH-USD,SOL-USD,ADA-USD,XRP-USD,LINK-USD")  # fmt: skip
    plain = _backtest(shared_data / KLINES, tmp_path / "plain", *window)
    listed = _backtest(
        shared_data / KLINES, tmp_path / "listed", *window, "--listed-before", "2020-01-01"
    )
    assert plain.returncode == 0 and listed.returncode == 0, plain.stderr + listed.stderr
    plain_report = json.loads((tmp_path / "plain" / "report.json").read_text())
    listed_report = json.loads((tmp_path / "listed" / "report.json").read_text())
    assert set(plain_report["run"]["listed_at"].values()) == {1_606_780_800.0}  # first bar
    assert set(listed_report["run"]["listed_at"].values()) == {1_577_836_800.0}
    assert plain_report["decisions"]["proposals"] == 0
    assert listed_report["decisions"]["proposals"] > 0


def test_r4_a_loss_limit_stops_entries_but_exits_keep_protecting_positions(tmp_path, shared_data):
    """R-4 in a backtest: with a daily-loss limit a fraction of a percent away, the first
    dip moves trading to REDUCING — and the positions it holds are still sold by their
    exits afterwards (HALTED would have left them without a stop)."""
    import shutil

    import yaml

    shutil.copytree(REPO_ROOT / "config", tmp_path / "config")
    policy = tmp_path / "config" / "policy.yaml"
    data = yaml.safe_load(policy.read_text())
    data["daily_loss_limit_pct"] = -0.05
    policy.write_text(yaml.safe_dump(data))
    # stops far away, so the limit fires on a position still held rather than after a
    # stop inside a bar has sold it
    strategies = tmp_path / "config" / "strategies.yaml"
    raw = yaml.safe_load(strategies.read_text())
    per_kind = raw["rules"].get("exits_by_trigger", {}).values()
    for exits in [raw["rules"]["default_exits"], *per_kind]:
        exits["stop_loss_pct"] = 15
    strategies.write_text(yaml.safe_dump(raw, sort_keys=False))
    shutil.copy(REPO_ROOT / "app.yaml.example", tmp_path / "app.yaml")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "trader", "backtest", "--data", str(shared_data / KLINES),
         "--out", str(out), "--config", str(tmp_path / "app.yaml"), *WINDOW,
         "--products", "BTC-USD,ETH-USD,SOL-USD,ADA-USD,XRP-USD,LINK-USD,DOT-USD,AVAX-USD"],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    halts = report["decisions"]["halts"]
    assert halts, "the limit never fired: nothing proven"
    limited_at = halts[0]["time"]
    assert halts[0]["reason"] == "daily_loss"
    sells_after = [f for f in report["fills"] if f["side"] == "SELL" and f["time"] > limited_at]
    assert sells_after, "no exit ran after the loss limit"
    with sqlite3.connect(out / "backtest.db") as conn:
        state = conn.execute("SELECT trading_state, halt_reason FROM risk_state").fetchone()
        entries_after = conn.execute(
            "SELECT COUNT(*) FROM intents WHERE side = 'BUY' AND purpose = 'entry' "
            "AND created_at > ?",
            (limited_at,),
        ).fetchone()[0]
    assert state == ("REDUCING", "daily_loss") and entries_after == 0
