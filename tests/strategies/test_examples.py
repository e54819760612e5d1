"""STR-2, STR-4: the two example strategies shipped as plugins in `config/strategies/`
(trend following on 1 h, mean reversion on 15 m): found the way a user's file is, off by
default, deciding on the bars they declared, and trading in a backtest over real data."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml

from tests.risk.factories import NOW, market_for, portfolio, position, snapshot
from tests.support.daemon import DaemonDir
from trader.config.loader import load_config
from trader.core.decision import Proposal
from trader.core.timeframes import TIMEFRAMES, BarBook, BarView
from trader.core.types import Candle, Side
from trader.strategies import StrategyContext

EXAMPLES = {"trend_1h": "1h", "reversion_15m": "15m"}


def _loaded(tmp_path: Path, enable: tuple[str, ...] = ()):
    home = DaemonDir(tmp_path / "work")
    path = home.root / "config/strategies.yaml"
    raw = yaml.safe_load(path.read_text())
    for strategy_id in enable:
        raw["registry"][strategy_id]["enabled"] = True
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return home, load_config(home.config)


def _bars(closes: list[float], seconds: int, spread: float = 0.004) -> list[Candle]:
    start = 1_600_000_000 - 1_600_000_000 % 86400
    out = []
    for i, close in enumerate(closes):
        open_ = closes[i - 1] if i else close
        high, low = max(open_, close) * (1 + spread), min(open_, close) * (1 - spread)
        out.append(
            Candle(
                "BTC-USD",
                start + i * seconds,
                D(str(round(open_, 2))),
                D(str(round(high, 2))),
                D(str(round(low, 2))),
                D(str(round(close, 2))),
                D("10"),
            )
        )
    return out


def _propose(loaded, strategy_id: str, bars: list[Candle], pf=None) -> list[Proposal]:
    plugin = loaded.plugins[strategy_id]
    strategy = plugin.build()
    timeframe = EXAMPLES[strategy_id]
    book = BarBook(dict(strategy.timeframes), candle_seconds=TIMEFRAMES[timeframe])
    for bar in bars:
        book.add(bar)
    market = snapshot(market_for("BTC-USD"), tier="core")
    ctx = StrategyContext(NOW, (), market, pf or portfolio(), BarView(book, strategy.timeframes))
    return strategy.propose(ctx)


def test_str2_the_examples_load_from_the_config_folder_and_are_off_by_default(tmp_path):
    _, loaded = _loaded(tmp_path)
    for strategy_id in EXAMPLES:
        plugin = loaded.plugins[strategy_id]
        assert plugin.source.startswith("strategies/") and plugin.source.endswith(
            plugin.cls.__name__
        )
        assert not loaded.strategies.registry[strategy_id].enabled
    assert loaded.strategies.enabled_ids() == ["rules"]


def test_str4_trend_following_buys_the_cross_up_with_atr_exits_and_sells_the_cross_down(
    tmp_path,
):
    _, loaded = _loaded(tmp_path)
    falling = [100 - 0.3 * i for i in range(80)]
    rising = [falling[-1] + 1.5 * i for i in range(1, 200)]
    proposals: list[Proposal] = []
    for end in range(80, 80 + len(rising)):  # bar by bar: the first proposal is the cross
        proposals = _propose(loaded, "trend_1h", _bars((falling + rising)[: end + 1], 3600))
        if proposals:
            break
    (buy,) = proposals
    assert buy.side is Side.BUY and buy.strategy_id == "trend_1h" and buy.size_pct == D("2")
    assert buy.stop_loss_pct is not None and buy.take_profit_pct is not None
    params = loaded.strategies.registry["trend_1h"].params or {}
    ratio = D(str(params["target_atr"])) / D(str(params["stop_atr"]))
    assert buy.take_profit_pct == pytest.approx(ratio * buy.stop_loss_pct, rel=D("0.02"))
    held = portfolio(positions=(position("BTC-USD", "0.5", "90", strategy="trend_1h"),))
    down = [rising[-1] - 2.0 * i for i in range(1, 120)]
    sells: list[Proposal] = []
    path = falling + rising + down
    for end in range(len(falling + rising), len(path)):
        sells = _propose(loaded, "trend_1h", _bars(path[: end + 1], 3600), held)
        if sells:
            break
    (sell,) = sells
    assert sell.side is Side.SELL and sell.base_size == D("0.5")


def test_str4_mean_reversion_buys_a_stretched_dip_and_sells_a_stretched_rally(tmp_path):
    _, loaded = _loaded(tmp_path)
    calm = [100 + (0.2 if i % 2 else -0.2) for i in range(100)]
    dip = [calm[-1] - 1.2 * i for i in range(1, 8)]
    (buy,) = _propose(loaded, "reversion_15m", _bars(calm + dip, 900))
    assert buy.side is Side.BUY and buy.stop_loss_pct == D("2.0")
    assert buy.take_profit_pct is not None and buy.take_profit_pct >= D("0.6")
    rally = [calm[-1] + 1.2 * i for i in range(1, 8)]
    assert _propose(loaded, "reversion_15m", _bars(calm + rally, 900)) == []  # nothing held
    held = portfolio(positions=(position("BTC-USD", "0.5", "90", strategy="reversion_15m"),))
    (sell,) = _propose(loaded, "reversion_15m", _bars(calm + rally, 900), held)
    assert sell.side is Side.SELL and sell.base_size == D("0.5")
    # a position another strategy opened is left to it: no sale, and no second entry
    others = portfolio(positions=(position("BTC-USD", "0.5", "90", strategy="rules"),))
    assert _propose(loaded, "reversion_15m", _bars(calm + rally, 900), others) == []
    assert _propose(loaded, "reversion_15m", _bars(calm + dip, 900), others) == []


@pytest.mark.parametrize("strategy_id", sorted(EXAMPLES))
def test_str4_each_example_trades_in_a_backtest_over_real_data(tmp_path, shared_data, strategy_id):
    home, _ = _loaded(tmp_path, enable=(strategy_id,))
    raw = yaml.safe_load((home.root / "config/strategies.yaml").read_text())
    raw["registry"]["rules"]["enabled"] = False
    (home.root / "config/strategies.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    out = tmp_path / "out"
    done = home.cli(
        "backtest",
        "--data",
        str(shared_data / "binance-5m-24pairs-2021"),
        "--products",
        "BTC-USD,ETH-USD,SOL-USD,ADA-USD,DOT-USD,LINK-USD",
        "--from",
        "2021-02-01",
        "--to",
        "2021-02-15",
        "--out",
        str(out),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(out / "backtest.db") as conn:
        strategies = {row[0] for row in conn.execute("SELECT strategy FROM proposals")}
        entries = conn.execute(
            "SELECT COUNT(*) FROM intents i JOIN proposals p ON p.proposal_id = i.proposal_id "
            "WHERE p.strategy = ? AND i.purpose = 'entry'",
            (strategy_id,),
        ).fetchone()[0]
    assert strategies == {strategy_id}
    assert entries > 0
    assert json.loads((out / "report.json").read_text())["summary"]["trades"] > 0


def test_str4_a_strategy_reading_bars_finer_than_the_data_is_refused(tmp_path, shared_data):
    home = DaemonDir(tmp_path / "work")
    (home.root / "config/strategies/fine.py").write_text(
        "from typing import ClassVar\n"
        "from collections.abc import Mapping\n"
        "from trader.strategies import Strategy\n\n"
        "class Fine(Strategy):\n"
        "    timeframes: ClassVar[Mapping[str, int]] = {'1m': 30}\n\n"
        "    def propose(self, ctx):\n"
        "        return []\n"
    )
    path = home.root / "config/strategies.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["registry"]["fine"] = {"class": "strategies/fine.py:Fine", "enabled": True}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    done = home.cli(
        "backtest", "--data", str(shared_data / "binance-5m-24pairs-2021"),
        "--from", "2021-02-01", "--to", "2021-02-02", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "backtest: strategy fine reads 1m bars but the data's bars are 5 min: "
        "a timeframe finer than the data is refused"
    ]
    assert not (tmp_path / "out").exists()
