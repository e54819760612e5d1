"""The operator's HTTP listener (OPS-5): /metrics, /healthz, /readyz, /status.

Bound to loopback by default. Nothing here can change the daemon's state: it only reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from trader.ops.metrics import Metrics

StatusProvider = Callable[[], Awaitable[dict[str, Any]]]
Check = Callable[[], tuple[bool, list[str]]]


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
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
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


def _check_response(ok: bool, problems: list[str]) -> web.Response:
    body = {"ok": ok, "problems": problems}
    return web.Response(
        status=200 if ok else 503, body=orjson.dumps(body), content_type="application/json"
    )
