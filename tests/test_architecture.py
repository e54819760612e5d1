"""The shape README's architecture section draws, checked against the imports.

- the decision core (`core`, `pipeline`, `universe`, `triggers`, `strategies`, `risk`) is
  pure: it imports no state, venue, execution, process or I/O package;
- only `trader/exchange/coinbase` (and the factory that names the adapters) know Coinbase;
- the execution layer, the core model and the matching engine never import the simulated
  venue or the HTTP stack (tests/execution/test_imports.py says so per package);
- one trading cycle (`desk/cycle.py`): the desk and the backtest import nothing of the
  process (`trader.daemon`, `trader.commands`), and only the cycle builds a step's inputs
  and writes its audit rows (the look-ahead check's replay builds market inputs for a
  scripted portfolio and writes nothing).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.execution.test_imports import PACKAGE_ROOT, imported_modules, is_under

PURE = ("core", "pipeline", "universe", "triggers", "strategies", "risk")
OUTSIDE = (
    "state",
    "exchange",
    "execution",
    "daemon",
    "desk",
    "sim",
    "backtest",
    "ops",
    "marketdata",
)
IMPURE = (*(f"trader.{p}" for p in (*OUTSIDE, "commands", "matching")), "aiohttp", "sqlite3")
COINBASE = "trader.exchange.coinbase"
KNOWS_COINBASE = ("exchange/coinbase/", "exchange/factory.py")
# not yet venue-neutral (the next steps of the reshaping; empty this list, never grow it):
# the intent's stored order_configuration and the paper engine's order record are still
# Coinbase's order_configuration; the key loader reads Coinbase's key format
NOT_YET_NEUTRAL = {
    "execution/engine.py",
    "execution/paper_orders.py",
    "config/secrets.py",
}


def _modules(package: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((PACKAGE_ROOT / package).rglob("*.py")):
        where = str(path.relative_to(PACKAGE_ROOT))
        found += [(where, module) for module in imported_modules(path.read_text())]
    return found


@pytest.mark.parametrize("package", PURE)
def test_the_decision_core_is_pure(package: str) -> None:
    bad = [f"{w} imports {m}" for w, m in _modules(package) if any(is_under(m, p) for p in IMPURE)]
    assert bad == []


def test_only_the_coinbase_package_and_the_factory_know_coinbase() -> None:
    bad = sorted(
        f"{where} imports {module}"
        for where, module in _modules(".")
        if is_under(module, COINBASE)
        and not where.startswith(KNOWS_COINBASE)
        and where not in NOT_YET_NEUTRAL
    )
    assert bad == []


def test_the_allow_list_names_only_files_that_still_need_it() -> None:
    still = {w for w, m in _modules(".") if is_under(m, COINBASE)}
    assert still >= NOT_YET_NEUTRAL, sorted(NOT_YET_NEUTRAL - still)
    assert all((PACKAGE_ROOT / Path(w)).is_file() for w in NOT_YET_NEUTRAL)


@pytest.mark.parametrize("package", ("desk", "backtest"))
def test_the_trading_cycle_does_not_depend_on_the_process(package: str) -> None:
    process = ("trader.daemon", "trader.commands")
    bad = [f"{w} imports {m}" for w, m in _modules(package) if any(is_under(m, p) for p in process)]
    assert bad == []


# what makes a step: its inputs, its audit rows, its counters carried between steps
CYCLE_PARTS = (
    "trader.desk.snapshot.build_market",
    "trader.desk.record.record_step",
    "trader.desk.record.record_exclusions",
    "trader.state.cycles.record_finished_cycle",
)
# the look-ahead check (STR-6) builds market inputs too: it replays one strategy on a
# scripted portfolio and records nothing, so it is no trading cycle
MARKET_ONLY = {"backtest/replay.py": {"trader.desk.snapshot.build_market"}}


def test_only_the_trading_cycle_assembles_and_records_a_step() -> None:
    users = sorted(
        {w for w, m in _modules(".") if m in CYCLE_PARTS and m not in MARKET_ONLY.get(w, ())}
    )
    assert users == ["desk/cycle.py"]
