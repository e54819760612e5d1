"""BT-1 `trader download`: the real command as a process against the embedded simulated
venue (app.yaml.example: `exchange.venue: sim`); the files it writes are the plain OHLCV
CSV set that `trader backtest --data` reads."""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.daemon import DaemonDir
from trader.backtest.data import DataError, load_dataset
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from trader.recorded.download import read_manifest
from trader.recorded.ohlcv_csv import HEADER
from trader.sim.market import build_source
from trader.sim.market.candles import CandleStore

HOUR = 3600
PRODUCTS = ["BTC-USD", "ETH-USD"]


@pytest.fixture
def home(tmp_path: Path) -> Iterator[DaemonDir]:
    folder = DaemonDir(tmp_path / "home")
    yield folder
    folder.cleanup()


@functools.cache
def span() -> tuple[int, int]:
    """18 closed hours inside the simulator's 25-hour history, ending an hour before this
    file's first test: the same for every call, so a test that runs across an hour's end
    compares the span it asked for (the history reaches 6 hours further)."""
    end = int(time.time()) // HOUR * HOUR - HOUR
    return end - 18 * HOUR, end


def download(home: DaemonDir, out: Path, *extra: str) -> tuple[int, str, str, list[int]]:
    """Run the command; also the minutes the simulator may have started in."""
    first, end = span()
    before = int(time.time()) // 60 * 60
    args = ["--products", ",".join(PRODUCTS), "--from", str(first), "--to", str(end)]
    done = home.cli("download", *args, "--out", str(out), *extra, timeout=120)
    minutes = list(range(before, int(time.time()) // 60 * 60 + 60, 60))
    return done.returncode, done.stdout, done.stderr, minutes


Row = tuple[Decimal, ...]


def served(start: int, bar_s: int) -> dict[str, list[Row]]:
    """The CSV rows the simulator started at `start` serves over `span()`."""
    source = build_source("synthetic", start=start, seed=7, products=8, data_dir=None, speed=1)
    store = CandleStore({pid: source.history(pid) for pid in PRODUCTS})
    first, end = span()
    out = {}
    for pid in PRODUCTS:
        candles = sorted(store.candles(pid, bar_s, first, end, end), key=lambda c: c.start)
        out[pid] = [
            tuple(Decimal(x) for x in (c.start, c.open, c.high, c.low, c.close, c.volume))
            for c in candles
        ]
    return out


def lines(out: Path, granularity: str) -> dict[str, list[str]]:
    return {
        pid: (out / f"{pid}-{granularity}.csv").read_text().splitlines()[1:] for pid in PRODUCTS
    }


def written(out: Path, granularity: str) -> dict[str, list[Row]]:
    """The rows as numbers: the venue's text may drop a trailing zero the store keeps."""
    return {
        pid: [tuple(Decimal(x) for x in line.split(",")) for line in rows]
        for pid, rows in lines(out, granularity).items()
    }


def matches_a_start(out: Path, granularity: str, bar_s: int, minutes: list[int]) -> bool:
    files = written(out, granularity)
    return any(served(minute, bar_s) == files for minute in minutes)


def test_bt6_download_writes_the_simulators_candles_exactly_and_resumes(
    home: DaemonDir, tmp_path: Path
) -> None:
    out = tmp_path / "set"
    code, stdout, stderr, minutes = download(home, out)
    assert code == EXIT_OK, stderr
    assert stdout.count("1080 candles fetched") == 2, stdout
    assert matches_a_start(out, "1m", 60, minutes)
    dataset = load_dataset(out)
    assert sorted(dataset.series) == PRODUCTS and dataset.bar_seconds == 60
    first, _ = span()
    btc = dataset.series["BTC-USD"]
    assert btc.starts[0] == first and len(btc) == 1080
    assert lines(out, "1m")["BTC-USD"][0].startswith(f"{btc.candle(0).start},{btc.candle(0).open},")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    code, stdout, stderr, _ = download(home, out)  # the rerun: nothing new to ask for
    assert code == EXIT_OK, stderr
    assert stdout.count("up to date") == 2 and "fetched" not in stdout
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_bt6_download_continues_an_interrupted_file_and_never_reads_it_as_data(
    home: DaemonDir, tmp_path: Path
) -> None:
    out = tmp_path / "set"
    out.mkdir()
    first, _ = span()
    kept = [f"{first + 60 * i},1.00,1.50,0.50,1.25,3" for i in range(100)]
    part = out / ".BTC-USD-1m.csv.part"  # a run stopped mid-line
    part.write_text("\n".join([HEADER, *kept, f"{first + 6000},1.00,1."]))
    with pytest.raises(DataError, match="not a recorded set"):
        load_dataset(out)

    code, stdout, stderr, minutes = download(home, out)
    assert code == EXIT_OK, stderr
    assert "980 candles fetched" in stdout and "1080 candles fetched" in stdout
    assert not part.exists()
    assert lines(out, "1m")["BTC-USD"][:100] == kept
    rows = written(out, "1m")["BTC-USD"]
    assert len(rows) == 1080
    assert any(served(m, 60)["BTC-USD"][100:] == rows[100:] for m in minutes)


@pytest.mark.parametrize(
    "last", ["abc,1,2,3,4,5", "\x00\x00\x00\x00", ",1,2,3,4,5", "-60,1,2,3,4,5", "1e9,1,2,3,4,5"]
)
def test_bt6_a_part_file_whose_last_row_is_no_row_is_named_and_kept(
    home: DaemonDir, tmp_path: Path, last: str
) -> None:
    """A part file left with a complete last line that is not a row (another program's,
    damaged): one line naming the file and its line, exit 1, the file kept as found (was
    `invalid literal for int()`, naming neither)."""
    out = tmp_path / "set"
    out.mkdir()
    part = out / ".BTC-USD-1m.csv.part"
    part.write_text(f"{HEADER}\n{last}\n")
    before = part.read_bytes()
    code, stdout, stderr, _ = download(home, out)
    assert code == EXIT_FAILURE and stdout == "", stderr
    (line,) = stderr.splitlines()
    assert line.startswith(f"download: {part}:2: not a row this download wrote"), line
    assert part.read_bytes() == before


def test_bt6_download_reaching_further_back_fetches_only_the_earlier_bars(
    home: DaemonDir, tmp_path: Path
) -> None:
    """A set downloaded from 6 h in, then asked for from the start: only the first 6 h are
    fetched, and the file's rows follow them unchanged."""
    out = tmp_path / "set"
    first, end = span()
    later = ["--products", ",".join(PRODUCTS), "--from", str(first + 6 * HOUR), "--to", str(end)]
    done = home.cli("download", *later, "--out", str(out), timeout=120)
    assert done.returncode == EXIT_OK, done.stderr
    kept = lines(out, "1m")
    code, stdout, stderr, minutes = download(home, out)
    assert code == EXIT_OK, stderr
    assert stdout.count("360 candles fetched") == 2, stdout
    now = lines(out, "1m")
    for pid in PRODUCTS:
        assert now[pid][360:] == kept[pid]
        assert [int(row.split(",")[0]) for row in now[pid]] == list(range(first, end, 60))
    assert any(served(m, 60)["BTC-USD"][:360] == written(out, "1m")["BTC-USD"][:360]
               for m in minutes)  # fmt: skip
    assert read_manifest(out)["BTC-USD-1m.csv"] == [first, end]


def test_bt6_download_hourly_bars_are_the_simulators_minutes_aggregated(
    home: DaemonDir, tmp_path: Path
) -> None:
    out = tmp_path / "hours"
    code, stdout, stderr, minutes = download(home, out, "--granularity", "1h")
    assert code == EXIT_OK, stderr
    assert stdout.count("18 candles fetched") == 2, stdout
    assert matches_a_start(out, "1h", HOUR, minutes)
    assert load_dataset(out).bar_seconds == HOUR


def test_bt6_backtest_runs_on_a_downloaded_set(home: DaemonDir, tmp_path: Path) -> None:
    out = tmp_path / "set"
    assert download(home, out)[0] == EXIT_OK
    first, end = span()
    done = home.cli(
        "backtest", "--data", str(out), "--from", str(first), "--to", str(end), "--out",
        str(tmp_path / "report"), timeout=120,
    )  # fmt: skip
    assert done.returncode == EXIT_OK, done.stderr
    assert (tmp_path / "report" / "report.json").is_file()


def test_bt1_backtest_reads_a_csv_folder_written_by_hand(home: DaemonDir, tmp_path: Path) -> None:
    folder = tmp_path / "by-hand"
    folder.mkdir()
    jan_1 = 1_704_067_200
    rows = [f"{jan_1 + 300 * i},100.10,101.25,99.05,100.50,2.5" for i in range(48)]
    (folder / "SOL-USD-5m.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    dataset = load_dataset(folder)
    assert dataset.bar_seconds == 300 and str(dataset.series["SOL-USD"].candle(1).high) == "101.25"
    assert dataset.listed_at == {"SOL-USD": float(jan_1)}
    done = home.cli(
        "backtest", "--data", str(folder), "--from", "2024-01-01", "--to", "2024-01-01T04:00",
        "--out", str(tmp_path / "report"), timeout=120,
    )  # fmt: skip
    assert done.returncode == EXIT_OK, done.stderr


def test_bt1_a_csv_folder_of_two_granularities_is_refused(tmp_path: Path) -> None:
    for name in ("BTC-USD-1m.csv", "ETH-USD-1h.csv"):
        (tmp_path / name).write_text(f"{HEADER}\n1704067200,1,1,1,1,1\n")
    with pytest.raises(DataError, match="more than one granularity"):
        load_dataset(tmp_path)


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--products", "btc_usd"], EXIT_CONFIG, "--products"),
        (["--products", "BTC-USD", "--granularity", "2m"], EXIT_CONFIG, "--granularity"),
        (["--products", "BTC-USD", "--to", "2023-12-31"], EXIT_CONFIG, "--to must be after"),
        (["--products", "BTC-USD", "--from", "soon"], EXIT_CONFIG, "--from"),
        (["--products", "NOPE-USD"], EXIT_FAILURE, "NOPE-USD"),
    ],
)
def test_bt6_download_bad_input_exits_with_one_line(
    home: DaemonDir, tmp_path: Path, args: list[str], code: int, says: str
) -> None:
    given = ["--from", "2024-01-01", "--to", "2024-01-02", "--out", str(tmp_path / "o")]
    done = home.cli("download", *given, *args)  # later options win
    assert done.returncode == code, done.stderr
    assert done.stderr.count("\n") == 1 and says in done.stderr and not done.stdout
    assert "Traceback" not in done.stderr


def test_bt6_download_from_an_unreachable_venue_exits_with_one_line(tmp_path: Path) -> None:
    home = DaemonDir(
        tmp_path / "home",
        {"exchange": {"venue": "coinbase", "rest_url": "http://127.0.0.1:9/api/v3/brokerage"}},
    )
    done = home.cli(
        "download", "--products", "BTC-USD", "--from", "2024-01-01", "--to", "2024-01-02"
    )
    assert done.returncode == EXIT_FAILURE
    assert done.stderr.count("\n") == 1 and "unavailable" in done.stderr
    assert not (tmp_path / "home" / "data" / "download").exists()  # no empty folder left


@pytest.mark.parametrize("where", ["a file", "under a file", "/proc"])
def test_bt6_download_into_an_unusable_out_exits_2_with_one_line(
    home: DaemonDir, tmp_path: Path, where: str
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me\n")
    out = {"a file": blocker, "under a file": blocker / "sub", "/proc": Path("/proc/nope")}[where]
    done = home.cli(
        "download", "--products", "BTC-USD", "--from", "2024-01-01", "--to", "2024-01-02",
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert done.stderr.count("\n") == 1 and "--out" in done.stderr and not done.stdout
    assert "Traceback" not in done.stderr
    assert blocker.read_text() == "keep me\n"


OWN_NAMES = [".BTC-USD-1m.csv.part", "BTC-USD-1m.csv", ".download.json", "..download.json.tmp"]
NOT_A_FILE = {  # kind: how it is made at the name, the words of the line
    "folder": (lambda path: path.mkdir(), "is a folder"),
    "fifo": (os.mkfifo, "is not a regular file"),
    "symlink loop": (lambda path: path.symlink_to(path.name), "Too many levels of symbolic"),
    "link to nowhere": (lambda path: path.symlink_to("gone"), "which does not exist"),
}


@pytest.mark.parametrize("kind", sorted(NOT_A_FILE))
@pytest.mark.parametrize("name", OWN_NAMES)
def test_bt6_what_is_not_a_file_at_a_name_the_download_writes_is_refused_up_front(
    home: DaemonDir, tmp_path: Path, name: str, kind: str
) -> None:
    """A folder at the part file's name was `[Errno 21] Is a directory` (at the final
    file's, after every candle was fetched); a FIFO there was waited on for ever. Now one
    line naming it and what to do, exit 2, before the venue is asked, nothing removed."""
    out = tmp_path / "set"
    out.mkdir()
    make, words = NOT_A_FILE[kind]
    make(out / name)
    before = sorted(p.name for p in out.iterdir())
    code, stdout, stderr, _ = download(home, out)
    assert code == EXIT_CONFIG and stdout == "", stderr
    (line,) = stderr.splitlines()
    assert line.startswith(f"download: --out {out}: {out / name} ") and words in line, line
    assert sorted(p.name for p in out.iterdir()) == before


H = HEADER
DAMAGED = {  # kind: the finished file's text from rows a, b, c; the line named; the words
    "last row cut short": (lambda a, b, c: f"{H}\n{a}\n{b}\n{c[:-1]}", 4, "cut short"),
    "row cut in a number": (lambda a, b, c: f"{H}\n{a}\n{b}\n{c[:-6]}\n", 4, "not start plus 5"),
    "garbage row": (lambda a, b, c: f"{H}\n{a}\nhello,world\n{c}\n", 3, "not start plus 5"),
    "nul bytes": (lambda a, b, c: f"{H}\n{a}\n\x00\x00\n{c}\n", 3, "not start plus 5"),
    "not ascii": (lambda a, b, c: f"{H}\n{a}\n{b}\u00e9\n{c}\n", 3, "is not ASCII"),
    "out of order": (lambda a, b, c: f"{H}\n{b}\n{a}\n{c}\n", 3, "increasing time order"),
    "wrong header": (lambda a, b, c: f"time,o,h,l,c,v\n{a}\n{b}\n{c}\n", 1, "header is not"),
    "empty": (lambda a, b, c: "", 1, "header is not"),
}


def _damaged(out: Path, kind: str) -> Path:
    """A finished set of both products (the manifest says it covers `span()`) whose
    BTC-USD file is damaged in the way `kind` says."""
    out.mkdir()
    first, end = span()
    rows = [f"{first + 60 * i},1.00,1.50,0.50,1.25,3" for i in range(3)]
    for pid in PRODUCTS:
        (out / f"{pid}-1m.csv").write_text("\n".join([HEADER, *rows, ""]))
    covers = {f"{pid}-1m.csv": [first, end] for pid in PRODUCTS}
    (out / ".download.json").write_text(json.dumps(covers))
    damaged = out / "BTC-USD-1m.csv"
    damaged.write_bytes(DAMAGED[kind][0](*rows).encode())
    return damaged


@pytest.mark.parametrize("kind", sorted(DAMAGED))
def test_bt6_a_damaged_finished_file_is_named_by_the_download_and_the_backtest(
    home: DaemonDir, tmp_path: Path, kind: str
) -> None:
    """A finished file the manifest covers was reported "up to date" whatever it held: the
    rerun now reads it first and names its line (exit 1, as a part file's damage is), the
    file left as it is; `backtest` over it names the same line (exit 2)."""
    out = tmp_path / "set"
    damaged = _damaged(out, kind)
    before = damaged.read_bytes()
    _, line_number, words = DAMAGED[kind]
    code, stdout, stderr, _ = download(home, out)
    assert code == EXIT_FAILURE and stdout == "", stderr
    (line,) = stderr.splitlines()
    assert line.startswith(f"download: {damaged}:{line_number}: ") and words in line, line
    assert line.endswith("remove the file to download BTC-USD afresh"), line
    assert damaged.read_bytes() == before
    first, end = span()
    done = home.cli("backtest", "--data", str(out), "--from", str(first), "--to", str(end),
                    "--out", str(tmp_path / "report"), timeout=120)  # fmt: skip
    if kind == "last row cut short":  # a file written by hand need not end in a newline
        return
    assert done.returncode == EXIT_CONFIG and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"backtest: {damaged}:{line_number}: "), done.stderr
