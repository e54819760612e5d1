"""Load and validate the whole configuration at once (CFG-1, CFG-2).

Every problem in every file is collected (file, key path, reason) before anything is
reported, and nothing is created on disk here: a rejected configuration leaves no trace.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel

from trader.config.app import AppConfig
from trader.config.environment import environment_problems
from trader.config.files import FileProblem, parse_yaml, read_text
from trader.config.issues import ConfigError, ConfigIssue, validate
from trader.config.plugins import Resolved, plugin_digests, resolve_filters, resolve_strategies
from trader.config.policy import PolicyConfig
from trader.config.signals import SignalsConfig
from trader.config.strategies import StrategiesConfig
from trader.config.universe import UniverseConfig
from trader.core.types import Mode
from trader.strategies.base import StrategyPlugin
from trader.universe.plugin import FilterPlugin

POLICY_FILES: dict[str, type[BaseModel]] = {
    "policy.yaml": PolicyConfig,
    "universe.yaml": UniverseConfig,
    "signals.yaml": SignalsConfig,
    "strategies.yaml": StrategiesConfig,
}

SECRET_KEY = re.compile(
    r"(secret|private[_-]?key|privatekey|api[_-]?key|apikey|passphrase|password|token|credential)",
    re.IGNORECASE,
)
SECRET_VALUE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


@dataclass(frozen=True)
class LoadedConfig:
    """A validated configuration with its resolved runtime paths and its hash."""

    app: AppConfig
    policy: PolicyConfig
    universe: UniverseConfig
    signals: SignalsConfig
    strategies: StrategiesConfig
    config_file: Path
    config_hash: str
    root: Path = field(repr=False)
    plugins: Mapping[str, StrategyPlugin] = field(default_factory=dict, repr=False)
    filters: tuple[FilterPlugin, ...] = field(default=(), repr=False)  # enabled, in order

    def resolve(self, name: str, base: Path | None = None) -> Path:
        path = Path(name).expanduser()
        return path if path.is_absolute() else (base or self.root) / path

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.app.paths.data_dir)

    @property
    def log_dir(self) -> Path:
        return self.resolve(self.app.paths.log_dir)

    @property
    def db_path(self) -> Path:
        return self.resolve(self.app.paths.db_file, self.data_dir)

    @property
    def paper_db_path(self) -> Path:
        return self.resolve(self.app.paths.paper_db_file, self.data_dir)

    @property
    def state_db_path(self) -> Path:
        """The database this mode uses: PAPER state is kept apart from LIVE state (X-6)."""
        return self.paper_db_path if self.app.mode is Mode.PAPER else self.db_path

    @property
    def pid_path(self) -> Path:
        return self.resolve(self.app.paths.pid_file, self.data_dir)

    @property
    def kill_switch_path(self) -> Path:
        return self.resolve(self.app.paths.kill_switch_file, self.data_dir)

    @property
    def log_file(self) -> Path:
        return self.resolve(self.app.logging.file, self.log_dir)


def read_yaml(path: Path, issues: list[ConfigIssue]) -> dict[str, Any] | None:
    """Parse one YAML file into a mapping, or record why it cannot be read."""
    text = read_text(path)
    if isinstance(text, FileProblem):
        issues.append(ConfigIssue(path, text.where, text.reason))
        return None
    data = parse_yaml(text)
    if isinstance(data, FileProblem):
        issues.append(ConfigIssue(path, data.where, data.reason))
        return None
    if data is None:
        return {}
    if not isinstance(data, dict):
        issues.append(ConfigIssue(path, "(top level)", "must be a mapping of keys to values"))
        return None
    return data


def find_secrets(data: Any, path: Path, prefix: str = "") -> list[ConfigIssue]:
    """CFG-2: secrets come from the environment or a key file, never from YAML."""
    found: list[ConfigIssue] = []
    if isinstance(data, dict):
        for key, value in data.items():
            key_path = f"{prefix}.{key}" if prefix else str(key)
            if SECRET_KEY.search(str(key)):
                found.append(ConfigIssue(path, key_path, _SECRET_REASON))
            else:
                found.extend(find_secrets(value, path, key_path))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found.extend(find_secrets(item, path, f"{prefix}[{index}]"))
    elif isinstance(data, str) and SECRET_VALUE.search(data):
        found.append(ConfigIssue(path, prefix or "(value)", _SECRET_REASON))
    return found


_SECRET_REASON = (
    "secrets are not allowed in YAML; set CB_API_KEY_NAME with CB_API_PRIVATE_KEY_FILE, "
    "or CB_API_KEY_FILE, in the environment (CFG-2)"
)


def config_hash(models: dict[str, BaseModel], sources: Mapping[str, str] | None = None) -> str:
    """sha256 of the effective configuration, canonical JSON with sorted keys; `sources`
    (strategy file → its sha256) joins it when strategies come from files."""
    payload: dict[str, Any] = {
        name: model.model_dump(mode="json") for name, model in models.items()
    }
    if sources:
        payload["strategy_files"] = dict(sources)
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _check(model: type[BaseModel], data: dict[str, Any], path: Path) -> list[ConfigIssue]:
    """Secrets first; a key refused as a secret is not reported again as unknown."""
    secrets = find_secrets(data, path)
    secret_keys = {issue.key for issue in secrets}
    return secrets + [
        issue for issue in validate(model, data, path) if issue.key not in secret_keys
    ]


OVERRIDABLE = ("app", "policy", "universe", "signals", "strategies")


def override(raw: dict[str, Any], path: Sequence[str], value: Any) -> dict[str, Any]:
    """A copy of `raw` with the value at `path` (keys, outermost first) replaced; the
    mappings on the way are copied (or made), the rest shared."""
    out = dict(raw)
    inner = out.get(path[0])
    out[path[0]] = (
        value
        if len(path) == 1
        else override(inner if isinstance(inner, dict) else {}, path[1:], value)
    )
    return out


def _overridden(name: str, raw: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`raw` with every override `name.key.path: value` applied (others left alone)."""
    for dotted, value in sorted(overrides.items()):
        head, _, rest = dotted.partition(".")
        if head == name and rest:
            raw = override(raw, rest.split("."), value)
    return raw


