"""BT-1: whatever sits at a data file's name in `--data` — a FIFO, a link to a device, a
symlink loop, a link to nowhere, a folder — `trader backtest` and `trader check-strategy`
name it in one line and exit 2, without waiting on it (a FIFO has no writer; /dev/zero
never ends); a folder whose links lead back to itself holds no bars and says so."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.backtest.test_data import daemon_db
from tests.support.read_only import read_only
from trader.backtest.data import load_dataset
from trader.commands.exit_codes import EXIT_CONFIG

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / "app.yaml.example"
WINDOW = ("--from", "2020-12-01", "--to", "2020-12-02")
# a data file's name in each format the folder is told by
NAMES = {
    "klines": "ETH_USDT-5m.json.gz",
    "ohlcv_csv": "ETH-USD-5m.csv",
    "coinbase_minute": "minute/ethusd/20201201_trade.zip",
}


def fifo(path: Path) -> None:
    os.mkfifo(path)


def device(path: Path) -> None:
    path.symlink_to("/dev/zero")


def link_to_itself(path: Path) -> None:
    path.symlink_to(path)


def links_in_a_ring(path: Path) -> None:
    (path.parent / "a").symlink_to(path.parent / "b")
    (path.parent / "b").symlink_to(path.parent / "a")
    path.symlink_to(path.parent / "a")


def link_to_nowhere(path: Path) -> None:
    path.symlink_to(path.parent / "gone")


def folder(path: Path) -> None:
    path.mkdir()


AT_THE_NAME: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (fifo, "is not a regular file"),
    "device": (device, "is not a regular file"),
    "link_to_itself": (link_to_itself, "Too many levels of symbolic links"),
    "links_in_a_ring": (links_in_a_ring, "Too many levels of symbolic links"),
    "link_to_nowhere": (link_to_nowhere, "No such file or directory"),
    "folder": (folder, "Is a directory"),
}


def trader(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader", *args, "--config", str(CONFIG)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,  # a read that waits on the FIFO or the device fails here
    )


def command(name: str, data: Path, out: Path) -> tuple[str, ...]:
    if name == "backtest":
        return ("backtest", "--data", str(data), *WINDOW, "--out", str(out))
    return ("check-strategy", "rules", "--data", str(data), "--cuts", "2")


def assert_one_line(run: subprocess.CompletedProcess[str], name: str, *needles: str) -> None:
    assert run.returncode == EXIT_CONFIG, run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"{name}: "), line
    for needle in needles:
        assert needle in line, line


# every format through `backtest`; `check-strategy` reads the same files the same way
CASES = [("backtest", fmt) for fmt in sorted(NAMES)] + [("check-strategy", "ohlcv_csv")]


@pytest.mark.parametrize("kind", sorted(AT_THE_NAME))
@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_bt1_what_is_not_a_data_file_at_its_name_is_named_never_waited_on(
    tmp_path: Path, name: str, fmt: str, kind: str
):
    data = tmp_path / "set"
    target = data / NAMES[fmt]
    target.parent.mkdir(parents=True)
    make, reason = AT_THE_NAME[kind]
    make(target)
    run = trader(tmp_path, *command(name, data, tmp_path / "out"))
    assert_one_line(run, name, str(target), "cannot read a data file", reason)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["backtest", "check-strategy"])
def test_bt1_a_minute_folder_linking_back_to_the_set_holds_no_bars(tmp_path: Path, name: str):
    """`minute` (the Coinbase set's folder) a link to the set itself, with a link to its
    parent beside it: no product's bars, one line (was a traceback of an empty set)."""
    data = tmp_path / "set"
    data.mkdir()
    (data / "minute").symlink_to(data)
    (data / "up").symlink_to(tmp_path)
    run = trader(tmp_path, *command(name, data, tmp_path / "out"))
    assert_one_line(run, name, str(data), "holds no product's bars")


@pytest.mark.parametrize("name", ["backtest", "check-strategy"])
def test_bt1_a_data_folder_that_is_a_symlink_loop_is_named(tmp_path: Path, name: str):
    data = tmp_path / "set"
    data.symlink_to(tmp_path / "other")
    (tmp_path / "other").symlink_to(data)
    run = trader(tmp_path, *command(name, data, tmp_path / "out"))
    assert_one_line(run, name, str(data), "no such data folder")


@pytest.mark.parametrize("folder", ["a#b", "c?d", "e%20f", "read-only"])
def test_bt1_a_daemon_state_file_is_read_whatever_its_folder_is_called_or_allows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
):
    """The state file was opened by a URI made of its raw path: in `a#b/` SQLite opened `a`
    in the working directory (made empty there, then "no such table: candles"), `e%20f/`
    could not be opened; in a folder that cannot be written it was "unable to open"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / folder).mkdir()
    path = daemon_db(tmp_path / folder / "trader.db")
    with read_only(path.parent) if folder == "read-only" else contextlib.nullcontext():
        data = load_dataset(Path(folder) / "trader.db")
    assert data.name == "daemon-candles" and len(data.series["ETH-USD"]) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder]  # nothing made beside it


DATA_PATHS = {  # kind: (the --data path made under tmp_path, words of the line)
    "a file": (lambda tmp: _touched(tmp / "set.csv"), "not a data folder: a file"),
    "a fifo": (lambda tmp: _fifo(tmp / "set"), "not a data folder: a FIFO"),
    "a device": (lambda tmp: Path("/dev/null"), "not a data folder: a FIFO, socket or device"),
    "a name too long": (lambda tmp: tmp / ("x" * 300), "cannot be read: File name too long"),
    "a line break": (lambda tmp: tmp / "new\nline", "new\\nline: no such data folder"),
    "not utf-8": (lambda tmp: tmp / "bad\udcffname", "bad\\udcffname: no such data folder"),
    "under a file": (lambda tmp: _touched(tmp / "f") / "set", "no such data folder"),
}


def _touched(path: Path) -> Path:
    path.write_text("x\n")
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", sorted(DATA_PATHS))
@pytest.mark.parametrize("name", ["backtest", "check-strategy"])
def test_bt1_a_data_path_that_is_not_a_data_folder_is_one_line(
    tmp_path: Path, name: str, kind: str
):
    """A name too long was a traceback; a line break in the name split the line in two;
    a file or a FIFO was "no such data folder", though something is there."""
    make, words = DATA_PATHS[kind]
    data = make(tmp_path)
    run = trader(tmp_path, *command(name, data, tmp_path / "out"))
    assert_one_line(run, name, words)
    assert not (tmp_path / "out").exists()
