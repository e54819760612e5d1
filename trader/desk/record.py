"""The audit trail of each decision step (OPS-6, R-1): proposal → verdict (reason codes and
the numbers behind them) → intent, joinable by ids, written in one short transaction; and
the risk counters the step moved (day start equity, high-water mark)."""

from __future__ import annotations

import sqlite3
from dataclasses import fields
from decimal import Decimal
from typing import Any, Final

import orjson
import structlog

from trader.core.decision import Proposal, Verdict
from trader.pipeline.decide import DecisionStep
from trader.state.decisions import (
    ProposalRow,
    VerdictRow,
    insert_proposal,
    insert_universe_change,
    insert_verdict,
)
from trader.state.meta import VALUATION_KEY, write_value
from trader.state.portfolio import write_risk_counters

log = structlog.get_logger("trader.decisions")


def _json(value: Any) -> str:
    return orjson.dumps(value, default=json_default).decode()


def json_default(value: Any) -> Any:
    """orjson's fallback: Decimals as their exact text, tuples and sets as lists."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | frozenset | set):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


# each proposal class's field names in order, looked up once (`dataclasses.fields` is
# interpreted code, asked for every recorded proposal)
_FIELD_NAMES: Final[dict[type, tuple[str, ...]]] = {}


def proposal_payload(proposal: Proposal) -> dict[str, Any]:
    """The proposal's fields (all plain values: the JSON `dataclasses.asdict` would give,
    without its deep copy of every value)."""
    kind = type(proposal)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(proposal))
    return {name: getattr(proposal, name) for name in names}


def verdict_payload(verdict: Verdict) -> dict[str, Any]:
    return {
        "action": verdict.action.value,
        "reasons": [r.value for r in verdict.reasons],
        "base_size": verdict.base_size,
        "notional": verdict.notional,
        "price": verdict.price,
        "details": dict(verdict.details),
        "note": verdict.note,
    }


def record_step(conn: sqlite3.Connection, cycle_id: str, step: DecisionStep) -> dict[str, str]:
    """Persist proposals and verdicts, inside the caller's transaction (the step's one
    commit, `TradingCycle.record`); return proposal key → proposal id for the intents."""
    ids: dict[str, str] = {}
    by_key = {v.proposal.key: v for v in step.verdicts}
    for index, proposal in enumerate(step.proposals):
        proposal_id = f"{cycle_id}/{index}"
        ids[proposal.key] = proposal_id
        insert_proposal(
            conn,
            ProposalRow(
                proposal_id=proposal_id,
                cycle_id=cycle_id,
                strategy=proposal.strategy_id,
                product_id=proposal.product_id,
                side=proposal.side.value,
                payload=_json(proposal_payload(proposal)),
                created_at=step.now,
            ),
        )
        verdict = by_key.get(proposal.key)
        if verdict is not None:
            insert_verdict(
                conn,
                VerdictRow(
                    proposal_id=proposal_id,
                    decision=verdict.action.value.upper(),
                    reasons=_json([r.value for r in verdict.reasons]),
                    payload=_json(verdict_payload(verdict)),
                    created_at=step.now,
                ),
            )
    _record_risk_counters(conn, step)
    _record_valuation(conn, step)
    return ids


def _record_valuation(conn: sqlite3.Connection, step: DecisionStep) -> None:
    """OPS-5: what the step valued the book at — quote cash, equity and the marks of the
    products held or with open orders — so `trader status` shows them with the daemon down."""
    portfolio = step.inputs.portfolio
    wanted = set(portfolio.positions) | {o.product_id for o in portfolio.open_orders}
    prices = step.inputs.market.mid_prices(wanted)
    valuation = {
        "at": step.now,
        "quote_currency": portfolio.quote_currency,
        "balances_known": portfolio.balances_known,
        "quote_cash": portfolio.quote_cash(),
        "equity": step.equity,
        "marks": {pid: prices[pid] for pid in sorted(wanted) if pid in prices},
    }
    write_value(conn, VALUATION_KEY, _json(valuation))


def _record_risk_counters(conn: sqlite3.Connection, step: DecisionStep) -> None:
    state = step.risk_state
    write_risk_counters(conn, state.high_water_mark, state.day_start_equity, state.day, step.now)


def record_exclusions(conn: sqlite3.Connection, cycle_id: str, step: DecisionStep) -> None:
    """Universe exclusions, once per change (U-1), inside the caller's transaction."""
    changes = step.exclusion_changes
    if changes is None or not (changes.added or changes.changed or changes.readmitted):
        return
    payload = {
        "excluded": [
            {"product_id": e.product_id, "reason": str(e.reason), "detail": e.detail}
            for e in (*changes.added, *changes.changed)
        ],
        "readmitted": list(changes.readmitted),
    }
    insert_universe_change(conn, cycle_id, _json(payload), step.now)


def log_decisions(step: DecisionStep, proposal_ids: dict[str, str]) -> None:
    """OPS-9: one line per proposal and per verdict, naming product, side, size, price,
    strategy and the ids that join them to the intents and orders that follow."""
    by_key = {v.proposal.key: v for v in step.verdicts}
    for proposal in step.proposals:
        proposal_id = proposal_ids.get(proposal.key)
        log.info(
            "proposal",
            proposal_id=proposal_id,
            product_id=proposal.product_id,
            side=proposal.side.value,
            strategy=proposal.strategy_id,
            size_pct=_text(proposal.size_pct),
            conviction=round(proposal.conviction, 4),
            reason=proposal.reason,
        )
        verdict = by_key.get(proposal.key)
        if verdict is not None:
            log.info(
                "verdict",
                proposal_id=proposal_id,
                product_id=proposal.product_id,
                side=proposal.side.value,
                strategy=proposal.strategy_id,
                action=verdict.action.value,
                reasons=[r.value for r in verdict.reasons],
                base_size=str(verdict.base_size),
                notional=str(verdict.notional),
                price=_text(verdict.price),
            )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