def load_config(
    config_file: Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    run_plugins: bool = True,
    writes: bool = True,
) -> LoadedConfig:
    """Read `app.yaml` and the policy files beside it; raise ConfigError listing every issue.
    `overrides` (`"strategies.rules.min_conviction": 0.3`, the first key one of OVERRIDABLE)
    replace values as if the files said so, checked the same way (a parameter search's
    candidates). `run_plugins=False` (the operator's commands: kill, resume, status,
    reset-high-water-mark, reconcile, adopt) runs none of the user's strategy or filter
    code: their files are only read for the configuration hash, so a broken or blocking
    strategy file cannot stop an operator from halting the daemon; `plugins` and
    `filters` stay empty. `writes=False` (`kill`, which signals the daemon when it cannot
    write its file, and `status`, which reads): a read-only data or log directory is no
    problem of theirs."""
    overrides = overrides or {}
    try:
        config_file = config_file.expanduser().resolve()
    except RuntimeError:  # pathlib's "Symlink loop from ..."
        raise ConfigError([ConfigIssue(config_file, "(file)", "is a symlink loop")]) from None
    except OSError as exc:
        reason = f"cannot be resolved: {exc.strerror or exc}"
        raise ConfigError([ConfigIssue(config_file, "(file)", reason)]) from None
    issues: list[ConfigIssue] = []
    raw_app = read_yaml(config_file, issues)
    if raw_app is None:
        raise ConfigError(issues)
    raw_app = _overridden("app", raw_app, overrides)
    issues += _check(AppConfig, raw_app, config_file)
    paths = raw_app.get("paths")
    config_dir_name = paths.get("config_dir", "config") if isinstance(paths, dict) else "config"
    try:
        config_dir = Path(str(config_dir_name)).expanduser()
    except RuntimeError as exc:  # `~user` of an unknown user, or no home at all
        issues.append(ConfigIssue(config_file, "paths.config_dir", f"cannot be expanded: {exc}"))
        raise ConfigError(issues) from None
    if not config_dir.is_absolute():
        config_dir = config_file.parent / config_dir
    raws: dict[str, dict[str, Any]] = {}
    resolved = Resolved()
    for file_name, model in POLICY_FILES.items():
        policy_path = config_dir / file_name
        raw = read_yaml(policy_path, issues)
        if raw is None:
            continue
        raw = _overridden(file_name.removesuffix(".yaml"), raw, overrides)
        problems = _check(model, raw, policy_path)
        if problems:
            issues += problems
        elif run_plugins:
            issues += _plugins(file_name, raw, config_dir, policy_path, resolved)
        else:
            resolved.digests.update(plugin_digests(raw, config_dir))
        raws[file_name] = raw
    if issues:
        raise ConfigError(issues)
    loaded = _build(config_file, raw_app, raws, resolved)
    places = environment_problems(loaded, writes=writes)
    usable = [ConfigIssue(config_file, key, reason) for key, reason in places]
    if usable:
        raise ConfigError(usable)
    return loaded


def _plugins(
    file_name: str, raw: dict[str, Any], config_dir: Path, path: Path, resolved: Resolved
) -> list[ConfigIssue]:
    """The classes a valid policy file names (strategies, universe filters), into
    `resolved`; the problems found loading them."""
    if file_name == "strategies.yaml":
        found = resolve_strategies(StrategiesConfig.model_validate(raw), config_dir, path)
        resolved.plugins = found.plugins
    elif file_name == "universe.yaml":
        found = resolve_filters(UniverseConfig.model_validate(raw), config_dir, path)
        resolved.filters = found.filters
    else:
        return []
    resolved.digests.update(found.digests)
    return found.issues


def _build(
    config_file: Path,
    raw_app: dict[str, Any],
    raws: dict[str, dict[str, Any]],
    resolved: Resolved,
) -> LoadedConfig:
    app = AppConfig.model_validate(raw_app)
    policy = PolicyConfig.model_validate(raws["policy.yaml"])
    universe = UniverseConfig.model_validate(raws["universe.yaml"])
    signals = SignalsConfig.model_validate(raws["signals.yaml"])
    strategies = StrategiesConfig.model_validate(raws["strategies.yaml"])
    models: dict[str, BaseModel] = {
        "app": app,
        "policy": policy,
        "universe": universe,
        "signals": signals,
        "strategies": strategies,
    }
    return LoadedConfig(
        app=app,
        policy=policy,
        universe=universe,
        signals=signals,
        strategies=strategies,
        config_file=config_file,
        config_hash=config_hash(models, resolved.digests),
        root=config_file.parent,
        plugins=resolved.plugins,
        filters=tuple(resolved.filters),
    )
