"""What the configuration points at must be usable (CFG-1): `check-config` finds everything
`run` would fail on, before anything is created.

- `paths.data_dir` and `paths.log_dir`: a writable directory, or one that can be created
  under a writable one; never under /proc, /sys or /dev; no symlink loop;
- the state, paper-state, PID and log files: distinct from each other and from the
  configuration files, and not directories;
- `exchange.ca_file`: a readable file; `sim.replay_dir` (replayed markets): the recorded
  data the market kind reads;
- every path setting: a `~` or `~user` with a home; a path the OS will not check (a name
  too long, no permission) is a problem named, never a traceback.
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
    except ValueError as exc:  # a NUL in the path
        return f"cannot be resolved: {exc}"


def directory_problem(path: Path, *, writes: bool = True) -> str | None:
    """Why the daemon could not use (or create) the directory `path`, or None. `writes=False`
    (a command that writes nothing there, or has its own way when it cannot): a directory
    that exists need not be writable."""
    resolved = _resolved(path)
    if isinstance(resolved, str):
        return resolved
    for tree in SYSTEM_TREES:
        if resolved == tree or tree in resolved.parents:
            return f"is under {tree}: not a place for the daemon's files"
    existing = resolved
    try:  # `exists` raises for what it cannot stat (a name too long, no permission)
        while not existing.exists():
            existing = existing.parent
    except OSError as exc:
        return f"cannot be checked: {exc.strerror or exc}"
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if writes and not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return None


def file_in_the_way(path: Path) -> Path | None:
    """The nearest folder on the way to `path` that is a file (or anything but a directory),
    so that `path` can never be created; None when there is none, or it cannot be told."""
    for folder in reversed(path.parents):
        try:
            if folder.exists() and not folder.is_dir():
                return folder
        except OSError:  # no permission to look further: nothing to say
            return None
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
        try:
            is_dir = resolved.is_dir()
        except OSError as exc:  # a name too long, no permission
            problems.append((key, f"cannot be checked: {exc.strerror or exc}"))
            continue
        if is_dir and key in MUST_BE_FILES:
            problems.append((key, f"{resolved} is a directory"))
        if resolved in seen:
            problems.append((key, f"names the same file as {seen[resolved]} ({resolved})"))
        seen.setdefault(resolved, key)
    return problems


def _home_problems(loaded: LoadedConfig) -> list[tuple[str, str]]:
    """(key, reason) for each path setting whose `~` or `~user` has no home: every later
    use of it (`LoadedConfig.resolve`) would raise."""
    app = loaded.app
    named: dict[str, str | None] = {f"paths.{k}": v for k, v in app.paths.model_dump().items()}
    named |= {
        "logging.file": app.logging.file,
        "exchange.ca_file": app.exchange.ca_file,
        "sim.replay_dir": app.sim.replay_dir,
    }
    problems: list[tuple[str, str]] = []
    for key, value in named.items():
        try:
            Path(value or "").expanduser()
        except RuntimeError as exc:
            problems.append((key, f"cannot be expanded: {exc}"))
    return problems


def environment_problems(loaded: LoadedConfig, *, writes: bool = True) -> list[tuple[str, str]]:
    """(key, reason) for every place the configuration names that the daemon cannot use
    (`writes`: as `directory_problem`)."""
    problems = _home_problems(loaded)
    if problems:
        return problems
    for key, path in (("paths.data_dir", loaded.data_dir), ("paths.log_dir", loaded.log_dir)):
        problem = directory_problem(path, writes=writes)
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
        try:
            readable = ca.is_file() and os.access(ca, os.R_OK)
        except OSError:  # a name too long, no permission
            readable = False
        if not readable:
            problems.append(("exchange.ca_file", f"{ca} is not a readable file"))
    if app.exchange.venue == "sim" and app.sim.market != "synthetic" and app.sim.replay_dir:
        from trader.sim.market.recorded_sources import replay_problem

        replay_dir = loaded.resolve(app.sim.replay_dir)
        try:
            problem = replay_problem(app.sim.market, replay_dir)
        except OSError as exc:
            problem = f"{replay_dir} cannot be checked: {exc.strerror or exc}"
        if problem is not None:
            problems.append(("sim.replay_dir", problem))
    return problems
