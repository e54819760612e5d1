"""STR-2..5 end to end: a user's strategy file in their own config folder, with parameters
in YAML, runs in a real PAPER daemon on the embedded venue — decides on the bars it
declared, its orders fill locally, and its proposals, intents, fills, metrics and status
are attributed to it. Nothing under `trader/` is touched."""

from __future__ import annotations

import textwrap

from tests.e2e.helpers import edit_policy, metric, query
from tests.support.daemon import DaemonDir, wait_for

FIRST_BAR = '''
    """Buys a little of the first product of the universe once it has `bars` closed bars."""
    from collections.abc import Mapping
    from decimal import Decimal
    from typing import ClassVar

    from pydantic import Field

    from trader.strategies import Proposal, Side, Strategy, StrategyContext, StrategyParams


    class FirstBarParams(StrategyParams):
        bars: int = Field(2, ge=1, le=10)
        size_pct: Decimal = Field(Decimal("1"), gt=0, le=10)


    class FirstBar(Strategy[FirstBarParams]):
        Params = FirstBarParams
        timeframes: ClassVar[Mapping[str, int]] = {"1m": 10}

        def propose(self, ctx: StrategyContext) -> list[Proposal]:
            for product_id in sorted(ctx.market.tiers):
                held = ctx.portfolio.held_size(product_id) > 0
                working = any(o.product_id == product_id for o in ctx.portfolio.open_orders)
                if held or working or len(ctx.bars(product_id, "1m")) < self.params.bars:
                    continue
                return [
                    Proposal(
                        product_id, Side.BUY, self.strategy_id, 0.9, "first bars closed",
                        size_pct=self.params.size_pct, stop_loss_pct=Decimal("5"),
                        take_profit_pct=Decimal("5"), max_hold_s=3600.0,
                    )
                ]
            return []
'''


def _only_mine(strategies: dict) -> None:
    strategies["registry"]["rules"]["enabled"] = False
    strategies["registry"]["first_bar"] = {
        "class": "strategies/first_bar.py:FirstBar",
        "enabled": True,
        "max_at_risk_pct": 5,
        "params": {"bars": 2, "size_pct": 1},
    }


def test_str5_a_users_strategy_trades_in_paper_and_is_attributed(tmp_path):
    home = DaemonDir(
        tmp_path / "work",
        {"mode": "PAPER", "sim": {"products": 4}, "cycle": {"interval_s": 1, "jitter_pct": 0}},
    )
    (home.root / "config/strategies/first_bar.py").write_text(textwrap.dedent(FIRST_BAR))
    edit_policy(home, "strategies.yaml", _only_mine)
    db = home.data / "trader-paper.db"
    daemon = home.start()
    try:
        daemon.wait_started(timeout=30)
        wait_for(
            lambda: query(db, "SELECT COUNT(*) FROM fills")[0][0] > 0, timeout=90, interval=0.2
        )
        rows = query(
            db,
            "SELECT p.strategy, i.strategy, i.purpose FROM fills f JOIN intents i USING "
            "(intent_id) LEFT JOIN proposals p ON p.proposal_id = i.proposal_id",
        )
        assert rows and all(r[1] == "first_bar" for r in rows), rows
        assert {r[0] for r in rows if r[2] == "entry"} == {"first_bar"}

        def fills_exported() -> str | None:
            text = daemon.metrics()
            return text if metric(text, "trader_strategy_fills") else None

        text = wait_for(fills_exported, timeout=30, interval=0.2)
        assert metric(text, "trader_strategy_fills", strategy="first_bar") >= 1
        assert metric(text, "trader_strategy_proposals_total", strategy="rules") == 0
        mine = daemon.status()["strategies"]["first_bar"]
        assert mine["fills"] >= 1 and mine["approved"] >= 1
    finally:
        daemon.stop()
        home.cleanup()
