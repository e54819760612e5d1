"""WebSocket event payloads (SIM-1, coinbase-protocol.md §5 "Channel payloads").

Each function returns the `events` list of one message; the session wraps it in the
envelope (`channel`, `timestamp`, `sequence_num`; like the recorded 2026 frames, no
`client_id`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trader.core.types import BookLevel, Candle, ProductRules, Quote, Trade
from trader.sim.server.encode import dec, rfc3339, ws_candle_json

# subscription name -> output channel name
OUTPUT_CHANNEL = {
    "heartbeats": "heartbeats",
    "ticker": "ticker",
    "ticker_batch": "ticker_batch",
    "market_trades": "market_trades",
    "candles": "candles",
    "level2": "l2_data",
    "status": "status",
    "user": "user",
}
PRODUCT_CHANNELS = frozenset({"ticker", "ticker_batch", "market_trades", "candles", "level2"})
USER_SNAPSHOT_BATCH = 50
L2_EPOCH = "1970-01-01T00:00:00Z"


def heartbeat_events(current_time: str, counter: int) -> list[dict[str, Any]]:
    return [{"current_time": current_time, "heartbeat_counter": counter}]


def ticker_row(
    product_id: str,
    price: Decimal,
    stats: tuple[Decimal, Decimal, Decimal, Decimal],
    quote: Quote | None,
    with_book: bool = True,
) -> dict[str, str]:
    """One `tickers[]` row; `stats` = (volume, low, high, percent change) over 24 h."""
    volume, low, high, change = stats
    row = {
        "type": "ticker",
        "product_id": product_id,
        "price": dec(price),
        "volume_24_h": dec(volume),
        "low_24_h": dec(low),
        "high_24_h": dec(high),
        "low_52_w": dec(low),
        "high_52_w": dec(high),
        "price_percent_chg_24_h": dec(change),
    }
    if with_book:
        row["best_bid"] = dec(quote.bid) if quote else ""
        row["best_ask"] = dec(quote.ask) if quote else ""
        row["best_bid_quantity"] = dec(quote.bid_size) if quote else ""
        row["best_ask_quantity"] = dec(quote.ask_size) if quote else ""
    return row


def ticker_events(kind: str, rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"type": kind, "tickers": rows}]


def trade_row(trade: Trade) -> dict[str, str]:
    return {
        "product_id": trade.product_id,
        "trade_id": trade.trade_id,
        "price": dec(trade.price),
        "size": dec(trade.size),
        "time": rfc3339(trade.time),
        "side": str(trade.side),
    }


def trades_events(kind: str, trades: list[Trade]) -> list[dict[str, Any]]:
    return [{"type": kind, "trades": [trade_row(t) for t in trades]}]


def candles_events(kind: str, candles: list[Candle]) -> list[dict[str, Any]]:
    return [{"type": kind, "candles": [ws_candle_json(c) for c in candles]}]


def l2_snapshot_events(
    product_id: str, bids: list[BookLevel], asks: list[BookLevel], event_time: str
) -> list[dict[str, Any]]:
    updates = [_l2_row("bid", level.price, level.size, event_time) for level in bids]
    updates += [_l2_row("offer", level.price, level.size, event_time) for level in asks]
    return [{"type": "snapshot", "product_id": product_id, "updates": updates}]


def l2_update_events(
    product_id: str, changes: list[tuple[str, Decimal, Decimal]], event_time: str
) -> list[dict[str, Any]]:
    """`changes` are (side, price, new absolute quantity); quantity 0 removes the level."""
    updates = [_l2_row(side, price, size, event_time) for side, price, size in changes]
    return [{"type": "update", "product_id": product_id, "updates": updates}]


def _l2_row(side: str, price: Decimal, size: Decimal, event_time: str) -> dict[str, str]:
    return {
        "side": side,
        "event_time": event_time,
        "price_level": dec(price),
        "new_quantity": dec(size),
    }


def status_row(rules: ProductRules) -> dict[str, str]:
    status = rules.status
    if rules.trading_disabled:
        status = "offline"
    message = ""
    if rules.cancel_only:
        message = "cancel_only"
    elif rules.limit_only:
        message = "limit_only"
    elif rules.post_only:
        message = "post_only"
    return {
        "product_type": "SPOT",
        "id": rules.product_id,
        "base_currency": rules.base_currency,
        "quote_currency": rules.quote_currency,
        "base_increment": dec(rules.base_increment),
        "quote_increment": dec(rules.quote_increment),
        "display_name": f"{rules.base_currency}/{rules.quote_currency}",
        "status": status,
        "status_message": message,
        "min_market_funds": dec(rules.quote_min_size),
    }


def status_events(kind: str, rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"type": kind, "products": rows}]


def user_events(kind: str, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    positions: dict[str, list[Any]] = {
        "perpetual_futures_positions": [],
        "expiring_futures_positions": [],
    }
    return [{"type": kind, "orders": orders, "positions": positions}]


def book_diff(
    old: dict[Decimal, Decimal], new: dict[Decimal, Decimal], side: str
) -> list[tuple[str, Decimal, Decimal]]:
    """Level changes turning `old` into `new` (absolute quantities, 0 = removed)."""
    changes = [(side, price, size) for price, size in new.items() if old.get(price) != size]
    changes += [(side, price, Decimal(0)) for price in old if price not in new]
    return changes
