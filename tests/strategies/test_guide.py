"""STR-2, STR-4: the example of docs/strategies.md, exactly as written there, is a working
strategy: loaded from the user's folder, checked, and backtested over real data with its
proposals attributed to it (a guide that drifts from the code fails here)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import yaml

from tests.risk.factories import NOW, market_for
from tests.support.daemon import REPO_ROOT, DaemonDir
from trader.config.loader import load_config

GUIDE = REPO_ROOT / "docs" / "strategies.md"


def _block(marker: str, language: str) -> str:
    text = GUIDE.read_text()
    found = re.search(rf"<!-- {re.escape(marker)} -->\n```{language}\n(.*?)```", text, re.S)
    assert found is not None, f"no {language} block after <!-- {marker} --> in {GUIDE}"
    return found.group(1)


def _home(tmp_path: Path) -> DaemonDir:
    home = DaemonDir(tmp_path / "work")
    (home.root / "config/strategies/my_rsi.py").write_text(
        _block("file: strategies/my_rsi.py", "python")
    )
    path = home.root / "config/strategies.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["registry"].update(yaml.safe_load(_block("registry entry", "yaml"))["registry"])
    raw["registry"]["rules"]["enabled"] = False
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return home


def test_str2_the_guides_example_passes_check_config(tmp_path):
    done = _home(tmp_path).cli("check-config")
    assert done.returncode == 0, done.stderr


def test_str4_the_guides_example_trades_in_a_backtest(tmp_path, shared_data):
    home = _home(tmp_path)
    out = tmp_path / "out"
    done = home.cli(
        "backtest", "--data", str(shared_data / "binance-5m-24pairs-2021"),
        "--products", "BTC-USD,ETH-USD,SOL-USD,ADA-USD",
        "--from", "2021-02-01", "--to", "2021-02-10", "--out", str(out),
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(out / "backtest.db") as conn:
        by_strategy = dict(conn.execute("SELECT strategy, COUNT(*) FROM proposals GROUP BY 1"))
        entries = conn.execute(
            "SELECT COUNT(*) FROM intents i JOIN proposals p USING (proposal_id) "
            "WHERE p.strategy = 'my_rsi' AND i.purpose = 'entry'"
        ).fetchone()[0]
    assert set(by_strategy) == {"my_rsi"} and entries > 0


def test_str2_the_guides_filter_excludes_what_it_says(tmp_path):
    home = DaemonDir(tmp_path / "work")
    target = home.root / "config/filters/no_bases.py"
    target.parent.mkdir()
    target.write_text(_block("file: filters/no_bases.py", "python"))
    path = home.root / "config/universe.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["filters"] = yaml.safe_load(_block("universe filters", "yaml"))["filters"]
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    loaded = load_config(home.config)
    (doge_filter,) = [plugin.build() for plugin in loaded.filters]
    doge, btc = market_for("DOGE-USD"), market_for("BTC-USD")
    assert doge_filter.check(doge, NOW) is not None and doge_filter.check(btc, NOW) is None
    assert doge_filter.check(doge, NOW).reason == "no_bases"
