#!/usr/bin/env python3
"""Run every benchmark (SPEC §9) and print ONE table of figures with the machine.

    scripts/bench [--quick] [--only NAME[,NAME]] [--skip NAME[,NAME]] [--update-readme]

Each benchmark script runs as its own subprocess (`python SCRIPT --json ARGS`), so memory
and GC state never leak from one to the next; a script run `runs` times gives one
subprocess per run. The script's answer is the LAST line of its stdout, one JSON object:

    {"figures": {"<key>": {"samples": [<number>, ...]}, ...}, ...any other fields}

Every sample of a figure over all runs is pooled: the table shows their median and their
spread (p10–p90 with 10 or more samples, else min–max) and judges the MEDIAN against the
target. Rows whose script does not exist yet read "not measured (script missing)".

To add a benchmark: write a script that speaks the protocol above, then add a `Command`
for it and one `Row` per figure to `BENCHMARKS` (a target is "<= 20 ms", ">= 300000
msg/s" — operator, number, unit — or None for a figure that is only informative).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START_MARK, END_MARK = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass(frozen=True)
class Command:
    """One script invocation; rows that share a Command share its runs."""

    script: str  # relative to the repository root
    args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] = ()
    runs: int = 1  # subprocesses in a full run
    quick_runs: int = 1
    timeout_s: float = 900.0


@dataclass(frozen=True)
class Row:
    name: str  # what --only selects
    spec: str
    command: Command
    figure: str  # key in the script's "figures"
    label: str
    target: str | None  # "<= 20 ms", ">= 300000 msg/s", None = info
    unit: str = ""  # for info rows (a target carries its own unit)


DECISION = Command(
    "scripts/bench_decision.py", quick_args=("--cycles", "200"), runs=5, quick_runs=2
)
INGEST = Command("scripts/bench_ingest.py", quick_args=("--repeats", "3"), runs=3)
MEMORY = Command("scripts/bench_memory.py", quick_args=("--soak-minutes", "5"), runs=3)
MEMORY_SIM = Command(
    "scripts/bench_memory.py",
    args=("--venue", "embedded"),
    quick_args=("--venue", "embedded", "--soak-minutes", "5"),
    runs=2,
)
SIM = Command(
    "scripts/bench_sim.py",
    quick_args=("--orders", "500", "--repeats", "2", "--window", "2"),
)
BACKTEST = Command(
    "scripts/bench_backtest.py",
    args=("--repeats", "3"),
    quick_args=("--repeats", "1", "--days", "30"),
    timeout_s=1800.0,
)
PEER = Command(  # PERF-4 against freqtrade, same strategy and window, same run
    "scripts/bench_peer.py", args=("--rounds", "3"), quick_args=("--rounds", "1"), timeout_s=3600.0
)
EXECUTION = Command(  # PERF-3, PERF-6, PERF-7
    "scripts/bench_execution.py", args=("--repeats", "5"), quick_args=("--repeats", "2"), runs=3
)

# name, SPEC ID, command, figure key, label, target
BENCHMARKS: list[Row] = [
    Row("decision", "PERF-1", DECISION, "cycle_p99_ms", "decision cycle p99", "<= 20 ms"),
    Row("decision", "PERF-1", DECISION, "cycle_p50_ms", "decision cycle p50", None, "ms"),
    Row("ingest", "PERF-2", INGEST, "daemon_msgs_per_s", "WS ingest", ">= 300000 msg/s"),
    Row("ingest", "PERF-2", INGEST, "orjson_only_msgs_per_s", "orjson.loads alone", None, "msg/s"),
    Row("ingest", "PERF-2", INGEST, "baseline_msgs_per_s", "json + dict baseline", None, "msg/s"),
    Row(
        "execution",
        "PERF-3",
        EXECUTION,
        "tick_to_order_p99_ms",
        "tick to request written p99",
        "<= 5 ms",
    ),
    Row(
        "execution",
        "PERF-3",
        EXECUTION,
        "tick_to_order_p50_ms",
        "tick to request written p50",
        None,
        "ms",
    ),
    Row(
        "execution",
        "PERF-3",
        EXECUTION,
        "answer_booked_p99_ms",
        "tick to answer booked p99",
        None,
        "ms",
    ),
    Row("execution", "PERF-3", EXECUTION, "decision_p50_ms", "of which decision p50", None, "ms"),
    Row("backtest", "PERF-4", BACKTEST, "bars_per_s", "backtest, 1 product", ">= 300000 bars/s"),
    Row(
        "backtest", "PERF-4", BACKTEST, "all_pairs_s", "backtest, 24 pairs × 65 740 bars", "<= 60 s"
    ),
    Row("backtest", "PERF-4", BACKTEST, "all_pairs_bars_per_s", "of which running", None, "bars/s"),
    Row("peer", "PERF-4", PEER, "speed_vs_freqtrade", "freqtrade wall / trader wall", ">= 1 x"),
    Row("peer", "PERF-4", PEER, "trader_wall_s", "trader, breakout, 24 pairs, 2 mo", None, "s"),
    Row("peer", "PERF-4", PEER, "freqtrade_wall_s", "freqtrade 2026.9, the same", None, "s"),
    Row("peer", "PERF-4", PEER, "trader_bars_per_s", "trader bars/s (wall)", None, "bars/s"),
    Row("peer", "PERF-4", PEER, "freqtrade_bars_per_s", "freqtrade bars/s (wall)", None, "bars/s"),
    Row("peer", "PERF-4", PEER, "trader_first_run_s", "trader's first run (bar cache)", None, "s"),
    Row("memory", "PERF-5", MEMORY, "rss_mb", "RSS, 300 products (LIVE)", "<= 200 MB"),
    Row("memory", "PERF-5", MEMORY, "growth_pct", "RSS growth over soak (LIVE)", "<= 5 %"),
    Row("memory-sim", "PERF-5", MEMORY_SIM, "rss_mb", "RSS, + 300-product sim venue", None, "MB"),
    Row("memory-sim", "PERF-5", MEMORY_SIM, "growth_pct", "RSS growth, + sim venue", None, "%"),
    Row(
        "execution", "PERF-6", EXECUTION, "kill_switch_p99_s", "kill switch, 1000 orders", "<= 1 s"
    ),
    Row("execution", "PERF-7", EXECUTION, "restart_s", "restart to ready, 1000 orders", "<= 3 s"),
    Row("sim", "SIM-1", SIM, "orders_per_s", "sim venue orders", None, "orders/s"),
    Row("sim", "SIM-1", SIM, "order_latency_p99_ms", "sim order latency p99", None, "ms"),
    Row("sim", "SIM-1", SIM, "ws_frames_per_s", "sim WS frames", None, "frames/s"),
]


@dataclass
class Outcome:
    """What running one Command produced."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    problem: str | None = None  # set when not measured
    wall_s: float = 0.0


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError as exc:
        cpu = f"{cpu} (/proc/cpuinfo unreadable: {exc.strerror})"
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "native": native_modules(),
    }


