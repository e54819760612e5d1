"""STR-6 `trader check-strategy NAME`: the shipped strategies read no future; a strategy that
does (by finding the replay's own data, or by keeping closes from an earlier run) is caught
by the cut comparison, and one carrying state beyond its declared history by the warm-up
check; bad input is one line, exit 2. Real recorded bars, a few products, short windows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.daemon import DaemonDir
from trader.backtest.data import load_dataset
from trader.backtest.lookahead import (
    DAY_S,
    CheckReport,
    check_strategy,
    check_window,
    cut_points,
    declared_warmup,
)
from trader.backtest.replay import Replay, constant_portfolios
from trader.commands.backtest import parse_time
from trader.config.loader import LoadedConfig, load_config

SET = "binance-5m-24pairs-2021"
PRODUCTS = "BTC-USD,ETH-USD,SOL-USD"

HEADER = """\
from __future__ import annotations

import bisect
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from trader.strategies import Proposal, Side, Strategy, StrategyContext


def buy(strategy_id: str, product_id: str, reason: str) -> Proposal:
    return Proposal(
        product_id, Side.BUY, strategy_id, 0.9, reason,
        size_pct=Decimal(1), stop_loss_pct=Decimal(2), take_profit_pct=Decimal(4),
    )
"""

# reads the replay's own data from its callers' frames: buys when the close an hour ahead
# is above the last one
PEEK = (
    HEADER
    + """

def replayed_data():
    frame = sys._getframe(1)
    while frame is not None:
        for value in frame.f_locals.values():
            if hasattr(value, "series") and hasattr(value, "bar_seconds"):
                return value
        frame = frame.f_back
    return None


class Peek(Strategy):
    timeframes: ClassVar[Mapping[str, int]] = {"5m": 1}

    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        data, out = replayed_data(), []
        for pid in sorted(ctx.market.tiers):
            bars, series = ctx.bars(pid, "5m"), data.series.get(pid)
            if not bars or series is None:
                continue
            ahead = int(ctx.now) + 3600
            row = bisect.bisect_left(series.starts, ahead)
            if row < len(series) and series.candle(row).close > bars[-1].close:
                out.append(buy(self.strategy_id, pid, "the next hour goes up"))
        return out
"""
)

# keeps every close any instance saw in a module-level dict, across runs, and peeks at the
# one an hour ahead when an earlier run stored it
REMEMBER = (
    HEADER
    + """
SEEN: dict[tuple[str, int], Decimal] = {}


class Remember(Strategy):
    timeframes: ClassVar[Mapping[str, int]] = {"5m": 1}

    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        out = []
        for pid in sorted(ctx.market.tiers):
            bars = ctx.bars(pid, "5m")
            if not bars:
                continue
            last = bars[-1]
            SEEN[(pid, last.start)] = last.close
            ahead = SEEN.get((pid, last.start + 3600))
            if ahead is not None and ahead > last.close:
                out.append(buy(self.strategy_id, pid, "remembered: the next hour goes up"))
        return out
"""
)

# an EMA of every close it was ever shown, kept across calls: it declares one 5-minute bar
DRIFT = (
    HEADER
    + """

class Drift(Strategy):
    timeframes: ClassVar[Mapping[str, int]] = {"5m": 1}

    def __init__(self, strategy_id, params) -> None:
        super().__init__(strategy_id, params)
        self.ema: dict[str, float] = {}
        self.seen: dict[str, int] = {}

    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        out = []
        for pid in sorted(ctx.market.tiers):
            bars = ctx.bars(pid, "5m")
            if not bars:
                continue
            close = float(bars[-1].close)
            if self.seen.get(pid) != bars[-1].start:
                self.seen[pid] = bars[-1].start
                previous = self.ema.get(pid, close)
                self.ema[pid] = previous + 0.01 * (close - previous)
            if close > self.ema[pid]:
                out.append(buy(self.strategy_id, pid, f"close above EMA {self.ema[pid]:.2f}"))
        return out
"""
)

FINE = (
    HEADER
    + """

class Fine(Strategy):
    timeframes: ClassVar[Mapping[str, int]] = {"1m": 30}

    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        return []
