"""Configuration problems, each one line naming file, key path and reason (CFG-1), and the
validation that finds them in a model's data with pydantic ("did you mean" for a typo)."""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    file: Path
    key: str
    reason: str

    def __str__(self) -> str:
        """One line: a line break or other unprintable character in a key, a path or a
        reason (a YAML key may hold any) is shown escaped."""
        return f"{printable(str(self.file))}: {printable(self.key)}: {printable(self.reason)}"


def printable(text: str) -> str:
    """`text` with each character that is not printable (a line break, a tab, ESC, DEL, a
    C1 control...) shown as its escape, so that it stays on one line and shows as written."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class ConfigError(Exception):
    """The configuration was refused; `issues` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(issue) for issue in issues))
        self.issues = issues


def _key_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else item)
    return "".join(parts) or "(top level)"


def validate(
    model: type[BaseModel], data: dict[str, Any], path: Path, prefix: str = ""
) -> list[ConfigIssue]:
    """Every problem pydantic finds in `data`; `prefix` is where `data` sits in its file."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [
            ConfigIssue(path, _joined(prefix, err["loc"]), _reason(model, err["loc"], err))
            for err in exc.errors()
        ]
    return []


def _joined(prefix: str, loc: tuple[int | str, ...]) -> str:
    if not prefix:
        return _key_path(loc)
    if not loc:
        return prefix
    key = _key_path(loc)
    return prefix + key if key.startswith("[") else f"{prefix}.{key}"


def _reason(model: type[BaseModel], loc: tuple[int | str, ...], err: Any) -> str:
    """Pydantic's message; for an unknown key, the nearest valid one ("did you mean")."""
    reason = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] != "extra_forbidden" or not loc:
        return reason
    nearest = difflib.get_close_matches(str(loc[-1]), _keys_at(model, loc[:-1]), n=1, cutoff=0.6)
    return f"unknown key{f' (did you mean {nearest[0]}?)' if nearest else ''}"


def _keys_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The field names of the model reached by following `loc` through nested models."""
    current: Any = model
    for step in loc:
        fields = getattr(current, "model_fields", None)
        if not isinstance(step, str) or not fields or step not in fields:
            return []
        current = _model_in(fields[step].annotation)
    fields = getattr(current, "model_fields", None)
    return [field.alias or name for name, field in fields.items()] if fields else []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for m in map(_model_in, typing.get_args(annotation)) if m is not None), None)
