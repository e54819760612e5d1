"""The chaos suite's invariants (X-1, X-4, X-5, X-7, ST-2, ST-3, OPS-4): what must hold
between the daemon's SQLite and the venue's ledger, fills and balances after any run."""

from __future__ import annotations

import sqlite3
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.chaos import ChaosRun

OPENING_USD = Decimal("100000")
ALLOWED_HALTS = ("kill_switch", "kill_switch_signal", "state_file_lost")
VENUE_TO_INTENT = {
    "FILLED": "FILLED",
    "CANCELLED": "CANCELLED",
    "EXPIRED": "EXPIRED",
    "FAILED": "REJECTED",
}


def stored(conn: sqlite3.Connection) -> dict[str, Any]:
    """What the daemon's SQLite says, for the audit."""
    intent_rows = {
        row[0]: row[1:]
        for row in conn.execute(
            "SELECT client_order_id, state, exchange_order_id, purpose, filled_size, "
            "attempts, last_error FROM intents"
        )
    }
    halts = conn.execute(
        "SELECT json_extract(payload, '$.reason'), json_extract(payload, '$.detail') "
        "FROM audit_events WHERE kind = 'halt'"
    ).fetchall()
    return {
        "intents": {cid: row[1] for cid, row in intent_rows.items()},
        "intent_rows": intent_rows,
        "halts": [reason for reason, _ in halts],
        "halt_details": [detail for reason, detail in halts if reason not in ALLOWED_HALTS],
        "states": dict(conn.execute("SELECT state, COUNT(*) FROM intents GROUP BY state")),
        "fills": conn.execute(
            "SELECT trade_id, product_id, side, price, size, commission, order_id FROM fills"
        ).fetchall(),
        "positions": {
            r[0]: Decimal(r[1]) for r in conn.execute("SELECT product_id, base_size FROM positions")
        },
    }


def check(audit: dict[str, Any]) -> list[str]:
    """Every invariant of the chaos suite; an empty list means all hold."""
    problems: list[str] = []
    ledger, intents = audit["ledger"], audit["intents"]
    client_ids = [o["client_order_id"] for o in ledger]
    if len(client_ids) != len(set(client_ids)):
        problems.append("the venue holds two orders for one client order id")
    orphans = [c for c in client_ids if c not in intents]
    if orphans:
        problems.append(f"{len(orphans)} venue order(s) without an intent: {orphans[:3]}")
    mismatched = [
        o["order_id"]
        for o in ledger
        if intents.get(o["client_order_id"]) not in (None, o["order_id"])
    ]
    if mismatched:
        problems.append(f"intents point at the wrong venue order: {mismatched[:3]}")
    if audit["states"].get("SUBMITTING"):
        problems.append(f"{audit['states']['SUBMITTING']} intent(s) still SUBMITTING")
    stored = [f[0] for f in audit["fills"]]
    if len(stored) != len(set(stored)):
        problems.append("a fill is stored twice")
    lost = {f["trade_id"] for f in audit["venue_fills"]} - set(stored)
    if lost:
        orders = {f["order_id"] for f in audit["venue_fills"] if f["trade_id"] in lost}
        by_order = {o["order_id"]: o for o in ledger}
        detail = [
            (
                oid,
                by_order[oid]["client_order_id"],
                by_order[oid]["status"],
                audit["intent_rows"].get(by_order[oid]["client_order_id"]),
            )
            for oid in orders
        ]
        problems.append(f"{len(lost)} venue fill(s) lost, of orders {detail}")
    problems += _order_problems(audit)
    problems += _balance_problems(audit)
    problems += _status_problems(audit)
    unexpected = [reason for reason in audit["halts"] if reason not in ALLOWED_HALTS]
    if unexpected:
        problems.append(
            f"halted by {unexpected} (only the kill-switch drills should halt): "
            f"{audit['halt_details']}"
        )
    if any(o["status"] == "OPEN" for o in ledger):
        problems.append("orders still open at the venue after a graceful stop")
    return problems


