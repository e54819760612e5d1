"""Everything a request handler or WS session needs from the venue (SIM-1)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from aiohttp import web

from trader.core.clock import Clock
from trader.sim.contract import CandleHistory, Engine
from trader.sim.server.auth import JwtVerifier
from trader.sim.server.faults import FaultController
from trader.sim.server.market_state import MarketState
from trader.sim.server.ratelimit import RateLimiter

API_PREFIX = "/api/v3/brokerage"
VENUE_NAMESPACE = uuid.UUID("4f1c9a52-7a0e-4a43-9d4c-3f6a1b2c5d7e")


class VenueClock:
    """Market time is the base clock; the venue's own `now` adds the clock-offset fault."""

    def __init__(self, faults: FaultController, base: Clock) -> None:
        self.faults = faults
        self.base = base

    def market_now(self) -> float:
        """Time fed to the source and the engine (never jumps with the offset fault)."""
        return self.base()

    def now(self) -> float:
        """The venue's wall clock: `/time`, JWT nbf/exp checks, WS timestamps."""
        return self.base() + self.faults.clock_offset_s

    def now_ns(self) -> int:
        return int(self.now() * 1_000_000_000)


@dataclass(slots=True)
class RateLimits:
    private: RateLimiter | None
    public: RateLimiter | None


@dataclass(slots=True)
class VenueContext:
    """Shared state of one venue instance."""

    engine: Engine
    history: CandleHistory
    faults: FaultController
    verifier: JwtVerifier
    clock: VenueClock
    rate_limits: RateLimits
    seed: int
    market: MarketState = field(default_factory=MarketState)
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)
    auth_failures: int = 0
    # client ids of every create request received (accepted or not): a repeat is a resend
    create_client_ids: set[str] = field(default_factory=set)

    @property
    def user_id(self) -> str:
        return str(uuid.uuid5(VENUE_NAMESPACE, f"user-{self.seed}"))

    @property
    def portfolio_id(self) -> str:
        return str(uuid.uuid5(VENUE_NAMESPACE, f"portfolio-{self.seed}"))

    def account_uuid(self, currency: str) -> str:
        return str(uuid.uuid5(VENUE_NAMESPACE, f"account-{self.seed}-{currency}"))


CTX: web.AppKey[VenueContext] = web.AppKey("venue_context", VenueContext)
