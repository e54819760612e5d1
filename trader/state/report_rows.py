"""The rows of a backtest's report (BT-1): its fills and intents, in a stable order so
that the report is byte-identical run to run."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson


def read_fills(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every fill with the purpose of its intent, by trade time, then trade id."""
    rows = conn.execute(
        "SELECT f.trade_time, f.product_id, f.side, f.price, f.size, f.commission, f.liquidity, "
        "f.intent_id, i.purpose, i.strategy FROM fills f LEFT JOIN intents i USING (intent_id) "
        "ORDER BY f.trade_time, f.trade_id"
    ).fetchall()
    keys = ("time", "product_id", "side", "price", "size", "fee", "liquidity", "intent_id")
    return [dict(zip((*keys, "purpose", "strategy"), tuple(r), strict=True)) for r in rows]


def read_intents(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every intent, by creation time, then id; an entry carries its proposal's tag (BT-4)."""
    rows = conn.execute(
        "SELECT i.intent_id, i.created_at, i.cycle_id, i.product_id, i.side, i.purpose, "
        "i.state, i.base_size, i.limit_price, i.filled_size, i.fees, i.reason, "
        "i.reject_reason, i.parent_intent_id, i.strategy, p.payload "
        "FROM intents i LEFT JOIN proposals p USING (proposal_id) "
        "ORDER BY i.created_at, i.intent_id"
    ).fetchall()
    intents = []
    for row in rows:
        intent = dict(row)
        payload = intent.pop("payload")
        intent["tag"] = entry_tag(orjson.loads(payload)) if payload else None
        intents.append(intent)
    return intents


def entry_tag(proposal: dict[str, Any]) -> str:
    """The proposal's own tag, else the trigger kinds behind it (`momentum+breakout`), else
    its strategy id."""
    tag = str(proposal.get("tag") or "")
    if tag:
        return tag
    kinds = sorted({str(ref).split(":", 1)[0] for ref in proposal.get("trigger_refs") or ()})
    return "+".join(kinds) or str(proposal.get("strategy_id") or "")
