"""STR-1: what a user's strategy does beyond its return value, run by real `trader
backtest` subprocesses over a day of the recorded data (`strategies/decimal_context.py`).

The backtest calls its strategies on the thread its money arithmetic runs on: a strategy
that changes the decimal context there decides with it, and the backtest's prices, sizes
and fees are computed as before. One that changes `decimal.DefaultContext` or returns more
than 10,000 proposals fails with one line naming it and what it did, exit 1."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.commands.test_backtest_strategy_failures import backtest, one_line, workdir
from trader.commands.exit_codes import EXIT_OK

TRADES = """
    def propose(self, ctx):
{before}        return [Proposal(pid, Side.BUY, self.strategy_id, 0.9, 'x', size_pct=Decimal(1))
                for pid in sorted(ctx.market.tiers)]
"""


def _body(before: str) -> str:
    lines = "".join(f"        {line}\n" for line in ["import decimal", *before.splitlines()])
    return TRADES.format(before=lines)


def _fills(cwd: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(cwd / "out" / "backtest.db") as conn:
        return conn.execute("SELECT * FROM fills ORDER BY 1").fetchall()


@pytest.mark.parametrize(
    "change",
    [
        "decimal.getcontext().prec = 3",
        "decimal.getcontext().rounding = decimal.ROUND_UP",
        "decimal.getcontext().traps[decimal.Inexact] = True",
        "decimal.getcontext().Emax = 3",
        "decimal.setcontext(decimal.Context(prec=2, rounding=decimal.ROUND_FLOOR))",
    ],
)
def test_str1_a_strategy_changing_its_decimal_context_changes_no_money_arithmetic(
    tmp_path: Path, shared_data: Path, change: str
) -> None:
    clean = backtest(workdir(tmp_path / "clean", _body("")), shared_data)
    changed = backtest(workdir(tmp_path / "changed", _body(change)), shared_data)
    assert (clean.returncode, changed.returncode) == (EXIT_OK, EXIT_OK), changed.stderr
    assert "Traceback" not in changed.stderr
    fills = _fills(tmp_path / "clean")
    assert fills and _fills(tmp_path / "changed") == fills


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("decimal.DefaultContext.prec = 3", "changed decimal.DefaultContext (prec); put back"),
        ("decimal.DefaultContext.rounding = decimal.ROUND_DOWN",
         "changed decimal.DefaultContext (rounding); put back"),
        ("decimal.DefaultContext.traps[decimal.Inexact] = True",
         "changed decimal.DefaultContext (traps); put back"),
        ("return [Proposal('BTC-USD', Side.BUY, self.strategy_id, 0.9, 'x',"
         " size_pct=Decimal(1))] * 1_000_000",
         "propose returned 1000000 proposals, more than 10000"),
        ("return tuple([Proposal('BTC-USD', Side.BUY, self.strategy_id, 0.9, 'x',"
         " size_pct=Decimal(1))] * 10_001)",
         "propose returned 10001 proposals, more than 10000"),
    ],
)  # fmt: skip
def test_str1_a_strategy_changing_what_others_read_fails_in_one_line(
    tmp_path: Path, shared_data: Path, change: str, problem: str
) -> None:
    run = backtest(workdir(tmp_path, _body(change)), shared_data)
    one_line(run, "backtest", f"at 2021-01-01 00:00 UTC: {problem}")
    assert (tmp_path / "out" / "backtest.db").is_file()
