"""Order intents and their forward-only states (X-1).

NEW (decided, not yet sent) → SUBMITTING (committed before the request leaves) → OPEN →
PARTIALLY_FILLED → FILLED | CANCELLED | EXPIRED | REJECTED. DRY is the terminal state of a
DRY_RUN intent, which is never sent. A state never moves backwards, and a terminal state
never changes: a late "cancelled" after FILLED is ignored, never acted on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from trader.core.orders import OrderStatus
from trader.core.types import Side
from trader.core.values import write_once

ZERO: Final = Decimal(0)


class IntentState(StrEnum):
    NEW = "NEW"
    SUBMITTING = "SUBMITTING"
    OPEN = "OPEN"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"
    DRY = "DRY"


class Purpose(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"
    REPRICE = "reprice"
    FLATTEN = "flatten"


# by their text (a dict lookup instead of the enum type's Python-level call)
PURPOSES: Final[dict[str, Purpose]] = {purpose.value: purpose for purpose in Purpose}
INTENT_STATES: Final[dict[str, IntentState]] = {state.value: state for state in IntentState}

RANK: Final = {
    IntentState.NEW: 0,
    IntentState.SUBMITTING: 1,
    IntentState.OPEN: 2,
    IntentState.PARTIALLY_FILLED: 3,
    IntentState.FILLED: 4,
    IntentState.CANCELLED: 4,
    IntentState.EXPIRED: 4,
    IntentState.REJECTED: 4,
    IntentState.DRY: 4,
}
TERMINAL: Final = frozenset(s for s, rank in RANK.items() if rank == 4)
# an intent still working: decided or at the venue, not yet in a terminal state
WORKING: Final = frozenset(s for s, rank in RANK.items() if rank < 4)
# a working intent whose request has left (or is leaving): SUBMITTING, OPEN, PARTIALLY_FILLED
LIVE_STATES: Final = tuple(s for s in IntentState if s in WORKING and s is not IntentState.NEW)
# a working intent the venue has accepted: OPEN, PARTIALLY_FILLED
AT_THE_VENUE: Final = tuple(s for s in LIVE_STATES if RANK[s] >= RANK[IntentState.OPEN])


def may_move(current: IntentState, target: IntentState) -> bool:
    """True when `current → target` is a forward move (equal states are no-ops, not moves)."""
    return current not in TERMINAL and RANK[target] > RANK[current]


def state_values(states: Iterable[IntentState]) -> tuple[str, ...]:
    """The states' stored texts in rank order (stable SQL parameters for `state IN (...)`)."""
    return tuple(s.value for s in sorted(states, key=lambda s: (RANK[s], s.value)))


def _sources(target: IntentState) -> tuple[str, ...]:
    return tuple(s.value for s in IntentState if may_move(s, target))


# each target's sources, worked out once (every state move of every order asks: iterating
# the enum type is interpreted code)
SOURCES: Final[dict[IntentState, tuple[str, ...]]] = {t: _sources(t) for t in IntentState}


def sources_for(target: IntentState) -> tuple[str, ...]:
    """The states from which `target` may be reached (for guarded SQL updates)."""
    return SOURCES[target]


VENUE_STATUS: Final[dict[str, IntentState]] = {
    OrderStatus.OPEN.value: IntentState.OPEN,
    OrderStatus.FILLED.value: IntentState.FILLED,
    OrderStatus.CANCELLED.value: IntentState.CANCELLED,
    OrderStatus.EXPIRED.value: IntentState.EXPIRED,
    OrderStatus.FAILED.value: IntentState.REJECTED,
}


def state_from_venue(status: OrderStatus, filled_size: Decimal) -> IntentState | None:
    """What a venue order status means for the intent; None when it says nothing new."""
    state = VENUE_STATUS.get(status.upper())
    if state is IntentState.OPEN and filled_size > 0:
        return IntentState.PARTIALLY_FILLED
    return state


@dataclass(frozen=True, slots=True, init=False)
class Intent:
    intent_id: str
    client_order_id: str
    mode: str
    purpose: Purpose
    product_id: str
    side: Side
    order_configuration: str
    request_body: bytes
    base_size: Decimal | None
    quote_size: Decimal | None
    limit_price: Decimal | None
    state: IntentState
    created_at: float
    cycle_id: str | None = None
    proposal_id: str | None = None
    parent_intent_id: str | None = None
    expires_at: float | None = None
    exchange_order_id: str | None = None
    filled_size: Decimal = Decimal(0)
    filled_value: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    attempts: int = 0
    reject_reason: str | None = None
    reason: str | None = None  # why it was placed: an exit's reason (stop_loss, ...), a trigger
    strategy: str | None = None  # STR-5: the strategy it acts for (None: operator, kill switch)

    def __init__(
        self,
        intent_id: str,
        client_order_id: str,
        mode: str,
        purpose: Purpose,
        product_id: str,
        side: Side,
        order_configuration: str,
        request_body: bytes,
        base_size: Decimal | None,
        quote_size: Decimal | None,
        limit_price: Decimal | None,
        state: IntentState,
        created_at: float,
        cycle_id: str | None = None,
        proposal_id: str | None = None,
        parent_intent_id: str | None = None,
        expires_at: float | None = None,
        exchange_order_id: str | None = None,
        filled_size: Decimal = ZERO,
        filled_value: Decimal = ZERO,
        fees: Decimal = ZERO,
        attempts: int = 0,
        reject_reason: str | None = None,
        reason: str | None = None,
        strategy: str | None = None,
    ) -> None:
        self.intent_id = intent_id  # type: ignore[misc]
        self.client_order_id = client_order_id  # type: ignore[misc]
        self.mode = mode  # type: ignore[misc]
        self.purpose = purpose  # type: ignore[misc]
        self.product_id = product_id  # type: ignore[misc]
        self.side = side  # type: ignore[misc]
        self.order_configuration = order_configuration  # type: ignore[misc]
        self.request_body = request_body  # type: ignore[misc]
        self.base_size = base_size  # type: ignore[misc]
        self.quote_size = quote_size  # type: ignore[misc]
        self.limit_price = limit_price  # type: ignore[misc]
        self.state = state  # type: ignore[misc]
        self.created_at = created_at  # type: ignore[misc]
        self.cycle_id = cycle_id  # type: ignore[misc]
        self.proposal_id = proposal_id  # type: ignore[misc]
        self.parent_intent_id = parent_intent_id  # type: ignore[misc]
        self.expires_at = expires_at  # type: ignore[misc]
        self.exchange_order_id = exchange_order_id  # type: ignore[misc]
        self.filled_size = filled_size  # type: ignore[misc]
        self.filled_value = filled_value  # type: ignore[misc]
        self.fees = fees  # type: ignore[misc]
        self.attempts = attempts  # type: ignore[misc]
        self.reject_reason = reject_reason  # type: ignore[misc]
        self.reason = reason  # type: ignore[misc]
        self.strategy = strategy  # type: ignore[misc]


write_once(Intent)
