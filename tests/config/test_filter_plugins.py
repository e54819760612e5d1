"""STR-2, U-1: universe filters of the user's own, from a file under the config directory,
run after the shipped chain with their own reason code; every problem loading one is one
line at `check-config` naming `universe.yaml` and the key (exit 2, nothing created)."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from tests.risk.factories import NOW, market_for
from tests.support.daemon import DaemonDir
from trader.cli import main
from trader.config.loader import load_config
from trader.pipeline.decide import DecisionCore
from trader.universe.builder import build_universe

NO_BASES = '''
    """Keeps products whose base currency is not listed in `bases`."""
    from pydantic import Field

    from trader.universe import FilterParams, UniverseFilter


    class NoBasesParams(FilterParams):
        bases: list[str] = Field(default_factory=list)


    class NoBases(UniverseFilter[NoBasesParams]):
        Params = NoBasesParams

        def check(self, market, now):
            base = market.product_id.split("-")[0]
            if base in self.params.bases:
                return self.exclude(market, f"{base} is on my list")
            return None
'''


def _home(tmp_path: Path, filters: list[dict[str, Any]], files: dict[str, str]) -> DaemonDir:
    home = DaemonDir(tmp_path / "work")
    for name, source in files.items():
        target = home.root / "config" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source))
    path = home.root / "config/universe.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["filters"] = filters
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return home


ENTRY = {"id": "no_bases", "class": "filters/no_bases.py:NoBases", "params": {"bases": ["ETH"]}}


def test_str2_a_users_filter_runs_after_the_shipped_ones_with_its_own_reason(tmp_path):
    home = _home(tmp_path, [ENTRY], {"filters/no_bases.py": NO_BASES})
    loaded = load_config(home.config)
    core = DecisionCore(
        loaded.policy, loaded.universe, loaded.signals, loaded.strategies,
        plugins=loaded.plugins, filters=loaded.filters,
    )  # fmt: skip
    products = {pid: market_for(pid) for pid in ("BTC-USD", "ETH-USD")}
    result = build_universe(products, loaded.universe, NOW, core.filters)
    assert "BTC-USD" in result.eligible
    exclusion = result.excluded["ETH-USD"]
    assert (exclusion.reason, exclusion.detail) == ("no_bases", "ETH is on my list")
    off = _home(tmp_path / "off", [{**ENTRY, "enabled": False}], {"filters/no_bases.py": NO_BASES})
    assert load_config(off.config).filters == ()


NOT_A_FILTER = """
    from trader.strategies import Strategy

    class Nope(Strategy):
        def propose(self, ctx):
            return []
"""
BAD: dict[str, tuple[list[dict[str, Any]], dict[str, str], str, str]] = {
    "missing_file": (
        [{**ENTRY, "class": "filters/none.py:X"}],
        {},
        "filters[0].class",
        "no such file",
    ),
    "a_strategy_given": (
        [{**ENTRY, "class": "filters/x.py:Nope"}],
        {"filters/x.py": NOT_A_FILTER},
        "filters[0].class",
        "is not a universe filter",
    ),
    "bad_parameter": (
        [{**ENTRY, "params": {"bases": "ETH"}}],
        {"filters/no_bases.py": NO_BASES},
        "filters[0].params.bases",
        "valid list",
    ),
    "unknown_parameter": (
        [{**ENTRY, "params": {"base": ["ETH"]}}],
        {"filters/no_bases.py": NO_BASES},
        "filters[0].params.base",
        "unknown key",
    ),
    "duplicate_ids": (
        [ENTRY, ENTRY],
        {"filters/no_bases.py": NO_BASES},
        "filters",
        "unique",
    ),
    "bad_id": ([{**ENTRY, "id": "No Bases"}], {}, "filters[0].id", "should match pattern"),
    "no_class": ([{"id": "x"}], {}, "filters[0].class", "Field required"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_str2_every_filter_problem_is_one_line_naming_universe_yaml(tmp_path, capsys, kind):
    filters, files, key, text = BAD[kind]
    home = _home(tmp_path, filters, files)
    assert main(["check-config", "--config", str(home.config)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if f"universe.yaml: {key}:" in line]
    assert lines and text in lines[0], err
    assert not (home.root / "data").exists()


def test_str2_a_backtest_excludes_what_the_users_filter_excludes(tmp_path, shared_data):
    home = _home(tmp_path, [ENTRY], {"filters/no_bases.py": NO_BASES})
    out = tmp_path / "out"
    done = home.cli(
        "backtest", "--data", str(shared_data / "binance-5m-24pairs-2021"),
        "--products", "BTC-USD,ETH-USD,SOL-USD", "--from", "2021-02-01", "--to", "2021-02-03",
        "--out", str(out), timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(out / "backtest.db") as conn:
        payloads = [orjson.loads(r[0]) for r in conn.execute(
            "SELECT payload FROM audit_events WHERE kind = 'universe'"
        )]  # fmt: skip
        proposed = {r[0] for r in conn.execute("SELECT product_id FROM proposals")}
    excluded = {e["product_id"]: e["reason"] for p in payloads for e in p["excluded"]}
    assert excluded.get("ETH-USD") == "no_bases"
    assert "ETH-USD" not in proposed
