"""Wire encoding of products, books and trades (SIM-1, coinbase-protocol.md §2.2–2.4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trader.core.types import BookLevel, ProductRules, Quote, Trade
from trader.sim.server.context import VenueContext
from trader.sim.server.encode import dec, rfc3339

DAY_S = 86400
PCT_GRID = Decimal("1e-14")
NEW_AT = "2023-01-01T00:00:00Z"  # the capture's listing date of the long-listed products
# display names as the real product list spells them (others: the currency code)
CURRENCY_NAMES = {
    "USD": "US Dollar",
    "USDC": "USDC",
    "USDT": "Tether",
    "EUR": "Euro",
    "GBP": "British Pound",
    "BTC": "Bitcoin",
    "ETH": "Ethereum",
    "SOL": "Solana",
    "XRP": "XRP",
    "DOGE": "Dogecoin",
    "ADA": "Cardano",
    "AVAX": "Avalanche",
    "LINK": "Chainlink",
    "LTC": "Litecoin",
    "DOT": "Polkadot",
}


def product_price(ctx: VenueContext, product_id: str) -> Decimal:
    """Last trade price, else the mid of the book, else 0."""
    last = ctx.market.last_price.get(product_id)
    if last is not None:
        return last
    quote = ctx.engine.quote(product_id)
    return quote.mid if quote is not None else Decimal(0)


def _change_24h(ctx: VenueContext, product_id: str, price: Decimal, now: float) -> Decimal:
    start = int(now) - DAY_S
    old = ctx.history.candles(product_id, 60, start, start + 60, now)
    if not old or old[-1].open == 0 or price == 0:
        return Decimal(0)
    return (price - old[-1].open) / old[-1].open * 100


def product_json(
    ctx: VenueContext, rules: ProductRules, tradability: bool = False
) -> dict[str, Any]:
    """One Product object with exactly the fields of the real `market/products` body (2026
    capture). Like the real list, `mid_market_price`, `best_bid_price` and `best_ask_price`
    are empty strings; `view_only` reports tradability only when asked
    (`get_tradability_status`)."""
    now = ctx.clock.market_now()
    pid = rules.product_id
    price = product_price(ctx, pid)
    volume, low, high = ctx.history.stats_24h(pid, now)
    base, quote = rules.base_currency, rules.quote_currency
    return {
        "product_id": pid,
        "price": dec(price),
        "price_percentage_change_24h": dec(_change_24h(ctx, pid, price, now).quantize(PCT_GRID)),
        "volume_24h": dec(volume),
        "volume_percentage_change_24h": "0",
        "base_increment": dec(rules.base_increment),
        "quote_increment": dec(rules.quote_increment),
        "quote_min_size": dec(rules.quote_min_size),
        "quote_max_size": dec(rules.quote_max_size),
        "base_min_size": dec(rules.base_min_size),
        "base_max_size": dec(rules.base_max_size),
        "base_name": CURRENCY_NAMES.get(base, base),
        "quote_name": CURRENCY_NAMES.get(quote, quote),
        "watched": False,
        "is_disabled": False,
        "new": False,
        "status": rules.status,
        "cancel_only": rules.cancel_only,
        "limit_only": rules.limit_only,
        "post_only": rules.post_only,
        "trading_disabled": rules.trading_disabled,
        "auction_mode": rules.auction_mode,
        "product_type": "SPOT",
        "quote_currency_id": quote,
        "base_currency_id": base,
        "fcm_trading_session_details": None,
        "mid_market_price": "",
        "alias": "",
        "alias_to": [],
        "base_display_symbol": base,
        "quote_display_symbol": quote,
        "view_only": tradability and not _tradable(rules),
        "price_increment": dec(rules.quote_increment),
        "display_name": pid,
        "product_venue": "CBE",
        "approximate_quote_24h_volume": dec((volume * price).quantize(Decimal("0.01"))),
        **_listing_fields(),
        "high_24h": dec(high) if volume else "",
        "low_24h": dec(low) if volume else "",
    }


def _tradable(rules: ProductRules) -> bool:
    return rules.status == "online" and not rules.trading_disabled and not rules.cancel_only


def _listing_fields() -> dict[str, Any]:
    """Listing metadata the real body carries, as the capture shows it for listed products."""
    return {
        "new_at": NEW_AT,
        "market_cap": "",
        "base_cbrn": "",
        "quote_cbrn": "",
        "product_cbrn": "",
        "icon_color": "",
        "icon_url": "",
        "display_name_overwrite": "",
        "is_alpha_testing": False,
        "about_description": "",
        "best_bid_price": "",
        "best_ask_price": "",
    }


def levels_json(levels: list[BookLevel]) -> list[dict[str, str]]:
    return [{"price": dec(level.price), "size": dec(level.size)} for level in levels]


def pricebook_json(
    product_id: str, bids: list[BookLevel], asks: list[BookLevel], now: float
) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "bids": levels_json(bids),
        "asks": levels_json(asks),
        "time": rfc3339(now),
    }


def trade_json(trade: Trade) -> dict[str, str]:
    """A `products/{id}/ticker` trade row (`side` is the maker side)."""
    return {
        "trade_id": trade.trade_id,
        "product_id": trade.product_id,
        "price": dec(trade.price),
        "size": dec(trade.size),
        "time": rfc3339(trade.time),
        "side": str(trade.side),
        "exchange": "CBE",
    }


def spread_fields(quote: Quote | None) -> dict[str, str]:
    if quote is None:
        return {"mid_market": "", "spread_bps": "", "spread_absolute": ""}
    return {
        "mid_market": dec(quote.mid),
        "spread_bps": dec(quote.spread_bps.quantize(Decimal("0.0001"))),
        "spread_absolute": dec(quote.ask - quote.bid),
    }
