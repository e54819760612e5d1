"""BT-1 `trader backtest` usage errors: exit code 2 and a message naming the problem."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from trader.commands.backtest import parse_time
from trader.commands.exit_codes import EXIT_CONFIG

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / "app.yaml.example"
DEC_1_MS = 1_606_780_800_000  # 2020-12-01T00:00Z


def backtest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader", "backtest", "--config", str(CONFIG), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def klines(tmp_path: Path) -> Path:
    """Two hours of 5-minute BTC bars from 2020-12-01T00:00Z."""
    folder = tmp_path / "klines"
    folder.mkdir()
    rows = [[DEC_1_MS + i * 300_000, "100", "101", "99", "100.5", "1"] for i in range(24)]
    (folder / "BTC_USDT-5m.json.gz").write_bytes(gzip.compress(json.dumps(rows).encode()))
    return folder


def assert_usage_error(run: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert run.returncode == EXIT_CONFIG, run.stderr
    assert run.stderr.startswith("backtest: "), run.stderr
    assert "Traceback" not in run.stderr
    for needle in needles:
        assert needle in run.stderr, run.stderr
    assert run.stdout == ""


def test_bt1_parse_time_reads_dates_date_times_and_epochs():
    """BT-1: `--from`/`--to` are UTC dates, date-times or epoch seconds."""
    assert parse_time("2020-12-01", "--from") == 1_606_780_800
    assert parse_time("2020-12-01T01:30", "--from") == 1_606_786_200
    assert parse_time("2020-12-01T01:30+01:00", "--from") == 1_606_782_600
    assert parse_time("1606780800", "--to") == 1_606_780_800
    with pytest.raises(ValueError, match="--to: not a date"):
        parse_time("next week", "--to")


@pytest.mark.parametrize(
    "text",
    ["\u0661\u0666\u0660\u0666\u0667\u0668\u0660\u0668\u0660\u0660", "\u00b2",
     "\uff11\uff16\uff10\uff16", "253402300800", "99999999999999999999999", "1" * 5000],
)  # fmt: skip
def test_bt1_parse_time_refuses_digits_that_are_no_epoch(text: str):
    """Epoch seconds are ASCII digits up to the end of year 9999 (the last a date names)."""
    with pytest.raises(ValueError, match="--from: not a date"):
        parse_time(text, "--from")
    assert parse_time("253402300799", "--from") == 253_402_300_799


@pytest.mark.parametrize(
    "text", ["\u0661\u0666\u0660\u0666\u0667\u0668\u0660\u0668\u0660\u0660", "\u00b2"]
)
@pytest.mark.parametrize("command", ["backtest", "download"])
def test_bt1_bt6_cli_a_non_ascii_epoch_exits_2_naming_the_option(
    tmp_path: Path, klines: Path, command: str, text: str
):
    data = ["--data", str(klines)] if command == "backtest" else ["--products", "BTC-USD"]
    run = subprocess.run(
        [sys.executable, "-m", "trader", command, "--config", str(CONFIG), *data,
         "--from", text, "--to", "2020-12-02"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == EXIT_CONFIG, run.stderr
    assert run.stderr == f"{command}: --from: not a date, date-time or epoch seconds: {text!r}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["klines"]


def test_bt1_cli_to_before_from_exits_2(tmp_path: Path, klines: Path):
    """BT-1: `--to` not after `--from` is a usage error (exit 2) saying so."""
    run = backtest(tmp_path, "--data", str(klines), "--from", "2020-12-01T01:00",
                   "--to", "2020-12-01T00:30")  # fmt: skip
    assert_usage_error(run, "--to must be after --from")
    assert list(tmp_path.iterdir()) == [klines]  # nothing written


def test_bt1_cli_unknown_date_text_names_from(tmp_path: Path, klines: Path):
    """BT-1: date text that is not a date is exit 2 naming `--from` and the text."""
    run = backtest(tmp_path, "--data", str(klines), "--from", "last tuesday", "--to", "2021-01-01")
    assert_usage_error(run, "--from", "'last tuesday'")


def test_bt1_cli_empty_data_folder_exits_2(tmp_path: Path):
    """BT-1: `--data` at a folder holding no recorded set is exit 2 saying what was expected."""
    empty = tmp_path / "empty"
    empty.mkdir()
    run = backtest(tmp_path, "--data", str(empty), "--from", "2020-12-01", "--to", "2020-12-02")
    assert_usage_error(run, str(empty), "not a recorded set", "*_USDT-5m.json.gz")
    assert list(tmp_path.iterdir()) == [empty]


def test_bt1_cli_window_outside_the_data_exits_2(tmp_path: Path, klines: Path):
    """BT-1: a window with no bars in it is exit 2 with "no data between" and the span."""
    run = backtest(tmp_path, "--data", str(klines), "--from", "2021-06-01", "--to", "2021-06-02")
    assert_usage_error(run, "no data between", "20201201T0000..20201201T0200")
    assert list(tmp_path.iterdir()) == [klines]  # no output folder made


def test_bt1_cli_unknown_product_exits_2(tmp_path: Path, klines: Path):
    """BT-1: `--products` naming a product the set lacks is exit 2 naming it."""
    run = backtest(tmp_path, "--data", str(klines), "--from", "2020-12-01", "--to", "2020-12-02",
                   "--products", "BTC-USD, XYZ-USD")  # fmt: skip
    assert_usage_error(run, "no data for XYZ-USD")


def test_bt1_cli_bad_listed_before_names_the_flag(tmp_path: Path, klines: Path):
    run = backtest(tmp_path, "--data", str(klines), "--from", "2020-12-01T01:00",
                   "--to", "2020-12-01T02:00", "--listed-before", "long ago")  # fmt: skip
    assert_usage_error(run, "--listed-before: not a date", "'long ago'")


def test_bt1_cli_triggers_finer_than_the_data_exit_2(tmp_path: Path, klines: Path):
    """BT-1: triggers on bars finer than the data's would be computed on pieces cut out of
    each bar; refused (exit 2) naming `signals.timeframe` and the data's bar, nothing run."""
    import shutil

    import yaml

    home = tmp_path / "home"
    shutil.copytree(REPO_ROOT / "config", home / "config")
    shutil.copy(CONFIG, home / "app.yaml")
    signals = yaml.safe_load((home / "config" / "signals.yaml").read_text())
    signals["timeframe"] = "1m"
    (home / "config" / "signals.yaml").write_text(yaml.safe_dump(signals))
    run = subprocess.run(
        [sys.executable, "-m", "trader", "backtest", "--config", str(home / "app.yaml"),
         "--data", str(klines), "--from", "2020-12-01T01:00", "--to", "2020-12-01T02:00"],
        cwd=home, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert_usage_error(run, "signals.timeframe is 1m", "bars are 5 min")
    assert not (home / "data").exists()
