"""BT-1: a Coinbase minute zip that is damaged (a broken deflate stream, a CRC that does
not match) or holds a byte that is not ASCII is named by file and row — trade and quote
files alike, through `load_dataset` and through the commands (exit 2, one line)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.backtest.recorded_sets import minute_set
from trader.backtest.data import load_dataset
from trader.recorded.errors import RecordedDataError

REPO_ROOT = Path(__file__).resolve().parents[2]


def _rewrite(path: Path, change: Callable[[bytes], bytes], method: int) -> None:
    """The zip again with its one CSV changed by `change`, stored or deflated."""
    with zipfile.ZipFile(path) as archive:
        (name,) = archive.namelist()
        text = archive.read(name)
    lines = text * 200 if method == zipfile.ZIP_DEFLATED else text  # a stream worth breaking
    with zipfile.ZipFile(path, "w", method) as archive:
        archive.writestr(name, change(lines) if method == zipfile.ZIP_STORED else lines)


def broken_deflate(path: Path) -> None:
    _rewrite(path, lambda b: b, zipfile.ZIP_DEFLATED)
    raw = bytearray(path.read_bytes())
    start = 30 + int.from_bytes(raw[26:28], "little")  # past the member's local header
    raw[start + 8 : start + 40] = bytes(b ^ 0xFF for b in raw[start + 8 : start + 40])
    path.write_bytes(bytes(raw))


def crc_mismatch(path: Path) -> None:
    _rewrite(path, lambda b: b, zipfile.ZIP_STORED)
    raw = path.read_bytes()
    at = raw.index(b"10.6") + 3
    path.write_bytes(raw[:at] + b"7" + raw[at + 1 :])  # still a good row, not the bytes zipped


def arabic_digit(path: Path) -> None:
    _rewrite(path, lambda b: b.replace(b"10.5,", "10.\u0665,".encode(), 1), zipfile.ZIP_STORED)


def latin_byte(path: Path) -> None:
    _rewrite(path, lambda b: b.replace(b",", b"\xe9,", 1), zipfile.ZIP_STORED)


DAMAGE = {f.__name__: f for f in (broken_deflate, crc_mismatch, arabic_digit, latin_byte)}


@pytest.mark.parametrize("kind", ["trade", "quote"])
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_bt1_a_damaged_or_non_ascii_minute_zip_is_named(tmp_path: Path, damage: str, kind: str):
    root = minute_set(tmp_path / "set")
    path = root / "minute" / "abcusd" / f"20180101_{kind}.zip"
    DAMAGE[damage](path)
    with pytest.raises(RecordedDataError) as caught:
        load_dataset(root)
    assert caught.value.path == str(path) and caught.value.line >= 1, caught.value


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("command", ["backtest", "check-strategy"])
def test_bt1_str6_a_damaged_minute_zip_is_one_line_and_exit_2(
    tmp_path: Path, damage: str, command: str
):
    root = minute_set(tmp_path / "set")
    path = root / "minute" / "abcusd" / "20180101_trade.zip"
    DAMAGE[damage](path)
    head = ["rules"] if command == "check-strategy" else ["--from", "2018-01-01", "--to",
                                                          "2018-01-02"]  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "trader", command, *head, "--data", str(root),
         "--config", str(REPO_ROOT / "app.yaml.example")],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"{command}: {path}:") and run.stderr.count("\n") == 1, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]