def native_modules() -> str:
    """Whether the measured commands run the compiled hot modules (trader/native.py)."""
    probe = subprocess.run(
        [sys.executable, "-c", "import trader.native as n; print(n.REASON)"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return probe.stdout.strip() or f"unknown ({probe.stderr.strip()[-200:]})"


def run_command(command: Command, quick: bool) -> Outcome:
    script = ROOT / command.script
    if not script.is_file():
        return Outcome(problem="not measured (script missing)")
    args = command.quick_args if quick else command.args
    runs = command.quick_runs if quick else command.runs
    outcome = Outcome()
    started = time.perf_counter()
    for run in range(runs):
        argv = [sys.executable, str(script), "--json", *args]
        print(
            f"[bench] {command.script} {' '.join(args)} (run {run + 1}/{runs})",
            file=sys.stderr,
            flush=True,
        )
        try:
            done = subprocess.run(
                argv,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=command.timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            outcome.problem = f"not measured (timed out after {command.timeout_s:.0f} s)"
            break
        answer = _answer(done.stdout)
        if done.returncode != 0 or answer is None:
            print(done.stderr[-2000:], file=sys.stderr)
            outcome.problem = f"not measured (exit {done.returncode}, no JSON answer)"
            break
        if "skipped" in answer:
            outcome.problem = f"skipped: {answer['skipped']}"
            break
        for key, figure in answer.get("figures", {}).items():
            outcome.samples.setdefault(key, []).extend(float(x) for x in figure["samples"])
    outcome.wall_s = time.perf_counter() - started
    return outcome


def _answer(stdout: str) -> dict[str, Any] | None:
    lines = stdout.strip().splitlines()
    if not lines:
        return None
    try:
        answer = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None
    return answer if isinstance(answer, dict) else None


def percentile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (`ordered` sorted)."""
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def fmt(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def judge(row: Row, outcome: Outcome) -> list[str]:
    """One table row: benchmark, SPEC, figure, median, spread, target, verdict."""
    unit = row.target.split()[-1] if row.target else row.unit
    head = [row.name, row.spec, row.label]
    samples = sorted(outcome.samples.get(row.figure, []))
    target = row.target or "—"
    if outcome.problem is not None:
        return [*head, "—", "—", target, outcome.problem]
    if not samples:
        return [*head, "—", "—", target, f"not measured (no figure {row.figure!r})"]
    median = statistics.median(samples)
    n = len(samples)
    if n >= 10:
        spread = f"{fmt(percentile(samples, 0.1))}–{fmt(percentile(samples, 0.9))} (p10–p90, n={n})"
    elif n > 1:
        spread = f"{fmt(samples[0])}–{fmt(samples[-1])} (min–max, n={n})"
    else:
        spread = "n=1"
    if row.target is None:
        return [*head, f"{fmt(median)} {unit}".strip(), spread, target, "info"]
    op, number = row.target.split()[:2]
    limit = float(number)
    ok = median <= limit if op == "<=" else median >= limit
    return [*head, f"{fmt(median)} {unit}".strip(), spread, target, "meets" if ok else "misses"]


HEADER = ["benchmark", "SPEC", "figure", "median", "spread", "target", "verdict"]


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [HEADER, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(lines)


def markdown(
    rows: list[list[str]],
    info: dict[str, Any],
    command: str,
    wall_s: float,
    earlier: list[str] | None = None,
) -> str:
    out = [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `{command}` "
        f"({wall_s:.0f} s) on {info['platform']}, {info['cpu']}, {info['cpu_count']} CPUs, "
        f"{info['python']}; load average at start {info['loadavg_at_start'][0]}; "
        f"trader modules: {info['native']}.",
        *(earlier or []),
        "Median over all samples (runs x in-script repeats); the verdict judges the median.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


def previous_table() -> tuple[list[str], dict[tuple[str, str, str], list[str]]]:
    """The README block's provenance lines and its rows keyed by (benchmark, SPEC, figure)."""
    text = README.read_text(encoding="utf-8")
    start, end = text.find(START_MARK), text.find(END_MARK)
    if start < 0 or end < start:
        return [], {}
    lines = text[start + len(START_MARK) : end].strip().splitlines()
    notes = [line for line in lines if line.startswith(("Measured ", "Rows not "))]
    rows: dict[tuple[str, str, str], list[str]] = {}
    for line in lines:
        if line.startswith("| ") and not line.startswith(f"| {HEADER[0]} |"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if len(cells) == len(HEADER):
                rows[(cells[0], cells[1], cells[2])] = cells
    return notes, rows


def merged(rows: list[list[str]], selected: list[Row]) -> tuple[list[list[str]], list[str]]:
    """A partial run's rows in the full table: rows of benchmarks not run this time keep
    their earlier figures (with the earlier provenance line kept below the new one)."""
    notes, before = previous_table()
    fresh = {(r[0], r[1], r[2]): r for r in rows}
    chosen = {row.name for row in selected}
    out = []
    for row in BENCHMARKS:
        key = (row.name, row.spec, row.label)
        if row.name in chosen:
            out.append(fresh[key])
        elif key in before:
            out.append(before[key])
    kept = [n for n in notes if _still_shown(n, chosen)]
    earlier = [n if n.startswith("Rows not ") else f"Rows not in this run: {n}" for n in kept]
    return out, earlier


def _still_shown(note: str, chosen: set[str]) -> bool:
    """Whether an earlier run's provenance line still backs rows of the table: it ran a
    benchmark that this run did not (a run without --only ran them all)."""
    only = re.search(r"--only ([\w,-]+)", note)
    ran = {row.name for row in BENCHMARKS} if only is None else set(only.group(1).split(","))
    return bool(ran - chosen)


def update_readme(block: str) -> None:
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START_MARK) + r".*?" + re.escape(END_MARK), re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise SystemExit(f"README.md must hold exactly one {START_MARK} ... {END_MARK} block")
    replacement = f"{START_MARK}\n{block}\n{END_MARK}"
    README.write_text(pattern.sub(lambda _m: replacement, text), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a smoke run")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument(
        "--skip", default="", help="comma-separated benchmark names to list as not run"
    )
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="write the table between the bench markers in README.md",
    )
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args()
    names = {n.strip() for n in args.only.split(",") if n.strip()}
    skipped = {n.strip() for n in args.skip.split(",") if n.strip()}
    known = {row.name for row in BENCHMARKS}
    if (names | skipped) - known:
        unknown = sorted((names | skipped) - known)
        parser.error(f"unknown benchmark(s) {unknown}; known: {sorted(known)}")
    selected = [row for row in BENCHMARKS if not names or row.name in names]
    info = machine()
    started = time.perf_counter()
    outcomes: dict[Command, Outcome] = {}
    for row in selected:
        if row.name in skipped:
            outcomes.setdefault(row.command, Outcome(problem="not run (--skip)"))
        elif row.command not in outcomes:
            outcomes[row.command] = run_command(row.command, args.quick)
    wall_s = time.perf_counter() - started
    rows = [judge(row, outcomes[row.command]) for row in selected]
    if args.quick:  # a smoke run's verdicts are not the SPEC's (shorter soak, fewer cycles)
        rows = [
            [*r[:-1], f"{r[-1]} (quick)" if r[-1] in ("meets", "misses") else r[-1]] for r in rows
        ]
    print(
        f"machine: {info['platform']} | {info['cpu']} | cpu_count {info['cpu_count']} | "
        f"{info['python']} | load average at start {info['loadavg_at_start']}"
    )
    print(text_table(rows))
    names_of = {row.command: row.name for row in reversed(selected)}
    runtimes = ", ".join(f"{names_of[c]} {o.wall_s:.0f} s" for c, o in outcomes.items() if o.wall_s)
    print(f"{'quick' if args.quick else 'full'} run: {wall_s:.0f} s ({runtimes})")
    if args.json:
        print(json.dumps({"machine": info, "header": HEADER, "rows": rows, "wall_s": wall_s}))
    if args.update_readme:
        command = " ".join(["scripts/bench", *sys.argv[1:]])
        earlier: list[str] = []
        if names:  # a partial run: the other benchmarks keep their rows
            rows, earlier = merged(rows, selected)
        update_readme(markdown(rows, info, command, wall_s, earlier))
        print(f"updated {README.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
