"""What the configuration points at must be usable (CFG-1): `check-config` finds everything
`run` would fail on, before anything is created.

- `paths.data_dir` and `paths.log_dir`: a writable directory, or one that can be created
  under a writable one; never under /proc, /sys or /dev; no symlink loop;
- the state, paper-state, PID and log files: distinct from each other and from the
  configuration files, and not directories;
- `exchange.ca_file`: a readable file; `sim.replay_dir` (replayed markets): the recorded
  data the market kind reads.
Nothing here writes: the checks stat, never create.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trader.config.loader import LoadedConfig

SYSTEM_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))
# a directory at the kill-switch path engages the switch (it exists): not a config error
MUST_BE_FILES = ("paths.db_file", "paths.paper_db_file", "paths.pid_file", "logging.file")


def _resolved(path: Path) -> Path | str:
    try:
        return path.resolve()
    except RuntimeError:
        return "is a symlink loop"
    except OSError as exc:
        return f"cannot be resolved: {exc.strerror or exc}"


def directory_problem(path: Path) -> str | None:
    """Why the daemon could not use (or create) the directory `path`, or None."""
    resolved = _resolved(path)
    if isinstance(resolved, str):
        return resolved
    for tree in SYSTEM_TREES:
        if resolved == tree or tree in resolved.parents:
            return f"is under {tree}: not a place for the daemon's files"
    existing = resolved
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return None


def file_problems(named: dict[str, Path]) -> list[tuple[str, str]]:
    """(key, reason) for files that are directories or that name the same file."""
    problems: list[tuple[str, str]] = []
    seen: dict[Path, str] = {}
    for key, path in named.items():
        resolved = _resolved(path)
        if isinstance(resolved, str):
            problems.append((key, resolved))
            continue
        if resolved.is_dir() and key in MUST_BE_FILES:
            problems.append((key, f"{resolved} is a directory"))
        if resolved in seen:
            problems.append((key, f"names the same file as {seen[resolved]} ({resolved})"))
        seen.setdefault(resolved, key)
    return problems


def environment_problems(loaded: LoadedConfig) -> list[tuple[str, str]]:
    """(key, reason) for every place the configuration names that the daemon cannot use."""
    problems: list[tuple[str, str]] = []
    for key, path in (("paths.data_dir", loaded.data_dir), ("paths.log_dir", loaded.log_dir)):
        problem = directory_problem(path)
        if problem is not None:
            problems.append((key, problem))
    problems += file_problems(
        {
            "config file": loaded.config_file,
            "paths.db_file": loaded.db_path,
            "paths.paper_db_file": loaded.paper_db_path,
            "paths.pid_file": loaded.pid_path,
            "paths.kill_switch_file": loaded.kill_switch_path,
            "logging.file": loaded.log_file,
        }
    )
    return problems + _venue_problems(loaded)


def _venue_problems(loaded: LoadedConfig) -> list[tuple[str, str]]:
    app = loaded.app
    problems: list[tuple[str, str]] = []
    if app.exchange.ca_file is not None:
        ca = loaded.resolve(app.exchange.ca_file)
        if not ca.is_file() or not os.access(ca, os.R_OK):
            problems.append(("exchange.ca_file", f"{ca} is not a readable file"))
    if app.exchange.venue == "sim" and app.sim.market != "synthetic" and app.sim.replay_dir:
        from trader.sim.market.recorded_sources import replay_problem

        problem = replay_problem(app.sim.market, loaded.resolve(app.sim.replay_dir))
        if problem is not None:
            problems.append(("sim.replay_dir", problem))
    return problems
