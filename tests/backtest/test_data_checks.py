"""BT-1: a recorded set is checked when it loads, whatever its format: every row holds
five plain numbers within the documented bounds (README "Recorded data"), every bar
starts on the file's bar grid at least one bar after the one before, and a data file that
cannot be read is named. Each refusal names the file (and the row): `load_dataset`
raises, the commands print one line and exit 2."""

from __future__ import annotations

import gzip
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backtest.recorded_sets import DEC_1, daemon_db, minute_set, write_klines
from trader.backtest.bars import MAX_PRICE, MAX_VOLUME, MIN_PRICE
from trader.backtest.data import DataError, load_dataset
from trader.recorded.errors import RecordedDataError
from trader.recorded.ohlcv_csv import HEADER
from trader.state.candle_log import RULES_KEY

REPO_ROOT = Path(__file__).resolve().parents[2]
GOOD = "100,101,99,100.5,1"


def write_csv(folder: Path, rows: list[str], name: str = "BTC-USD-5m.csv", step: int = 300) -> Path:
    """A CSV set of `rows` (`open,...,volume` texts) 5 minutes apart from 2020-12-01."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [HEADER] + [f"{DEC_1 + i * step},{row}" for i, row in enumerate(rows)]
    path = folder / name
    path.write_bytes(("\n".join(lines) + "\n").encode())
    return path


def refusal(path: Path) -> RecordedDataError | DataError:
    with pytest.raises((RecordedDataError, DataError)) as caught:
        load_dataset(path)
    return caught.value


# -- what a row may hold ----------------------------------------------------------------
NOT_NUMBERS = ["abc", "sNaN", "NaN", "nan", "inf", "Infinity", "true", "29_000", " 29000 ",
               "12\u00e9", "1.2.3", "", "--1", "1e", "0x10", "\u0661"]  # fmt: skip
PRICES_OUT = ["1e-400", "1e400", "1e-13", "2e12", "0", "-5"]
VOLUMES_OUT = ["1e18", "1e30", "1e400", "-5", "-1e-400"]
BAD_FIELDS = [
    *((column, bad) for column in range(5) for bad in NOT_NUMBERS),
    *((column, bad) for column in range(4) for bad in PRICES_OUT),
    *((4, bad) for bad in VOLUMES_OUT),
]


@pytest.mark.parametrize(("column", "bad"), BAD_FIELDS)
def test_bt1_a_row_that_is_not_five_numbers_in_bounds_is_refused_naming_file_and_row(
    tmp_path: Path, column: int, bad: str
):
    fields = GOOD.split(",")
    fields[column] = bad
    path = write_csv(tmp_path / "set", [GOOD, GOOD, ",".join(fields), GOOD])
    error = refusal(tmp_path / "set")
    assert isinstance(error, RecordedDataError)
    assert (error.path, error.line) == (str(path), 4)  # the file's line: header + 3


@pytest.mark.parametrize(
    ("column", "bad"),
    [(0, "abc"), (1, "sNaN"), (2, "1e-400"), (1, "1e400"), (4, "1e30"), (3, "29_000")],
)
def test_bt1_a_kline_row_that_is_not_five_numbers_in_bounds_is_refused_too(
    tmp_path: Path, column: int, bad: str
):
    rows: list[list[object]] = [[(DEC_1 + i * 300) * 1000, *GOOD.split(",")] for i in range(3)]
    rows[1][1 + column] = bad
    path = write_klines(tmp_path / "set", "BTC", rows)
    error = refusal(tmp_path / "set")
    assert isinstance(error, RecordedDataError) and (error.path, error.line) == (str(path), 2)


@pytest.mark.parametrize(
    "open_time",
    ["\u0661\u0666\u0660\u0666\u0667\u0668\u0660\u0668\u0660\u0660\u0660\u0660\u0660",
     "1_606_780_800_000", " 1606780800000 ", "+1606780800000", "-0", "\uff11606780800000"],
)  # fmt: skip
def test_bt1_a_kline_open_time_is_ascii_digits_only(tmp_path: Path, open_time: str):
    """`int` reads other scripts' digits, `_`, a sign and spaces: none is a recorded time."""
    rows: list[list[object]] = [[(DEC_1 + i * 300) * 1000, *GOOD.split(",")] for i in range(3)]
    rows[0][0] = open_time
    path = write_klines(tmp_path / "set", "BTC", rows)
    error = refusal(tmp_path / "set")
    assert isinstance(error, RecordedDataError) and (error.path, error.line) == (str(path), 1)


FIELD = st.text(alphabet="0123456789.eE+-_ naNifxé", max_size=8)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(FIELD, min_size=5, max_size=5))
def test_bt1_a_row_loads_only_when_every_bar_of_it_can_be_built(tmp_path: Path, fields):
    """Whatever the text: the set is refused at load (file and row), or each bar builds
    into exact Decimals within the bounds — nothing is left to fail during the run."""
    write_csv(tmp_path / "set", [GOOD, ",".join(fields)])
    try:
        bars = load_dataset(tmp_path / "set").series["BTC-USD"]
    except RecordedDataError as exc:
        assert exc.line == 3
        return
    candle = bars.candle(1)
    assert candle.low >= MIN_PRICE and candle.high <= MAX_PRICE
    assert 0 <= candle.volume < MAX_VOLUME


