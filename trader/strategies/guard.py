"""Strategy code is user code: calling it, and screening what it returns (STR-1).

Interpreted on purpose (not in `native_modules.txt`): compiled code checks the declared
type of what it reads, so what a strategy hands back is looked at here first.

A strategy that raises, returns anything but a list of `Proposal`s, or proposes under
another id fails as a `StrategyError` naming it, its file and the step's time. Whatever it
raises is its own failure — SystemExit, KeyboardInterrupt and CancelledError too (`propose`
is a plain call: no cancellation can reach it, and the daemon hears SIGINT on its own
handler) — except an interrupt while Python's own SIGINT handler is in force on the main
thread (Ctrl-C in a backtest), which passes.

Each proposal returned is rebuilt as a plain `Proposal` (`plain`) from its fields, each
read once, before anything is judged: a subclass whose properties answer differently on
each read, or a `str`/`Decimal`/`float`/`int` subclass whose comparisons lie, is judged
and used by the plain values read then. Reading them is the strategy's code too: what it
raises there fails the strategy like a raise in `propose`. A proposal that is malformed
(wrong types, NaN, out of range: `risk/validity.py`) is replaced by a `MalformedProposal`
holding the problem, which the risk engine refuses and the audit trail records. A `reason`,
`tag` or trigger reference longer than `MAX_TEXT` characters is cut to it, and
`trigger_refs` to its first `MAX_REFS` references (the audit trail keeps every proposal).
"""

from __future__ import annotations

import contextlib
import decimal
import math
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from trader.core.decision import MalformedProposal, Proposal
from trader.core.types import Side
from trader.risk.validity import proposal_problem
from trader.strategies.base import (
    BaseStrategy,
    StrategyBuildError,
    StrategyContext,
    StrategyError,
    failure,
)
from trader.strategies.decimal_context import default_context_changed, fresh_context

MAX_TEXT: Final = 500  # characters of a proposal's reason, tag or trigger reference kept
MAX_REFS: Final = 50  # trigger references of a proposal kept
MAX_RETURNED: Final = 10_000  # proposals one call may return
_ALL: Final = slice(None)
FIELDS: Final = tuple(f.name for f in fields(Proposal))
EXACT: Final = (str, Decimal, float, int, bool, Side, type(None))


def _real_interrupt(exc: BaseException) -> bool:
    """Ctrl-C of the person at the terminal, not the strategy's own raise."""
    return (
        isinstance(exc, KeyboardInterrupt)
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )


def proposals_of(
    strategy_id: str, strategy: BaseStrategy[Any], ctx: StrategyContext, source: str
) -> tuple[list[Proposal], list[Proposal]]:
    """The strategy's well-formed proposals, and stand-ins for its malformed ones."""
    try:
        with decimal.localcontext(fresh_context()):
            screened = _screened(strategy_id, strategy.propose(ctx))
    except _Refused as refused:
        raise StrategyError(strategy_id, source, ctx.now, str(refused)) from None
    except BaseException as exc:  # SystemExit too: user code does not end the process
        if _real_interrupt(exc):
            raise
        line = raised_at(exc, type(strategy))
        raise StrategyError(strategy_id, source, ctx.now, failure(exc), line) from exc
    finally:
        changed = default_context_changed()
    if changed is not None:
        raise StrategyError(strategy_id, source, ctx.now, changed)
    return screened


def needs_triggers(strategy: BaseStrategy[Any]) -> bool:
    """Whether the strategy's class declares `needs_triggers = True` (anything else it set
    there, a property too, or a class whose attribute read raises, is False: it is called
    at every step)."""
    try:
        return getattr(type(strategy), "needs_triggers", False) is True
    except Exception:  # noqa: BLE001 -- its metaclass's own failure: called at every step
        return False


def uncalled(strategy_id: str, source: str, now: float) -> None:
    """A strategy not called at a step where it proposes nothing (`needs_triggers`, no
    trigger): what its call adds to returning no proposal. A `decimal.DefaultContext`
    changed since the last check is put back and fails it, as after its call."""
    changed = default_context_changed()
    if changed is not None:
        raise StrategyError(strategy_id, source, now, changed)


class _Refused(Exception):
    """What `propose` returned is not a list of the strategy's own proposals."""


def _screened(strategy_id: str, returned: object) -> tuple[list[Proposal], list[Proposal]]:
    """Plain proposals (`plain`): the well-formed ones and stand-ins for the malformed."""
    if not isinstance(returned, (list, tuple)):
        _close(returned)
        raise _Refused(f"propose returned {type(returned).__name__}, not a list of Proposal")
    items = list.copy(returned) if isinstance(returned, list) else tuple.__getitem__(returned, _ALL)
    if len(items) > MAX_RETURNED:
        raise _Refused(f"propose returned {len(items)} proposals, more than {MAX_RETURNED}")
    good: list[Proposal] = []
    bad: list[Proposal] = []
    for item in items:
        if not isinstance(item, Proposal):
            raise _Refused(f"propose returned a {type(item).__name__} among its proposals")
        proposal = plain(item)
        if not isinstance(proposal.strategy_id, str) or proposal.strategy_id != strategy_id:
            raise _Refused(f"proposed as strategy {_text(proposal.strategy_id)!r}, not its own id")
        malformed = proposal_problem(proposal)
        if malformed is None:
            good.append(_short(proposal))
        else:
            bad.append(stand_in(proposal, malformed))
    return good, bad


