"""The venue's aiohttp application: REST, WebSocket at `/`, control under `/_sim/` (SIM-1)."""

from __future__ import annotations

from aiohttp import web

from trader.sim.server import (
    control,
    rest_accounts,
    rest_edit,
    rest_market,
    rest_orders,
    rest_portfolios,
)
from trader.sim.server.context import CTX, VenueContext
from trader.sim.server.middleware import venue_middleware
from trader.sim.server.ws import HUB, ws_handler
from trader.sim.server.ws_hub import Hub

MAX_BODY = 16 * 1024 * 1024


def build_app(ctx: VenueContext, hub: Hub) -> web.Application:
    app = web.Application(middlewares=[venue_middleware], client_max_size=MAX_BODY)
    app[CTX] = ctx
    app[HUB] = hub
    rest_market.add_routes(app)
    rest_orders.add_routes(app)
    rest_accounts.add_routes(app)
    rest_edit.add_routes(app)
    rest_portfolios.add_routes(app)
    control.add_routes(app)
    app.router.add_get("/", ws_handler)
    return app
