#!/usr/bin/env python3
"""PERF-4 against a peer: the same breakout strategy, the same window, in trader and in
freqtrade, timed back to back in the same run.

The strategy, in both tools: long when a 5-minute close clears the previous 12 h high by
0.2 %; stop 3 % below the entry, target 8 % above, out after 8 h; at most 5 positions of
5 % of equity each; over the 24-pair 5-minute set (`../shared/data/binance-5m-24pairs-2021`),
2021-01-01..2021-03-01 by default. Trader runs `python -m trader backtest` with the shipped
configuration narrowed to the breakout trigger (loss-limit halts widened so neither tool
stops early); freqtrade runs its own `backtesting` command on the same files (they are in
its `jsongz` format). Wall time of each command includes start-up and data loading.
Trader's first run over the set, which parses the files and keeps their bars for the next
runs (`trader/backtest/bar_cache.py`), is timed on its own before the rounds
(`trader_first_run_s`); the rounds compare the runs a user repeats.

freqtrade is installed once into its own throwaway environment under
`data/bench/freqtrade-<version>/` (never the project's venv). Its exchange metadata would
come from the network, which a benchmark must not need: the runner gives it static spot
markets for the data's pairs (precision 1e-8, no minimum that the stake could miss). When
the install fails (no package index), the answer says `skipped` with the reason.

    .venv/bin/python scripts/bench_peer.py [--rounds 3] [--from D] [--to D] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT.parent / "shared" / "data" / "binance-5m-24pairs-2021"
FREQTRADE = "freqtrade==2026.9"
PEER_HOME = REPO_ROOT / "data" / "bench" / FREQTRADE.replace("==", "-")
PEER_FILES = Path(__file__).resolve().parent / "peer_freqtrade"


class Unavailable(Exception):
    """The peer cannot be installed or run here; the reason says why."""


def peer_python() -> Path:
    """The throwaway environment's python, installing freqtrade on first use."""
    python = PEER_HOME / "venv" / "bin" / "python"
    stamp = PEER_HOME / "installed"
    if stamp.is_file() and python.is_file():
        return python
    shutil.rmtree(PEER_HOME / "venv", ignore_errors=True)
    PEER_HOME.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", sys.executable)
    steps = [
        [base, "-m", "venv", str(PEER_HOME / "venv")],
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", FREQTRADE],
    ]
    for step in steps:
        print(f"[peer] {' '.join(step[-3:])}", file=sys.stderr, flush=True)
        done = subprocess.run(step, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
            raise Unavailable(f"installing {FREQTRADE} failed: {' '.join(tail)[:200]}")
    stamp.write_text(FREQTRADE + "\n")
    return python


def pairs_of(data: Path) -> list[str]:
    return sorted(p.name.split("-")[0].replace("_", "/") for p in data.glob("*_USDT-5m.json.gz"))


def bars_between(data: Path, start_ms: int, end_ms: int) -> int:
    """Bars of every file opening in [start, end): what each tool walks through."""
    count = 0
    for path in sorted(data.glob("*_USDT-5m.json.gz")):
        rows = orjson.loads(gzip.decompress(path.read_bytes()))
        count += sum(1 for row in rows if start_ms <= row[0] < end_ms)
    return count


def peer_workdir(data: Path) -> Path:
    """freqtrade's config, strategy and runner for this data set."""
    work = PEER_HOME / "work"
    work.mkdir(parents=True, exist_ok=True)
    for name in ("run_freqtrade.py", "BreakoutPeer.py"):
        shutil.copy2(PEER_FILES / name, work / name)
    config = json.loads((PEER_FILES / "config.json").read_text())
    config["exchange"]["pair_whitelist"] = pairs_of(data)
    config["user_data_dir"] = str(work)
    config["strategy_path"] = str(work)
    (work / "config.json").write_text(json.dumps(config, indent=1))
    return work


def trader_config(scratch: Path) -> Path:
    """app.yaml over a copy of config/ narrowed to the breakout strategy above."""
    config_dir = scratch / "config"
    shutil.copytree(REPO_ROOT / "config", config_dir)
    edits: dict[str, dict[str, Any]] = {
        "signals.yaml": {
            "timeframe": "5m",
            "price_move": {"enabled": False},
            "volume_spike": {"enabled": False},
            "momentum": {"enabled": False},
            "breakout": {"enabled": True, "lookback_hours": 12, "buffer_pct": 0.2},
            "min_score": 0.0,
        },
        "strategies.yaml": {
            "registry": {"rules": {"enabled": True, "max_at_risk_pct": 100}},
            "rules": {
                "size_pct_by_tier": {"core": 5, "rotational": 5, "event": 5},
                "min_conviction": 0.0,
                "sell_on_bearish_trigger": False,
                "exits_by_trigger": {
                    "breakout": {
                        "stop_loss_pct": 3,
                        "take_profit_pct": 8,
                        "max_hold_minutes": 480,
                    }
                },
            },
        },
        "policy.yaml": {
            "max_open_positions": 5,
            "max_trades_per_hour": 1000,
            "max_trades_per_day": 10000,
            "daily_loss_limit_pct": -99,
            "max_drawdown_pct": 99,
            "min_target_cost_multiple": 0,
        },
    }
    for name, edit in edits.items():
        path = config_dir / name
        path.write_text(yaml.safe_dump(_merge(yaml.safe_load(path.read_text()), edit)))
    app = yaml.safe_load((REPO_ROOT / "app.yaml.example").read_text())
    app.setdefault("paths", {})["config_dir"] = str(config_dir)
    target = scratch / "app.yaml"
    target.write_text(yaml.safe_dump(app))
    return target


def _merge(base: dict[str, Any], edit: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in edit.items():
        nested = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if nested else value
    return out


def timed(argv: list[str], cwd: Path) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise RuntimeError(f"{' '.join(argv[:4])} … exited {done.returncode}:\n{tail}")
    return wall, done.stdout + done.stderr


def run_trader(app: Path, scratch: Path, start: str, end: str, data: Path) -> tuple[float, int]:
    out = scratch / f"bt-{time.monotonic_ns()}"
    argv = [
        sys.executable, "-m", "trader", "backtest", "--config", str(app), "--data", str(data),
        "--from", start, "--to", end, "--listed-before", "2020-01-01", "--out", str(out),
    ]  # fmt: skip
    wall, _ = timed(argv, REPO_ROOT)
    report = json.loads((out / "report.json").read_text())
    return wall, int(report["summary"]["trades"])


def run_freqtrade(python: Path, work: Path, start: str, end: str, data: Path) -> tuple[float, int]:
    timerange = f"{start.replace('-', '')}-{end.replace('-', '')}"
    argv = [
        str(python), "run_freqtrade.py", "backtesting", "--config", "config.json",
        "--datadir", str(data), "--timerange", timerange, "--export", "none",
        "--cache", "none",
    ]  # fmt: skip
    wall, output = timed(argv, work)
    return wall, _freqtrade_trades(output)


def _freqtrade_trades(output: str) -> int:
    """The closed-trade count from freqtrade's summary table (`Total/Daily Avg Trades`)."""
    for line in output.splitlines():
        if "Total/Daily Avg Trades" in line:
            cells = [c.strip() for c in line.replace("│", "|").split("|") if c.strip()]
            return int(cells[-1].split("/")[0].strip())
    raise RuntimeError("freqtrade printed no `Total/Daily Avg Trades` line")


def _ms(day: str) -> int:
    return int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp() * 1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--from", dest="start", default="2021-01-01")
    parser.add_argument("--to", dest="end", default="2021-03-01")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    try:
        python = peer_python()
    except (Unavailable, OSError, subprocess.TimeoutExpired) as exc:
        print(f"[peer] skipped: {exc}", file=sys.stderr)
        print(json.dumps({"skipped": str(exc), "figures": {}}))
        return 0
    work = peer_workdir(args.data)
    bars = bars_between(args.data, _ms(args.start), _ms(args.end))
    walls: dict[str, list[float]] = {"trader": [], "freqtrade": []}
    trades: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        app = trader_config(scratch)
        # trader's first run over a set parses its files and keeps the bars for the next
        # runs (`backtest/bar_cache.py`): timed on its own, so every round compares the
        # runs a user repeats; freqtrade keeps nothing between runs
        first_run, _ = run_trader(app, scratch, args.start, args.end, args.data)
        print(f"[peer] trader's first run (bar cache built): {first_run:.1f} s", file=sys.stderr)
        for round_no in range(args.rounds):
            wall, trades["trader"] = run_trader(app, scratch, args.start, args.end, args.data)
            walls["trader"].append(wall)
            wall, trades["freqtrade"] = run_freqtrade(python, work, args.start, args.end, args.data)
            walls["freqtrade"].append(wall)
            print(
                f"[peer] round {round_no + 1}: trader {walls['trader'][-1]:.1f} s, "
                f"freqtrade {wall:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    ratios = [f / t for t, f in zip(walls["trader"], walls["freqtrade"], strict=True)]
    answer = {
        "bars": bars,
        "window": [args.start, args.end],
        "trades": trades,
        "peer": FREQTRADE,
        "figures": {
            "trader_wall_s": {"samples": walls["trader"]},
            "freqtrade_wall_s": {"samples": walls["freqtrade"]},
            "speed_vs_freqtrade": {"samples": ratios},
            "trader_bars_per_s": {"samples": [bars / w for w in walls["trader"]]},
            "freqtrade_bars_per_s": {"samples": [bars / w for w in walls["freqtrade"]]},
            "trader_first_run_s": {"samples": [first_run]},
        },
    }
    if not args.json:
        for name, figure in answer["figures"].items():
            print(f"{name}: median {statistics.median(figure['samples']):.2f}")
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
