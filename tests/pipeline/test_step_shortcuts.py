"""BT-1, PERF-4: what a decision step skips where a stage has nothing to do — no strategy
called at a step without triggers when it needs them (`BaseStrategy.needs_triggers`), no
exit screen with nothing held, the backtest's filtered state pair kept across a step that
kept its risk state — gives the run that does every stage in full: the same steps,
equity, proposals, verdicts, orders, fills and rows of every table of the state file."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.venue import merge_yaml
from trader.backtest.data import Dataset, load_dataset
from trader.backtest.runner import Runner, StepLog
from trader.backtest.session import open_session
from trader.config.loader import LoadedConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = ["ADA-USD", "AVAX-USD", "BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"]
WARMUP_S = 25 * 3600
DAYS = 6
EVERY_BAR = '''
from decimal import Decimal
from typing import ClassVar

from trader.strategies import Proposal, Side, Strategy, StrategyContext, StrategyParams


class EveryBar(Strategy[StrategyParams]):
    """Called at every step whatever the triggers: a BUY of a product not held whose
    last bar rose 0.5 %."""

    Params = StrategyParams
    timeframes: ClassVar[dict[str, int]] = {"5m": 2}

    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        proposals = []
        for product_id in sorted(ctx.market.tiers):
            bars = ctx.bars(product_id, "5m")
            rise = len(bars) > 1 and bars[-1].close > bars[-2].close * Decimal("1.005")
            if not rise or ctx.buying(product_id) or ctx.portfolio.held_size(product_id):
                continue
            proposals.append(
                Proposal(
                    product_id=product_id, side=Side.BUY, strategy_id=self.strategy_id,
                    conviction=1.0, reason="up bar", size_pct=Decimal(2),
                    stop_loss_pct=Decimal(2), take_profit_pct=Decimal(8), max_hold_s=3600.0,
                )
            )
        return proposals
'''
CASES: dict[str, dict[str, Any]] = {
    # the shipped configuration: every trigger, the `rules` strategy alone
    "shipped": {"universe.yaml": {"min_listing_age_days": 0}},
    # entries often, loss limits that move trading to REDUCING, new days and marks
    "loss limits": {
        "universe.yaml": {"min_listing_age_days": 0},
        "signals.yaml": {"price_move": {"threshold_15m_pct": 0.6, "threshold_60m_pct": 1.2}},
        "strategies.yaml": {"rules": {"min_conviction": 0.2}},
        "policy.yaml": {"daily_loss_limit_pct": -0.4, "max_drawdown_pct": 1.5},
    },
    # a strategy that needs no triggers beside one that does: it is called at every step
    "one strategy without triggers": {
        "universe.yaml": {"min_listing_age_days": 0},
        "strategies.yaml": {
            "registry": {
                "every_bar": {
                    "class": "strategies/every_bar.py:EveryBar",
                    "enabled": True,
                    "max_at_risk_pct": 20,
                }
            },
        },
    },
}


def _config(tmp_path: Path, edits: dict[str, Any]) -> Path:
    config = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config)
    (config / "strategies" / "every_bar.py").write_text(EVERY_BAR)
    for name, edit in edits.items():
        merge_yaml(config / name, edit)
    app = yaml.safe_load((REPO_ROOT / "app.yaml.example").read_text())
    app.setdefault("paths", {})["config_dir"] = str(config)
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(app))
    return path


@pytest.fixture(scope="module")
def dataset(shared_data: Path) -> Dataset:
    """The products' bars, read once for every case and both runs of each."""
    return load_dataset(shared_data / "binance-5m-24pairs-2021", PRODUCTS)


def _tables(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in the order of all its columns."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    tables = {}
    for name in sorted(names):
        columns = ", ".join(r[1] for r in conn.execute(f"PRAGMA table_info({name})"))
        rows = conn.execute(f"SELECT {columns} FROM {name} ORDER BY {columns}")
        tables[name] = [tuple(r) for r in rows]
    return tables


async def _run(
    loaded: LoadedConfig, dataset: Dataset, scratch: Path, *, shortcuts: bool
) -> tuple[StepLog, dict[str, list[tuple[Any, ...]]]]:
    first, _last = dataset.span()
    start = first + WARMUP_S
    session = await open_session(loaded, dataset, scratch, first)
    try:
        core, state = session.core, session.state
        core.shortcuts = core.registry.skip_untriggered = state.keep_pair = shortcuts
        runner = Runner(session, start, start + DAYS * 86_400, WARMUP_S)
        log = await runner.run()
        tables = await session.db.run(_tables)
    finally:
        await session.close()
    return log, tables


@pytest.mark.parametrize("case", list(CASES))
async def test_bt1_step_shortcuts_give_the_full_steps_run(case, tmp_path, dataset):
    loaded = load_config(_config(tmp_path, CASES[case]))
    log, tables = await _run(loaded, dataset, tmp_path / "a.db", shortcuts=True)
    full, full_tables = await _run(loaded, dataset, tmp_path / "b.db", shortcuts=False)
    idle = log.steps - len(log.exposure)
    assert log.steps > 1500 and idle > 100, (log.steps, idle)  # steps with nothing held
    assert log.proposals > 2 and log.approved > 2 and len(tables["fills"]) > 2, log
    if case == "loss limits":
        assert log.halts, log.halts  # a loss limit moved trading
    if case == "one strategy without triggers":
        assert log.by_strategy["every_bar"][1] > 2, log.by_strategy  # its entries were placed
    assert log == full
    for name, rows in tables.items():
        assert rows == full_tables[name], name
