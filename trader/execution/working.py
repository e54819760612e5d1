"""One entry the order manager works (`execution/manager.py`): the current intent and
how much is still wanted, from its first post through its reprices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trader.core.types import Side
from trader.core.values import write_once


@dataclass(frozen=True, slots=True, init=False)
class WorkingEntry:
    """One entry being worked: the current intent and how much is still wanted.
    Read-only (`core/values.py`: its `__init__` written out, built natively when
    compiled; `moved` instead of `dataclasses.replace`)."""

    intent_id: str
    product_id: str
    side: Side
    wanted: Decimal
    filled_before: Decimal
    reprices: int
    deadline: float
    proposal_id: str | None
    cycle_id: str | None
    strategy: str | None  # STR-5: whose entry it is

    def __init__(
        self,
        intent_id: str,
        product_id: str,
        side: Side,
        wanted: Decimal,
        filled_before: Decimal,
        reprices: int,
        deadline: float,
        proposal_id: str | None,
        cycle_id: str | None,
        strategy: str | None = None,
    ) -> None:
        self.intent_id = intent_id  # type: ignore[misc]
        self.product_id = product_id  # type: ignore[misc]
        self.side = side  # type: ignore[misc]
        self.wanted = wanted  # type: ignore[misc]
        self.filled_before = filled_before  # type: ignore[misc]
        self.reprices = reprices  # type: ignore[misc]
        self.deadline = deadline  # type: ignore[misc]
        self.proposal_id = proposal_id  # type: ignore[misc]
        self.cycle_id = cycle_id  # type: ignore[misc]
        self.strategy = strategy  # type: ignore[misc]

    def moved(
        self,
        *,
        intent_id: str | None = None,
        deadline: float | None = None,
        filled_before: Decimal | None = None,
        reprices: int | None = None,
    ) -> WorkingEntry:
        """This entry with the fields given changed (what `dataclasses.replace` gives)."""
        return WorkingEntry(
            self.intent_id if intent_id is None else intent_id,
            self.product_id,
            self.side,
            self.wanted,
            self.filled_before if filled_before is None else filled_before,
            self.reprices if reprices is None else reprices,
            self.deadline if deadline is None else deadline,
            self.proposal_id,
            self.cycle_id,
            self.strategy,
        )


write_once(WorkingEntry)
