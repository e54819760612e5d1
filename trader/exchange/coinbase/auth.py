"""CDP API-key JWTs for REST and WebSocket (EX-1, coinbase-protocol.md §1).

ES256 for EC P-256 keys (SEC1 or PKCS8 PEM), EdDSA for Ed25519 (PKCS8 PEM, or raw base64
of 32 or 64 bytes of which the first 32 are the seed). Header `kid`, `nonce` (64 hex),
`typ: JWT`; claims `sub`, `iss: cdp`, `nbf`, `exp = nbf + 120` and, for REST only,
`uri = "{METHOD} {host}{path}"`. `nbf` is the local clock plus the signing offset (EX-3: the
measured offset to the exchange, or none; `trader.exchange.clock`). The private key never
appears in an error, a repr or a log line.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from trader.core.clock import Clock
from trader.exchange.errors import AuthKeyError

JWT_LIFETIME_S = 120
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def load_private_key(key_name: str, key_text: str) -> tuple[PrivateKey, str]:
    """(key, algorithm) from PEM or base64 text; AuthKeyError names only the key name."""
    text = key_text.strip()
    if "-----BEGIN" in text:
        return _from_pem(key_name, text.encode())
    return _from_raw_base64(key_name, text)


def _from_pem(key_name: str, pem: bytes) -> tuple[PrivateKey, str]:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise AuthKeyError(
            f"API key {key_name}: private key is not a readable unencrypted PEM "
            f"({type(exc).__name__})"
        ) from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise AuthKeyError(f"API key {key_name}: EC key must be P-256, got {key.curve.name}")
        return key, "ES256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key, "EdDSA"
    raise AuthKeyError(f"API key {key_name}: unsupported key type {type(key).__name__}")


def _from_raw_base64(key_name: str, text: str) -> tuple[PrivateKey, str]:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise AuthKeyError(f"API key {key_name}: private key is neither PEM nor base64") from None
    if len(raw) not in (32, 64):
        raise AuthKeyError(
            f"API key {key_name}: base64 Ed25519 key must be 32 or 64 bytes, got {len(raw)}"
        )
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32]), "EdDSA"


def uri_host(base_url: str) -> str:
    """`host[:port]` of a URL: what the REST `uri` claim names (no scheme, no path)."""
    netloc = urlsplit(base_url).netloc
    return netloc.rsplit("@", 1)[-1]


class JwtSigner:
    """Builds a fresh JWT per request / per WS message (EX-1, EX-2)."""

    __slots__ = ("_algorithm", "_key", "_offset", "_wall", "key_name")

    def __init__(
        self,
        key_name: str,
        key_text: str,
        *,
        offset_s: Callable[[], float] = lambda: 0.0,
        wall: Clock,
    ) -> None:
        if not key_name:
            raise AuthKeyError("API key name is empty")
        self.key_name = key_name
        self._key, self._algorithm = load_private_key(key_name, key_text)
        self._offset = offset_s
        self._wall = wall

    def __repr__(self) -> str:
        return f"JwtSigner(key_name={self.key_name!r}, algorithm={self._algorithm})"

    @property
    def algorithm(self) -> str:
        return self._algorithm

    def rest_token(
        self, method: str, host: str, path: str, *, offset_s: float | None = None
    ) -> str:
        """JWT for one REST call; `path` has no query string. `offset_s`: signed with this
        offset instead of the signer's own."""
        return self._token({"uri": f"{method.upper()} {host}{path}"}, offset_s)

    def ws_token(self) -> str:
        """JWT for one WebSocket subscribe/unsubscribe message (no `uri`)."""
        return self._token({})

    def _token(self, extra: dict[str, str], offset_s: float | None = None) -> str:
        nbf = int(self._wall() + (self._offset() if offset_s is None else offset_s))
        claims: dict[str, object] = {
            "sub": self.key_name,
            "iss": "cdp",
            "nbf": nbf,
            "exp": nbf + JWT_LIFETIME_S,
            **extra,
        }
        headers = {"kid": self.key_name, "nonce": secrets.token_hex(32), "typ": "JWT"}
        return jwt.encode(claims, self._key, algorithm=self._algorithm, headers=headers)
