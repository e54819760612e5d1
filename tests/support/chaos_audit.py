"""The chaos suite's invariants (X-1, X-4, X-5, ST-2, OPS-4): what must hold between the
daemon's SQLite and the venue's ledger, fills and balances after any run."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.chaos import ChaosRun

OPENING_USD = Decimal("100000")


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
    problems += _balance_problems(audit)
    unexpected = [reason for reason in audit["halts"] if reason != "kill_switch"]
    if unexpected:
        problems.append(
            f"halted by {unexpected} (only the kill-switch drills should halt): "
            f"{audit['halt_details']}"
        )
    if any(o["status"] == "OPEN" for o in ledger):
        problems.append("orders still open at the venue after a graceful stop")
    return problems


def _balance_problems(audit: dict[str, Any]) -> list[str]:
    problems = []
    usd = OPENING_USD
    for _trade_id, product_id, side, price, size, commission in audit["fills"]:
        value = Decimal(price) * Decimal(size)
        usd += (value if side == "SELL" else -value) - Decimal(commission)
        del product_id
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
    drills = run.counts.drills
    worst = f"{max(drills):.3f} s" if drills else "n/a"
    return (
        f"chaos: faults={run.counts.faults} ws_closes={run.counts.ws_closes} "
        f"kills={run.counts.kills} "
        f"intents={sum(audit['states'].values())} states={audit['states']} "
        f"venue_orders={len(audit['ledger'])} fills={len(audit['fills'])} halts={audit['halts']} "
        f"drills={len(drills)} (open orders {run.counts.drill_open_orders}, worst {worst})"
    )
