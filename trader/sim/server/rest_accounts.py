"""Accounts and fee endpoints (SIM-1, coinbase-protocol.md §2.1, §2.10)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from trader.matching.types import Balance
from trader.sim.server.context import API_PREFIX, CTX, VenueContext
from trader.sim.server.encode import dec, rfc3339
from trader.sim.server.params import query_cursor, query_int
from trader.sim.server.responses import json_response, not_found

FIAT = frozenset({"USD", "EUR", "GBP"})


def account_json(ctx: VenueContext, balance: Balance) -> dict[str, Any]:
    created = rfc3339(0.0)
    currency = balance.currency
    return {
        "uuid": ctx.account_uuid(currency),
        "name": f"{currency} Wallet",
        "currency": currency,
        "available_balance": {"value": dec(balance.available), "currency": currency},
        "default": currency == "USD",
        "active": True,
        "created_at": created,
        "updated_at": created,
        "deleted_at": None,
        "type": "ACCOUNT_TYPE_FIAT" if currency in FIAT else "ACCOUNT_TYPE_CRYPTO",
        "ready": True,
        "hold": {"value": dec(balance.hold), "currency": currency},
        "retail_portfolio_id": ctx.portfolio_id,
        "platform": "ACCOUNT_PLATFORM_CONSUMER",
    }


def _balances(ctx: VenueContext) -> list[Balance]:
    return sorted(ctx.engine.balances(), key=lambda b: b.currency)


async def list_accounts(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    limit = query_int(request, "limit", 49, low=1, high=250) or 49
    offset = query_cursor(request)
    balances = _balances(ctx)
    page = balances[offset : offset + limit]
    has_next = offset + limit < len(balances)
    return json_response(
        {
            "accounts": [account_json(ctx, b) for b in page],
            "has_next": has_next,
            "cursor": str(offset + limit) if has_next else "",
            "size": len(page),
        }
    )


async def get_account(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    wanted = request.match_info["account_uuid"]
    for balance in _balances(ctx):
        if ctx.account_uuid(balance.currency) == wanted:
            return json_response({"account": account_json(ctx, balance)})
    raise not_found(f"account {wanted} not found")


async def transaction_summary(request: web.Request) -> web.Response:
    """Volume and fee totals are JSON numbers; the fee rates are strings (as the real API)."""
    ctx = request.app[CTX]
    rates = ctx.engine.fee_rates()
    volume = ctx.engine.traded_volume()
    fees = sum((f.commission for f in ctx.engine.fills()), Decimal(0))
    total_balance = sum(
        (b.available + b.hold for b in ctx.engine.balances() if b.currency == "USD"), Decimal(0)
    )
    return json_response(
        {
            "total_volume": float(volume),
            "total_fees": float(fees),
            "fee_tier": {
                "pricing_tier": "Advanced 1",
                "usd_from": "0",
                "usd_to": "10000",
                "taker_fee_rate": dec(rates.taker),
                "maker_fee_rate": dec(rates.maker),
                "aop_from": "",
                "aop_to": "",
            },
            "margin_rate": None,
            "goods_and_services_tax": None,
            "advanced_trade_only_volume": float(volume),
            "advanced_trade_only_fees": float(fees),
            "coinbase_pro_volume": 0,
            "coinbase_pro_fees": 0,
            "total_balance": dec(total_balance),
            "has_promo_fee": False,
        }
    )


def add_routes(app: web.Application) -> None:
    p = API_PREFIX
    app.router.add_get(f"{p}/accounts", list_accounts)
    app.router.add_get(f"{p}/accounts/{{account_uuid}}", get_account)
    app.router.add_get(f"{p}/transaction_summary", transaction_summary)
