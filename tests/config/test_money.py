"""CFG-1: an amount of money in the configuration is a finite Decimal no larger than
MAX_MONEY: beyond (1e400 is a finite Decimal the arithmetic cannot use), every command
that loads the configuration refuses it naming the file and the key, exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.support.daemon import DaemonDir
from trader.config.base import MAX_MONEY

MONEY = [
    ("app.yaml", "paper.quote_balance"),
    ("app.yaml", "sim.quote_balance"),
    ("app.yaml", "execution.reconcile_tolerance"),
    ("config/policy.yaml", "min_notional"),
]


def _set(home: DaemonDir, file: str, key: str, text: str) -> Path:
    """`key` (dotted) in `file` set to the YAML scalar `text`, written as it stands."""
    path = home.root / file
    data = yaml.safe_load(path.read_text())
    *parents, last = key.split(".")
    node = data
    for name in parents:
        node = node.setdefault(name, {})
    node[last] = "@@"
    path.write_text(re.sub(r"'?@@'?", text, yaml.safe_dump(data, sort_keys=False)))
    return path


@pytest.mark.parametrize(("file", "key"), MONEY)
@pytest.mark.parametrize("text", ["1e400", "1e16", "1000000000000001", ".nan", ".inf"])
def test_cfg1_money_beyond_the_cap_is_refused_naming_file_and_key(
    tmp_path: Path, file: str, key: str, text: str
):
    home = DaemonDir(tmp_path / "home")
    path = _set(home, file, key, text)
    run = home.cli("check-config")
    assert run.returncode == 2, run.stderr
    assert f"config error: {path}: {key}: " in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(("file", "key"), MONEY)
def test_cfg1_money_at_the_cap_is_accepted(tmp_path: Path, file: str, key: str):
    home = DaemonDir(tmp_path / "home")
    _set(home, file, key, str(MAX_MONEY))
    run = home.cli("check-config")
    assert run.returncode == 0, run.stderr
