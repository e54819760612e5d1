"""Portfolio and key endpoints (SIM-1, coinbase-protocol.md §2.11; SDK `portfolios.py`,
`data_api.py`).

The venue has one portfolio, the key's DEFAULT one (`ctx.portfolio_id`):
- `GET /portfolios?portfolio_type=` → `{"portfolios":[{"name","uuid","type","deleted"}]}`
  (another type lists nothing; an unknown type is a 400);
- `GET /portfolios/{uuid}?currency=` → `{"breakdown":{portfolio, portfolio_balances,
  spot_positions[], perp_positions[], futures_positions[]}}`: balances are `{value,
  currency}` strings, per-position amounts JSON numbers (as the SDK types them), valued in
  USD at the venue's last prices; cost basis is the average cost of the own fills (fees
  included);
- `GET /key_permissions` → `{"can_view","can_trade","can_transfer","portfolio_uuid",
  "portfolio_type"}`: the simulated key may view and trade, not transfer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from trader.core.types import Side
from trader.matching.types import Balance
from trader.sim.server.context import API_PREFIX, CTX, VENUE_NAMESPACE, VenueContext
from trader.sim.server.encode import dec
from trader.sim.server.encode_market import product_price
from trader.sim.server.responses import invalid_argument, json_response, not_found

PORTFOLIO_TYPES = ("", "UNDEFINED", "DEFAULT", "CONSUMER", "INTX")
VALUATION = "USD"
CASH = frozenset({"USD", "USDC"})
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Position:
    balance: Balance
    price: Decimal  # USD per unit
    cost: Decimal  # average cost of what is held, USD

    @property
    def total(self) -> Decimal:
        return self.balance.available + self.balance.hold

    @property
    def value(self) -> Decimal:
        return self.total * self.price


def portfolio_json(ctx: VenueContext) -> dict[str, Any]:
    return {"name": "Default", "uuid": ctx.portfolio_id, "type": "DEFAULT", "deleted": False}


async def list_portfolios(request: web.Request) -> web.Response:
    kind = request.query.get("portfolio_type", "")
    if kind not in PORTFOLIO_TYPES:
        raise invalid_argument(f"portfolio_type {kind!r} is invalid")
    ctx = request.app[CTX]
    portfolios = [portfolio_json(ctx)] if kind in ("", "UNDEFINED", "DEFAULT") else []
    return json_response({"portfolios": portfolios})


async def portfolio_breakdown(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    wanted = request.match_info["portfolio_uuid"]
    if wanted != ctx.portfolio_id:
        raise not_found(f"portfolio {wanted} not found")
    currency = request.query.get("currency", "") or VALUATION
    if currency != VALUATION:
        raise invalid_argument(f"currency {currency!r}: the simulated venue values in USD")
    positions = [p for p in _positions(ctx) if p.total > 0]
    total = sum((p.value for p in positions), ZERO)
    return json_response(
        {
            "breakdown": {
                "portfolio": portfolio_json(ctx),
                "portfolio_balances": _balances_json(positions),
                "spot_positions": [_spot_json(ctx, p, total) for p in positions],
                "perp_positions": [],
                "futures_positions": [],
            }
        }
    )


async def key_permissions(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    return json_response(
        {
            "can_view": True,
            "can_trade": True,
            "can_transfer": False,
            "portfolio_uuid": ctx.portfolio_id,
            "portfolio_type": "DEFAULT",
        }
    )


def _positions(ctx: VenueContext) -> list[Position]:
    costs = _average_costs(ctx)
    out = []
    for balance in sorted(ctx.engine.balances(), key=lambda b: b.currency):
        price = _usd_price(ctx, balance.currency)
        held = balance.available + balance.hold
        qty, cost = costs.get(balance.currency, (ZERO, ZERO))
        basis = cost / qty * held if qty > 0 else held * price
        out.append(Position(balance, price, basis if balance.currency not in CASH else held))
    return out


def _usd_price(ctx: VenueContext, currency: str) -> Decimal:
    if currency in CASH:
        return Decimal(1)
    product_id = f"{currency}-{VALUATION}"
    return product_price(ctx, product_id) if ctx.engine.product(product_id) else ZERO


def _average_costs(ctx: VenueContext) -> dict[str, tuple[Decimal, Decimal]]:
    """Base currency → (quantity, cost) bought by own fills, average-cost method."""
    book: dict[str, tuple[Decimal, Decimal]] = {}
    for fill in ctx.engine.fills():
        rules = ctx.engine.product(fill.product_id)
        if rules is None:
            continue
        qty, cost = book.get(rules.base_currency, (ZERO, ZERO))
        if fill.side is Side.BUY:
            qty, cost = qty + fill.size, cost + fill.price * fill.size + fill.commission
        elif qty > 0:
            sold = min(fill.size, qty)
            qty, cost = qty - sold, cost - cost * sold / qty
        book[rules.base_currency] = (qty, cost)
    return book


def _amount(value: Decimal) -> dict[str, str]:
    return {"value": dec(value.quantize(Decimal("0.01"))), "currency": VALUATION}


def _balances_json(positions: list[Position]) -> dict[str, Any]:
    cash = sum((p.value for p in positions if p.balance.currency in CASH), ZERO)
    crypto = sum((p.value for p in positions if p.balance.currency not in CASH), ZERO)
    return {
        "total_balance": _amount(cash + crypto),
        "total_futures_balance": _amount(ZERO),
        "total_cash_equivalent_balance": _amount(cash),
        "total_crypto_balance": _amount(crypto),
        "futures_unrealized_pnl": _amount(ZERO),
        "perp_unrealized_pnl": _amount(ZERO),
    }


def _spot_json(ctx: VenueContext, p: Position, total: Decimal) -> dict[str, Any]:
    currency, available = p.balance.currency, p.balance.available
    is_cash = currency in CASH
    entry = p.cost / p.total if p.total > 0 else ZERO
    return {
        "asset": currency,
        "account_uuid": ctx.account_uuid(currency),
        "total_balance_fiat": float(p.value),
        "total_balance_crypto": float(p.total),
        "available_to_trade_fiat": float(available * p.price),
        "allocation": float(p.value / total) if total > 0 else 0.0,
        "cost_basis": {"value": dec(p.cost), "currency": VALUATION},
        "asset_img_url": "",
        "is_cash": is_cash,
        "average_entry_price": {"value": dec(entry), "currency": VALUATION},
        "asset_uuid": str(uuid.uuid5(VENUE_NAMESPACE, f"asset-{currency}")),
        "available_to_trade_crypto": float(available),
        "unrealized_pnl": 0.0 if is_cash else float(p.value - p.cost),
        "available_to_transfer_fiat": float(available * p.price),
        "available_to_transfer_crypto": float(available),
        "asset_color": "",
        "account_type": "ACCOUNT_TYPE_FIAT" if is_cash else "ACCOUNT_TYPE_CRYPTO",
        "funding_pnl": 0.0,
        "available_to_send_fiat": float(available * p.price),
        "available_to_send_crypto": float(available),
    }


def add_routes(app: web.Application) -> None:
    p = API_PREFIX
    app.router.add_get(f"{p}/portfolios", list_portfolios)
    app.router.add_get(f"{p}/portfolios/{{portfolio_uuid}}", portfolio_breakdown)
    app.router.add_get(f"{p}/key_permissions", key_permissions)
