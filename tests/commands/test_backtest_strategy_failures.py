"""STR-1, R-1: a user's strategy file that fails, run by real `trader backtest` and
`trader check-strategy` subprocesses over a day of the recorded data: one line naming the
strategy, its file, the step's time and the problem, exit 1, the state file kept; a
malformed proposal is refused (invalid_proposal) and recorded, never traded."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from trader.commands.exit_codes import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAD = """from decimal import Decimal
from trader.strategies import Proposal, Side, Strategy, StrategyParams

class P(StrategyParams):
    pass

class Bad(Strategy[P]):
    Params = P
"""
BUY = "Proposal(pid, Side.BUY, self.strategy_id, {conviction}, 'x', size_pct={size})"
ENTRY = """
    def propose(self, ctx):
        return [{buy} for pid in sorted(ctx.market.tiers)]
"""
WINDOW = ("--from", "2021-01-01", "--to", "2021-01-02", "--listed-before", "2020-01-01")


def workdir(tmp_path: Path, body: str) -> Path:
    """app.yaml + config/ with `bad` (strategies/bad.py) the only strategy enabled."""
    shutil.copytree(REPO_ROOT / "config", tmp_path / "config")
    shutil.copy(REPO_ROOT / "app.yaml.example", tmp_path / "app.yaml")
    (tmp_path / "config" / "strategies" / "bad.py").write_text(HEAD + body)
    registry = tmp_path / "config" / "strategies.yaml"
    text = registry.read_text()
    entry = (
        "registry:\n  bad:\n    class: strategies/bad.py:Bad\n    enabled: true\n"
        "    max_at_risk_pct: 2\n    max_proposals_per_cycle: 2\n  rules:\n    enabled: false"
    )
    assert "registry:\n  rules:\n    enabled: true" in text
    registry.write_text(text.replace("registry:\n  rules:\n    enabled: true", entry))
    return tmp_path


def trader(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader", *args, "--config", "app.yaml"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},  # this checkout's trader
    )


def backtest(cwd: Path, data: Path) -> subprocess.CompletedProcess[str]:
    data_set = str(data / "binance-5m-24pairs-2021")
    return trader(cwd, "backtest", "--data", data_set, *WINDOW, "--products", "BTC-USD",
                  "--out", "out")  # fmt: skip


def one_line(run: subprocess.CompletedProcess[str], command: str, problem: str) -> None:
    assert run.returncode == EXIT_FAILURE, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    expected = f"{command}: strategy 'bad' (strategies/bad.py) failed {problem}\n"
    assert run.stderr == expected


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("    def propose(self, ctx):\n        raise ValueError('boom')\n", "ValueError: boom"),
        ("    def propose(self, ctx):\n        raise SystemExit(0)\n", "SystemExit: 0"),
        ("    def propose(self, ctx):\n        raise __import__('asyncio').CancelledError()\n",
         "CancelledError"),
        ("    def propose(self, ctx):\n        return __import__('asyncio').sleep(0)\n",
         "propose returned coroutine, not a list of Proposal"),
        ("    def propose(self, ctx):\n        return (p for p in [])\n",
         "propose returned generator, not a list of Proposal"),
        ("    def propose(self, ctx):\n        return None\n",
         "propose returned NoneType, not a list of Proposal"),
        ("    def propose(self, ctx):\n        from trader.strategies.base import StrategyError\n"
         "        raise StrategyError('rules', '', None, 'not me')\n",
         "StrategyError: strategy 'rules' (shipped) failed at start: not me"),
        ("    def propose(self, ctx):\n        return [{'side': 'BUY'}]\n",
         "propose returned a dict among its proposals"),
        (ENTRY.format(buy=BUY.format(conviction=0.9, size="Decimal(1)")).replace(
            "self.strategy_id", "'rules'"), "proposed as strategy 'rules', not its own id"),
    ],
)  # fmt: skip
def test_str1_backtest_failing_strategy_is_one_line_exit_1(
    tmp_path: Path, shared_data: Path, body: str, problem: str
) -> None:
    run = backtest(workdir(tmp_path, body), shared_data)
    one_line(run, "backtest", f"at 2021-01-01 00:00 UTC: {problem}")
    assert (tmp_path / "out" / "backtest.db").is_file()  # what was written stays


def test_str2_backtest_constructor_failure_is_bad_configuration(
    tmp_path: Path, shared_data: Path
) -> None:
    """The constructor runs when the configuration is loaded: exit 2, nothing written."""
    body = "    def __init__(self, *a):\n        raise RuntimeError('no')\n" + ENTRY.format(
        buy=BUY.format(conviction=0.9, size="Decimal(1)")
    )
    run = backtest(workdir(tmp_path, body), shared_data)
    assert run.returncode == EXIT_CONFIG, run.stderr
    assert "Traceback" not in run.stderr
    expected = "registry.bad.class: strategies/bad.py:Bad: building it failed: RuntimeError: no"
    assert expected in run.stderr.splitlines()[0]
    assert not (tmp_path / "out").exists()


def test_str1_check_strategy_failing_strategy_is_one_line(
    tmp_path: Path, shared_data: Path
) -> None:
    cwd = workdir(tmp_path, "    def propose(self, ctx):\n        raise KeyError('k')\n")
    data_set = str(shared_data / "binance-5m-24pairs-2021")
    run = trader(cwd, "check-strategy", "bad", "--data", data_set, "--products", "BTC-USD",
                 "--from", "2021-01-01", "--to", "2021-01-02")  # fmt: skip
    assert run.returncode == EXIT_FAILURE, run.stderr
    assert run.stderr.startswith("check-strategy: strategy 'bad' (strategies/bad.py) failed at ")
    assert run.stderr.endswith(": KeyError: 'k'\n") and run.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("conviction", "size", "note"),
    [
        ("float('nan')", "Decimal(1)", "conviction must be a finite number, not float nan"),
        ("float('inf')", "Decimal(1)", "conviction must be a finite number, not float inf"),
        ("0.9", "1.5", "size_pct must be a Decimal, not float 1.5"),
        ("'high'", "Decimal(1)", "conviction must be a finite number, not str 'high'"),
        ("0.9", "Decimal(1), trigger_refs=5", "trigger_refs must be a tuple of text, not int 5"),
        ("0.9", "Decimal(1), trigger_refs={'a'}",
         "trigger_refs must be a tuple of text, not set {'a'}"),
        ("0.9", "Decimal(1), trigger_refs=['a', 1]",
         "trigger_refs must be a tuple of text, not one holding int 1"),
    ],
)  # fmt: skip
def test_r1_backtest_refuses_and_records_malformed_proposals(
    tmp_path: Path, shared_data: Path, conviction: str, size: str, note: str
) -> None:
    body = ENTRY.format(buy=BUY.format(conviction=conviction, size=size))
    run = backtest(workdir(tmp_path, body), shared_data)
    assert run.returncode == EXIT_OK, run.stderr
    with sqlite3.connect(tmp_path / "out" / "backtest.db") as conn:
        verdicts = conn.execute("SELECT decision, reasons, payload FROM verdicts").fetchall()
        intents = conn.execute("SELECT count(*) FROM intents").fetchone()[0]
    assert verdicts and intents == 0
    for decision, reasons, payload in verdicts:
        assert (decision, reasons) == ("REJECT", '["invalid_proposal"]')
        assert f'"note":"{note}"' in payload


def test_str1_backtest_keeps_long_texts_cut_to_500_characters_and_50_trigger_refs(
    tmp_path: Path, shared_data: Path
) -> None:
    """A reason, tag or trigger reference built from the bars (100,000 characters here)
    does not fill the disk: each is kept as its first 500 characters and its length; of 120
    trigger references (a list will do) the first 50 are kept, then how many there were."""
    buy = (
        "Proposal(pid, Side.BUY, self.strategy_id, 0.9, 'r' * 100_000, size_pct=Decimal(1), "
        "tag='t' * 9_000, trigger_refs=[f'k:{i}:' + 'x' * 1000 for i in range(120)])"
    )
    body = ENTRY.format(buy=buy)
    run = backtest(workdir(tmp_path, body), shared_data)
    assert run.returncode == EXIT_OK, run.stderr
    with sqlite3.connect(tmp_path / "out" / "backtest.db") as conn:
        rows = conn.execute(
            "SELECT json_extract(payload, '$.reason'), json_extract(payload, '$.tag'), "
            "json_extract(payload, '$.trigger_refs') FROM proposals"
        ).fetchall()
    assert rows
    refs = [f"k:{i}:" + "x" * 1000 for i in range(50)]
    for reason, tag, kept in rows:
        assert reason == "r" * 500 + "… (100000 characters)"
        assert tag == "t" * 500 + "… (9000 characters)"
        assert json.loads(kept) == [
            *(f"{ref[:500]}… ({len(ref)} characters)" for ref in refs),
            "… (120 references)",
        ]


FLIP = '''

class Flip(Proposal):
    """`{field}` answers {first} on its first read, {later} on every later one."""

    def _flip(self):
        reads = self.__dict__["reads"] = self.__dict__.get("reads", 0) + 1
        return {first} if reads == 1 else {later}

    {field} = property(_flip, lambda self, value: None)
'''


@pytest.mark.parametrize(
    ("field", "first", "later", "recorded"),
    [
        ("size_pct", "Decimal(1)", "1.5", "1"),
        ("size_pct", "Decimal(1)", "Decimal(-5)", "1"),
        ("strategy_id", "'bad'", "'rules'", "bad"),
        ("side", "Side.BUY", "'SELL'", "BUY"),
        ("conviction", "0.9", "float('nan')", 0.9),
        ("reason", "'x'", "'y' * 100_000", "x"),
    ],
)
def test_str1_a_proposal_subclass_is_judged_and_used_by_the_fields_read_once(
    tmp_path: Path, shared_data: Path, field: str, first: str, later: str, recorded: object
) -> None:
    """A `Proposal` subclass whose field answers differently on each read: the proposal is
    rebuilt from the first answers, and those are what is judged, recorded and sized."""
    buy = BUY.format(conviction=0.9, size="Decimal(1)").replace("Proposal(", "Flip(")
    body = ENTRY.format(buy=buy) + FLIP.format(field=field, first=first, later=later)
    run = backtest(workdir(tmp_path, body), shared_data)
    assert run.returncode == EXIT_OK, run.stderr
    with sqlite3.connect(tmp_path / "out" / "backtest.db") as conn:
        proposals = conn.execute(
            f"SELECT strategy, json_extract(payload, '$.{field}') FROM proposals"
        ).fetchall()
        reasons = [r for (r,) in conn.execute("SELECT reasons FROM verdicts")]
    assert proposals and all(row == ("bad", recorded) for row in proposals), proposals[:3]
    assert reasons and not any("invalid_proposal" in r for r in reasons), reasons[:3]


HOSTILE = '''

class Lying(Decimal):
    """A negative size whose comparisons say it is positive."""

    def __le__(self, other):
        return False

    def __lt__(self, other):
        return False

    def __gt__(self, other):
        return True


class Poser:
    """Not a number, passing itself off as one."""

    __class__ = property(lambda self: float)


class Unreadable(Proposal):
    reason = property(lambda self: 1 / 0, lambda self, value: None)
'''


@pytest.mark.parametrize(
    ("buy", "problem"),
    [
        (BUY.format(conviction=0.9, size="Lying(-5)"), None),
        (BUY.format(conviction="Poser()", size="Decimal(1)"),
         "TypeError: conviction is a Poser passing itself off as another type"),
        (BUY.format(conviction=0.9, size="Decimal(1)").replace("Proposal(", "Unreadable("),
         "ZeroDivisionError: division by zero"),
    ],
)  # fmt: skip
def test_str1_lying_values_and_unreadable_fields_are_refused_or_fail_the_strategy(
    tmp_path: Path, shared_data: Path, buy: str, problem: str | None
) -> None:
    """A Decimal subclass is judged by its plain value (a negative size refused); a value
    posing as a number, or a field that raises when read, fails the strategy: one line."""
    run = backtest(workdir(tmp_path, ENTRY.format(buy=buy) + HOSTILE), shared_data)
    if problem is not None:
        one_line(run, "backtest", f"at 2021-01-01 00:00 UTC: {problem}")
        return
    assert run.returncode == EXIT_OK, run.stderr
    with sqlite3.connect(tmp_path / "out" / "backtest.db") as conn:
        notes = [n for (n,) in conn.execute("SELECT json_extract(payload, '$.note') FROM verdicts")]
    assert notes and all(n == "size_pct must be finite and positive, not -5" for n in notes)
