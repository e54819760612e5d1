"""JWT verification exactly like Coinbase's (SIM-1, see coinbase-protocol.md §1).

A token is accepted when its `kid` names a registered public key, `alg` matches the key
type (ES256 for EC P-256, EdDSA for Ed25519), the signature verifies, `iss == "cdp"`,
`sub == kid`, `nbf <= now < exp` within a small leeway, the lifetime is at most 120 s,
and (REST only) `uri == "{METHOD} {host}{path}"` (host: a configured name or the request's
`Host`, the name the client reached the venue by). The clock is the venue's own clock, so a
clock-offset fault shifts what "now" means for `nbf`/`exp`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
KeyInput = PublicKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | str | bytes

MAX_LIFETIME_S = 120.0


class AuthError(Exception):
    """Why a token was refused (logged and counted; the client only sees `Unauthorized`)."""


def load_public_key(key: KeyInput) -> PublicKey:
    """Public key from a key object (public or private) or a PEM string/bytes."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        key = key.public_key()
    if isinstance(key, str):
        key = key.encode()
    loaded: object = _load_pem(key) if isinstance(key, bytes) else key
    if isinstance(loaded, ec.EllipticCurvePublicKey):
        if not isinstance(loaded.curve, ec.SECP256R1):
            raise ValueError(f"EC keys must be P-256, got {loaded.curve.name}")
        return loaded
    if isinstance(loaded, ed25519.Ed25519PublicKey):
        return loaded
    raise ValueError(f"unsupported key type {type(loaded).__name__}")


def _load_pem(data: bytes) -> object:
    if b"PRIVATE KEY" in data:
        return serialization.load_pem_private_key(data, password=None).public_key()
    return serialization.load_pem_public_key(data)


def _alg_for(key: PublicKey) -> str:
    return "ES256" if isinstance(key, ec.EllipticCurvePublicKey) else "EdDSA"


@dataclass(slots=True)
class KeyRing:
    """Public keys registered with the venue, by key name (`kid`)."""

    keys: dict[str, PublicKey] = field(default_factory=dict)

    def register(self, name: str, key: KeyInput) -> None:
        if not name:
            raise ValueError("key name must not be empty")
        self.keys[name] = load_public_key(key)

    def get(self, name: str) -> PublicKey | None:
        return self.keys.get(name)


class JwtVerifier:
    """Verifies REST and WS JWTs against a `KeyRing` and the venue clock (SIM-1)."""

    def __init__(
        self,
        keys: KeyRing,
        clock: Callable[[], float],
        *,
        hosts: Iterable[str] = (),
        leeway_s: float = 5.0,
        reject_reused_nonce: bool = True,
    ) -> None:
        self.keys = keys
        self.clock = clock
        self.hosts: set[str] = set(hosts)
        self.leeway_s = leeway_s
        self.reject_reused_nonce = reject_reused_nonce
        self._nonces: dict[str, float] = {}
        self._expiries: list[tuple[float, str]] = []

    def verify_rest(
        self, token: str, method: str, path: str, addressed_to: str | None = None
    ) -> dict[str, Any]:
        """Claims of a valid REST token; AuthError otherwise. `addressed_to` is the request's
        `Host` (`host[:port]`): a client signs the name it reached the venue by, as the SDK
        signs `{base_url}{path}`, so a venue bound to 0.0.0.0 or reached by another of the
        machine's names accepts it beside the configured names."""
        claims = self._verify(token)
        uri = claims.get("uri")
        hosts = self.hosts | ({addressed_to} if addressed_to else set())
        allowed = {f"{method.upper()} {host}{path}" for host in hosts}
        if uri not in allowed:
            raise AuthError(f"uri claim {uri!r} does not match {sorted(allowed)}")
        return claims

    def verify_ws(self, token: str) -> dict[str, Any]:
        """Claims of a valid WebSocket token (no `uri` claim); AuthError otherwise."""
        return self._verify(token)

    def _verify(self, token: str) -> dict[str, Any]:
        header = _header(token)
        kid = header.get("kid")
        alg = header.get("alg")
        if alg not in ("ES256", "EdDSA"):
            raise AuthError(f"alg {alg!r} not allowed")
        if not isinstance(kid, str):
            raise AuthError("kid missing")
        key = self.keys.get(kid)
        if key is None:
            raise AuthError(f"unknown kid {kid!r}")
        if _alg_for(key) != alg:
            raise AuthError(f"alg {alg} does not match the registered key type")
        claims = _decode(token, key, alg)
        self._check_claims(claims, kid)
        self._check_nonce(header.get("nonce"), claims)
        return claims

    def _check_claims(self, claims: dict[str, Any], kid: str) -> None:
        if claims.get("iss") != "cdp":
            raise AuthError(f"iss {claims.get('iss')!r} is not 'cdp'")
        if claims.get("sub") != kid:
            raise AuthError("sub does not equal kid")
        nbf, exp = _number(claims.get("nbf")), _number(claims.get("exp"))
        if nbf is None or exp is None:
            raise AuthError("nbf and exp must be numbers")
        now = self.clock()
        if now + self.leeway_s < nbf:
            raise AuthError(f"token not valid yet (nbf {nbf} > now {now:.3f})")
        if now - self.leeway_s >= exp:
            raise AuthError(f"token expired (exp {exp} <= now {now:.3f})")
        if exp - nbf > MAX_LIFETIME_S + self.leeway_s:
            raise AuthError(f"token lifetime {exp - nbf}s exceeds {MAX_LIFETIME_S}s")

    def _check_nonce(self, nonce: object, claims: dict[str, Any]) -> None:
        """Refuse a nonce seen before, while the token that carried it could be valid."""
        if not self.reject_reused_nonce or not isinstance(nonce, str):
            return
        now = self.clock()
        while self._expiries and self._expiries[0][0] <= now:
            _, old = heapq.heappop(self._expiries)
            if self._nonces.get(old, now + 1) <= now:
                del self._nonces[old]
        seen_until = self._nonces.get(nonce)
        if seen_until is not None and seen_until > now:
            raise AuthError("nonce reused")
        until = float(claims["exp"]) + self.leeway_s
        self._nonces[nonce] = until
        heapq.heappush(self._expiries, (until, nonce))


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise AuthError(f"malformed token: {exc}") from exc


def _decode(token: str, key: PublicKey, alg: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise AuthError(f"invalid token: {exc}") from exc
    return claims


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <jwt>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
