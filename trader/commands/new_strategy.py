"""`trader new-strategy NAME` (STR-2): write a commented, working starting file
`<config dir>/strategies/NAME.py` and its registry entry in `strategies.yaml`, disabled.

The entry is inserted as text at the top of `registry:` (the file's comments stay); the
configuration is then loaded again, and when it does not load, both files are put back as
they were and the problem is named: exit 2, nothing changed."""

from __future__ import annotations

import argparse
import contextlib
import keyword
import os
import re
from pathlib import Path

import yaml

from trader.commands.common import load_or_report, refuse
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_OK
from trader.config.issues import ConfigError
from trader.config.loader import load_config
from trader.core.timeframes import TIMEFRAMES
from trader.strategies.template import REGISTRY_ENTRY, TEMPLATE

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
REGISTRY_LINE = re.compile(r"^registry:[ \t]*(#.*)?$", re.M)


def new_strategy_command(args: argparse.Namespace) -> int:
    name, timeframe = args.name, args.timeframe
    if not NAME.fullmatch(name):
        return _refuse(f"name {name!r}: lower-case letters, digits and _, starting with a letter")
    reserved = _reserved(name)
    if reserved is not None:
        return _refuse(f"name {name!r}: {reserved}; choose another name")
    if timeframe not in TIMEFRAMES:
        return _refuse(f"--timeframe {timeframe!r}: one of {', '.join(TIMEFRAMES)}")
    loaded = load_or_report(args.config)
    if loaded is None:
        return EXIT_CONFIG
    config_dir = loaded.resolve(loaded.app.paths.config_dir)
    registry_file = config_dir / "strategies.yaml"
    target = config_dir / "strategies" / f"{name}.py"
    if name in loaded.strategies.registry:
        return _refuse(f"{registry_file}: registry.{name} already exists")
    if os.path.lexists(target):  # a link too, even one to nowhere or to itself
        link = f" (a link to {os.readlink(target)})" if target.is_symlink() else ""
        return _refuse(f"{target} already exists{link}")
    before = registry_file.read_text(encoding="utf-8")
    with_entry = _with_entry(before, name)
    if with_entry is None:
        return _refuse(f"{registry_file}: no top-level `registry:` line to add the entry under")
    return _write(target, registry_file, before, with_entry, name, timeframe, args.config)


def _reserved(name: str) -> str | None:
    """Why a well-formed name still cannot be a registry key and a class name."""
    as_yaml = yaml.safe_load(name)
    if as_yaml != name:
        return f"YAML reads it as {as_yaml!r}, not as a name"
    if keyword.iskeyword(_class_name(name)):
        return f"its class would be {_class_name(name)}, a Python keyword"
    return None


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_") if part)


def _write(
    target: Path,
    registry_file: Path,
    before: str,
    with_entry: str,
    name: str,
    timeframe: str,
    config_file: Path,
) -> int:
    source = TEMPLATE.format(class_name=_class_name(name), name=name, timeframe=timeframe)
    problem = _write_both(target, source, registry_file, before, with_entry)
    if problem is not None:
        return _refuse(f"nothing written: {problem}")
    try:
        load_config(config_file)
    except ConfigError as exc:
        target.unlink()
        registry_file.write_text(before, encoding="utf-8")
        return _refuse(f"nothing written: the new entry would not load: {exc.issues[0]}")
    print(f"wrote {target}")
    print(f"added registry.{name} (disabled) to {registry_file}")
    print(f"next: trader check-strategy {name} --data DIR, then trader backtest")
    return EXIT_OK


def _write_both(
    target: Path, source: str, registry_file: Path, before: str, after: str
) -> str | None:
    """Write the strategy file (never through a link made meanwhile) and the registry;
    why not, with neither changed (a read-only folder or file, a full disk), or None."""
    made = not target.parent.exists()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as out:
            out.write(source)
    except OSError as exc:
        if made:
            with contextlib.suppress(OSError):
                target.parent.rmdir()
        return f"cannot write {target}: {exc.strerror or exc}"
    try:
        registry_file.write_text(after, encoding="utf-8")
    except OSError as exc:
        with contextlib.suppress(OSError):
            registry_file.write_text(before, encoding="utf-8")
        target.unlink()
        return f"cannot write {registry_file}: {exc.strerror or exc}"
    return None


def _with_entry(text: str, name: str) -> str | None:
    found = REGISTRY_LINE.search(text)
    if found is None:
        return None
    class_name = _class_name(name)
    entry = REGISTRY_ENTRY.format(name=name, class_name=class_name)
    indent = _entry_indent(text[found.end() :])
    if indent != "  ":
        entry = "".join(indent + line[2:] + "\n" for line in entry.splitlines())
    cut = found.end() + 1 if text[found.end() : found.end() + 1] == "\n" else found.end()
    head = text[:cut] if text[:cut].endswith("\n") else text[:cut] + "\n"
    return head + entry + text[cut:]


def _entry_indent(rest: str) -> str:
    """The indentation of the registry's entries (two spaces when it has none yet)."""
    for line in rest.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            indent = line[: len(line) - len(line.lstrip())]
            return indent or "  "
    return "  "


def _refuse(reason: str) -> int:
    refuse("new-strategy", reason)
    return EXIT_CONFIG
