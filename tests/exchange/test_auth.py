"""EX-1 auth: CDP JWTs for ES256 and EdDSA keys, checked by pyjwt and by the venue."""

from __future__ import annotations

import base64

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.exchange.support import adapter, venue_config
from tests.sim.test_server_support import open_venue
from trader.config.secrets import Credentials
from trader.core.clock import wall_clock
from trader.exchange.coinbase.auth import JwtSigner, uri_host
from trader.exchange.coinbase.exchange import CoinbaseExchange
from trader.exchange.errors import AuthKeyError
from trader.ops.metrics import Metrics

NAME = "organizations/org-1/apiKeys/key-1"


def _pkcs8(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _sec1(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def _raw_b64(key: ed25519.Ed25519PrivateKey, length: int) -> str:
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(seed if length == 32 else seed + public).decode()


def _keys() -> list[tuple[str, object, str, str]]:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    return [
        ("ec-sec1", ec_key, _sec1(ec_key), "ES256"),
        ("ec-pkcs8", ec_key, _pkcs8(ec_key), "ES256"),
        ("ed-pkcs8", ed_key, _pkcs8(ed_key), "EdDSA"),
        ("ed-raw32", ed_key, _raw_b64(ed_key, 32), "EdDSA"),
        ("ed-raw64", ed_key, _raw_b64(ed_key, 64), "EdDSA"),
    ]


KEYS = _keys()


@pytest.mark.parametrize(("label", "key", "text", "alg"), KEYS, ids=[k[0] for k in KEYS])
def test_ex1_jwt_round_trip_with_public_key(label, key, text, alg):
    signer = JwtSigner(NAME, text, offset_s=lambda: 2.0, wall=lambda: 1_000_000.0)
    token = signer.rest_token("get", "api.coinbase.com", "/api/v3/brokerage/accounts")
    header = jwt.get_unverified_header(token)
    assert header["alg"] == alg and header["kid"] == NAME and header["typ"] == "JWT"
    assert len(header["nonce"]) == 64 and int(header["nonce"], 16) >= 0
    claims = jwt.decode(
        token,
        key.public_key(),
        algorithms=[alg],
        options={"verify_nbf": False, "verify_exp": False},
    )
    assert claims == {
        "sub": NAME,
        "iss": "cdp",
        "nbf": 1_000_002,
        "exp": 1_000_122,
        "uri": "GET api.coinbase.com/api/v3/brokerage/accounts",
    }
    ws_claims = jwt.decode(
        signer.ws_token(),
        key.public_key(),
        algorithms=[alg],
        options={"verify_nbf": False, "verify_exp": False},
    )
    assert "uri" not in ws_claims and ws_claims["exp"] - ws_claims["nbf"] == 120
    assert signer.rest_token("GET", "h", "/p") != signer.rest_token("GET", "h", "/p")


@pytest.mark.parametrize(("label", "key", "text", "alg"), KEYS, ids=[k[0] for k in KEYS])
async def test_ex1_jwt_accepted_by_venue(label, key, text, alg):
    async with open_venue() as venue:
        venue.register_key(NAME, key.public_key())
        exchange = CoinbaseExchange(venue_config(venue), Credentials(NAME, text, "test"), Metrics())
        try:
            accounts = await exchange.accounts()
            assert {a.currency for a in accounts} >= {"USD"}
        finally:
            await exchange.close()
        assert venue.ctx.auth_failures == 0


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN EC PRIVATE KEY-----\nbm90IGEga2V5\n-----END EC PRIVATE KEY-----\n",
        "not base64 at all!",
        base64.b64encode(b"x" * 31).decode(),
    ],
)
def test_ex1_bad_key_names_the_key_never_the_secret(text):
    with pytest.raises(AuthKeyError) as caught:
        JwtSigner(NAME, text, wall=wall_clock)
    message = str(caught.value)
    assert NAME in message
    assert text.strip() not in message and "bm90IGEga2V5" not in message


def test_ex1_wrong_curve_refused():
    key = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(AuthKeyError, match="P-256"):
        JwtSigner(NAME, _pkcs8(key), wall=wall_clock)


def test_ex1_signer_repr_and_uri_host_hide_secrets():
    text = KEYS[0][2]
    signer = JwtSigner(NAME, text, wall=wall_clock)
    assert "PRIVATE" not in repr(signer) and NAME in repr(signer)
    assert uri_host("https://api.coinbase.com/api/v3/brokerage?x=1") == "api.coinbase.com"
    assert uri_host("http://127.0.0.1:8443/api/v3/brokerage") == "127.0.0.1:8443"


async def test_ex1_venue_credentials_sign_rest_and_ws():
    async with open_venue() as venue, adapter(venue) as exchange:
        assert exchange.signer is not None and exchange.signer.algorithm == "ES256"
        await exchange.fee_rates()
        venue.ctx.verifier.verify_ws(exchange.signer.ws_token())
