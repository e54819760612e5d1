"""A walk over the configuration models: every number reachable from a file's root model,
with its key path and the bounds it carries (tests/config/test_bounds.py)."""

from __future__ import annotations

import importlib
import pkgutil
import types
import typing
from collections.abc import Iterator
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

import trader.config
from trader.config.base import NUMBERS, Strict

BOUND_TYPES = (annotated_types.Gt, annotated_types.Ge, annotated_types.Lt, annotated_types.Le)
# a valid key for a mapping whose default is empty (its keys are checked)
KEY_HINTS = {"exits_by_trigger": "breakout"}


def bounds_in(metadata: list[Any]) -> list[Any]:
    """The Gt/Ge/Lt/Le constraints in `metadata` (an Interval or a FieldInfo expanded)."""
    found: list[Any] = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            found += bounds_in(item.metadata)
        elif isinstance(item, annotated_types.Interval):
            found += [c for c in item if isinstance(c, BOUND_TYPES)]
        elif isinstance(item, BOUND_TYPES):
            found.append(item)
    return found


def is_number(annotation: Any) -> bool:
    return (
        isinstance(annotation, type) and issubclass(annotation, NUMBERS) and annotation is not bool
    )


def model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _slots(
    annotation: Any, metadata: list[Any], path: tuple[str, ...], default: Any
) -> Iterator[tuple[tuple[str, ...], type, list[Any]]]:
    """(key path, number type, bounds) of every number reachable through `annotation`;
    nested models are walked with their own fields, a mapping's key is a valid one."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _slots(args[0], [*metadata, *args[1:]], path, default)
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            if arg is not type(None):
                yield from _slots(arg, metadata, path, default)
    elif origin is dict:
        key = next(iter(default), None) if isinstance(default, dict) else None
        key = key or KEY_HINTS.get(path[-1], "x")
        item = default.get(key) if isinstance(default, dict) else None
        yield from _slots(args[1], [], (*path, str(key)), item)
    elif origin in (list, tuple, set, frozenset):
        yield from _slots(args[0], [], (*path, "[]"), None)
    elif model_of(annotation) is not None:
        yield from model_slots(annotation, path)
    elif is_number(annotation):
        yield path, annotation, bounds_in(metadata)


def model_slots(
    model: type[BaseModel], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], type, list[Any]]]:
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        yield from _slots(field.annotation, list(field.metadata), (*prefix, name), default)


def own_slots(model: type[BaseModel]) -> Iterator[tuple[str, list[Any]]]:
    """("Model.field", bounds) for the numbers of `model`'s own fields (not nested models)."""
    for name, field in model.model_fields.items():
        if has_model(field.annotation):
            continue
        for path, _, bounds in _slots(field.annotation, list(field.metadata), (name,), None):
            suffix = "".join(".*" if p not in ("[]",) else p for p in path[1:])
            yield f"{model.__name__}.{name}{suffix}", bounds


def has_model(annotation: Any) -> bool:
    return model_of(annotation) is not None or any(
        has_model(a) for a in typing.get_args(annotation)
    )


def config_models() -> list[type[Strict]]:
    """Every configuration model defined anywhere under `trader.config`."""
    for module in pkgutil.walk_packages(trader.config.__path__, "trader.config."):
        importlib.import_module(module.name)
    found: list[type[Strict]] = []
    pending: list[type[Strict]] = [Strict]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("trader.config."):
                found.append(sub)
    return sorted(set(found), key=lambda m: (m.__module__, m.__name__))


def reach(annotation: Any, seen: set[type[BaseModel]]) -> None:
    """Add to `seen` every model reachable through `annotation`."""
    model = model_of(annotation)
    if model is not None:
        if model in seen:
            return
        seen.add(model)
        for field in model.model_fields.values():
            reach(field.annotation, seen)
    for arg in typing.get_args(annotation):
        reach(arg, seen)