def _order_problems(audit: dict[str, Any]) -> list[str]:
    """Per venue order: its intent is in the venue's state, with the venue's filled size,
    and the fills stored for it add up to that size (X-7: no intent REJECTED, or behind,
    while the venue filled its order)."""
    problems = []
    stored: dict[str, Decimal] = {}
    for fill in audit["fills"]:
        stored[fill[6]] = stored.get(fill[6], Decimal(0)) + Decimal(fill[4])
    for order in audit["ledger"]:
        row = audit["intent_rows"].get(order["client_order_id"])
        if row is None:
            continue  # reported as an order without an intent
        state, filled = row[0], Decimal(row[3])
        expected = VENUE_TO_INTENT.get(order["status"])
        venue_filled = Decimal(order["filled_size"])
        if expected is not None and state != expected:
            problems.append(f"order {order['order_id']}: venue {order['status']}, intent {state}")
        if filled != venue_filled:
            problems.append(
                f"order {order['order_id']}: venue filled {venue_filled}, intent {filled}"
            )
        if stored.get(order["order_id"], Decimal(0)) != venue_filled:
            problems.append(
                f"order {order['order_id']}: fills stored {stored.get(order['order_id'])}, "
                f"venue filled {venue_filled}"
            )
    return problems


def _status_problems(audit: dict[str, Any]) -> list[str]:
    """`trader status --json` after the stop: nothing open, positions as the venue holds."""
    status = audit["status"]
    if not status:
        return ["`trader status --json` gave no document"]
    problems = []
    if status.get("open_orders"):
        problems.append(f"status shows {len(status['open_orders'])} open order(s) after the stop")
    for position in status.get("positions", []):
        base = position["product_id"].split("-")[0]
        if Decimal(position["base_size"]) != audit["balances"].get(base, Decimal(0)):
            problems.append(f"status position {position['product_id']} differs from the venue")
    return problems


def _balance_problems(audit: dict[str, Any]) -> list[str]:
    problems = []
    usd = OPENING_USD
    for _trade_id, _product_id, side, price, size, commission, _order in audit["fills"]:
        value = Decimal(price) * Decimal(size)
        usd += (value if side == "SELL" else -value) - Decimal(commission)
    if audit["balances"].get("USD", Decimal(0)) != usd:
        problems.append(f"USD: venue {audit['balances'].get('USD')} vs daemon {usd}")
    for product_id, size in audit["positions"].items():
        base = product_id.split("-")[0]
        if audit["balances"].get(base, Decimal(0)) != size:
            problems.append(f"{base}: venue {audit['balances'].get(base)} vs daemon {size}")
    held = {c for c, v in audit["balances"].items() if c != "USD" and v != 0}
    missing = held - {p.split("-")[0] for p, s in audit["positions"].items() if s != 0}
    if missing:
        problems.append(f"venue holds {sorted(missing)} the daemon does not know")
    return problems


def summary(run: ChaosRun, audit: dict[str, Any]) -> str:
    counts = run.counts
    worst = f"{max(counts.drills):.3f} s" if counts.drills else "n/a"
    outage = f"{max(counts.outage_drills):.3f} s" if counts.outage_drills else "n/a"
    faulted = f"{max(counts.faulted_drills):.3f} s" if counts.faulted_drills else "n/a"
    return (
        f"chaos: faults={counts.faults} ws_closes={counts.ws_closes} kills={counts.kills} "
        f"intents={sum(audit['states'].values())} states={audit['states']} "
        f"venue_orders={len(audit['ledger'])} fills={len(audit['fills'])} "
        f"halts={dict(Counter(audit['halts']))} "
        f"drills={len(counts.drills)} (open orders {counts.drill_open_orders}, worst {worst}) "
        f"venue-down drills={len(counts.outage_drills)} (venue back to nothing open, worst "
        f"{outage}) cancel-faulted drills={len(counts.faulted_drills)} (worst {faulted}) "
        f"adoptions={counts.adoptions} kinds={dict(sorted(counts.kinds.items()))}"
    )
