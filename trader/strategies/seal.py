"""What a strategy's call may not change for the code after it (STR-1).

Interpreted on purpose (not in `native_modules.txt`), like `guard.py`: it reads and puts
back the fields of the values a strategy was handed, whatever their declared types.

- **The decimal context.** Python's decimal context is per thread, and the backtest calls
  its strategies on the thread its money arithmetic runs on: a strategy that set
  `getcontext().prec = 3`, a rounding or a trap would have changed every later price,
  size and fee. Each call runs under a fresh standard context (`fresh_context`), restored
  on return, whatever the strategy did to it. `decimal.DefaultContext` (the context every
  thread started later copies) is checked after each call and each build: one the
  strategy changed is put back, and the change fails the strategy.
- **The values it was handed.** The quotes, candles, product rules, product markets,
  positions and open orders in `ctx` are frozen, but `object.__setattr__` writes a field
  of a frozen value anyway, and the risk engine and the exits read those same objects
  after the strategy. `Seal` notes each such value's fields (the references, not copies)
  before the call; after it, any field written is put back and the write fails the
  strategy, naming the value and the field.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from itertools import chain
from operator import attrgetter, is_
from typing import Final

from trader.strategies.base import StrategyContext

_TRAPS: Final = (decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow)
_STANDARD: Final = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999999,
    Emax=999999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=list(_TRAPS),
)
_NAMES: dict[type, tuple[str, ...]] = {}
Getter = Callable[[object], tuple[object, ...]]
_GETTERS: dict[type, Getter | None] = {}


def fresh_context() -> decimal.Context:
    """Python's standard decimal context (28 digits, half-even, the usual traps), new."""
    return _STANDARD.copy()


def default_context_changed() -> str | None:
    """What differs in `decimal.DefaultContext` from the standard one, put back; None if
    nothing."""
    default = decimal.DefaultContext
    changed = [name for name in ("prec", "rounding", "Emin", "Emax", "capitals", "clamp")
               if getattr(default, name) != getattr(_STANDARD, name)]  # fmt: skip
    if any(default.traps[t] != _STANDARD.traps[t] for t in _STANDARD.traps):
        changed.append("traps")
    if not changed:
        return None
    for name in ("prec", "rounding", "Emin", "Emax", "capitals", "clamp"):
        setattr(default, name, getattr(_STANDARD, name))
    default.traps = dict(_STANDARD.traps)
    return f"changed decimal.DefaultContext ({', '.join(changed)}); put back"


def _getter(cls: type) -> Getter | None:
    """All the fields of a dataclass `cls` at once, as a tuple (None: not a dataclass)."""
    if cls not in _GETTERS:
        names = tuple(f.name for f in fields(cls)) if is_dataclass(cls) else ()
        _NAMES[cls] = names
        # a tuple even of one field (`attrgetter` of one name gives the value itself)
        _GETTERS[cls] = attrgetter(*names, *names[:1]) if names else None
    return _GETTERS[cls]


def _values(ctx: StrategyContext) -> list[object]:
    """The frozen values in `ctx` the code after the strategy reads."""
    values: list[object] = [ctx.market, ctx.portfolio]
    for market in ctx.market.products.values():
        values += (market, market.rules, market.quote, market.last_candle)
    values += ctx.portfolio.positions.values()
    values += ctx.portfolio.open_orders
    values += ctx.triggers
    return values


def _where(ctx: StrategyContext) -> dict[int, str]:
    """The name in `ctx` of each value `_values` gives, by its id."""
    named: dict[int, str] = {id(ctx.market): "ctx.market", id(ctx.portfolio): "ctx.portfolio"}
    for product_id, market in ctx.market.products.items():
        where = f"ctx.market.products[{product_id!r}]"
        named[id(market)] = where
        for name in ("rules", "quote", "last_candle"):
            named.setdefault(id(getattr(market, name)), f"{where}.{name}")
    for product_id, position in ctx.portfolio.positions.items():
        named[id(position)] = f"ctx.portfolio.positions[{product_id!r}]"
    for index, order in enumerate(ctx.portfolio.open_orders):
        named[id(order)] = f"ctx.portfolio.open_orders[{index}]"
    for index, signal in enumerate(ctx.triggers):
        named[id(signal)] = f"ctx.triggers[{index}]"
    return named


class Seal:
    """The fields of the values handed to a strategy, as they were before its call."""

    def __init__(self, ctx: StrategyContext) -> None:
        self._ctx = ctx
        getters = _GETTERS
        noted: list[tuple[object, Getter]] = []
        for value in _values(ctx):
            kind = type(value)
            getter = getters[kind] if kind in getters else _getter(kind)
            if getter is not None:
                noted.append((value, getter))
        self._noted = noted
        self._before = [getter(value) for value, getter in noted]

    def broken(self) -> str | None:
        """The fields the call wrote, each put back as it was; None if none."""
        try:
            after = [getter(value) for value, getter in self._noted]
        except AttributeError:  # a field deleted
            after = []
        flat = chain.from_iterable
        if len(after) == len(self._before) and all(map(is_, flat(after), flat(self._before))):
            return None  # by identity: no `__eq__` of the strategy's values is called
        written: list[tuple[object, str]] = []
        for (value, _), before in zip(self._noted, self._before, strict=True):
            written += _put_back(value, before)
        named = _where(self._ctx)
        shown = [f"{named.get(id(value), type(value).__name__)}.{name}" for value, name in written]
        return f"wrote {', '.join(shown[:3])}{' …' if len(shown) > 3 else ''}: put back"


def _put_back(value: object, before: tuple[object, ...]) -> list[tuple[object, str]]:
    """Each field of `value` written since `before`, put back; (value, field) of each."""
    written: list[tuple[object, str]] = []
    for name, was in zip(_NAMES[type(value)], before, strict=False):
        if getattr(value, name, _GONE) is not was:
            object.__setattr__(value, name, was)
            written.append((value, name))
    return written


_GONE: Final = object()