def plain(proposal: Proposal) -> Proposal:
    """The proposal as a plain `Proposal` (exactly that type), each field read once and
    made a plain value (`_exact`); `trigger_refs` as a tuple when it is a list or tuple."""
    values: dict[str, Any] = {name: _exact(getattr(proposal, name), name) for name in FIELDS}
    refs = values["trigger_refs"]
    if isinstance(refs, tuple | list):
        values["trigger_refs"] = tuple(_exact(ref, "trigger_refs") for ref in refs)
    return Proposal(**values)


def _exact(value: Any, name: str) -> Any:
    """A text or number as its plain type (a subclass's value copied out); anything else as
    it is, for the validity check to name (TypeError: one that passes itself off as a
    text, number or side)."""
    kind = type(value)
    if kind in EXACT:
        return value
    if issubclass(kind, str):
        return str.__str__(value)
    if issubclass(kind, Decimal):
        return Decimal(value)
    if issubclass(kind, float):
        return float.__float__(value)
    if issubclass(kind, int):
        return int.__int__(value)
    if isinstance(value, EXACT):
        raise TypeError(f"{name} is a {kind.__name__} passing itself off as another type")
    return value


def built(
    strategy_id: str, make: Callable[[], BaseStrategy[Any]], source: str
) -> BaseStrategy[Any]:
    """The strategy `make()` builds; StrategyBuildError when its constructor fails."""
    try:
        strategy = make()
    except BaseException as exc:  # SystemExit too
        if _real_interrupt(exc):
            raise
        raise StrategyBuildError(strategy_id, source, None, failure(exc)) from exc
    changed = default_context_changed()
    if changed is not None:
        raise StrategyBuildError(strategy_id, source, None, changed)
    return strategy


def raised_at(exc: BaseException, cls: type) -> str:
    """Where in the file of `cls` the exception was raised last ("" if not in it)."""
    file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    frames = traceback.extract_tb(exc.__traceback__)
    own = [frame for frame in frames if file is not None and frame.filename == file]
    return f"{Path(file).name} line {own[-1].lineno}" if own and file else ""


def _close(returned: object) -> None:
    """A coroutine or generator returned instead of a list, closed (never run)."""
    close = getattr(returned, "close", None)
    if callable(close) and hasattr(returned, "send"):
        with contextlib.suppress(Exception):  # the failure is already being reported
            close()


def cut(text: str) -> str:
    """At most MAX_TEXT characters of `text`, saying how long it was when cut."""
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}… ({len(text)} characters)"


def cut_refs(refs: tuple[str, ...]) -> tuple[str, ...]:
    """At most MAX_REFS references, each cut; then one saying how many there were."""
    kept = tuple(cut(ref) for ref in refs[:MAX_REFS])
    return kept if len(refs) <= MAX_REFS else (*kept, f"… ({len(refs)} references)")


def _short(proposal: Proposal) -> Proposal:
    refs = proposal.trigger_refs
    if (
        len(proposal.reason) <= MAX_TEXT
        and len(proposal.tag) <= MAX_TEXT
        and len(refs) <= MAX_REFS
        and all(len(ref) <= MAX_TEXT for ref in refs)
    ):
        return proposal
    return replace(
        proposal, reason=cut(proposal.reason), tag=cut(proposal.tag), trigger_refs=cut_refs(refs)
    )


def _text(value: object) -> str:
    return cut(value) if isinstance(value, str) else repr(value)[:60]


def stand_in(proposal: Proposal, problem: str) -> MalformedProposal:
    """A proposal safe to rank and record in place of a malformed one: text fields as text,
    a `Side`, a finite conviction that ranks nowhere, no size, no exits."""
    conviction = proposal.conviction
    finite = isinstance(conviction, float | int) and math.isfinite(conviction)
    return MalformedProposal(
        product_id=_text(proposal.product_id),
        side=proposal.side if isinstance(proposal.side, Side) else Side.BUY,
        strategy_id=proposal.strategy_id,
        conviction=float(conviction) if finite and not isinstance(conviction, bool) else 0.0,
        reason=_text(proposal.reason),
        trigger_refs=cut_refs(tuple(_text(ref) for ref in _refs(proposal.trigger_refs))),
        tag=_text(proposal.tag),
        problem=problem,
    )


def _refs(refs: object) -> tuple[object, ...]:
    return tuple(refs) if isinstance(refs, tuple | list) else ()