"""
)

PLUGINS = {"peek": ("Peek", PEEK), "remember": ("Remember", REMEMBER), "drift": ("Drift", DRIFT)}
PLUGINS["fine"] = ("Fine", FINE)


def _home(tmp_path: Path) -> DaemonDir:
    """A working directory whose strategies.yaml also lists the test strategies (off)."""
    home = DaemonDir(tmp_path / "work")
    path = home.root / "config/strategies.yaml"
    raw = yaml.safe_load(path.read_text())
    for name, (cls, source) in PLUGINS.items():
        (home.root / f"config/strategies/{name}.py").write_text(source)
        raw["registry"][name] = {"class": f"strategies/{name}.py:{cls}"}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return home


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> LoadedConfig:
    return load_config(_home(tmp_path_factory.mktemp("lookahead")).config)


@pytest.fixture(scope="module")
def data(shared_data: Path) -> Path:
    return shared_data / SET


def _check(loaded: LoadedConfig, name: str, data: Path, start: str, end: str) -> CheckReport:
    dataset = load_dataset(data, PRODUCTS.split(","))
    return check_strategy(
        loaded, name, dataset, parse_time(start, "--from"), parse_time(end, "--to"), cuts=2
    )


def _cli(home: DaemonDir, data: Path, name: str, *args: str) -> Any:
    return home.cli(
        "check-strategy", name, "--data", str(data), "--products", PRODUCTS, "--cuts", "2", *args,
        timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "end"),
    [("rules", "2021-02-03"), ("trend_1h", "2021-02-03"), ("reversion_15m", "2021-02-03")],
)
def test_str6_the_shipped_strategies_read_no_future(loaded, data, name, end):
    report = _check(loaded, name, data, "2021-02-01", end)
    assert report.findings == []
    assert report.proposals > 0  # something was compared
    assert len(report.cuts) == 2 and report.settled_from == report.start + DAY_S
    assert report.lines()[-1].startswith("no look-ahead found")


def test_str6_cli_passes_the_rules_strategy(tmp_path, data):
    done = _cli(_home(tmp_path), data, "rules", "--from", "2021-02-01", "--to", "2021-02-03")
    assert done.returncode == 0, done.stderr
    summary, verdict, _elapsed = done.stdout.splitlines()
    assert summary.startswith("check-strategy rules: 2021-02-01T00:00:00Z to 2021-02-03T00:00:00Z")
    assert "2 cuts" in summary and "3 products" in summary
    assert verdict.startswith("no look-ahead found")


@pytest.mark.parametrize("name", ["peek", "remember"])
def test_str6_a_strategy_reading_later_data_is_caught_with_product_and_time(tmp_path, data, name):
    done = _cli(_home(tmp_path), data, name, "--from", "2021-02-01", "--to", "2021-02-02")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    found = [line for line in lines if line.startswith("look-ahead at 2021-02-01T")]
    assert found, done.stdout
    assert any(pid in found[0] for pid in PRODUCTS.split(","))
    assert "with the data to 2021-02-02T00:00:00Z" in found[0]
    assert "with the data cut at 2021-02-01T" in found[0]
    assert "BUY" in found[0] and "nothing" in found[0]


def test_str6_state_carried_past_the_declared_warm_up_is_caught(loaded, data):
    report = _check(loaded, "drift", data, "2021-02-01", "2021-02-03")
    assert [f.problem for f in report.findings] == ["unsettled state"]  # no look-ahead
    line = report.findings[0].line
    assert line.startswith("unsettled state at 2021-02-02T"), line
    assert any(pid in line for pid in PRODUCTS.split(","))
    assert "close above EMA" in line


def test_str6_a_run_continued_from_a_warm_copy_decides_as_one_fed_straight_through(loaded, data):
    """Runs continue from a copy of the core warmed up to their start: for a strategy that
    keeps nothing but what its bars give, deciding from `start` or only from `mid` gives
    the same decisions at and after `mid` (the copies' bars keep growing), and the warm
    core is left as it was."""
    dataset = load_dataset(data, ["ETH-USD"])
    start, mid, end = (parse_time(f"2021-02-01T{hour:02}", "t") for hour in (0, 12, 23))
    name = "reversion_15m"
    replay = Replay(loaded, name, constant_portfolios(dataset, "USD", name, start))
    feed = start - 3 * DAY_S
    warm = replay.warm(dataset, feed, start)
    whole = replay.run(warm, dataset, end).decisions
    later = replay.run(replay.warm(dataset, feed, mid), dataset, end).decisions
    assert later and later == {k: v for k, v in whole.items() if k[0] >= mid}
    assert replay.run(warm, dataset, end).decisions == whole


def test_str6_the_window_defaults_to_seven_days_after_the_declared_warm_up(loaded, data):
    dataset = load_dataset(data, ["BTC-USD"])
    first, last = dataset.span()
    warmup = declared_warmup(loaded.plugins["trend_1h"].cls)
    assert warmup == 500 * 3600 + DAY_S
    assert check_window(dataset, warmup, None, None) == (first + warmup, first + warmup + 7 * DAY_S)
    assert check_window(dataset, warmup, first, None)[0] == first + warmup  # raised to it
    assert check_window(dataset, warmup, None, last + DAY_S)[1] == last
    with pytest.raises(ValueError, match="no data to check"):
        check_window(dataset, warmup, last, None)
    assert cut_points(0, 9 * 300, 8, 300) == tuple(range(300, 9 * 300, 300))
    assert cut_points(0, 2 * 300, 8, 300) == (300,)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("nope",), "no strategy 'nope' in strategies.yaml (registry: "),
        (("rules", "--from", "next week"), "--from: not a date"),
        (("rules", "--from", "2021-02-02", "--to", "2021-02-01"), "--to must be after --from"),
        (("rules", "--cuts", "0"), "argument --cuts: '0': from 1 to 1000"),
        (("fine",), "strategy fine reads 1m bars but the data's bars are 5 min"),
        (("rules", "--from", "2030-01-01"), "no data to check"),
    ],
)
def test_str6_bad_input_is_one_line_exit_2(tmp_path, data, args, needle):
    done = _cli(_home(tmp_path), data, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("check-strategy: ") and needle in line, line


def test_str6_a_data_folder_it_cannot_read_is_one_line_exit_2(tmp_path):
    home = _home(tmp_path)
    done = home.cli("check-strategy", "rules", "--data", str(tmp_path / "missing"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"check-strategy: {tmp_path / 'missing'}: no such data folder"
    ]


def test_str6_a_bad_configuration_is_reported_like_other_commands(tmp_path, data):
    home = _home(tmp_path)
    path = home.root / "config/strategies.yaml"
    path.write_text(
        path.read_text().replace("max_proposals_per_cycle: 2", "max_proposals_per_cycle: -1", 1)
    )
    done = _cli(home, data, "trend_1h")
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("config error: ") and "max_proposals_per_cycle" in lines[0]
    assert lines[-1] == "1 problem found; nothing was started"
