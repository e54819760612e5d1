"""R-1, STR-1: the risk engine's validity check refuses malformed proposals by name."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from trader.core.decision import Proposal, RejectReason
from trader.core.types import Side
from trader.risk.checks import check_proposal_valid

GOOD = {"size_pct": D(1), "stop_loss_pct": D(2), "take_profit_pct": D(6), "max_hold_s": 3600}


def buy(conviction: object = 0.9, side: object = Side.BUY, **fields: object) -> Proposal:
    return Proposal("BTC-USD", side, "s", conviction, "x", **{**GOOD, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("proposal", "note"),
    [
        (buy(float("nan")), "conviction must be a finite number, not float nan"),
        (buy(float("inf")), "conviction must be a finite number, not float inf"),
        (buy("high"), "conviction must be a finite number, not str 'high'"),
        (buy(side="buy"), "side must be Side.BUY or Side.SELL, not str 'buy'"),
        (buy(size_pct=1.5), "size_pct must be a Decimal, not float 1.5"),
        (buy(size_pct=D("NaN")), "size_pct must be finite and positive, not NaN"),
        (buy(quote_notional=100.0), "quote_notional must be a Decimal, not float 100.0"),
        (buy(stop_loss_pct=D("NaN")), "stop_loss_pct must be finite and positive, not NaN"),
        (buy(stop_loss_pct=D(500)), "stop_loss_pct must be below 100, not 500"),
        (buy(take_profit_pct=D("1e400")), "take_profit_pct must be at most 10000, not 1E+400"),
        (buy(max_hold_s=1e300), "max_hold_s must be seconds in (0, 31622400], not float 1e+300"),
        (buy(max_hold_s=float("nan")), "max_hold_s must be seconds in (0, 31622400]"),
        (Proposal(123, Side.BUY, "s", 0.9, "x", size_pct=D(1)),  # type: ignore[arg-type]
         "product_id must be a product id (text), not int 123"),
    ],
)  # fmt: skip
def test_r1_malformed_proposal_refused_with_its_problem(proposal: Proposal, note: str) -> None:
    refusal = check_proposal_valid(proposal)
    assert refusal is not None and refusal.reason is RejectReason.INVALID_PROPOSAL
    assert refusal.note.startswith(note)


def test_r1_well_formed_proposal_passes() -> None:
    assert check_proposal_valid(buy()) is None
    assert check_proposal_valid(buy(conviction=1, max_hold_s=None)) is None
