"""The base of every configuration model (CFG-1): unknown keys are errors, models are
immutable, no number may be NaN or infinite (a NaN bound compares false with everything,
so `age > nan` would quietly disable the guard it configures), and `true`/`false` is never
a number (`port: true` would otherwise bind port 1)."""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

NUMBERS = (int, float, Decimal)


def is_number_type(annotation: Any) -> bool:
    """True for int/float/Decimal fields (Annotated and Optional unwrapped), never bool."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return is_number_type(args[0])
    if origin in (typing.Union, types.UnionType):
        return any(is_number_type(a) for a in args if a is not type(None))
    return (
        isinstance(annotation, type) and issubclass(annotation, NUMBERS) and annotation is not bool
    )


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and is_number_type(field.annotation):
                raise ValueError("must be a number, not true or false")
        return value
