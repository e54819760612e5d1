"""`SimVenue`: the simulated Coinbase venue in-process (SIM-1).

    async with SimVenue(SimConfig(seed=7), clock=wall_clock) as venue:
        venue.rest_url   # http://127.0.0.1:PORT/api/v3/brokerage
        venue.ws_url     # ws://127.0.0.1:PORT
        venue.host       # "127.0.0.1:PORT", as clients reach it (wildcard binds: loopback)
        venue.credentials  # a registered EC key (name + private key) for clients

Binds loopback on an ephemeral port unless the config says otherwise. The market driver
runs on `tick_s`; with `driver=False` tests call `venue.step(now)` themselves.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from trader.core.clock import Clock
from trader.core.types import FeeRates
from trader.matching.types import VenueSetup
from trader.ops.tasks import cancel_and_wait
from trader.sim.contract import MARKETS, CandleHistory, Engine, MarketSource
from trader.sim.server.app import build_app
from trader.sim.server.auth import JwtVerifier, KeyInput, KeyRing
from trader.sim.server.context import API_PREFIX, RateLimits, VenueClock, VenueContext
from trader.sim.server.credentials import ApiCredentials, generate_credentials, write_key_file
from trader.sim.server.driver import Driver
from trader.sim.server.faults import FaultController
from trader.sim.server.ratelimit import RateLimiter
from trader.sim.server.sources import build_engine, build_history, build_market_source
from trader.sim.server.tls import (
    LOOPBACK_NAMES,
    WILDCARD_BINDS,
    SelfSignedCert,
    certificate_names,
    generate_self_signed,
)
from trader.sim.server.ws_hub import Hub

log = logging.getLogger(__name__)


class VenueConfigError(ValueError):
    """The market could not be built from the configuration (recorded data missing, unreadable
    or not what the market kind reads): bad configuration."""


class VenueBindError(OSError):
    """The venue's address cannot be listened on (not this machine's, in use, not allowed)."""


@dataclass(frozen=True, slots=True)
class SimConfig:
    """How to run one simulated venue (SIM-1)."""

    market: str = "synthetic"
    seed: int = 7
    products: int = 50
    replay_dir: Path | None = None
    speed: float = 60.0
    start: float | None = None
    balances: dict[str, Decimal] = field(default_factory=lambda: {"USD": Decimal("100000")})
    maker_fee: Decimal = Decimal("0.004")
    taker_fee: Decimal = Decimal("0.006")
    tick_s: float = 0.05
    driver: bool = True
    host: str = "127.0.0.1"
    port: int = 0
    tls: bool = False
    credentials_dir: Path | None = None
    l2_depth: int = 250
    rate_limit_private: float | None = 30.0
    rate_limit_public: float | None = 10.0
    jwt_leeway_s: float = 5.0
    reject_reused_nonce: bool = True
    trades_per_minute: float | None = None

    def __post_init__(self) -> None:
        if self.market not in MARKETS:
            raise ValueError(f"market must be one of {MARKETS}, got {self.market!r}")
        if self.market != "synthetic" and self.replay_dir is None:
            raise ValueError(f"market {self.market} needs replay_dir (the recorded data)")
        if self.products < 1 or self.speed <= 0 or self.tick_s <= 0:
            raise ValueError("products, speed and tick_s must be positive")
        if self.trades_per_minute is not None and self.market != "synthetic":
            raise ValueError("trades_per_minute applies to the synthetic market only")

    @property
    def venue_setup(self) -> VenueSetup:
        fees = FeeRates(maker=self.maker_fee, taker=self.taker_fee)
        return VenueSetup(balances=dict(self.balances), fees=fees, seed=self.seed)


def _url_host(name: str) -> str:
    """`name` as the host part of a URL: an IPv6 address in brackets."""
    return f"[{name}]" if ":" in name else name


def _bind_reason(exc: Exception) -> str:
    """The OS's words, without asyncio's "error while attempting to bind on address ..."."""
    if isinstance(exc, OSError) and not isinstance(exc, socket.gaierror) and exc.errno:
        return os.strerror(exc.errno)
    return str(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc)


class SimVenue:
    """The venue as an async context manager (see module docstring)."""

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        clock: Clock,
        source: MarketSource | None = None,
    ) -> None:
        self.config = config or SimConfig()
        self.faults = FaultController(seed=self.config.seed)
        self.clock = VenueClock(self.faults, clock)
        self.keys = KeyRing()
        self.credentials: ApiCredentials = generate_credentials()
        self.keys.register(self.credentials.name, self.credentials.public_key)
        self.tls_cert: SelfSignedCert | None = (
            generate_self_signed(certificate_names(self.config.host)) if self.config.tls else None
        )
        self.key_file: Path | None = None
        self.ca_file: Path | None = None
        self._given_source = source
        # Built by `start()` (loading recorded data runs in a worker thread):
        self.source: MarketSource
        self.engine: Engine
        self.history: CandleHistory
        self.ctx: VenueContext
        self.hub: Hub
        self.driver: Driver
        self._runner: web.AppRunner | None = None
        self._driver_task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.port = 0

    def _assemble_market(self) -> tuple[MarketSource, Engine, CandleHistory]:
        """Source, engine and history (pure and possibly slow: runs off the event loop)."""
        start = self.config.start if self.config.start is not None else self.clock.base()
        source = self._given_source or build_market_source(self.config, start)
        return source, build_engine(source, self.config.venue_setup), build_history(source)

    def _context(self) -> VenueContext:
        verifier = JwtVerifier(
            self.keys,
            self.clock.now,
            leeway_s=self.config.jwt_leeway_s,
            reject_reused_nonce=self.config.reject_reused_nonce,
        )
        private, public = self.config.rate_limit_private, self.config.rate_limit_public
        limits = RateLimits(
            private=RateLimiter(private, self.clock.market_now) if private else None,
            public=RateLimiter(public, self.clock.market_now) if public else None,
        )
        return VenueContext(
            engine=self.engine,
            history=self.history,
            faults=self.faults,
            verifier=verifier,
            clock=self.clock,
            rate_limits=limits,
            seed=self.config.seed,
        )

    def _wire_hooks(self) -> None:
        self._unsubscribe = self.engine.subscribe(self.hub.on_order)

        def flags(product_id: str, values: dict[str, object]) -> None:
            self.engine.set_product_flags(product_id, **values)
            self.hub.on_status(product_id)

        def limits(product_id: str, values: dict[str, Any]) -> None:
            rules = self.engine.product(product_id)
            if rules is None:
                raise ValueError(f"unknown product {product_id}")
            self.engine.replace_product(replace(rules, **values))
            self.hub.on_status(product_id)

        self.faults.product_flags_hook = flags
        self.faults.product_rules_hook = limits
        self.faults.close_hook = self.hub.close_all

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Build the market (in a thread), bind the port, start the driver."""
        try:
            market = await asyncio.to_thread(self._assemble_market)
        except (ValueError, OSError) as exc:
            where = self.config.replay_dir or "the synthetic generator"
            raise VenueConfigError(
                f"market {self.config.market} cannot be built from {where}: {exc}"
            ) from exc
        self.source, self.engine, self.history = market
        self.ctx = self._context()
        self.hub = Hub(self.ctx, l2_depth=self.config.l2_depth)
        self.driver = Driver(self.ctx, self.source, self.hub, tick_s=self.config.tick_s)
        self.driver.seed_recent()
        self._wire_hooks()
        await self._listen()
        self.ctx.verifier.hosts.update(self._host_aliases())
        self._write_files()
        if self.config.driver:
            self.driver.step()
            self._driver_task = asyncio.create_task(self.driver.run(), name="sim-venue-driver")

    async def _listen(self) -> None:
        """Bind `host:port`; an address that cannot be listened on is a `VenueBindError`."""
        app = build_app(self.ctx, self.hub)
        self._runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        ssl_context = self.tls_cert.server_context() if self.tls_cert else None
        host, port = self.config.host, self.config.port
        site = web.TCPSite(self._runner, host, port, ssl_context=ssl_context)
        try:
            await site.start()
        except (OSError, OverflowError) as exc:
            raise VenueBindError(
                f"sim venue {host}:{port} cannot be opened: {_bind_reason(exc)} "
                "(another process on the port? an address of this machine?)"
            ) from exc
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop what `start` got to (all of it, or the part before a failure)."""
        if hasattr(self, "ctx"):
            self.ctx.shutdown.set()
        if self._driver_task is not None:
            await cancel_and_wait([self._driver_task])
            self._driver_task = None
        if self._runner is not None:
            self.hub.close_all(1001)
            await self._runner.cleanup()
            self._runner = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _host_aliases(self) -> set[str]:
        """The `host:port` names REST `uri` claims may name whatever `Host` the request
        carries: the announced one, and the loopback names when loopback reaches the venue."""
        hosts = {self.host}
        if self.config.host in (*LOOPBACK_NAMES, *WILDCARD_BINDS):
            hosts |= {f"{_url_host(name)}:{self.port}" for name in LOOPBACK_NAMES}
        return hosts

    def _write_files(self) -> None:
        directory = self.config.credentials_dir
        if directory is None:
            return
        self.key_file = write_key_file(directory, self.credentials)
        if self.tls_cert is not None:
            self.ca_file = self.tls_cert.write_ca(directory)

    # --- public API -----------------------------------------------------------------------
    @property
    def host(self) -> str:
        """`host:port` as clients reach the venue and REST `uri` claims name it (no scheme):
        a wildcard bind is announced as loopback, an IPv6 address in brackets."""
        bind = self.config.host
        reachable = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(bind, bind)
        return f"{_url_host(reachable)}:{self.port}"

    @property
    def rest_url(self) -> str:
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{self.host}{API_PREFIX}"

    @property
    def ws_url(self) -> str:
        scheme = "wss" if self.tls_cert else "ws"
        return f"{scheme}://{self.host}"

    def register_key(self, name: str, public_key: KeyInput) -> None:
        """Accept JWTs signed by `public_key` under key name `name` (EC P-256 or Ed25519)."""
        self.keys.register(name, public_key)

    def now(self) -> float:
        """The venue clock (real time + the clock-offset fault): what JWTs are checked at."""
        return self.clock.now()

    def market_now(self) -> float:
        return self.clock.market_now()

    def step(self, now: float | None = None) -> int:
        """Advance the market once (for tests running with `driver=False`)."""
        return self.driver.step(now)
