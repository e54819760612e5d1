"""Value objects built at every backtest step, fast when compiled and read-only in both
copies (PERF-4).

mypyc compiles a dataclass's methods but not the `__init__` the dataclass decorator
generates: a frozen dataclass is built by interpreted code, one `object.__setattr__` per
field (about 1.4 µs an object; 12 % of a 24-pair backtest). The hottest value types are
therefore frozen dataclasses with their `__init__` written out (`init=False`), each field
assigned plainly (`# type: ignore[misc]`: mypy refuses those assignments anywhere else):

- compiled, mypyc stores each field straight into its slot (about 25 ns an object), and
  the frozen dataclass's `__setattr__` refuses every later assignment from anywhere;
- interpreted (the pure copy, `trader/native.py`), `write_once` below replaces that
  `__setattr__` with one that lets each field be set once — by `__init__` — and refuses
  every later assignment or deletion with the same `FrozenInstanceError`.

So a strategy or filter that tries to change a candle or a quote it was handed fails in
either copy instead of changing what the next stage sees. (Fields are not declared
`Final`, though mypyc would then make them read-only itself: mypyc 2.4 borrows a `Final`
attribute's reference across a whole expression, and with `Final` fields the compiled
look-ahead check crashed on a candle holding a freed price.)
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from types import FunctionType


def _set_once(self: object, name: str, value: object) -> None:
    if hasattr(self, name):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _refuse_delete(self: object, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def write_once(*classes: type) -> None:
    """Guard the fields of interpreted `classes` (compiled ones guard themselves)."""
    for cls in classes:
        if isinstance(cls.__dict__.get("__init__"), FunctionType):
            setattr(cls, "__setattr__", _set_once)  # noqa: B010 - a class attribute on purpose
            setattr(cls, "__delattr__", _refuse_delete)  # noqa: B010
