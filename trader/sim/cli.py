"""`python -m trader sim`: the simulated Coinbase venue as a standalone server (SIM-1, OPS-7).

Prints the REST base URL, the WS URL and the key file it wrote, then serves until SIGINT or
SIGTERM. Binds loopback unless `--host` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from trader.commands.exit_codes import EXIT_CONFIG, EXIT_ENVIRONMENT, EXIT_OK
from trader.commands.options import sim_options
from trader.core.clock import wall_clock
from trader.sim.venue import SimConfig, SimVenue, VenueConfigError


def config_from_args(args: argparse.Namespace) -> SimConfig:
    """The venue's configuration; options that do not go together are a `ValueError`."""
    if args.market != "synthetic" and args.replay is None:
        raise ValueError(f"--market {args.market} needs --replay DIR (the recorded data)")
    if args.market != "synthetic" and args.trades_per_minute is not None:
        raise ValueError("--trades-per-minute applies to --market synthetic only")
    return SimConfig(
        market=args.market,
        seed=args.seed,
        products=args.products,
        replay_dir=args.replay,
        speed=args.speed,
        tick_s=args.tick,
        host=args.host,
        port=args.port,
        tls=args.tls,
        credentials_dir=args.write_credentials,
        rate_limit_private=None if args.no_rate_limit else args.private_per_s,
        rate_limit_public=None if args.no_rate_limit else args.public_per_s,
        trades_per_minute=args.trades_per_minute,
        balances={**SimConfig().balances, **dict(args.balance)},
    )


async def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; 0 on a clean stop, 2 on a bad configuration, 6 when the
    machine refuses the start (the address cannot be listened on, the key file not written)."""
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"trader sim: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        await _serve(config)
    except VenueConfigError as exc:
        print(f"trader sim: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:
        print(f"trader sim: not started: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    print("trader sim: stopped", flush=True)
    return EXIT_OK


async def _serve(config: SimConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with SimVenue(config, clock=wall_clock) as venue:
            _announce(venue)
            await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _announce(venue: SimVenue) -> None:
    print(f"REST {venue.rest_url}", flush=True)
    print(f"WS {venue.ws_url}", flush=True)
    print(f"KEY_NAME {venue.credentials.name}", flush=True)
    if venue.key_file is not None:
        print(f"KEY_FILE {venue.key_file}", flush=True)
    if venue.ca_file is not None:
        print(f"CA_FILE {venue.ca_file}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trader sim", description=__doc__)
    sim_options(parser)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
