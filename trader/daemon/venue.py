"""The embedded simulated venue (CFG-3, SIM-1): with `exchange.venue: sim` the daemon runs
the simulator in-process on an ephemeral loopback port, so a first run needs no keys and no
network. The adapter reaches it exactly as it reaches Coinbase: over HTTP and WebSocket."""

from __future__ import annotations

from decimal import Decimal

from trader.config.loader import LoadedConfig
from trader.core.clock import Clock
from trader.sim.venue import SimConfig, SimVenue


def embedded_venue(loaded: LoadedConfig, clock: Clock) -> SimVenue:
    sim = loaded.app.sim
    replay = loaded.resolve(sim.replay_dir) if sim.replay_dir else None
    return SimVenue(
        SimConfig(
            market=sim.market,
            seed=sim.seed,
            products=sim.products,
            replay_dir=replay,
            speed=sim.speed,
            balances={"USD": Decimal(str(sim.quote_balance))},
            host="127.0.0.1",
            port=0,
            rate_limit_private=sim.rate_limits.private_per_s,
            rate_limit_public=sim.rate_limits.public_per_s,
        ),
        clock=clock,
    )
