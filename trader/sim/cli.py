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
from pathlib import Path

from trader.sim.venue import MARKETS, SimConfig, SimVenue


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    parser.add_argument("--port", type=int, default=8787, help="port (0 = any free port)")
    parser.add_argument("--market", choices=MARKETS, default="synthetic")
    parser.add_argument("--products", type=int, default=50, help="number of products")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--replay", type=Path, default=None, help="recorded data directory")
    parser.add_argument("--speed", type=float, default=60.0, help="replay speed factor")
    parser.add_argument("--tick", type=float, default=0.05, help="market driver tick (s)")
    parser.add_argument("--tls", action="store_true", help="serve https/wss (self-signed)")
    parser.add_argument(
        "--write-credentials",
        type=Path,
        default=None,
        metavar="DIR",
        help="write DIR/cdp_api_key.json (and DIR/ca.pem with --tls)",
    )
    parser.add_argument(
        "--trades-per-minute",
        type=float,
        default=None,
        help="synthetic market: trades per product per minute (default 20)",
    )
    parser.add_argument(
        "--no-rate-limit",
        action="store_true",
        help="disable the 30/s private and 10/s public rate limits",
    )


def config_from_args(args: argparse.Namespace) -> SimConfig:
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
        rate_limit_private=None if args.no_rate_limit else 30.0,
        rate_limit_public=None if args.no_rate_limit else 10.0,
        trades_per_minute=args.trades_per_minute,
    )


async def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; 0 on a clean stop, 2 on a bad configuration."""
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"trader sim: {exc}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with SimVenue(config) as venue:
            _announce(venue)
            await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    print("trader sim: stopped", flush=True)
    return 0


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
    add_arguments(parser)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
