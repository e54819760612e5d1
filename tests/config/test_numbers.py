"""CFG-1: every number in every configuration file is finite — NaN and ±infinity are refused
with the key named, whichever field they are put in. (A NaN bound compares false with
everything: `max_data_age_s: .nan` would have disabled the stale-data guard.) The fields
are found by walking the models, so a field added later is covered too."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from tests.support.daemon import DaemonDir
from trader.config.app import AppConfig
from trader.config.base import is_number_type
from trader.config.issues import ConfigError
from trader.config.loader import POLICY_FILES, load_config

NON_FINITE = (".nan", ".inf", "-.inf")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def numeric_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Key paths of every plain numeric field (nested models walked, mappings skipped)."""
    found: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        key = (*prefix, field.alias or name)
        nested = _model_of(field.annotation)
        if nested is not None and typing.get_origin(field.annotation) not in (dict, list):
            found += numeric_paths(nested, key)
        elif is_number_type(field.annotation):
            found.append(key)
    return found


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


FILES: list[tuple[str, type[BaseModel]]] = [("app.yaml", AppConfig), *POLICY_FILES.items()]
CASES = [
    (file, path, value)
    for file, model in FILES
    for path in numeric_paths(model)
    for value in NON_FINITE
]


def test_cfg1_the_walk_finds_the_numbers_it_must():
    app_paths = {".".join(p) for p in numeric_paths(AppConfig)}
    assert {"metrics.port", "cycle.interval_s", "execution.balance_max_age_s"} <= app_paths
    policy_paths = {".".join(p) for p in numeric_paths(POLICY_FILES["policy.yaml"])}
    assert {"max_data_age_s", "daily_loss_limit_pct", "min_notional"} <= policy_paths
    assert len(CASES) > 150


@pytest.mark.parametrize(("file", "path", "value"), CASES, ids=lambda v: str(v))
def test_cfg1_non_finite_numbers_are_refused_naming_the_key(tmp_path, file, path, value):
    home = DaemonDir(tmp_path / "work")
    target = home.config if file == "app.yaml" else home.root / "config" / file
    data = yaml.safe_load(target.read_text()) or {}
    _set(data, path, value)
    target.write_text(yaml.safe_dump(data, sort_keys=False).replace(f"'{value}'", value))
    with pytest.raises(ConfigError) as refused:
        load_config(home.config)
    keys = {(Path(issue.file).name, issue.key) for issue in refused.value.issues}
    assert (file, ".".join(path)) in keys, refused.value.issues
    assert not (home.root / "data").exists()
