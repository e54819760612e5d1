"""BT-1: an output folder (`backtest --out`) that cannot take the run's files is refused
before anything runs: one line naming it, exit 2, and no folder left behind."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trader.commands.backtest import OUTPUTS
from trader.commands.exit_codes import EXIT_CONFIG
from trader.commands.out_folder import out_folder_problem

REPO_ROOT = Path(__file__).resolve().parents[2]
DEC_1_MS = 1_606_780_800_000  # 2020-12-01T00:00Z


def _klines(folder: Path) -> Path:
    folder.mkdir()
    rows = [[DEC_1_MS + i * 300_000, "100", "101", "99", "100.5", "1"] for i in range(24)]
    (folder / "BTC_USDT-5m.json.gz").write_bytes(gzip.compress(json.dumps(rows).encode()))
    return folder


def _unusable(tmp_path: Path, kind: str) -> Path:
    """An --out of each kind that cannot take a run's files."""
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    if kind in OUTPUTS:  # a folder where the run writes that file
        (tmp_path / "out" / kind).mkdir(parents=True)
        return tmp_path / "out"
    if kind in AT_AN_OUTPUT:  # what a run cannot write its file through
        (tmp_path / "out").mkdir()
        AT_AN_OUTPUT[kind](tmp_path / "out" / "report.json")
        return tmp_path / "out"
    return {
        "a file": a_file,
        "under a file": a_file / "sub" / "out",
        "a device": Path("/dev/null"),
        "proc": Path("/proc/nope"),
        "sys": Path("/sys/kernel/x"),
    }[kind]


AT_AN_OUTPUT = {  # a FIFO was waited on for ever after the run; a link, a traceback
    "a fifo": os.mkfifo,
    "a symlink loop": lambda path: path.symlink_to(path.name),
    "a link to nowhere": lambda path: path.symlink_to("gone"),
    "a link to a device": lambda path: path.symlink_to("/dev/null"),
}
KINDS = ["a file", "under a file", "a device", "proc", "sys", *OUTPUTS, *AT_AN_OUTPUT]


@pytest.mark.parametrize("kind", KINDS)
def test_bt1_an_unusable_out_folder_is_refused_before_the_run(tmp_path: Path, kind: str):
    data = _klines(tmp_path / "data")
    out = _unusable(tmp_path, kind)
    before = sorted(tmp_path.rglob("*"))
    run = subprocess.run(
        [sys.executable, "-m", "trader", "backtest", "--config",
         str(REPO_ROOT / "app.yaml.example"), "--data", str(data), "--from",
         "2020-12-01T01:00", "--to", "2020-12-01T02:00", "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == EXIT_CONFIG, run.stderr
    assert run.stderr.startswith(f"backtest: --out {out}: ") and run.stderr.count("\n") == 1
    assert run.stdout == ""
    assert sorted(tmp_path.rglob("*")) == before  # nothing made


def test_bt1_a_usable_out_folder_is_made_and_an_unusable_one_leaves_nothing(tmp_path: Path):
    deep = tmp_path / "a" / "b" / "c"
    assert out_folder_problem(deep, OUTPUTS) is None
    assert deep.is_dir() and list(deep.iterdir()) == []  # the probe is gone
    assert out_folder_problem(deep, OUTPUTS) is None  # an existing empty folder is fine
    (deep / "report.json").write_text("{}")  # an earlier run's files are replaced
    assert out_folder_problem(deep, OUTPUTS) is None
    (tmp_path / "file").write_text("")
    problem = out_folder_problem(tmp_path / "file" / "x" / "y", OUTPUTS)
    assert problem is not None and "cannot write" in problem
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "file"]
