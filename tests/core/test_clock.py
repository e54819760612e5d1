"""The one source of time: nothing in `trader/` reads the system's wall clock but
`trader/core/clock.py` — every component takes a `Clock` (the daemon's `wall_clock`, the
backtest's `SimClock`). `time.monotonic` and `perf_counter` measure durations and stay."""

from __future__ import annotations

import ast
from pathlib import Path

from trader.core.clock import SimClock, wall_clock

PACKAGE = Path(__file__).resolve().parents[2] / "trader"
CLOCK_MODULE = "core/clock.py"
WALL_READERS = frozenset({"time", "time_ns"})


def _allowed(relative: str) -> bool:
    return relative == CLOCK_MODULE


def _reads_wall_clock(node: ast.AST, modules: set[str]) -> bool:
    if isinstance(node, ast.Attribute):
        value = node.value
        return node.attr in WALL_READERS and isinstance(value, ast.Name) and value.id in modules
    if isinstance(node, ast.ImportFrom):
        return node.module == "time" and any(a.name in WALL_READERS for a in node.names)
    return False


def wall_clock_reads(source: str) -> list[int]:
    """Lines that name `time.time` / `time.time_ns`: called, passed or imported by name."""
    tree = ast.parse(source)
    modules = {"time"} | {
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "time" and alias.asname
    }
    return sorted(
        node.lineno  # type: ignore[attr-defined]
        for node in ast.walk(tree)
        if _reads_wall_clock(node, modules)
    )


def test_nothing_but_the_clock_module_reads_the_wall_clock():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if _allowed(relative):
            continue
        lines = wall_clock_reads(path.read_text(encoding="utf-8"))
        offenders += [f"trader/{relative}:{line}" for line in lines]
    assert offenders == [], "read the time from a Clock (trader.core.clock): " + ", ".join(
        offenders
    )


def test_the_clock_module_is_the_reader_the_scan_looks_for():
    assert wall_clock_reads((PACKAGE / CLOCK_MODULE).read_text(encoding="utf-8"))


def test_the_scan_finds_every_spelling_of_a_wall_clock_read():
    source = (
        "import time\nimport time as t\nfrom time import time_ns\n"
        "def f(clock=time.time):\n    return t.time() + time.monotonic()\n"
    )
    assert wall_clock_reads(source) == [3, 4, 5]
    assert wall_clock_reads("import time\nstarted = time.perf_counter()\n") == []


def test_sim_clock_is_set_by_its_driver_and_wall_clock_moves():
    clock = SimClock(1_600_000_000.0)
    assert clock() == 1_600_000_000.0
    clock.now += 60
    assert clock() == 1_600_000_060.0
    assert wall_clock() > 1_600_000_000.0
