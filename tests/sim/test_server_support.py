"""Test-side client for the simulated venue (SIM-1): plain aiohttp + pyjwt, written here and
independent of the daemon's exchange adapter. No tests in this module."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import aiohttp
import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from trader.core.clock import wall_clock
from trader.sim.venue import SimConfig, SimVenue

PREFIX = "/api/v3/brokerage"
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def make_jwt(
    name: str,
    key: PrivateKey,
    *,
    uri: str | None = None,
    now: float | None = None,
    nbf: float | None = None,
    exp: float | None = None,
    iss: str = "cdp",
    sub: str | None = None,
    nonce: str | None = None,
) -> str:
    """A CDP JWT as the official SDK builds it (nonce header, iss=cdp, 120 s lifetime)."""
    now = time.time() if now is None else now
    claims: dict[str, Any] = {
        "sub": name if sub is None else sub,
        "iss": iss,
        "nbf": int(now) if nbf is None else int(nbf),
        "exp": int(now) + 120 if exp is None else int(exp),
    }
    if uri is not None:
        claims["uri"] = uri
    alg = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "EdDSA"
    headers = {"kid": name, "nonce": nonce or secrets.token_hex()}
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


@asynccontextmanager
async def open_venue(**overrides: Any) -> AsyncIterator[SimVenue]:
    """A small synthetic venue on an ephemeral loopback port."""
    settings: dict[str, Any] = {"products": 3, "tick_s": 0.02, "seed": 7}
    settings.update(overrides)
    async with SimVenue(SimConfig(**settings), clock=wall_clock) as venue:
        yield venue


class Rest:
    """Signs every request with a fresh JWT for `{METHOD} {host}{path}`."""

    def __init__(
        self,
        venue: SimVenue,
        session: aiohttp.ClientSession,
        name: str | None = None,
        key: PrivateKey | None = None,
    ) -> None:
        self.venue = venue
        self.session = session
        self.name = name or venue.credentials.name
        self.key = key or venue.credentials.private_key

    def token(self, method: str, path: str, **claims: Any) -> str:
        claims.setdefault("now", self.venue.now())
        return make_jwt(self.name, self.key, uri=f"{method} {self.venue.host}{path}", **claims)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        body: Any = None,
        auth: bool = True,
        token: str | None = None,
        timeout: float = 5.0,
    ) -> tuple[int, Any, Any]:
        """(status, parsed JSON or text, headers)."""
        full = PREFIX + path if not path.startswith("/_sim") else path
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {token or self.token(method, full)}"
        data = orjson.dumps(body) if body is not None else None
        url = f"{self.venue.rest_url.split(PREFIX)[0]}{full}"
        async with self.session.request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            text = await resp.text()
            try:
                parsed: Any = orjson.loads(text)
            except orjson.JSONDecodeError:
                parsed = text
            return resp.status, parsed, resp.headers

    async def get(self, path: str, **kw: Any) -> tuple[int, Any, Any]:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any, Any]:
        return await self.call("POST", path, body=body, **kw)

    async def limit_order(
        self,
        client_id: str,
        side: str,
        size: str,
        price: str,
        product: str = "BTC-USD",
        post_only: bool = False,
    ) -> Any:
        body = {
            "client_order_id": client_id,
            "product_id": product,
            "side": side,
            "order_configuration": {
                "limit_limit_gtc": {"base_size": size, "limit_price": price, "post_only": post_only}
            },
        }
        status, data, _ = await self.post("/orders", body)
        assert status == 200, data
        return data

    async def market_order(
        self, client_id: str, side: str, product: str = "BTC-USD", **size: str
    ) -> Any:
        body = {
            "client_order_id": client_id,
            "product_id": product,
            "side": side,
            "order_configuration": {"market_market_ioc": size},
        }
        status, data, _ = await self.post("/orders", body)
        assert status == 200, data
        return data

    async def order(
        self, client_id: str, side: str, configuration: dict[str, Any], product: str = "BTC-USD"
    ) -> Any:
        """Create an order of any `order_configuration`; the 200 body (success or not)."""
        body = {
            "client_order_id": client_id,
            "product_id": product,
            "side": side,
            "order_configuration": configuration,
        }
        status, data, _ = await self.post("/orders", body)
        assert status == 200, data
        return data

    async def get_order(self, order_id: str) -> Any:
        status, data, _ = await self.get(f"/orders/historical/{order_id}")
        assert status == 200, data
        return data["order"]

    async def balance(self, currency: str) -> tuple[Decimal, Decimal]:
        """(available, hold) of one currency from `/accounts`."""
        status, data, _ = await self.get("/accounts", params={"limit": "250"})
        assert status == 200, data
        row = next(a for a in data["accounts"] if a["currency"] == currency)
        return Decimal(row["available_balance"]["value"]), Decimal(row["hold"]["value"])

    async def last_price(self, product: str = "BTC-USD") -> Decimal:
        status, data, _ = await self.get(f"/products/{product}/ticker", params={"limit": "1"})
        assert status == 200 and data["trades"], data
        return Decimal(data["trades"][0]["price"])

    async def best(self, product: str = "BTC-USD") -> tuple[Any, Any]:
        from decimal import Decimal

        status, data, _ = await self.get("/best_bid_ask", params={"product_ids": product})
        assert status == 200, data
        book = data["pricebooks"][0]
        return Decimal(book["bids"][0]["price"]), Decimal(book["asks"][0]["price"])


class Ws:
    """A WS client that records every frame it reads."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []

    async def send(self, msg: dict[str, Any]) -> None:
        await self.ws.send_str(orjson.dumps(msg).decode())

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=timeout)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"websocket ended: {msg.type} {msg.data!r}")
        frame: dict[str, Any] = orjson.loads(msg.data)
        self.frames.append(frame)
        return frame

    async def until(
        self, pred: Callable[[dict[str, Any]], bool], timeout: float = 5.0
    ) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.next(timeout)
                if pred(frame):
                    return frame


@asynccontextmanager
async def ws_connect(
    venue: SimVenue, session: aiohttp.ClientSession, **kw: Any
) -> AsyncIterator[Ws]:
    async with session.ws_connect(venue.ws_url, max_msg_size=64 * 1024 * 1024, **kw) as ws:
        yield Ws(ws)


def channel(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda frame: frame.get("channel") == name


L2Books = dict[str, dict[str, dict[Decimal, Decimal]]]


def apply_l2(books: L2Books, frame: dict[str, Any]) -> None:
    """Apply one `l2_data` frame to per-product books (`bid`/`offer` → price → size)."""
    for event in frame["events"]:
        book = books.setdefault(event["product_id"], {"bid": {}, "offer": {}})
        if event["type"] == "snapshot":
            book["bid"].clear()
            book["offer"].clear()
        for u in event["updates"]:
            size = Decimal(u["new_quantity"])
            if size == 0:
                book[u["side"]].pop(Decimal(u["price_level"]), None)
            else:
                book[u["side"]][Decimal(u["price_level"])] = size
