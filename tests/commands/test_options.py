"""BT-1, STR-6: the numeric options of `backtest` and `check-strategy` take only finite
numbers in their range: anything else (NaN, infinities, negatives, huge, not a number) is
an argparse error naming the option, exit 2, before anything is read."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from trader.commands.options import MAX_WARMUP_HOURS, hours, whole

BAD_NUMBERS = ["nan", "NaN", "inf", "-inf", "1e300", "-100", "-0.5", "abc", "", "1_0", "0x10",
               "\u0661\u0662", "\uff11\uff12", "\u00b2", " 12", "12 "]  # fmt: skip


@pytest.mark.parametrize("text", [*BAD_NUMBERS, str(MAX_WARMUP_HOURS + 1)])
def test_bt1_warmup_hours_refuses_what_is_not_hours(text: str):
    with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
        hours(text)


@pytest.mark.parametrize("text", ["0", "25", "0.5", "1e2", str(MAX_WARMUP_HOURS)])
def test_bt1_warmup_hours_takes_hours_from_0_to_a_year(text: str):
    assert hours(text) == float(text)


@pytest.mark.parametrize("text", [*BAD_NUMBERS, "1.5", "1e3", "1025", "9" * 30, "-1"])
def test_bt1_whole_number_options_refuse_what_is_not_in_range(text: str):
    with pytest.raises(argparse.ArgumentTypeError):
        whole(0, 1024)(text)
    assert whole(0, 1024)("1024") == 1024 and whole(0, 1024)("0") == 0


@pytest.mark.parametrize(
    ("command", "option"),
    [("backtest", "--warmup-hours"), ("backtest", "--workers"), ("check-strategy", "--cuts")],
)
@pytest.mark.parametrize("text", ["nan", "inf", "1e300", "-100"])
def test_bt1_str6_bad_numeric_options_exit_2_naming_the_option(
    tmp_path: Path, command: str, option: str, text: str
):
    window = ["--from", "2021-01-01", "--to", "2021-01-02"]
    name = ["rules"] if command == "check-strategy" else window
    run = subprocess.run(
        [sys.executable, "-m", "trader", command, *name, "--data", str(tmp_path),
         f"{option}={text}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"{command}: argument {option}: ") and run.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
