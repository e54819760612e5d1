"""Whether a proposal is well formed (STR-1, R-1): the first check of the risk engine.

A strategy is user code: what it hands back is checked field by field before anything is
computed from it. Money and percentages must be `Decimal` (a float is refused, not
converted), numbers finite, sizes positive, the side a `Side`, `trigger_refs` a tuple of
text. `proposal_problem` names the first problem found, or returns None.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Final

from trader.core.decision import MalformedProposal, Proposal
from trader.core.types import Side

MAX_TAKE_PROFIT_PCT: Final = Decimal(10_000)  # a 100-fold rise: beyond it a typo, not a target
MAX_HOLD_S: Final = 366 * 86400.0  # a year: beyond it a unit mistake, not a hold
DECIMAL_FIELDS: Final = ("size_pct", "quote_notional", "base_size")


def _shown(value: object) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def _real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _decimal_problem(name: str, value: object) -> str | None:
    """None or a finite positive Decimal."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        return f"{name} must be a Decimal, not {_shown(value)}"
    if not value.is_finite() or value <= 0:
        return f"{name} must be finite and positive, not {value}"
    return None


def _identity_problem(proposal: Proposal) -> str | None:
    if not isinstance(proposal.product_id, str) or not proposal.product_id:
        return f"product_id must be a product id (text), not {_shown(proposal.product_id)}"
    if not isinstance(proposal.side, Side):
        return f"side must be Side.BUY or Side.SELL, not {_shown(proposal.side)}"
    if not isinstance(proposal.reason, str):
        return f"reason must be text, not {_shown(proposal.reason)}"
    if not isinstance(proposal.tag, str):
        return f"tag must be text, not {_shown(proposal.tag)}"
    if not _real(proposal.conviction) or not math.isfinite(proposal.conviction):
        return f"conviction must be a finite number, not {_shown(proposal.conviction)}"
    return None


def _refs_problem(refs: object) -> str | None:
    if not isinstance(refs, tuple):
        return f"trigger_refs must be a tuple of text, not {_shown(refs)}"
    for ref in refs:
        if not isinstance(ref, str):
            return f"trigger_refs must be a tuple of text, not one holding {_shown(ref)}"
    return None


def _exits_problem(proposal: Proposal) -> str | None:
    stop, target, hold = proposal.stop_loss_pct, proposal.take_profit_pct, proposal.max_hold_s
    problem = _decimal_problem("stop_loss_pct", stop) or _decimal_problem("take_profit_pct", target)
    if problem is not None:
        return problem
    if stop is not None and stop >= 100:
        return f"stop_loss_pct must be below 100, not {stop}"
    if target is not None and target > MAX_TAKE_PROFIT_PCT:
        return f"take_profit_pct must be at most {MAX_TAKE_PROFIT_PCT}, not {target}"
    if hold is None:
        return None
    if not _real(hold) or not 0 < hold <= MAX_HOLD_S:  # NaN fails the range too
        return f"max_hold_s must be seconds in (0, {MAX_HOLD_S:.0f}], not {_shown(hold)}"
    return None


def proposal_problem(proposal: object) -> str | None:
    """Why the proposal cannot be judged (its first problem), or None when well formed."""
    if isinstance(proposal, MalformedProposal):
        return proposal.problem
    if not isinstance(proposal, Proposal):
        return f"not a Proposal: {_shown(proposal)}"
    problem = _identity_problem(proposal) or _refs_problem(proposal.trigger_refs)
    for name in DECIMAL_FIELDS:
        problem = problem or _decimal_problem(name, getattr(proposal, name))
    return problem or _exits_problem(proposal) or proposal.sizing_problem()
