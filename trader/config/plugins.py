"""Strategy classes named in `strategies.yaml` and the user's universe filters named in
`universe.yaml: filters` (STR-2), found and checked when the configuration is loaded — so
`check-config` catches every problem before anything runs.

`registry.<id>.class` names the class:
- `package.module:Class` — an importable module (the shipped strategies:
  `trader.strategies.rules:RulesStrategy`);
- `dir/file.py:Class` — a file relative to the config directory (a user's own folder; the
  shipped examples in `config/strategies/` are found the same way).
A shipped id (`rules`) may leave `class` out. Each problem is one line naming the file and
key: a missing file, an import error (the line of the user's file that raised it), a name
that is not a strategy class, parameters the class's model refuses
(`registry.<id>.params.<key>`), a `propose` that is not a plain method taking `ctx`, a
class that cannot be built from its id and parameters (its constructor runs once here),
a file or constructor that does not return within `strategies.yaml: load_limit_s` (a
universe filter's: `universe.yaml: load_limit_s`; `trader/config/load_limit.py`).
A file's sha256 joins the configuration hash, so a changed strategy file is a changed
configuration.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from trader.config.issues import ConfigIssue, validate
from trader.config.load_limit import LoadOverrun, within_limit
from trader.config.plugin_files import FILTER, STRATEGY, PluginError, file_digests, load_class
from trader.config.strategies import StrategiesConfig
from trader.config.universe import FilterEntry, UniverseConfig
from trader.core.timeframes import check_needs
from trader.strategies.base import BaseStrategy, StrategyError, StrategyPlugin
from trader.strategies.guard import built
from trader.universe.plugin import FilterError, FilterPlugin, UniverseFilter, filter_built

SHIPPED: dict[str, str] = {"rules": "trader.strategies.rules:RulesStrategy"}
LEGACY_RULES = "rules"  # the id the top-level `rules:` section configures


@dataclass
class Resolved:
    plugins: dict[str, StrategyPlugin] = field(default_factory=dict)
    issues: list[ConfigIssue] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # plugin file -> sha256
    filters: list[FilterPlugin] = field(default_factory=list)


def resolve_strategies(config: StrategiesConfig, config_dir: Path, path: Path) -> Resolved:
    """Every registry entry's class and parameters; `path` is strategies.yaml (for issues).
    Each entry is loaded (its file's import, its constructor) within `config.load_limit_s`."""
    found = Resolved()
    files: dict[Path, ModuleType] = {}
    for strategy_id, entry in config.registry.items():
        key = f"registry.{strategy_id}"
        ref = entry.class_ref or SHIPPED.get(strategy_id)
        if ref is None:
            reason = f"no shipped strategy is called {strategy_id!r} (shipped: {sorted(SHIPPED)})"
            found.issues.append(ConfigIssue(path, key, f"{reason}; name its class in `class:`"))
            continue
        digests: dict[str, str] = {}

        def load(sid: str = strategy_id, at: str = ref, into: dict[str, str] = digests) -> Loaded:
            return _strategy_entry(config, sid, at, config_dir, files, into, path)

        try:
            loaded = within_limit(load, config.load_limit_s, f"load {strategy_id}")
        except LoadOverrun as exc:
            found.issues.append(ConfigIssue(path, f"{key}.class", f"{ref}: {exc}"))
            continue
        found.digests.update(digests)
        if isinstance(loaded, list):
            found.issues += loaded
        else:
            found.plugins[strategy_id] = loaded
    return found


Loaded = StrategyPlugin | list[ConfigIssue]


def _strategy_entry(
    config: StrategiesConfig,
    strategy_id: str,
    ref: str,
    config_dir: Path,
    files: dict[Path, ModuleType],
    digests: dict[str, str],
    path: Path,
) -> Loaded:
    """One registry entry loaded and built once, or the problems found doing it."""
    key = f"registry.{strategy_id}"
    try:
        cls = strategy_class(ref, config_dir, files, digests)
    except PluginError as exc:
        return [ConfigIssue(path, f"{key}.class", str(exc))]
    raw = _params(config, strategy_id, config.registry[strategy_id].params)
    if isinstance(raw, ConfigIssue):
        return [ConfigIssue(path, raw.key, raw.reason)]
    if isinstance(raw, BaseModel):
        params: BaseModel = raw
    else:
        problems = validate(cls.Params, raw, path, f"{key}.params")
        if problems:
            return problems
        params = cls.Params.model_validate(raw)
    plugin = StrategyPlugin(strategy_id, cls, params, ref)
    problem = unusable(plugin)
    if problem is not None:
        return [ConfigIssue(path, f"{key}.class", f"{ref}: {problem}")]
    return plugin


def plugin_digests(raw: dict[str, Any], config_dir: Path) -> dict[str, str]:
    """The configuration hash's share of the strategy and filter files a valid policy file
    (`raw`: strategies.yaml or universe.yaml) names, read without running any of them."""
    registry = raw.get("registry")
    entries = list(registry.values()) if isinstance(registry, dict) else []
    filters = raw.get("filters")
    entries += filters if isinstance(filters, list) else []
    return file_digests((e.get("class") for e in entries if isinstance(e, dict)), config_dir)


def unusable(plugin: StrategyPlugin) -> str | None:
    """Why the strategy cannot run, found before it does: `propose` is not a plain method
    taking `ctx`, or the class cannot be built from its id and parameters."""
    propose = getattr(plugin.cls, "propose", None)
    if inspect.iscoroutinefunction(propose) or inspect.isgeneratorfunction(propose):
        return "propose must be a plain method returning a list (not async, no yield)"
    try:
        inspect.signature(propose).bind(None, None)  # type: ignore[arg-type]
    except TypeError:
        return f"propose must take (self, ctx), not {_signature(propose)}"
    except ValueError:  # a builtin without a signature: called as it is
        pass
    try:
        built(plugin.plugin_id, plugin.build, plugin.source)
    except StrategyError as exc:
        return f"building it failed: {exc.problem}"
    return None


def _signature(propose: object) -> str:
    try:
        return f"propose{inspect.signature(propose)}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"{type(propose).__name__} {propose!r}"[:60]


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
    found = load_class(ref, config_dir, files, digests, BaseStrategy, STRATEGY)
    try:
        check_needs(found.timeframes)
    except (ValueError, TypeError, AttributeError) as exc:
        raise PluginError(f"{ref}: {exc}") from None
    return found


def resolve_filters(config: UniverseConfig, config_dir: Path, path: Path) -> Resolved:
    """Every `filters` entry's class and parameters, built once (the enabled ones in
    `filters`, in order); `path` is universe.yaml (for issues). Each entry is loaded (its
    file's import, its parameters, its constructor) within `config.load_limit_s`."""
    found = Resolved()
    files: dict[Path, ModuleType] = {}
    for index, entry in enumerate(config.filters):
        digests: dict[str, str] = {}

        def load(at: FilterEntry = entry, i: int = index, into: dict[str, str] = digests) -> Found:
            return _filter_entry(at, f"filters[{i}]", config_dir, files, into, path)

        try:
            loaded = within_limit(load, config.load_limit_s, f"load filter {entry.id}")
        except LoadOverrun as exc:
            reason = f"{entry.class_ref}: {exc}"
            found.issues.append(ConfigIssue(path, f"filters[{index}].class", reason))
            continue
        found.digests.update(digests)
        if isinstance(loaded, list):
            found.issues += loaded
        elif entry.enabled:
            found.filters.append(loaded)
    return found


Found = FilterPlugin | list[ConfigIssue]


def _filter_entry(
    entry: FilterEntry,
    key: str,
    config_dir: Path,
    files: dict[Path, ModuleType],
    digests: dict[str, str],
    path: Path,
) -> Found:
    """One `filters` entry loaded and built once, or the problems found doing it."""
    try:
        cls = load_class(entry.class_ref, config_dir, files, digests, UniverseFilter, FILTER)
    except PluginError as exc:
        return [ConfigIssue(path, f"{key}.class", str(exc))]
    raw = entry.params or {}
    problems = validate(cls.Params, raw, path, f"{key}.params")
    if problems:
        return problems
    plugin = FilterPlugin(entry.id, cls, cls.Params.model_validate(raw), entry.class_ref)
    try:
        filter_built(plugin)
    except FilterError as exc:
        reason = f"{entry.class_ref}: building it failed: {exc.problem}"
        return [ConfigIssue(path, f"{key}.class", reason)]
    return plugin
