"""One aiohttp session, signing, rate limits, retries and error parsing (EX-1).

Reads (`get`) retry 429 / 5xx / network errors with full-jitter backoff within a bounded
number of attempts and total time. Writes (`post_once`) are sent once: only a 401 is
retried, once, with a new token (authentication refused, nothing was done); a write
answered 429 or 5xx raises `ExchangeUnavailableError` with the venue's `Retry-After`, when
it sent one, for the caller that retries (cancel-all). What the venue's answers to private
requests say about the key goes to a `KeyStanding` when one is given (a 401 that survives
the new token is a refusal). While the measured clock offset is beyond its bound, a private
request refused with the new token too is sent once more signed on the other clock basis
(`trader.exchange.clock`: the local clock with or without the measured offset), and the
basis the venue accepts is kept; only a 401 on both is a refusal (EX-3). Every error body
is parsed defensively: JSON `{"error","message","error_details"}`, plain `Unauthorized`, or
an HTML page.
"""

from __future__ import annotations

import asyncio
import math
import random
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
import structlog

from trader.exchange.clock import ClockSync, SigningBasis
from trader.exchange.coinbase.auth import JwtSigner, uri_host
from trader.exchange.coinbase.ratelimit import RetryPolicy, TokenBucket
from trader.exchange.errors import (
    ExchangeHttpError,
    ExchangeProtocolError,
    ExchangeUnavailableError,
)
from trader.exchange.key_standing import KeyStanding
from trader.exchange.metrics import AdapterMetrics

