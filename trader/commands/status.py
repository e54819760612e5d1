"""`trader status`: from the running daemon's /status, else from SQLite (OPS-5)."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from typing import Any

import aiohttp
import orjson

from trader.commands.common import load_or_report
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, EXIT_STATE
from trader.config.hosts import reach_host
from trader.config.loader import LoadedConfig
from trader.daemon.status import state_document
from trader.ops.pidlock import lock_is_held, read_holder, read_port
from trader.state.db import connect
from trader.state.identity import NoStateFile, StateFileError, check_state


async def _fetch_live(host: str, port: int) -> dict[str, Any] | None:
    """The daemon's /status from the listener bound to `host` (an IPv6 address in
    brackets, a wildcard bind reached on loopback); None when none answers there."""
    url = f"http://{reach_host(host)}:{port}/status"
    timeout = aiohttp.ClientTimeout(total=2.0)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
            if response.status != 200:
                return None
            document = orjson.loads(await response.read())
    except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError):
        return None
    return document if isinstance(document, dict) else None


def _from_database(loaded: LoadedConfig) -> dict[str, Any] | None:
    """The document read from the state file after the start's checks (ST-3), read-only;
    None when there is no state file yet."""
    try:
        check_state(loaded.state_db_path)
    except NoStateFile:
        return None
    try:
        conn = connect(loaded.state_db_path, read_only=True)
        try:
            document = state_document(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StateFileError(f"state file {loaded.state_db_path} cannot be read: {exc}") from exc
    running = lock_is_held(loaded.pid_path)
    document.update(
        {
            "running": running,
            "pid": read_holder(loaded.pid_path) if running else None,
            "source": "database",
            "mode": loaded.app.mode.value,
            "venue": loaded.app.exchange.venue,
            "venue_url": _configured_venue_url(loaded),
            "config_hash": loaded.config_hash,
            "kill_switch_file": loaded.kill_switch_path.exists(),
        }
    )
    return document


def _configured_venue_url(loaded: LoadedConfig) -> str | None:
    exchange = loaded.app.exchange
    if exchange.venue == "none":
        return None
    return "embedded venue (not running)" if exchange.venue == "sim" else exchange.rest_url


def collect(loaded: LoadedConfig) -> dict[str, Any] | None:
    live = _from_daemon(loaded) if lock_is_held(loaded.pid_path) else None
    return live or _from_database(loaded)


def _from_daemon(loaded: LoadedConfig) -> dict[str, Any] | None:
    """The running daemon's /status, at the port it noted beside its lock (the one the OS
    chose for `metrics.port: 0`), else at the configured one; None when no daemon answers
    there or the one that answers is not the lock's holder."""
    metrics = loaded.app.metrics
    holder = read_holder(loaded.pid_path)
    port = (read_port(loaded.pid_path, holder) if holder else None) or metrics.port
    if not port:
        return None
    document = asyncio.run(_fetch_live(metrics.host, port))
    if document is None or (holder is not None and document.get("pid") != holder):
        return None
    return document


def render(document: dict[str, Any]) -> str:
    running = f"running (pid {document.get('pid')})" if document.get("running") else "not running"
    lines = [
        f"trader {running}  [from {document.get('source')}]",
        f"mode:     {document.get('mode')}  venue: {document.get('venue')}"
        f"  {document.get('venue_url') or ''}".rstrip(),
        f"state:    {document.get('state')}"
        + (f"  reason: {document.get('halt_reason')}" if document.get("halt_reason") else "")
        + (f"  since {document.get('halted_at')}" if document.get("halted_at") else ""),
    ]
    if document.get("halt_detail"):
        lines.append(f"detail:   {document['halt_detail']}")
    if document.get("kill_switch_file"):
        lines.append("KILL SWITCH FILE PRESENT")
    lines += _money_lines(document)
    lines += _position_lines(document.get("positions") or [])
    lines += _strategy_lines(document.get("strategies") or {}, document.get("quote_currency"))
    lines += _order_lines(document.get("open_orders") or [])
    lines += _decision_lines(document.get("last_decisions") or [])
    lines += _exclusion_lines(document.get("exclusions") or {})
    last = document.get("last_cycle")
    if last:
        held = f" ({last.get('error')})" if last.get("status") == "HELD" else ""
        when = last.get("finished_at") or last.get("at") or ""
        lines.append(f"last cycle: {last.get('cycle_id', '-')} {last.get('status')}{held} {when}")
    else:
        lines.append("last cycle: none yet")
    return "\n".join(lines)


