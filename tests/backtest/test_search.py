"""BT-5 walk-forward parameter search: the search file, its candidates and windows, the
ranking by out-of-sample result only, and `trader backtest --search` end to end over real
bars — the same for a seed and any number of workers, resumable after Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from trader.backtest.search import (
    DAY_S,
    SearchFileError,
    SearchSpec,
    Windows,
    candidates,
    compounded_pct,
    load_spec,
    rank,
    walk_windows,
)
from trader.config.loader import load_config

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / "app.yaml.example"
D = Decimal


def spec(**overrides: object) -> SearchSpec:
    raw: dict[str, object] = {
        "params": {"strategies.rules.min_conviction": [0.3, 0.4, 0.5],
                   "signals.momentum.min_return_pct": [1.0, 1.5]},
        "windows": {"train_days": 3, "test_days": 1},
    }  # fmt: skip
    raw.update(overrides)
    return SearchSpec.model_validate(raw)


def test_bt5_grid_is_every_combination_in_a_fixed_order():
    found = candidates(spec())
    assert len(found) == 6 and found == candidates(spec())
    assert found[0] == {"signals.momentum.min_return_pct": 1.0,
                        "strategies.rules.min_conviction": 0.3}  # fmt: skip


def test_bt5_random_draws_distinct_candidates_the_same_for_a_seed():
    grid = candidates(spec())
    drawn = candidates(spec(method="random", samples=4, seed=11))
    assert len(drawn) == 4 and len({tuple(sorted(c.items())) for c in drawn}) == 4
    assert all(c in grid for c in drawn)
    assert drawn == candidates(spec(method="random", samples=4, seed=11))
    assert drawn != candidates(spec(method="random", samples=4, seed=12))
    assert len(candidates(spec(method="random", samples=50))) == 6  # never more than the grid


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("params: {}\nwindows: {train_days: 1, test_days: 1}\n", "params"),
        ("params: {rules.min_conviction: [1]}\nwindows: {train_days: 1, test_days: 1}\n",
         "name a key of one file"),
        ("params: {strategies.rules.min_conviction: []}\nwindows: {train_days: 1, test_days: 1}\n",
         "at least one value"),
        ("params: {strategies.rules.min_conviction: [1]}\n", "windows"),
        ("params: {strategies.rules.min_conviction: [1]}\nwindows: {train_days: 0, test_days: 1}\n",
         "train_days"),
        ("params: {strategies.rules.min_conviction: [1]}\nwindows: {train_days: 1, test_days: 1}\n"
         "rank_by: luck\n", "rank_by"),
        ("- a list\n", "expected a mapping"),
        ("params: [unclosed\n", "invalid YAML"),
        ("params: {a: [1]}\nparams: {b: [2]}\n", "line 2, column 1: invalid YAML: duplicate key"),
        ("params: [1]".encode("utf-16"), "is UTF-16 text"),
        (b"params: {a: [\xff]}\n", "is not UTF-8 text"),
    ],
)  # fmt: skip
def test_bt5_a_bad_search_file_is_one_line_naming_the_file_and_key(tmp_path, text, needle):
    """A key given twice was taken silently (its last value); bytes that are not UTF-8
    were a codec's words naming no file."""
    path = tmp_path / "search.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(SearchFileError, match=needle) as caught:
        load_spec(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


NOT_A_SEARCH_FILE = {  # kind: how it is made at the name, the words of the line
    "a fifo": (os.mkfifo, "is not a regular file"),
    "a folder": (Path.mkdir, "is not a regular file"),
    "a device": (lambda path: path.symlink_to("/dev/zero"), "is not a regular file"),
    "a symlink loop": (lambda path: path.symlink_to(path.name), "is a symlink loop"),
}


@pytest.mark.parametrize("kind", sorted(NOT_A_SEARCH_FILE))
def test_bt5_what_is_not_a_search_file_is_one_line_and_never_waited_on(tmp_path, kind):
    """A FIFO or /dev/zero at --search was read for ever (no writer; no end)."""
    search = tmp_path / "search.yaml"
    make, words = NOT_A_SEARCH_FILE[kind]
    make(search)
    command = [
        sys.executable, "-m", "trader", "backtest", "--config", str(CONFIG), "--data",
        str(tmp_path / "set"), *ARGS, "--search", str(search), "--out", str(tmp_path / "out"),
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert run.returncode == 2 and run.stdout == "", run.stderr
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"backtest: {search}: ") and words in line, line


def test_bt5_windows_roll_by_the_test_length_and_never_pass_the_end():
    windows = walk_windows(0, 10 * DAY_S, Windows(train_days=3, test_days=2))
    assert [(w.train, w.test) for w in windows] == [
        ((0, 3 * DAY_S), (3 * DAY_S, 5 * DAY_S)),
        ((2 * DAY_S, 5 * DAY_S), (5 * DAY_S, 7 * DAY_S)),
        ((4 * DAY_S, 7 * DAY_S), (7 * DAY_S, 9 * DAY_S)),
    ]
    assert walk_windows(0, 4 * DAY_S, Windows(train_days=3, test_days=2)) == []


def _equity(*daily: str) -> list[tuple[int, Decimal]]:
    return [(i * DAY_S, D(v)) for i, v in enumerate(daily)]


def test_bt5_ranking_uses_out_of_sample_only_and_the_walk_forward_chooses_on_train():
    windows = walk_windows(0, 4 * DAY_S, Windows(train_days=2, test_days=1))
    results = {
        # wonderful in-sample, bad afterwards: the overfit one
        "fit": {"params": {"p": 1}, "equity": _equity("100", "130", "160", "150", "140"),
                "gross_equity": _equity("100", "131", "162", "153", "144")},
        "steady": {"params": {"p": 2}, "equity": _equity("100", "101", "102", "104", "106"),
                   "gross_equity": _equity("100", "101", "102", "104", "106")},
    }  # fmt: skip
    ranking = rank(results, windows, "return_pct")
    assert [row["id"] for row in ranking["candidates"]] == ["steady", "fit"]
    fit = ranking["candidates"][1]
    assert fit["in_sample"] > ranking["candidates"][0]["in_sample"]
    assert [step["chosen"] for step in ranking["walk_forward"]] == ["fit", "fit"]
    assert ranking["walk_forward"][0]["test_pct"] == D("-6.2500")
    assert ranking["walk_forward_pct"] == compounded_pct([D("-6.25"), D("-6.6667")])
    # before fees: the same choices on the equity with every fee given back
    assert ranking["walk_forward"][0]["test_before_fees_pct"] == D("-5.5556")  # 162 -> 153
    assert ranking["candidates"][0]["out_of_sample_before_fees_pct"] == D("3.9216")


def test_bt5_candidates_are_checked_as_configuration(tmp_path):
    with pytest.raises(Exception, match="min_conviction"):
        load_config(CONFIG, {"strategies.rules.min_conviction": 7})
    loaded = load_config(CONFIG, {"strategies.rules.min_conviction": 0.25})
    assert loaded.strategies.rules.min_conviction == 0.25
    assert loaded.config_hash != load_config(CONFIG).config_hash


# -- end to end --------------------------------------------------------------------------------
SEARCH = """\
params:
  strategies.rules.min_conviction: [0.3, 0.6]
  signals.momentum.min_return_pct: [0.8, 1.6]
windows: {train_days: 1, test_days: 1}
"""
ARGS = ("--products", "BTC-USD,ETH-USD", "--from", "2021-05-10", "--to", "2021-05-14",
        "--listed-before", "2020-01-01", "--warmup-hours", "12")  # fmt: skip


def _search(tmp_path: Path, out: Path, *extra: str, **kwargs: object):
    (tmp_path / "search.yaml").write_text(SEARCH)
    command = [
        sys.executable, "-m", "trader", "backtest", "--config", str(CONFIG),
        "--data", str(kwargs.pop("data")), *ARGS, "--search", str(tmp_path / "search.yaml"),
        "--out", str(out), *extra,
    ]  # fmt: skip
    return command


def test_bt5_search_ranks_out_of_sample_the_same_for_any_workers(tmp_path, shared_data):
    data = shared_data / "binance-5m-24pairs-2021"
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        run = subprocess.run(
            _search(tmp_path, out, "--workers", workers, data=data),
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert "out-of-sample" in run.stdout and "Walk-forward out-of-sample" in run.stdout
        outs.append((out / "search.json").read_bytes())
        assert len(list((out / "candidates").iterdir())) == 4
    assert outs[0] == outs[1]
    ranking = json.loads(outs[0])
    assert len(ranking["candidates"]) == 4 and len(ranking["walk_forward"]) == 3
    oos = [row["out_of_sample_pct"] for row in ranking["candidates"]]
    assert oos == sorted(oos, key=lambda v: -float(v))
    for row in ranking["candidates"]:  # fees only ever take away
        assert float(row["out_of_sample_before_fees_pct"]) >= float(row["out_of_sample_pct"])


RESUMED = """\
params:
  strategies.rules.min_conviction: [0.3, 0.45, 0.6]
  signals.momentum.min_return_pct: [0.8, 1.6]
windows: {train_days: 1, test_days: 1}
"""


def _as_from_a_terminal() -> None:
    """Ctrl-C's default action, as a terminal gives it: a suite started in the background
    of a non-interactive shell inherits SIGINT ignored, and an ignored signal stays so."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_bt5_search_stopped_with_ctrl_c_resumes_where_it_stopped(tmp_path, shared_data):
    """One worker, six candidates: Ctrl-C after the first finishes leaves the one running
    to finish and starts no other; the same command again runs only the rest."""
    data = shared_data / "binance-5m-24pairs-2021"
    out = tmp_path / "out"
    command = _search(tmp_path, out, "--workers", "1", data=data)
    (tmp_path / "search.yaml").write_text(RESUMED)
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        preexec_fn=_as_from_a_terminal,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not list(out.glob("candidates/*/result.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    assert "the same command again resumes" in stderr and "Traceback" not in stderr
    kept = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("candidates/*/result.json")}
    assert 1 <= len(kept) < 6
    again = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    for name, mtime in kept.items():  # read back, not run again
        assert (out / "candidates" / name / "result.json").stat().st_mtime_ns == mtime
    assert f"search: {len(kept) + 1}/6 candidates done" in again.stderr
    assert os.path.exists(out / "search.json")


@pytest.mark.parametrize("bad", ["9", '"abc"', "-1", ".nan"])
def test_bt5_a_candidate_the_configuration_refuses_stops_the_search_before_it_runs(
    tmp_path, shared_data, bad
):
    """The search file is named as the one at fault (the configuration's files are fine)."""
    (tmp_path / "search.yaml").write_text(
        f"params:\n  strategies.rules.min_conviction: [0.3, {bad}]\n"
        "windows: {train_days: 1, test_days: 1}\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "trader", "backtest", "--config", str(CONFIG), "--data",
         str(shared_data / "binance-5m-24pairs-2021"), *ARGS, "--search",
         str(tmp_path / "search.yaml"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 2 and "min_conviction" in run.stderr, run.stderr
    assert run.stderr.startswith(f"backtest: {tmp_path / 'search.yaml'}: "), run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "out").exists()


def test_bt5_a_dask_cluster_runs_the_same_search(tmp_path, shared_data):
    """The candidates through a Dask cluster's executor (a local one here): the same
    ranking, byte for byte, as local worker processes."""
    from distributed import LocalCluster

    data = shared_data / "binance-5m-24pairs-2021"
    local = subprocess.run(
        _search(tmp_path, tmp_path / "local", "--workers", "1", data=data),
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    with LocalCluster(  # one worker process: the suite runs beside it on two cores
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = subprocess.run(
            _search(tmp_path, tmp_path / "dask", "--executor", cluster.scheduler_address,
                    data=data),
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )  # fmt: skip
    assert remote.returncode == 0, remote.stderr
    assert (tmp_path / "dask" / "search.json").read_bytes() == (
        tmp_path / "local" / "search.json"
    ).read_bytes()


def test_bt5_an_unreachable_executor_is_one_line(tmp_path, shared_data):
    run = subprocess.run(
        _search(tmp_path, tmp_path / "out", "--executor", "tcp://127.0.0.1:9",
                data=shared_data / "binance-5m-24pairs-2021"),
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith("backtest: --search:") and "Traceback" not in run.stderr


def test_bt5_gross_equity_gives_back_every_fee_paid_by_then():
    from trader.backtest.search_run import gross_equity

    equity = [(10, D(100)), (20, D(99)), (30, D(98))]
    fills = [{"time": 5, "fee": "0.5"}, {"time": 20, "fee": "0.25"}, {"time": 31, "fee": "9"}]
    assert gross_equity(equity, fills) == [(10, D("100.5")), (20, D("99.75")), (30, D("98.75"))]


def test_bt5_a_halted_candidate_is_shown_halted_not_as_a_flat_result():
    """A run its own loss limits halted trades no more: its flat equity afterwards would
    read as 0 % out of sample, so the ranking names when it halted and the walk-forward
    marks the windows it was chosen for after that."""
    windows = walk_windows(0, 4 * DAY_S, Windows(train_days=2, test_days=1))
    flat_after = _equity("100", "110", "120", "120", "120")
    results = {
        "halted": {"params": {"p": 1}, "equity": flat_after, "gross_equity": flat_after,
                   "halts": [{"time": 2.5 * DAY_S, "reason": "drawdown"}]},
        "live": {"params": {"p": 2}, "equity": _equity("100", "100", "100", "99", "98"),
                 "gross_equity": _equity("100", "100", "100", "99", "98"), "halts": []},
    }  # fmt: skip
    ranking = rank(results, windows, "return_pct")
    rows = {row["id"]: row for row in ranking["candidates"]}
    assert rows["halted"]["halted_at"] == 2.5 * DAY_S and rows["live"]["halted_at"] is None
    assert [step["chosen"] for step in ranking["walk_forward"]] == ["halted", "halted"]
    assert [step["halted"] for step in ranking["walk_forward"]] == [True, True]
