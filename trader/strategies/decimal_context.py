"""The decimal context around a strategy's call (STR-1).

Python's decimal context is per thread, and the backtest calls its strategies on the
thread its money arithmetic runs on: a strategy that set `getcontext().prec = 3`, a
rounding or a trap would have changed every later price, size and fee. Each call runs
under a fresh standard context (`fresh_context`), restored on return, whatever the
strategy did to it. `decimal.DefaultContext` (the context every thread started later
copies) is checked after each call and each build: one the strategy changed is put back,
and the change fails the strategy.
"""

from __future__ import annotations

import decimal
from typing import Final

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


_FIELDS: Final = ("prec", "rounding", "Emin", "Emax", "capitals", "clamp")
# the standard context's fields in `_FIELDS` order: with its traps, what an unchanged
# `decimal.DefaultContext` shows (checked after every strategy call, so compared whole
# first: six reads and one comparison of the traps, not a read and a comparison each)
_STANDARD_FIELDS: Final = tuple(getattr(_STANDARD, name) for name in _FIELDS)


def fresh_context() -> decimal.Context:
    """Python's standard decimal context (28 digits, half-even, the usual traps), new."""
    return _STANDARD.copy()


def default_context_changed() -> str | None:
    """What differs in `decimal.DefaultContext` from the standard one, put back; None if
    nothing."""
    default = decimal.DefaultContext
    fields = (default.prec, default.rounding, default.Emin, default.Emax, default.capitals,
              default.clamp)  # fmt: skip
    if fields == _STANDARD_FIELDS and default.traps == _STANDARD.traps:
        return None
    changed = [name for name in _FIELDS if getattr(default, name) != getattr(_STANDARD, name)]
    if any(default.traps[t] != _STANDARD.traps[t] for t in _STANDARD.traps):
        changed.append("traps")
    if not changed:
        return None
    for name in _FIELDS:
        setattr(default, name, getattr(_STANDARD, name))
    default.traps = dict(_STANDARD.traps)
    return f"changed decimal.DefaultContext ({', '.join(changed)}); put back"
