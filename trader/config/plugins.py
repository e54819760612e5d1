"""Strategy classes named in `strategies.yaml` (STR-1), found and checked when the
configuration is loaded — so `check-config` catches every problem before anything runs.

`registry.<id>.class` names the class:
- `package.module:Class` — an importable module (the shipped strategies:
  `trader.strategies.rules:RulesStrategy`);
- `dir/file.py:Class` — a file relative to the config directory (a user's own folder; the
  shipped examples in `config/strategies/` are found the same way).
A shipped id (`rules`) may leave `class` out. Each problem is one line naming the file and
key: a missing file, an import error (the line of the user's file that raised it), a name
that is not a strategy class, parameters the class's model refuses
(`registry.<id>.params.<key>`). A file's sha256 joins the configuration hash, so a changed
strategy file is a changed configuration.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
import traceback
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from trader.config.issues import ConfigIssue, validate
from trader.config.strategies import StrategiesConfig
from trader.core.timeframes import check_needs
from trader.strategies.base import BaseStrategy, StrategyPlugin

SHIPPED: dict[str, str] = {"rules": "trader.strategies.rules:RulesStrategy"}
LEGACY_RULES = "rules"  # the id the top-level `rules:` section configures


class PluginError(Exception):
    """Why a class reference cannot be used (one line)."""


@dataclass
class Resolved:
    plugins: dict[str, StrategyPlugin] = field(default_factory=dict)
    issues: list[ConfigIssue] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # plugin file -> sha256


def resolve_strategies(config: StrategiesConfig, config_dir: Path, path: Path) -> Resolved:
    """Every registry entry's class and parameters; `path` is strategies.yaml (for issues)."""
    found = Resolved()
    files: dict[Path, ModuleType] = {}
    for strategy_id, entry in config.registry.items():
        key = f"registry.{strategy_id}"
        ref = entry.class_ref or SHIPPED.get(strategy_id)
        if ref is None:
            reason = f"no shipped strategy is called {strategy_id!r} (shipped: {sorted(SHIPPED)})"
            found.issues.append(ConfigIssue(path, key, f"{reason}; name its class in `class:`"))
            continue
        try:
            cls = strategy_class(ref, config_dir, files, found.digests)
        except PluginError as exc:
            found.issues.append(ConfigIssue(path, f"{key}.class", str(exc)))
            continue
        raw = _params(config, strategy_id, entry.params)
        if isinstance(raw, ConfigIssue):
            found.issues.append(ConfigIssue(path, raw.key, raw.reason))
            continue
        if isinstance(raw, BaseModel):
            params: BaseModel = raw
        else:
            problems = validate(cls.Params, raw, path, f"{key}.params")
            if problems:
                found.issues += problems
                continue
            params = cls.Params.model_validate(raw)
        found.plugins[strategy_id] = StrategyPlugin(strategy_id, cls, params, ref)
    return found


def shipped_plugins(config: StrategiesConfig) -> dict[str, StrategyPlugin]:
    """The registry's strategies when they are all shipped ones (no config directory: a
    file reference is refused). For cores built without a loaded configuration."""
    resolved = resolve_strategies(config, Path("/nonexistent"), Path("strategies.yaml"))
    if resolved.issues:
        raise ValueError("; ".join(str(issue) for issue in resolved.issues))
    return resolved.plugins


def _params(
    config: StrategiesConfig, strategy_id: str, given: dict[str, Any] | None
) -> dict[str, Any] | BaseModel | ConfigIssue:
    legacy = strategy_id == LEGACY_RULES and LEGACY_RULES in config.model_fields_set
    if legacy and given is not None:
        reason = "the rules strategy's parameters are given twice; keep registry.rules.params"
        return ConfigIssue(Path(), "rules", reason)
    if legacy:
        return config.rules  # validated with the file
    return given or {}


def strategy_class(
    ref: str, config_dir: Path, files: dict[Path, ModuleType], digests: dict[str, str]
) -> type[BaseStrategy[Any]]:
    where, colon, name = ref.rpartition(":")
    if not colon or not where or not name.isidentifier():
        raise PluginError(f"{ref!r}: expected package.module:Class or dir/file.py:Class")
    if where.endswith(".py") or "/" in where or "\\" in where:
        module = _file_module(config_dir / where, files, digests)
    else:
        module = _import(where)
    found = getattr(module, name, None)
    if found is None:
        raise PluginError(f"{where} defines no {name!r}")
    if not (inspect.isclass(found) and issubclass(found, BaseStrategy)):
        raise PluginError(f"{ref}: {name} is not a strategy (subclass trader.strategies.Strategy)")
    if inspect.isabstract(found):
        missing = ", ".join(sorted(getattr(found, "__abstractmethods__", ())))
        raise PluginError(f"{ref}: {name} does not implement {missing}")
    _check_params_model(ref, found)
    try:
        check_needs(found.timeframes)
    except (ValueError, TypeError, AttributeError) as exc:
        raise PluginError(f"{ref}: {exc}") from None
    return found


def _check_params_model(ref: str, cls: type[BaseStrategy[Any]]) -> None:
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
    file = file.resolve()
    if file in files:
        return files[file]
    try:
        source = file.read_bytes()
    except FileNotFoundError:
        raise PluginError(f"{file}: no such file") from None
    except OSError as exc:
        raise PluginError(f"{file}: cannot be read: {exc.strerror or exc}") from None
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
