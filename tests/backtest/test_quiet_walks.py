"""BT-1, PERF-4: the points of a held bar that can only move the clock are passed
(`Runner._quiet_levels`, `Runner._pass`): the run is the one that visits every point in
full — the same steps, equity, orders and fills — with exits of every kind firing."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.venue import merge_yaml
from trader.backtest.data import Dataset, load_dataset
from trader.backtest.runner import Runner
from trader.backtest.session import open_session
from trader.config.loader import LoadedConfig, load_config
from trader.state.report_rows import read_fills, read_intents

REPO_ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = ["ADA-USD", "BTC-USD", "ETH-USD", "LINK-USD", "SOL-USD", "XRP-USD"]
WARMUP_S = 25 * 3600
DAYS = 9
BREAKOUT: dict[str, Any] = {
    "signals.yaml": {
        "timeframe": "5m",
        "price_move": {"enabled": False},
        "volume_spike": {"enabled": False},
        "momentum": {"enabled": False},
        "breakout": {"enabled": True, "lookback_hours": 6, "buffer_pct": 0.1},
        "min_score": 0.0,
    },
    "universe.yaml": {"min_listing_age_days": 0},
    "policy.yaml": {
        "max_open_positions": 6,
        "max_trades_per_hour": 1000,
        "max_trades_per_day": 10000,
        "daily_loss_limit_pct": -99,
        "max_drawdown_pct": 99,
        "min_target_cost_multiple": 0,
    },
}
EXITS = {  # the breakout's own exits, the policy's, the exits seen firing
    "stop, target and max hold": (
        {"stop_loss_pct": 2, "take_profit_pct": 3, "max_hold_minutes": 240},
        {},
        {"stop_loss", "take_profit", "max_hold"},
    ),
    "trailing stop, far target": (
        {"stop_loss_pct": 4, "take_profit_pct": 40, "max_hold_minutes": 100_000},
        {"trailing_stop_pct": 1.5},
        {"trailing_stop"},
    ),
    "short holds": (
        {"stop_loss_pct": 1, "take_profit_pct": 1, "max_hold_minutes": 30},
        {},
        {"stop_loss", "take_profit", "max_hold"},
    ),
    "adding to held positions": (  # entries rest on products already held
        {"stop_loss_pct": 3, "take_profit_pct": 4, "max_hold_minutes": 600},
        {"cooldown_after_fill_s": 0, "min_seconds_between_trades": 900, "max_position_pct": 40},
        {"stop_loss", "take_profit", "max_hold"},
    ),
}
SCALE_IN = '''
from decimal import Decimal
from typing import ClassVar

from trader.strategies import Proposal, Side, Strategy, StrategyContext, StrategyParams


class ScaleIn(Strategy[StrategyParams]):
    """A BUY of every product whose last bar rose 0.4 %, held or not, none working."""

    Params = StrategyParams
    timeframes: ClassVar[dict[str, int]] = {"5m": 2}

    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        proposals = []
        for product_id in sorted(ctx.market.tiers):
            bars = ctx.bars(product_id, "5m")
            rise = len(bars) > 1 and bars[-1].close > bars[-2].close * Decimal("1.004")
            if not rise or ctx.buying(product_id):
                continue
            proposals.append(
                Proposal(
                    product_id=product_id, side=Side.BUY, strategy_id=self.strategy_id,
                    conviction=1.0, reason="up bar", size_pct=Decimal(3),
                    stop_loss_pct=Decimal(3), take_profit_pct=Decimal(4), max_hold_s=36000.0,
                )
            )
        return proposals
'''


def _config(tmp_path: Path, own: dict[str, Any], policy: dict[str, Any]) -> Path:
    config = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config)
    for name, edit in BREAKOUT.items():
        merge_yaml(config / name, edit)
    merge_yaml(config / "policy.yaml", policy)
    rules = {
        "min_conviction": 0.0,
        "sell_on_bearish_trigger": False,
        "size_pct_by_tier": {"core": 10, "rotational": 10, "event": 10},
        "exits_by_trigger": {"breakout": own},
    }
    merge_yaml(config / "strategies.yaml", {"rules": rules})
    if "max_position_pct" in policy:  # adding to held positions
        (config / "strategies" / "scale_in.py").write_text(SCALE_IN)
        scale_in = {"class": "strategies/scale_in.py:ScaleIn", "enabled": True}
        merge_yaml(config / "strategies.yaml", {"registry": {"scale_in": scale_in}})
    app = yaml.safe_load((REPO_ROOT / "app.yaml.example").read_text())
    app.setdefault("paths", {})["config_dir"] = str(config)
    # entries rest a while and expire between the corners of other products' bars
    app.setdefault("execution", {})["entry_ttl_s"] = 50
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(app))
    return path


@pytest.fixture(scope="module")
def dataset(shared_data: Path) -> Dataset:
    """The products' bars, read once for every case and both runs of each."""
    return load_dataset(shared_data / "binance-5m-24pairs-2021", PRODUCTS)


async def _run(
    loaded: LoadedConfig, dataset: Dataset, scratch: Path, *, pass_quiet: bool
) -> tuple[Any, ...]:
    first, _last = dataset.span()
    start = first + WARMUP_S
    session = await open_session(loaded, dataset, scratch, first)
    try:
        runner = Runner(session, start, start + DAYS * 86_400, WARMUP_S)
        runner.pass_quiet = pass_quiet
        log = await runner.run()
        fills = await session.db.run(read_fills)
        intents = await session.db.run(read_intents)
    finally:
        await session.close()
    return log, fills, intents, runner.passed


@pytest.mark.parametrize("case", list(EXITS))
async def test_bt1_passing_quiet_points_runs_what_visiting_every_point_runs(
    case, tmp_path, dataset
):
    own, policy, fired = EXITS[case]
    loaded = load_config(_config(tmp_path, own, policy))
    log, fills, intents, points = await _run(loaded, dataset, tmp_path / "a.db", pass_quiet=True)
    full = await _run(loaded, dataset, tmp_path / "b.db", pass_quiet=False)
    assert full[3] == 0 and points > 300, points  # points were passed, in one run only
    reasons = Counter(str(row["reason"]) for row in intents if row["purpose"] == "exit")
    assert len(fills) > 40 and set(reasons) == fired, reasons  # positions came and went
    assert log == full[0]
    assert fills == full[1]
    assert intents == full[2]
