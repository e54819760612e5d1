"""REST middleware: faults, JWT auth, rate limits and error mapping (SIM-1).

Order per request under `/api/v3/brokerage`: injected latency → injected 401/429/4xx/5xx →
JWT check (private routes) → rate limit → handler → row edit (a 200 listing's first row
changed), row drop (rows left out) and time skew (`/time` answered off) →
timeout-after-accept (the handler ran, so an order IS created, but the response never
arrives). `/_sim/` control routes and the WebSocket at `/` bypass all of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from trader.sim.server.auth import AuthError, bearer_token
from trader.sim.server.context import API_PREFIX, CTX, VenueContext
from trader.sim.server.fault_edits import (
    drop_rows,
    drop_rows_between,
    edit_first_row,
    skew_time_answer,
)
from trader.sim.server.faults import FaultKind, FaultRule
from trader.sim.server.ratelimit import RateLimiter, Verdict
from trader.sim.server.responses import (
    ApiError,
    error_response,
    server_error,
    too_many_requests,
    unauthorized,
)

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC_PATHS = (f"{API_PREFIX}/time",)
PUBLIC_PREFIX = f"{API_PREFIX}/market/"
CREATE_PATH = f"{API_PREFIX}/orders"


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIX)


@web.middleware
async def venue_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(API_PREFIX):
        return await handler(request)
    ctx = request.app[CTX]
    resend = await _is_resend(ctx, request)
    fired = ctx.faults.rest_faults(request.method, request.path, resend, _route(request))
    await _apply_latency(ctx, fired)
    injected = _injected_response(fired)
    if injected is not None:
        return injected
    identity = _authenticate(ctx, request)
    if identity is None:
        return unauthorized()
    verdict = _rate_limit(ctx, request, identity)
    if verdict is not None and not verdict.allowed:
        return too_many_requests(html=False, limit=verdict.limit, reset_s=verdict.reset)
    response = await _call(handler, request)
    _edit_rows(response, fired)
    timeout = next((r for r in fired if r.kind is FaultKind.TIMEOUT_AFTER_ACCEPT), None)
    if timeout is not None:
        await _swallow_response(ctx, request, timeout)
    if verdict is not None and not is_public(request.path):
        response.headers.update(verdict.headers())
    return response


def _route(request: web.Request) -> str:
    """The pattern of the route the request resolved to ("" when none)."""
    resource = request.match_info.route.resource
    return "" if resource is None else resource.canonical


async def _apply_latency(ctx: VenueContext, fired: list[FaultRule]) -> None:
    for rule in fired:
        if rule.kind is FaultKind.LATENCY:
            delay_ms = rule.latency_ms + ctx.faults.rng.uniform(0.0, rule.jitter_ms)
            await asyncio.sleep(delay_ms / 1000.0)


async def _is_resend(ctx: VenueContext, request: web.Request) -> bool:
    """A create order request whose client id the venue received before (the body is
    cached by aiohttp, so the handler reads it again)."""
    if request.method != "POST" or request.path != CREATE_PATH:
        return False
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return False
    client_id = body.get("client_order_id") if isinstance(body, dict) else None
    if not isinstance(client_id, str) or not client_id:
        return False
    seen = client_id in ctx.create_client_ids
    ctx.create_client_ids.add(client_id)
    return seen


def _injected_response(fired: list[FaultRule]) -> web.Response | None:
    for rule in fired:
        if rule.kind is FaultKind.HTTP_401:
            return unauthorized()
        if rule.kind is FaultKind.HTTP_429:
            return _retry_after(
                too_many_requests(html=rule.body == "html", limit=30, reset_s=1), rule
            )
        if rule.kind is FaultKind.HTTP_5XX:
            return _retry_after(server_error(rule.status), rule)
        if rule.kind is FaultKind.HTTP_4XX:
            return error_response(rule.status, rule.error, f"simulated {rule.status} fault")
    return None


def _retry_after(response: web.Response, rule: FaultRule) -> web.Response:
    if rule.retry_after_s:
        response.headers["Retry-After"] = str(rule.retry_after_s)
    return response


def _edit_rows(response: web.StreamResponse, fired: list[FaultRule]) -> None:
    if not isinstance(response, web.Response) or response.status != 200:
        return
    for rule in fired:
        if rule.kind is FaultKind.ROW_EDIT and isinstance(response.body, bytes):
            response.body = edit_first_row(response.body, rule)
        if rule.kind is FaultKind.ROW_DROP and isinstance(response.body, bytes):
            response.body = drop_rows(response.body, rule)
        if rule.kind is FaultKind.ROW_DROP_RANGE and isinstance(response.body, bytes):
            response.body = drop_rows_between(response.body, rule)
        if rule.kind is FaultKind.TIME_SKEW and isinstance(response.body, bytes):
            response.body = skew_time_answer(response.body, rule.skew_s)


def _authenticate(ctx: VenueContext, request: web.Request) -> str | None:
    """Identity for rate limiting (key name or client IP); None when auth fails."""
    if is_public(request.path):
        return request.remote or "unknown"
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        ctx.auth_failures += 1
        log.info("sim venue 401 %s %s: missing bearer token", request.method, request.path)
        return None
    try:
        claims = ctx.verifier.verify_rest(token, request.method, request.path, request.host)
    except AuthError as exc:
        ctx.auth_failures += 1
        log.info("sim venue 401 %s %s: %s", request.method, request.path, exc)
        return None
    return str(claims["sub"])


def _rate_limit(ctx: VenueContext, request: web.Request, identity: str) -> Verdict | None:
    limiter: RateLimiter | None = (
        ctx.rate_limits.public if is_public(request.path) else ctx.rate_limits.private
    )
    return None if limiter is None else limiter.take(identity)


async def _call(handler: Handler, request: web.Request) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPNotFound:
        return error_response(404, "NOT_FOUND", f"route {request.path} not found")
    except web.HTTPMethodNotAllowed:
        return error_response(405, "METHOD_NOT_ALLOWED", f"{request.method} not allowed")


async def _swallow_response(ctx: VenueContext, request: web.Request, rule: FaultRule) -> None:
    """Timeout after accept: hold the connection (or drop it) and never answer."""
    if rule.mode == "hold":
        try:
            async with asyncio.timeout(rule.hold_s):
                await ctx.shutdown.wait()
        except TimeoutError:
            log.info("sim venue held %s %s for %.1fs", request.method, request.path, rule.hold_s)
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise web.HTTPServiceUnavailable(reason="connection dropped by timeout_after_accept fault")