log = structlog.get_logger("trader.exchange")
Params = Mapping[str, str | int | bool | Sequence[str] | None]
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    body: bytes
    retry_after_s: float | None = None  # the `Retry-After` header, in seconds, when given


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What an error body says, whatever its shape."""

    code: str
    message: str


def parse_error_body(status: int, body: bytes) -> ErrorInfo:
    """`{"error","message","error_details"}` JSON, else the text (HTML trimmed)."""
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        code = str(data.get("error") or data.get("code") or f"HTTP_{status}")
        message = str(data.get("message") or data.get("error_details") or "")
        return ErrorInfo(code, message)
    text = body.decode("utf-8", "replace").strip()
    if text.startswith("<"):
        text = "html body"
    return ErrorInfo("UNAUTHORIZED" if status == 401 else f"HTTP_{status}", text[:200])


def encode_params(params: Params | None) -> list[tuple[str, str]]:
    """Repeated keys for lists; bools as "true"/"false"; None dropped."""
    out: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        elif isinstance(value, str | int):
            out.append((key, str(value)))
        else:
            out.extend((key, str(item)) for item in value)
    return out


def ssl_context(ca_file: str | None) -> ssl.SSLContext | None:
    return ssl.create_default_context(cafile=ca_file) if ca_file else None


class HttpClient:
    """Signed, rate-limited HTTP against the REST base URL."""

    def __init__(
        self,
        base_url: str,
        signer: JwtSigner | None,
        metrics: AdapterMetrics,
        *,
        private_per_s: float,
        public_per_s: float,
        timeout_s: float,
        ca_file: str | None = None,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        standing: KeyStanding | None = None,
        clock: ClockSync | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.base_path = urlsplit(self.base_url).path
        self.host = uri_host(self.base_url)
        self.signer = signer
        self.metrics = metrics
        self.private = TokenBucket("private", private_per_s, metrics.headroom)
        self.public = TokenBucket("public", public_per_s, metrics.headroom)
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.ssl = ssl_context(ca_file)
        self.retry = retry or RetryPolicy()
        self.rng = rng or random.Random()
        self.standing = standing
        self.clock = clock  # the signing basis: which clock JWTs are signed on (EX-3)
        self._session: aiohttp.ClientSession | None = None
        # aiohttp request hooks for the sessions made from now on (benchmarks time the
        # moment a request is written: `on_request_chunk_sent`)
        self.trace_configs: list[aiohttp.TraceConfig] = []

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self.ssl if self.ssl else True, limit=64)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self.timeout, trace_configs=self.trace_configs or None
            )
            # aiohttp silently resends an idempotent request once when a pooled connection
            # drops, with the SAME headers: a reused JWT nonce (refused: 401) and a retry
            # outside our budget and metrics. Our own loop retries with a fresh token.
            if hasattr(self._session, "_retry_connection"):
                self._session._retry_connection = False
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _send(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        private: bool,
        params: Params | None = None,
        body: bytes | None = None,
        basis: SigningBasis | None = None,
    ) -> RawResponse:
        """One attempt (private: signed on `basis`, None: the one in use); raises
        aiohttp/asyncio errors for network failures."""
        await (self.private if private else self.public).acquire()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        full_path = self.base_path + path
        if private:
            if self.signer is None:
                raise ExchangeHttpError(
                    endpoint, 401, "NO_CREDENTIALS", "private endpoint needs API credentials"
                )
            offset = (
                None if basis is None or self.clock is None else self.clock.signing_offset_s(basis)
            )
            headers["Authorization"] = "Bearer " + self.signer.rest_token(
                method, self.host, full_path, offset_s=offset
            )
        started = time.perf_counter()
        try:
            async with self._get_session().request(
                method,
                self.base_url + path,
                params=encode_params(params),
                data=body,
                headers=headers,
            ) as resp:
                payload = await resp.read()
                return RawResponse(resp.status, payload, retry_after(resp.headers))
        finally:
            self.metrics.latency.labels(endpoint=endpoint).observe(time.perf_counter() - started)

    def count(self, endpoint: str, outcome: str) -> None:
        self.metrics.requests.labels(endpoint=endpoint, outcome=outcome).inc()

    async def get(
        self, path: str, endpoint: str, *, private: bool, params: Params | None = None
    ) -> Any:
        """A read with retries; returns parsed JSON; raises ExchangeHttpError (definite
        4xx), ExchangeUnavailableError (budget spent) or ExchangeProtocolError (not JSON)."""
        deadline = time.monotonic() + self.retry.budget_s
        reauthed = False
        last = "no attempt"
        for attempt in range(self.retry.attempts):
            try:
                basis = self._basis()
                raw = await self._send(
                    "GET", path, endpoint, private=private, params=params, basis=basis
                )
                if private and raw.status == 401 and reauthed:
                    raw = await self._on_other_clock("GET", path, endpoint, raw, basis, params)
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = _network_cause(exc)
                self.count(endpoint, "timeout" if isinstance(exc, TimeoutError) else "network")
            else:
                if private and (raw.status != 401 or reauthed):  # a first 401 is retried
                    self._judge_key(endpoint, raw.status)
                if raw.status < 300:
                    self.count(endpoint, "ok")
                    return decode_json(endpoint, raw.body)
                info = parse_error_body(raw.status, raw.body)
                last = f"HTTP {raw.status} {info.code}"
                if raw.status == 401 and private and not reauthed:
                    reauthed = True
                    self.count(endpoint, "unauthorized")
                    self.metrics.retries.labels(endpoint=endpoint, reason="401").inc()
                    continue
                if raw.status not in RETRY_STATUSES:
                    self.count(endpoint, _outcome(raw.status))
                    raise ExchangeHttpError(endpoint, raw.status, info.code, info.message)
                self.count(endpoint, _outcome(raw.status))
                if raw.status == 429:
                    (self.private if private else self.public).penalize()
            if not await self._backoff(endpoint, attempt, deadline, last):
                break
        raise ExchangeUnavailableError(endpoint, last)

    async def _backoff(self, endpoint: str, attempt: int, deadline: float, cause: str) -> bool:
        if attempt + 1 >= self.retry.attempts:
            return False
        delay = self.retry.delay(attempt, self.rng)
        if time.monotonic() + delay > deadline:
            return False
        reason = cause.split(" ")[1] if cause.startswith("HTTP") else cause.split(" ")[0]
        self.metrics.retries.labels(endpoint=endpoint, reason=reason).inc()
        log.info(
            "exchange_retry",
            endpoint=endpoint,
            attempt=attempt + 1,
            cause=cause,
            delay_s=round(delay, 3),
        )
        await asyncio.sleep(delay)
        return True

    async def post_once(self, path: str, endpoint: str, body: bytes) -> RawResponse:
        """A write, sent once (a 401 is retried once with a new token). Network errors
        propagate: the caller decides what an unanswered write means."""
        raw = await self._send("POST", path, endpoint, private=True, body=body)
        if raw.status == 401:
            self.count(endpoint, "unauthorized")
            self.metrics.retries.labels(endpoint=endpoint, reason="401").inc()
            basis = self._basis()
            raw = await self._send("POST", path, endpoint, private=True, body=body, basis=basis)
            if raw.status == 401:
                raw = await self._on_other_clock("POST", path, endpoint, raw, basis, body=body)
        self._judge_key(endpoint, raw.status)
        self.count(endpoint, "ok" if raw.status < 300 else _outcome(raw.status))
        if raw.status == 429:
            self.private.penalize()
        return raw

    def _basis(self) -> SigningBasis | None:
        return None if self.clock is None else self.clock.basis

    async def _on_other_clock(
        self,
        method: str,
        path: str,
        endpoint: str,
        refused: RawResponse,
        basis: SigningBasis | None,
        params: Params | None = None,
        body: bytes | None = None,
    ) -> RawResponse:
        """A private request refused on `basis` with a new token too, sent once more on the
        other basis while the two differ beyond the bound; the venue's acceptance makes it
        the basis in use. `refused` when there is nothing else to try."""
        other = None if self.clock is None or basis is None else self.clock.other_basis(basis)
        if other is None or self.clock is None:
            return refused
        self.count(endpoint, "unauthorized")
        self.metrics.retries.labels(endpoint=endpoint, reason="clock").inc()
        raw = await self._send(
            method, path, endpoint, private=True, params=params, body=body, basis=other
        )
        if raw.status != 401:
            self.clock.accepted(other)
        elif self.standing is not None:
            self.standing.refused_on_both_clocks(self.clock.offset_s)
        return raw

    def _judge_key(self, endpoint: str, status: int) -> None:
        """A private request's answer, for the key's standing: a 401 after the retry with
        a new token refuses the key; an answer that passed authentication accepts it; 429
        and 5xx say nothing about it."""
        if self.standing is None or status == 429 or status >= 500:
            return
        if status == 401:
            self.standing.refused(endpoint)
        else:
            self.standing.accepted()

    async def post(self, path: str, endpoint: str, body: bytes) -> Any:
        """A write whose failure is just an error (preview, cancel): parsed JSON or raise."""
        try:
            raw = await self.post_once(path, endpoint, body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.count(endpoint, "network")
            raise ExchangeUnavailableError(endpoint, _network_cause(exc)) from exc
        if raw.status >= 300:
            info = parse_error_body(raw.status, raw.body)
            if raw.status in RETRY_STATUSES:
                cause = f"HTTP {raw.status} {info.code}"
                raise ExchangeUnavailableError(endpoint, cause, raw.retry_after_s)
            raise ExchangeHttpError(endpoint, raw.status, info.code, info.message)
        return decode_json(endpoint, raw.body)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds, or an HTTP date counted from the
    answer's own `Date` (the venue's clock, not ours); None when absent or unreadable (then
    the caller's own backoff applies)."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            sent = parsedate_to_datetime(headers.get("Date", "").strip())
            seconds = (parsedate_to_datetime(value) - sent).total_seconds()
        except (TypeError, ValueError, IndexError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def decode_json(endpoint: str, body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ExchangeProtocolError(
            endpoint, "<body>", f"is not JSON ({len(body)} bytes)"
        ) from None


def _network_cause(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    return f"network error {type(exc).__name__}"


def _outcome(status: int) -> str:
    if status == 401:
        return "unauthorized"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    return "client_error"
