"""The options of the heavier commands, kept apart from their code so that building the
command line (every `trader` call) imports nothing but argparse."""

from __future__ import annotations

import argparse
from pathlib import Path

from trader.commands.arg_types import number, whole
from trader.sim import args as sim_args
from trader.sim.contract import MARKETS

DEFAULT_LOOKBACK_DAYS = 90  # `trader adopt`: how far back an installation's orders are read
MAX_WARMUP_HOURS = 8784.0  # a (leap) year of bars before --from
MAX_WORKERS = 1024
MAX_CUTS = 1000


hours = number(0.0, MAX_WARMUP_HOURS, unit=" hours")  # `--warmup-hours`


def adopt_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        default=None,
        help="adopt this installation's orders created since this UTC time (ISO 8601); "
        f"default: when the installation began, at most {DEFAULT_LOOKBACK_DAYS} days back",
    )
    parser.add_argument(
        "--installation",
        default=None,
        help="the 8-hex-digit tag of the installation whose orders to adopt (the first group "
        "of its client order ids), when its marker file was lost too",
    )


def download_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--products", required=True, help="comma-separated product ids (BTC-USD,ETH-USD)"
    )
    parser.add_argument("--from", dest="start", required=True, help="UTC date/time or epoch s")
    parser.add_argument("--to", dest="end", required=True, help="UTC date/time or epoch s (excl.)")
    parser.add_argument(
        "--granularity", default="1m", help="bar length: 1m, 5m, 15m, 1h, 6h or 1d (default 1m)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default data/download)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="app.yaml naming the venue (default app.yaml, else app.yaml.example)",
    )


def backtest_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="a recorded data folder or file")
    parser.add_argument("--from", dest="start", required=True, help="UTC date/time or epoch s")
    parser.add_argument("--to", dest="end", required=True, help="UTC date/time or epoch s (excl.)")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="app.yaml whose policy files are used (default app.yaml, else app.yaml.example)",
    )
    parser.add_argument("--out", type=Path, default=None, help="output folder")
    parser.add_argument("--products", default="", help="comma-separated product ids (default all)")
    parser.add_argument(
        "--warmup-hours",
        type=hours,
        default=25.0,
        help=f"bars before --from that only warm up (0 to {MAX_WARMUP_HOURS:g} hours)",
    )
    parser.add_argument(
        "--listed-before",
        default=None,
        help="UTC date/time or epoch s: every product counts as listed by then (default: "
        "its first bar in the set, so the listing-age filter holds new sets back at first)",
    )
    parser.add_argument(
        "--search",
        type=Path,
        default=None,
        help="a walk-forward parameter search file (BT-5): candidates ranked out-of-sample",
    )
    parser.add_argument(
        "--workers",
        type=whole(0, MAX_WORKERS),
        default=0,
        help="--search: worker processes (0: one per core)",
    )
    parser.add_argument(
        "--executor",
        default=None,
        help="--search: a Dask scheduler address (tcp://HOST:PORT) to run the candidates on "
        "instead of local processes (needs the optional `distributed` package)",
    )


def check_strategy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the strategy's registry id (enabled or not)")
    parser.add_argument("--data", type=Path, required=True, help="a recorded data folder or file")
    parser.add_argument(
        "--from",
        dest="start",
        default=None,
        help="UTC date/time or epoch s of the first decision (default: the first time after "
        "the strategy's warm-up)",
    )
    parser.add_argument(
        "--to", dest="end", default=None, help="UTC date/time or epoch s (excl.; default 7 days)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="app.yaml whose policy files are used (default app.yaml, else app.yaml.example)",
    )
    parser.add_argument("--products", default="", help="comma-separated product ids (default all)")
    parser.add_argument(
        "--cuts",
        type=whole(1, MAX_CUTS),
        default=None,
        help=f"points where the data is cut (default 8, at most {MAX_CUTS})",
    )


def sim_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", type=sim_args.host, default="127.0.0.1", help="bind address (default loopback)"
    )
    parser.add_argument(
        "--port", type=sim_args.port, default=8787, help="port 0..65535 (0 = any free port)"
    )
    parser.add_argument("--market", choices=MARKETS, default="synthetic")
    parser.add_argument(
        "--products",
        type=sim_args.products,
        default=50,
        help=f"number of products (1..{sim_args.MAX_PRODUCTS})",
    )
    parser.add_argument("--seed", type=sim_args.seed, default=7)
    parser.add_argument(
        "--replay", type=sim_args.replay_dir, default=None, help="recorded data directory"
    )
    parser.add_argument(
        "--speed",
        type=sim_args.speed,
        default=60.0,
        help="replay speed factor (above 0)",
    )
    parser.add_argument(
        "--tick", type=sim_args.tick, default=0.05, help="market driver tick (s, 0.001..60)"
    )
    parser.add_argument("--tls", action="store_true", help="serve https/wss (self-signed)")
    parser.add_argument(
        "--write-credentials",
        type=sim_args.credentials_dir,
        default=None,
        metavar="DIR",
        help="write DIR/cdp_api_key.json (and DIR/ca.pem with --tls)",
    )
    parser.add_argument(
        "--trades-per-minute",
        type=sim_args.trades_per_minute,
        default=None,
        help="synthetic market: trades per product per minute (above 0; default 20)",
    )
    parser.add_argument(
        "--balance",
        type=sim_args.balance,
        action="append",
        default=[],
        metavar="CUR=AMOUNT",
        help="a starting balance (repeatable; default USD=100000, kept unless given)",
    )
    parser.add_argument(
        "--private-per-s",
        type=sim_args.rate,
        default=30.0,
        help="private requests per second per key before 429 (default 30, as Coinbase)",
    )
    parser.add_argument(
        "--public-per-s",
        type=sim_args.rate,
        default=10.0,
        help="public requests per second per address before 429 (default 10, as Coinbase)",
    )
    parser.add_argument(
        "--no-rate-limit",
        action="store_true",
        help="disable both rate limits",
    )
