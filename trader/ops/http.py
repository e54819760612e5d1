"""The operator's HTTP listener (OPS-5): /metrics, /healthz, /readyz, /status.

Bound to loopback by default. Nothing here can change the daemon's state: it only reads.
Whoever can reach it cannot tie it up or fill the log: a connection that sends no complete
request within `IDLE_S` is closed, at most `MAX_CONNECTIONS` are open at once (a new one
closes the oldest idle one), and a malformed request is one WARNING line — no traceback, at most
one line per `WARN_EVERY_S` (the number left out is said in the next).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from trader.ops.metrics import Metrics

StatusProvider = Callable[[], Awaitable[dict[str, Any]]]
Check = Callable[[], tuple[bool, list[str]]]


IDLE_S = 5.0
MAX_CONNECTIONS = 64
WARN_EVERY_S = 10.0
log = structlog.get_logger("trader.ops.http")


class _QuietLogger(logging.Logger):
    """aiohttp's server logger: its errors (a malformed request) become one rate-limited
    WARNING line in the daemon's log, never a traceback."""

    def __init__(self) -> None:
        super().__init__("trader.ops.http.server")
        self._last = 0.0
        self._left_out = 0

    def _warn(self, msg: object, *args: object) -> None:
        now = time.monotonic()
        if now - self._last < WARN_EVERY_S:
            self._left_out += 1
            return
        text = str(msg) % args if args else str(msg)
        log.warning(
            "operator_listener_request_refused", problem=text[:200], left_out=self._left_out
        )
        self._last, self._left_out = now, 0

    def exception(self, msg: object, *args: object, **_kwargs: Any) -> None:
        self._warn(msg, *args)

    def error(self, msg: object, *args: object, **_kwargs: Any) -> None:
        self._warn(msg, *args)


class ListenerError(Exception):
    """The operator's listener could not be opened (port in use, address not here)."""


class OpsServer:
    def __init__(
        self,
        metrics: Metrics,
        status: StatusProvider,
        health: Check,
        readiness: Check,
    ) -> None:
        self._metrics = metrics
        self._status = status
        self._health = health
        self._readiness = readiness
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/metrics", self._get_metrics)
        app.router.add_get("/healthz", self._get_health)
        app.router.add_get("/readyz", self._get_ready)
        app.router.add_get("/status", self._get_status)
        return app

    async def start(self, host: str, port: int) -> int:
        """Listen; a port that cannot be bound is a `ListenerError` naming it."""
        self._runner = web.AppRunner(
            self.app(), access_log=None, keepalive_timeout=IDLE_S, logger=_QuietLogger()
        )
        await self._runner.setup()
        _cap_connections(self._runner)
        site = web.TCPSite(self._runner, host, port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise ListenerError(
                f"metrics listener {host}:{port} cannot be opened: {exc.strerror or exc} "
                "(another process on the port? set metrics.port)"
            ) from exc
        addresses = self._runner.addresses  # the real port when 0 (ephemeral) was asked
        self.port = int(addresses[0][1]) if addresses else port
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _get_metrics(self, _request: web.Request) -> web.Response:
        body = generate_latest(self._metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _get_health(self, _request: web.Request) -> web.Response:
        return _check_response(*self._health())

    async def _get_ready(self, _request: web.Request) -> web.Response:
        return _check_response(*self._readiness())

    async def _get_status(self, _request: web.Request) -> web.Response:
        status = await self._status()
        return web.Response(
            body=orjson.dumps(status, option=orjson.OPT_INDENT_2, default=str),
            content_type="application/json",
        )


def _cap_connections(runner: web.AppRunner) -> None:
    """At MAX_CONNECTIONS open, a new connection closes the oldest idle one (no request in
    progress): whoever holds connections open cannot lock the operator out."""
    server = runner.server
    if server is None:
        return
    admit = server.connection_made
    transports: dict[Any, asyncio.Transport] = {}

    def capped(handler: Any, transport: asyncio.Transport) -> None:
        for held in [h for h in list(transports) if h not in server.connections]:
            del transports[held]  # gone since
        if len(transports) >= MAX_CONNECTIONS:
            idle = next((h for h in transports if not _busy(h)), None)
            if idle is not None:
                transports.pop(idle).close()
        transports[handler] = transport
        admit(handler, transport)

    server.connection_made = capped  # type: ignore[method-assign]


def _busy(handler: Any) -> bool:
    return bool(getattr(handler, "_request_in_progress", False))


def _check_response(ok: bool, problems: list[str]) -> web.Response:
    body = {"ok": ok, "problems": problems}
    return web.Response(
        status=200 if ok else 503, body=orjson.dumps(body), content_type="application/json"
    )
