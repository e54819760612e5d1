"""STR-1: a strategy's own view of the cycle — `with_bars` gives the context with its bars
and every other field as it was (as `dataclasses.replace` would), whatever the fields."""

from __future__ import annotations

import dataclasses

from trader.strategies.base import StrategyContext


def test_str1_with_bars_keeps_every_other_field():
    values = {field.name: object() for field in dataclasses.fields(StrategyContext)}
    ctx = StrategyContext(**values)  # type: ignore[arg-type]
    view = object()
    own = ctx.with_bars(view)  # type: ignore[arg-type]
    expected = dataclasses.replace(ctx, bar_view=view)  # type: ignore[arg-type]
    for field in dataclasses.fields(StrategyContext):
        assert getattr(own, field.name) is getattr(expected, field.name), field.name
    assert own.bar_view is view and ctx.bar_view is values["bar_view"]
