"""STR-2: `trader new-strategy NAME` writes a working, commented starting file and its
registry entry (disabled), keeps the rest of strategies.yaml as it was (comments too), and
refuses — exit 2, one line, nothing written — a bad name, an id or file that exists, a
registry it cannot find."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import pytest
import yaml

from tests.support.daemon import DaemonDir
from tests.support.read_only import read_only
from trader.cli import main
from trader.config.loader import load_config


def test_str2_new_strategy_writes_a_file_and_a_disabled_entry_that_load(tmp_path, capsys):
    home = DaemonDir(tmp_path / "work")
    registry = home.root / "config/strategies.yaml"
    before = registry.read_text()
    assert (
        main(["new-strategy", "my_breakout", "--timeframe", "15m", "--config", str(home.config)])
        == 0
    )
    target = home.root / "config/strategies/my_breakout.py"
    assert "class MyBreakout(Strategy[MyBreakoutParams])" in target.read_text()
    after = registry.read_text()
    assert after.replace(_entry(after), "") == before  # only the entry was added
    loaded = load_config(home.config)
    assert not loaded.strategies.registry["my_breakout"].enabled
    assert loaded.plugins["my_breakout"].cls.timeframes == {"15m": 401}
    assert "wrote" in capsys.readouterr().out


def _entry(text: str) -> str:
    start = text.index("  my_breakout:\n")
    end = text.index("  rules:\n", start)
    return text[start:end]


def test_str2_the_new_strategy_trades_once_enabled(tmp_path, shared_data):
    home = DaemonDir(tmp_path / "work")
    done = home.cli("new-strategy", "breakout_1h")
    assert done.returncode == 0, done.stderr
    path = home.root / "config/strategies.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["registry"]["breakout_1h"]["enabled"] = True
    raw["registry"]["rules"]["enabled"] = False
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    out = tmp_path / "out"
    done = home.cli(
        "backtest", "--data", str(shared_data / "binance-5m-24pairs-2021"),
        "--products", "BTC-USD,ETH-USD,SOL-USD", "--from", "2021-02-01", "--to", "2021-02-20",
        "--out", str(out), timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(out / "backtest.db") as conn:
        strategies = {row[0] for row in conn.execute("SELECT strategy FROM proposals")}
    assert strategies == {"breakout_1h"}


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["Bad-Name"], "lower-case letters"),
        (["9lives"], "lower-case letters"),
        (["rules"], "registry.rules already exists"),
        (["ok_name", "--timeframe", "2h"], "--timeframe '2h'"),
        *((["on"], "YAML reads it as True"), (["no"], "YAML reads it as False")),
        *((["null"], "YAML reads it as None"), (["true"], "YAML reads it as True")),
        *((["none"], "its class would be None"), (["false"], "YAML reads it as False")),
    ],
)
def test_str2_new_strategy_refuses_in_one_line_and_writes_nothing(tmp_path, capsys, args, text):
    home = DaemonDir(tmp_path / "work")
    registry = home.root / "config/strategies.yaml"
    before = registry.read_text()
    files = sorted((home.root / "config").rglob("*"))
    assert main(["new-strategy", *args, "--config", str(home.config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("new-strategy: ") and text in err[0]
    assert registry.read_text() == before and sorted((home.root / "config").rglob("*")) == files


def test_str2_new_strategy_refuses_an_existing_file_and_a_flow_style_registry(tmp_path, capsys):
    home = DaemonDir(tmp_path / "work")
    (home.root / "config/strategies/mine.py").write_text("# my own work\n")
    assert main(["new-strategy", "mine", "--config", str(home.config)]) == 2
    assert "mine.py already exists" in capsys.readouterr().err
    assert (home.root / "config/strategies/mine.py").read_text() == "# my own work\n"
    registry = home.root / "config/strategies.yaml"
    registry.write_text("registry: {rules: {enabled: true}}\n")
    assert main(["new-strategy", "other", "--config", str(home.config)]) == 2
    assert "no top-level `registry:` line" in capsys.readouterr().err
    assert not (home.root / "config/strategies/other.py").exists()


def _read_only(home: DaemonDir, name: str):
    return read_only(home.root / "config" / name)


IN_THE_WAY = {  # kind: what stops the writing (a context), the words of the line
    "read-only strategies folder": (lambda h: _read_only(h, "strategies"), "cannot write"),
    "read-only strategies.yaml": (lambda h: _read_only(h, "strategies.yaml"), "cannot write"),
    "a link to itself at the name": (
        lambda h: _linked(h, "mine.py"),
        "already exists (a link to mine.py)",
    ),
    "a link to nowhere at the name": (
        lambda h: _linked(h, "gone.py"),
        "already exists (a link to gone.py)",
    ),
}


@contextlib.contextmanager
def _linked(home: DaemonDir, to: str) -> Iterator[None]:
    (home.root / "config/strategies/mine.py").symlink_to(to)
    yield


@pytest.mark.parametrize("kind", sorted(IN_THE_WAY))
def test_str2_new_strategy_that_cannot_write_says_so_and_leaves_nothing(tmp_path, kind):
    """A read-only folder or registry was a traceback — the registry's after the strategy
    file was written, left behind; a link at the file's name (to itself, to nowhere) was
    not seen as taken, then a traceback."""
    home = DaemonDir(tmp_path / "work")
    registry = home.root / "config/strategies.yaml"
    before = registry.read_text()
    in_the_way, words = IN_THE_WAY[kind]
    with in_the_way(home):
        files = sorted((home.root / "config").rglob("*"))
        done = home.cli("new-strategy", "mine")
        assert sorted((home.root / "config").rglob("*")) == files
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("new-strategy: ") and words in line, line
    assert registry.read_text() == before