def _money_lines(document: dict[str, Any]) -> list[str]:
    quote = document.get("quote_currency") or ""
    equity = document.get("equity")
    valued = f"  (valued {document.get('valued_at')})" if document.get("valued_at") else ""
    unknown = "" if document.get("balances_known", True) else "  BALANCES UNKNOWN"
    return [
        f"equity:   {equity if equity is not None else 'not valued yet'} {quote}{valued}{unknown}",
        f"pnl:      realized {document.get('realized_pnl')}"
        f"  unrealized {document.get('unrealized_pnl', '0')} {quote}",
    ]


def _position_lines(positions: list[dict[str, Any]]) -> list[str]:
    lines = [f"positions: {len(positions)}"]
    for p in positions:
        mark = (
            f"  mark {p['mark']}  value {p['value']}  unrealized {p['unrealized_pnl']}"
            if p.get("mark")
            else "  (no mark yet)"
        )
        owner = f"  [{p['strategy']}]" if p.get("strategy") else ""
        lines.append(f"  {p['product_id']}: {p['base_size']} @ {p['average_cost']}{mark}{owner}")
    return lines


def _strategy_lines(strategies: dict[str, dict[str, Any]], quote: str | None) -> list[str]:
    """STR-5: one line per strategy."""
    lines = [f"strategies: {len(strategies)}"]
    for name, s in strategies.items():
        held = ", ".join(s.get("positions") or []) or "-"
        lines.append(
            f"  {name}: proposals {s.get('proposals')} approved {s.get('approved')}"
            f"  fills {s.get('fills')}  realized {s.get('realized_pnl')} {quote or ''}"
            f"  fees {s.get('fees')}  holding {held}"
        )
    return lines


def _order_lines(orders: list[dict[str, Any]]) -> list[str]:
    lines = [f"open orders: {len(orders)}"]
    lines += [
        f"  {o['product_id']} {o['side']} {o['base_size']} @ {o['limit_price']} [{o['state']}]"
        f" {o.get('purpose') or ''} {o.get('created_at') or ''}".rstrip()
        for o in orders
    ]
    return lines


def _decision_lines(decisions: list[dict[str, Any]]) -> list[str]:
    lines = [f"last decisions: {len(decisions)}"]
    for d in decisions:
        reasons = ",".join(d.get("reasons") or []) or "-"
        lines.append(
            f"  {d.get('at')} {d['product_id']} {d['side']} {d['strategy']}: "
            f"{d['decision']} ({reasons})"
        )
    return lines


def _exclusion_lines(exclusions: dict[str, dict[str, Any]]) -> list[str]:
    lines = [f"universe exclusions: {len(exclusions)}"]
    lines += [
        f"  {pid}: {e.get('reason')} {e.get('detail') or ''}".rstrip()
        for pid, e in exclusions.items()
    ]
    return lines


def status_command(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.config, run_plugins=False, writes=False)
    if loaded is None:
        return EXIT_CONFIG
    try:
        document = collect(loaded)
    except StateFileError as exc:
        print(f"status unavailable: {exc}", file=sys.stderr)
        return EXIT_STATE
    if document is None:
        print(
            f"no state yet: {loaded.state_db_path} does not exist (the daemon has never run here)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if args.json:
        print(orjson.dumps(document, option=orjson.OPT_INDENT_2, default=str).decode())
    else:
        print(render(document))
    return EXIT_OK
