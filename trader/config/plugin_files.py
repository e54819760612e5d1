"""Loading a plugin class — a strategy or a universe filter — named by
`package.module:Class` or by a file relative to the config directory (`dir/file.py:Class`),
with every problem one line (STR-2): a missing file or what is not one (a FIFO is never
waited on, a symlink loop is named), an import failure (the line of the
user's file that raised it), a name that is not a class of the expected kind, a class that
does not implement its abstract methods, a parameter model that takes unknown keys.
A file runs once per configuration load, under its own module name; its sha256 is kept
for the configuration hash.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import traceback
import zlib
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from trader.config.files import NotRegular, read_regular

STRATEGY = "a strategy (subclass trader.strategies.Strategy)"
FILTER = "a universe filter (subclass trader.universe.UniverseFilter)"


class PluginError(Exception):
    """Why a class reference cannot be used (one line)."""


def load_class(
    ref: str,
    config_dir: Path,
    files: dict[Path, ModuleType],
    digests: dict[str, str],
    base: type,
    kind: str,
) -> type[Any]:
    """The concrete subclass of `base` that `ref` names, its `Params` model checked."""
    where, colon, name = ref.rpartition(":")
    if not colon or not where or not name.isidentifier():
        raise PluginError(f"{ref!r}: expected package.module:Class or dir/file.py:Class")
    module = _file_module(config_dir / where, files, digests) if _is_file(where) else _import(where)
    found = getattr(module, name, None)
    if found is None:
        raise PluginError(f"{where} defines no {name!r}")
    if not (inspect.isclass(found) and issubclass(found, base)):
        raise PluginError(f"{ref}: {name} is not {kind}")
    if inspect.isabstract(found):
        missing = ", ".join(sorted(getattr(found, "__abstractmethods__", ())))
        raise PluginError(f"{ref}: {name} does not implement {missing}")
    check_params_model(ref, found)
    return found


def _is_file(where: str) -> bool:
    return where.endswith(".py") or "/" in where or "\\" in where


def file_digests(refs: Iterable[object], config_dir: Path) -> dict[str, str]:
    """The sha256 of each file that a class reference names, keyed as `load_class` keys
    them, read without running it (a file that cannot be read is left out)."""
    digests: dict[str, str] = {}
    for ref in refs:
        if not isinstance(ref, str):
            continue
        where, colon, _name = ref.rpartition(":")
        if not colon or not _is_file(where):
            continue
        try:
            file, source = read_source(config_dir / where)
        except PluginError:
            continue
        digests[str(file)] = hashlib.sha256(source).hexdigest()
    return digests


def read_source(given: Path) -> tuple[Path, bytes]:
    """The resolved path of a plugin file and its bytes; PluginError naming the path given
    when what is there cannot be read as one: a symlink loop, a FIFO (never waited on:
    `read_regular`), a directory or a device, a name too long, a link to nowhere."""
    try:
        file = given.resolve()
        return file, read_regular(file)
    except RuntimeError:  # pathlib's word for a symlink loop
        raise PluginError(f"{given}: is a symlink loop") from None
    except (NotRegular, IsADirectoryError):
        raise PluginError(f"{given}: is not a regular file (a Python file is expected)") from None
    except FileNotFoundError:
        link = f" (a link to {os.readlink(given)})" if given.is_symlink() else ""
        raise PluginError(f"{given}: no such file{link}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        why = getattr(exc, "strerror", None) or exc
        raise PluginError(f"{given}: cannot be read: {why}") from None


def check_params_model(ref: str, cls: type[Any]) -> None:
    model = getattr(cls, "Params", None)
    if not (inspect.isclass(model) and issubclass(model, BaseModel)):
        raise PluginError(f"{ref}: Params must be a pydantic model (subclass StrategyParams)")
    if model.model_config.get("extra") != "forbid":
        raise PluginError(
            f"{ref}: {model.__name__} must refuse unknown keys (subclass StrategyParams, "
            "or set model_config = ConfigDict(extra='forbid'))"
        )


def _import(module_name: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise PluginError(f"cannot import {module_name}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the user's module failed: its line, briefly
        raise PluginError(f"{module_name}: {_brief(exc, None)}") from None


def _file_module(file: Path, files: dict[Path, ModuleType], digests: dict[str, str]) -> ModuleType:
    """The module of a strategy file, executed once per load under its own name."""
    file, source = read_source(file)
    if file in files:
        return files[file]
    name = f"trader_strategy_files.{_module_name(file)}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise PluginError(f"{file}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure of the user's file
        del sys.modules[name]
        raise PluginError(f"{file.name}: {_brief(exc, file)}") from None
    files[file] = module
    digests[str(file)] = hashlib.sha256(source).hexdigest()
    return module


def _module_name(file: Path) -> str:
    """A stable, unique module name per file (crc32 of its path, never `hash()`)."""
    stem = "".join(c if c.isalnum() else "_" for c in file.stem)
    return f"{stem}_{zlib.crc32(str(file).encode()):08x}"


def _brief(exc: BaseException, file: Path | None) -> str:
    """The exception in one line, at the line of `file` that raised it when there is one."""
    text = " ".join(str(exc).split()) or "(no message)"
    if isinstance(exc, SyntaxError):
        return f"line {exc.lineno}: SyntaxError: {exc.msg}"
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if file is not None and Path(f.filename) == file]
    at = f"line {own[-1].lineno}: " if own else ""
    return f"{at}{type(exc).__name__}: {text}"
