"""SIM-1 JWT verification: the venue accepts exactly what Coinbase accepts."""

from __future__ import annotations

import time

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.sim.test_server_support import PREFIX, Rest, make_jwt, open_venue, ws_connect


@pytest.fixture
async def env():
    async with open_venue() as venue, aiohttp.ClientSession() as session:
        yield venue, Rest(venue, session)


async def _accounts(rest: Rest, token: str | None) -> tuple[int, object]:
    status, body, _ = await rest.get("/accounts", auth=token is not None, token=token)
    return status, body


async def test_sim1_es256_and_eddsa_tokens_accepted(env):
    venue, rest = env
    status, body = await _accounts(rest, rest.token("GET", f"{PREFIX}/accounts"))
    assert status == 200 and body["accounts"]
    ed_key = ed25519.Ed25519PrivateKey.generate()
    venue.register_key("organizations/o/apiKeys/ed", ed_key.public_key())
    ed_rest = Rest(venue, rest.session, "organizations/o/apiKeys/ed", ed_key)
    status, body = await _accounts(ed_rest, ed_rest.token("GET", f"{PREFIX}/accounts"))
    assert status == 200, body


@pytest.mark.parametrize(
    "case",
    [
        "bad_signature",
        "wrong_uri",
        "wrong_method",
        "expired",
        "future_nbf",
        "unknown_kid",
        "missing",
        "wrong_iss",
        "wrong_sub",
        "scheme_in_uri",
        "query_in_uri",
        "too_long",
    ],
)
async def test_sim1_bad_tokens_get_plain_401(env, case):
    venue, rest = env
    path = f"{PREFIX}/accounts"
    uri = f"GET {venue.host}{path}"
    name, key, now = rest.name, rest.key, venue.now()
    tokens = {
        "bad_signature": lambda: make_jwt(name, ec.generate_private_key(ec.SECP256R1()), uri=uri),
        "wrong_uri": lambda: make_jwt(name, key, uri=f"GET {venue.host}{PREFIX}/orders"),
        "wrong_method": lambda: make_jwt(name, key, uri=f"POST {venue.host}{path}"),
        "expired": lambda: make_jwt(name, key, uri=uri, nbf=now - 300, exp=now - 180),
        "future_nbf": lambda: make_jwt(name, key, uri=uri, nbf=now + 60, exp=now + 180),
        "unknown_kid": lambda: make_jwt("organizations/x/apiKeys/y", key, uri=uri),
        "missing": lambda: None,
        "wrong_iss": lambda: make_jwt(name, key, uri=uri, iss="coinbase-cloud"),
        "wrong_sub": lambda: make_jwt(name, key, uri=uri, sub="someone-else"),
        "scheme_in_uri": lambda: make_jwt(name, key, uri=f"GET http://{venue.host}{path}"),
        "query_in_uri": lambda: make_jwt(name, key, uri=f"{uri}?limit=1"),
        "too_long": lambda: make_jwt(name, key, uri=uri, nbf=now, exp=now + 3600),
    }
    token = tokens[case]()
    status, body = await _accounts(rest, token)
    assert status == 401
    assert body.strip() == "Unauthorized"


async def test_sim1_small_clock_drift_within_leeway_accepted(env):
    venue, rest = env
    token = rest.token("GET", f"{PREFIX}/accounts", nbf=venue.now() + 2)
    status, _ = await _accounts(rest, token)
    assert status == 200


async def test_sim1_reused_nonce_rejected(env):
    _venue, rest = env
    token = rest.token("GET", f"{PREFIX}/accounts", nonce="ab" * 32)
    assert (await _accounts(rest, token))[0] == 200
    assert (await _accounts(rest, token))[0] == 401


async def test_sim1_public_endpoints_need_no_token(env):
    _venue, rest = env
    for path in (
        "/time",
        "/market/products",
        "/market/products/BTC-USD",
        "/market/product_book?product_id=BTC-USD",
    ):
        status, body, _ = await rest.get(path, auth=False)
        assert status == 200, (path, body)
    status, _, _ = await rest.get("/products", auth=False)
    assert status == 401


async def test_sim1_clock_offset_moves_jwt_window(env):
    venue, rest = env
    venue.faults.set_clock_offset(600)
    stale = make_jwt(rest.name, rest.key, uri=f"GET {venue.host}{PREFIX}/accounts", now=time.time())
    assert (await _accounts(rest, stale))[0] == 401
    fresh = rest.token("GET", f"{PREFIX}/accounts")
    assert (await _accounts(rest, fresh))[0] == 200
    _status, body, _ = await rest.get("/time", auth=False)
    assert abs(int(body["epochSeconds"]) - (time.time() + 600)) < 5


async def test_sim1_ws_user_channel_requires_valid_jwt(env):
    venue, rest = env
    async with ws_connect(venue, rest.session) as ws:
        await ws.send({"type": "subscribe", "channel": "user", "product_ids": []})
        assert await ws.next() == {"type": "error", "message": "authentication failure"}
        bad = make_jwt(rest.name, ec.generate_private_key(ec.SECP256R1()))
        await ws.send({"type": "subscribe", "channel": "user", "product_ids": [], "jwt": bad})
        assert await ws.next() == {"type": "error", "message": "authentication failure"}
        good = make_jwt(rest.name, rest.key, now=venue.now())
        await ws.send({"type": "subscribe", "channel": "user", "product_ids": [], "jwt": good})
        frame = await ws.until(lambda f: f.get("channel") == "subscriptions")
        assert frame["events"][0]["subscriptions"] == {"user": [venue.ctx.user_id]}


async def test_sim1_ed25519_key_registered_over_control_endpoint(env):
    venue, rest = env
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    status, _, _ = await rest.post(
        "/_sim/keys",
        {"name": "organizations/o/apiKeys/ctl", "public_key": pem.decode()},
        auth=False,
    )
    assert status == 200
    ed_rest = Rest(venue, rest.session, "organizations/o/apiKeys/ctl", key)
    assert (await ed_rest.get("/accounts"))[0] == 200


async def test_sim1_ws_public_channel_with_jwt(env):
    venue, rest = env
    async with ws_connect(venue, rest.session) as ws:
        good = make_jwt(rest.name, rest.key, now=venue.now())
        await ws.send(
            {"type": "subscribe", "channel": "ticker", "product_ids": ["BTC-USD"], "jwt": good}
        )
        frame = await ws.until(lambda f: f.get("channel") == "subscriptions")
        assert frame["events"][0]["subscriptions"] == {"ticker": ["BTC-USD"]}
        expired = make_jwt(rest.name, rest.key, now=venue.now() - 600)
        await ws.send(
            {"type": "subscribe", "channel": "ticker", "product_ids": ["ETH-USD"], "jwt": expired}
        )
        assert await ws.until(lambda f: f.get("type") == "error") == {
            "type": "error",
            "message": "authentication failure",
        }