def test_bt1_a_csv_byte_order_mark_is_accepted_and_other_non_ascii_bytes_named(tmp_path: Path):
    path = write_csv(tmp_path / "bom", [GOOD, GOOD])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(load_dataset(tmp_path / "bom").series["BTC-USD"]) == 2
    path = write_csv(tmp_path / "latin", [GOOD, GOOD, GOOD])
    path.write_bytes(path.read_bytes().replace(b"101,", b"101\xe9,", 1).replace(b"\n", b"\n", 1))
    error = refusal(tmp_path / "latin")
    assert isinstance(error, RecordedDataError) and (error.path, error.line) == (str(path), 2)
    assert "not ASCII" in error.reason


# -- bar times --------------------------------------------------------------------------
def _off_grid(tmp_path: Path, kind: str) -> tuple[Path, Path, int]:
    """(the set, its file, the 1-based row) with one bar start off its file's grid."""
    if kind == "kline +1000 ms":
        rows = [[(DEC_1 + i * 300) * 1000 + (i == 2) * 1000, *GOOD.split(",")] for i in range(4)]
        return tmp_path, write_klines(tmp_path, "BTC", rows), 3
    if kind == "csv +7 s":
        path = write_csv(tmp_path, [GOOD] * 4)
        path.write_text(path.read_text().replace(f"{DEC_1 + 600},", f"{DEC_1 + 607},"))
        return tmp_path, path, 4
    if kind == "csv 5-minute rows named 1h":
        return tmp_path, write_csv(tmp_path, [GOOD] * 4, name="BTC-USD-1h.csv"), 3
    if kind == "csv 5-minute rows in an hourly grid":
        rows = [GOOD] * 4
        path = write_csv(tmp_path, rows, name="BTC-USD-1h.csv", step=3600)
        path.write_text(path.read_text().replace(f"{DEC_1 + 7200},", f"{DEC_1 + 3900},"))
        return tmp_path, path, 4
    path = daemon_db(tmp_path / "trader.db")  # a state file's candle start +7 s
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE candles SET start = start + 7 WHERE start = 1767225660")
    return path, path, 2


@pytest.mark.parametrize(
    "kind",
    ["kline +1000 ms", "csv +7 s", "csv 5-minute rows named 1h",
     "csv 5-minute rows in an hourly grid", "state file +7 s"],
)  # fmt: skip
def test_bt1_a_bar_start_off_the_files_grid_is_refused_naming_file_and_row(
    tmp_path: Path, kind: str
):
    data, path, row = _off_grid(tmp_path, kind)
    error = refusal(data)
    assert isinstance(error, RecordedDataError) and (error.path, error.line) == (str(path), row)
    assert "s after the one before" in error.reason or "whole multiple" in error.reason


def test_bt1_minute_bars_closer_than_a_minute_are_refused(tmp_path: Path):
    with pytest.raises(RecordedDataError, match="time is not a minute"):
        load_dataset(minute_set(tmp_path / "cb", ["0,1,1,1,1,1", "30000,1,1,1,1,1"]))


# -- files that cannot be read ----------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["BTC_USDT-5m.json.gz", "BTC-USD-5m.csv", "minute/abcusd/20180102_trade.zip"]
)
@pytest.mark.parametrize("kind", ["folder", "broken link"])
def test_bt1_a_data_file_that_is_a_folder_or_a_broken_link_is_named(
    tmp_path: Path, name: str, kind: str
):
    root = minute_set(tmp_path / "set") if name.startswith("minute") else tmp_path / "set"
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(tmp_path / "nonexistent")
    error = refusal(root)
    assert str(error).startswith(f"{path}:")


def test_bt1_json_nested_too_deeply_is_refused_naming_the_file(tmp_path: Path):
    path = tmp_path / "BTC_USDT-5m.json.gz"
    path.write_bytes(gzip.compress(b"[" * 100_000 + b"]" * 100_000))
    error = refusal(tmp_path)
    assert isinstance(error, RecordedDataError) and error.path == str(path)


def test_bt1_a_state_files_damaged_product_rules_name_the_file_and_key(tmp_path: Path):
    path = daemon_db(tmp_path / "trader.db")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '{bad' WHERE key = ?", (RULES_KEY,))
    with pytest.raises(DataError, match=rf"{path}: meta '{RULES_KEY}'"):
        load_dataset(path)


# -- through the commands ---------------------------------------------------------------
@pytest.mark.parametrize("bad", ["abc", "sNaN", "NaN", "1e400", "true", "29_000", "1e-400"])
@pytest.mark.parametrize("command", ["backtest", "check-strategy"])
def test_bt1_str6_every_malformed_row_is_one_line_and_exit_2(
    tmp_path: Path, bad: str, command: str
):
    path = write_csv(tmp_path / "set", [GOOD] * 30 + [GOOD.replace("101", bad, 1)] + [GOOD] * 30)
    head = ["rules"] if command == "check-strategy" else ["--from", "2020-12-01T02:00", "--to",
                                                          "2020-12-01T04:00"]  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "trader", command, *head, "--data", str(tmp_path / "set"),
         "--config", str(REPO_ROOT / "app.yaml.example")],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"{command}: {path}:32: ") and run.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_bt1_bars_at_the_bounds_run_a_whole_backtest(tmp_path: Path):
    """The bounds are ones the run can compute with: the highest prices, the lowest low and
    the largest volume together make no Decimal error anywhere in a backtest."""
    rows = [f"9e11,9.99e11,{'1e-12' if i == 40 else '8.9e11'},9.5e11,9.99e17" for i in range(80)]
    write_csv(tmp_path / "set", rows)
    run = subprocess.run(
        [sys.executable, "-m", "trader", "backtest", "--data", str(tmp_path / "set"),
         "--from", "2020-12-01T02:00", "--to", "2020-12-01T07:00", "--warmup-hours", "0",
         "--config", str(REPO_ROOT / "app.yaml.example"), "--out", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "report.json").is_file()
