"""The base of every configuration model (CFG-1): unknown keys are errors, models are
immutable, no number may be NaN or infinite (a NaN bound compares false with everything,
so `age > nan` would quietly disable the guard it configures), `true`/`false` is never
a number (`port: true` would otherwise bind port 1), not even as a mapping's value, and a
switch is only `true` or `false` (pydantic would read `"no"`, `"off"`, `0` or `"f"` as
false: `read_only: "no"` would quietly allow orders), and a count, duration, port or
percentage is written as a number, not as text (`max_products: "10"`: a quoted value is
usually a template's placeholder left unfilled or a value meant for another key). Money
fields (Decimal) take quoted decimals as well: `"0.01"` is exact where `0.01` is a float.

Every numeric field also carries the bounds its meaning requires (`ge`/`gt`/`le`/`lt` on
the field, or on the value type of a mapping), so that the bounds are enforced by pydantic,
shown in the JSON schema, and checked for by `tests/config/test_bounds.py`: a numeric field
added without bounds fails that test unless it is allow-listed there with a reason."""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

NUMBERS = (int, float, Decimal)
# units for the generous upper caps (a value beyond is surely a typo, not a wish)
DAY_S = 86400.0
WEEK_S = 7 * DAY_S
YEAR_S = 365 * DAY_S
# the cap on an amount of money (quote units): far above any balance in any currency (a
# quadrillion), and well inside what the 28-digit Decimal context computes with exactly
MAX_MONEY = Decimal("1e15")


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
        field = cls.model_fields.get(info.field_name) if info.field_name is not None else None
        if field is None:
            return value
        if isinstance(value, bool) and is_number_type(field.annotation):
            raise ValueError("must be a number, not true or false")
        if isinstance(value, str) and is_plain_number_type(field.annotation):
            raise ValueError(f"must be a number, not text ({value!r}): write it without quotes")
        if field.annotation is bool and not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {value!r}")
        if isinstance(value, dict) and _is_number_mapping(field.annotation):
            plain = _is_number_mapping(field.annotation, plain=True)
            for key, item in value.items():
                if isinstance(item, bool):
                    raise ValueError(f"{key}: must be a number, not true or false")
                if isinstance(item, str) and plain:
                    raise ValueError(f"{key}: must be a number, not text ({item!r})")
        return value


def is_plain_number_type(annotation: Any) -> bool:
    """True for int/float fields that accept nothing else (Annotated and Optional
    unwrapped): text is never one of their values. Decimal (money) is not plain."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return is_plain_number_type(args[0])
    if origin in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        return bool(kinds) and all(is_plain_number_type(a) for a in kinds)
    return (
        isinstance(annotation, type)
        and issubclass(annotation, int | float)
        and annotation is not bool
    )


def _is_number_mapping(annotation: Any, *, plain: bool = False) -> bool:
    """True for `dict[..., number]` (Annotated and Optional unwrapped); `plain`: of int or
    float values only (`is_plain_number_type`)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _is_number_mapping(args[0], plain=plain)
    if origin in (typing.Union, types.UnionType):
        return any(_is_number_mapping(a, plain=plain) for a in args)
    judge = is_plain_number_type if plain else is_number_type
    return origin is dict and len(args) == 2 and judge(args[1])
