"""SIM-1: `trader sim` refuses bad arguments before it starts: one line naming the option and
the value, exit 2, no traceback, nothing written."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.sim_cli import run_sim
from tests.support.venue import start_venue

_sim = run_sim


def _assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line, as every command's usage error
    last = lines[0]
    assert last.startswith("sim: argument ")
    for word in words:
        assert word in last
    return last


BAD_VALUES = [
    ("--port", "99999"),
    ("--port", "-1"),
    ("--port", "65536"),
    ("--port", "http"),
    ("--host", ""),
    ("--host", "http://127.0.0.1"),
    ("--host", "127.0.0.1 "),
    ("--products", "0"),
    ("--products", "-3"),
    ("--products", "1001"),
    ("--products", "2.5"),
    ("--seed", "1.5"),
    ("--seed", "seven"),
    ("--speed", "nan"),
    ("--speed", "inf"),
    ("--speed", "-inf"),
    ("--speed", "0"),
    ("--speed", "-60"),
    ("--speed", "1e300"),
    ("--speed", "fast"),
    ("--tick", "nan"),
    ("--tick", "inf"),
    ("--tick", "0"),
    ("--tick", "-0.05"),
    ("--tick", "1e9"),
    ("--trades-per-minute", "-5"),
    ("--trades-per-minute", "0"),
    ("--trades-per-minute", "NaN"),
    ("--trades-per-minute", "Infinity"),
    ("--trades-per-minute", "1e12"),
    ("--public-per-s", "0"),
    ("--public-per-s", "-1"),
    ("--public-per-s", "nan"),
    ("--public-per-s", "inf"),
    ("--public-per-s", "1001"),
    ("--public-per-s", "ten"),
    ("--private-per-s", "0"),
    ("--private-per-s", "-1"),
    ("--private-per-s", "nan"),
    ("--private-per-s", "inf"),
    ("--private-per-s", "1001"),
    ("--private-per-s", "ten"),
    ("--balance", "DOGE"),
    ("--balance", "DOGE=-1"),
    ("--balance", "DOGE=NaN"),
    ("--balance", "DOGE=Infinity"),
    ("--balance", "DOGE=lots"),
    ("--balance", "=5"),
    ("--balance", "doge=5"),
]


@pytest.mark.parametrize(("option", "value"), BAD_VALUES)
def test_sim1_bad_numeric_or_host_value_is_refused_at_parsing(option: str, value: str) -> None:
    result = _sim("--port", "0", f"{option}={value}")
    _assert_refused(result, f"argument {option}:", value.strip() or "''")


def test_sim1_replay_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nonexist"
    result = _sim("--market", "binance-5m", "--replay", str(missing), "--port", "0")
    _assert_refused(result, "argument --replay:", str(missing), "not a directory")


UNSEEN_PATHS = {  # kind: (the path under tmp_path, made there; words of the line)
    "a symlink loop": (lambda tmp: _link(tmp / "loop", "loop"), "is a symlink loop"),
    "a name too long": (lambda tmp: tmp / ("x" * 300), "File name too long"),
    "a link to nowhere": (lambda tmp: _link(tmp / "gone", "nowhere"), "is not a directory"),
}


def _link(path: Path, to: str) -> Path:
    path.symlink_to(to)
    return path


@pytest.mark.parametrize("kind", sorted(UNSEEN_PATHS))
@pytest.mark.parametrize("option", ["--replay", "--write-credentials"])
def test_sim1_a_directory_option_at_a_path_that_cannot_be_looked_at_is_one_line(
    tmp_path: Path, option: str, kind: str
) -> None:
    """A name too long was a traceback of either option; a symlink loop or a link to
    nowhere given to --write-credentials passed, then failed the start (exit 6, "File
    exists")."""
    make, words = UNSEEN_PATHS[kind]
    path = make(tmp_path)
    market = ["--market", "binance-5m"] if option == "--replay" else []
    result = _sim(*market, option, str(path), "--port", "0")
    _assert_refused(result, f"argument {option}:", words)
    assert sorted(tmp_path.iterdir()) == sorted({path} - {tmp_path / ("x" * 300)})


def test_sim1_write_credentials_onto_an_existing_file_is_refused_untouched(
    tmp_path: Path,
) -> None:
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me\n")
    result = _sim("--write-credentials", str(existing), "--port", "0")
    _assert_refused(result, "argument --write-credentials:", str(existing))
    assert existing.read_text() == "keep me\n"
    below = existing / "keys"
    result = _sim("--write-credentials", str(below), "--port", "0")
    _assert_refused(result, "argument --write-credentials:", str(below))
    assert existing.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_sim1_write_credentials_where_the_key_file_is_a_directory_is_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "cdp_api_key.json").mkdir()
    result = _sim("--write-credentials", str(tmp_path), "--port", "0")
    _assert_refused(result, "argument --write-credentials:", "cdp_api_key.json")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--market", "binance-5m"], ["--market binance-5m", "--replay"]),
        (
            ["--market", "ws-capture", "--replay", "{tmp}", "--trades-per-minute", "60"],
            ["--trades-per-minute"],
        ),
    ],
)
def test_sim1_options_that_do_not_go_together_are_one_line(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    result = _sim(*(a.replace("{tmp}", str(tmp_path)) for a in args), "--port", "0")
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trader sim: ")
    for word in words:
        assert word in lines[0]


def test_sim1_starting_balances_are_the_accounts_and_usd_stays_unless_given(tmp_path: Path) -> None:
    venue = start_venue(tmp_path, seed=7, products=2, balances={"DOGE": "1000000", "BTC": "0.5"})
    try:
        rows = venue.call("GET", "/balances")["balances"]
    finally:
        venue.stop()
    totals = {r["currency"]: Decimal(r["available"]) + Decimal(r["hold"]) for r in rows}
    totals = {currency: total for currency, total in totals.items() if total}  # ETH: 0
    assert totals == {"BTC": Decimal("0.5"), "DOGE": Decimal(1000000), "USD": Decimal(100000)}
