"""How the daemon reaches its venue (CFG-3, OPS-2, EX-1).

The embedded simulator and Coinbase are reached by the same adapter over HTTP and
WebSocket; only the URLs and the key differ. The adapter is read-only unless the mode is
LIVE and the config says `read_only: false` — DRY_RUN and PAPER can never call a real
order endpoint, whatever else goes wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog

from trader.config.app import ExchangeConfig
from trader.config.loader import LoadedConfig
from trader.config.secrets import Credentials
from trader.core.types import Mode, ProductRules
from trader.exchange.errors import ExchangeError
from trader.exchange.interface import Venue
from trader.sim.venue import SimVenue

log = structlog.get_logger("trader.venue")


def exchange_config(loaded: LoadedConfig, venue: SimVenue | None) -> ExchangeConfig:
    config = loaded.app.exchange
    update: dict[str, object] = {
        "read_only": config.read_only or loaded.app.mode is not Mode.LIVE,
    }
    if venue is not None:
        update.update(
            rest_url=venue.rest_url,
            ws_market_url=venue.ws_url,
            ws_user_url=venue.ws_url,
            ca_file=None,
        )
    return config.model_copy(update=update)


def venue_credentials(venue: SimVenue | None, configured: Credentials | None) -> Credentials | None:
    """The embedded venue registers its own key; Coinbase uses the operator's (or none)."""
    if venue is None:
        return configured
    return Credentials(venue.credentials.name, venue.credentials.private_pem, "embedded venue")


def choose_products(available: Sequence[ProductRules], loaded: LoadedConfig) -> list[ProductRules]:
    """The configured products, else online products in the universe's quote currencies:
    those named in the universe's tiers first, then the rest by id, capped."""
    by_id = {p.product_id: p for p in available}
    configured = loaded.app.exchange.products
    if configured:
        missing = [pid for pid in configured if pid not in by_id]
        if missing:
            log.error("configured_products_not_listed", products=missing)
        return [by_id[pid] for pid in configured if pid in by_id]
    quote = loaded.universe.quote_currency
    named = {pid for tier in loaded.universe.tiers.values() for pid in tier.symbols}
    candidates = [
        p
        for p in available
        if p.quote_currency == quote and p.status == "online" and not p.trading_disabled
    ]
    candidates.sort(key=lambda p: (p.product_id not in named, p.product_id))
    return candidates[: loaded.app.exchange.max_products]


async def listing_times(
    exchange: Venue, product_ids: Sequence[str], now: float
) -> dict[str, float]:
    """Listing-time lower bounds for the universe's listing-age filter (U-1); a product
    whose daily history cannot be read is left out and so fails closed."""
    found: dict[str, float] = {}
    limit = asyncio.Semaphore(4)

    async def one(pid: str) -> None:
        async with limit:
            try:
                start = await exchange.listed_since(pid, now)
            except ExchangeError as exc:
                log.warning("listing_time_unknown", product_id=pid, error=str(exc))
                return
            if start is not None:
                found[pid] = start

    await asyncio.gather(*(one(pid) for pid in product_ids))
    return found
