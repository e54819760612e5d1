#!/usr/bin/env python3
"""SIM-1 benchmark: how fast the simulated venue accepts orders and pushes WS frames.

The venue runs as a real subprocess (`python -m trader.sim.cli`, rate limits off); this
process is the client (aiohttp, a fresh ES256 JWT per request, like the SDK).

- orders/s: `--concurrency` workers POST post-only limit buys far below the market
  (round-robin over the products, so no product reaches the 500-open-orders cap), each
  answered `success: true`; also p50/p99 request latency.
- WS frames/s: `--clients` connections, each subscribed to heartbeats, ticker,
  market_trades and level2 for every product of a busy synthetic market; frames read
  per second over `--window` seconds, summed over the clients.

Medians over `--repeats` runs; prints the machine.

    .venv/bin/python scripts/bench_sim.py [--orders 2000] [--concurrency 32] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "/api/v3/brokerage"


class Client:
    def __init__(self, session: aiohttp.ClientSession, rest: str, key_file: Path) -> None:
        creds = json.loads(key_file.read_text())
        self.name = creds["name"]
        key = serialization.load_pem_private_key(creds["privateKey"].encode(), None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the venue's key file must hold an EC P-256 key")
        self.key = key
        self.session = session
        self.rest = rest
        self.host = rest.split("//", 1)[1].split("/", 1)[0]

    def _token(self, method: str, path: str) -> str:
        now = int(time.time())
        claims = {
            "sub": self.name,
            "iss": "cdp",
            "nbf": now,
            "exp": now + 120,
            "uri": f"{method} {self.host}{path}",
        }
        headers = {"kid": self.name, "nonce": secrets.token_hex()}
        return jwt.encode(claims, self.key, algorithm="ES256", headers=headers)

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        signed = PREFIX + path.split("?", 1)[0]
        headers = {
            "Authorization": f"Bearer {self._token(method, signed)}",
            "Content-Type": "application/json",
        }
        data = orjson.dumps(body) if body is not None else None
        async with self.session.request(
            method, self.rest + path, data=data, headers=headers
        ) as resp:
            payload = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{method} {path}: {resp.status} {payload[:200]!r}")
            return orjson.loads(payload)


def _passive_order(product: dict[str, Any], n: int, run: int) -> dict[str, Any]:
    price_inc, base_inc = Decimal(product["quote_increment"]), Decimal(product["base_increment"])
    price = (Decimal(product["price"]) / 2 / price_inc).to_integral_value(ROUND_FLOOR) * price_inc
    size = (Decimal(2) / price / base_inc).to_integral_value(ROUND_CEILING) * base_inc
    size = max(size, Decimal(product["base_min_size"]))
    return {
        "client_order_id": f"bench-{run}-{n}",
        "product_id": product["product_id"],
        "side": "BUY",
        "order_configuration": {
            "limit_limit_gtc": {
                "base_size": str(size),
                "limit_price": str(price),
                "post_only": True,
            }
        },
    }


async def bench_orders(
    client: Client, products: list[dict[str, Any]], total: int, concurrency: int, run: int
) -> tuple[float, list[float]]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            body = _passive_order(products[n % len(products)], n, run)
            started = time.perf_counter()
            answer = await client.call("POST", "/orders", body)
            latencies.append(time.perf_counter() - started)
            if not answer["success"]:
                raise RuntimeError(f"order refused: {answer['error_response']}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ids = [
        o["order_id"]
        for o in (
            await client.call("GET", "/orders/historical/batch?order_status=OPEN&limit=1000")
        )["orders"]
    ]
    while ids:
        await client.call("POST", "/orders/batch_cancel", {"order_ids": ids[:100]})
        ids = ids[100:]
        if not ids:
            ids = [
                o["order_id"]
                for o in (
                    await client.call(
                        "GET", "/orders/historical/batch?order_status=OPEN&limit=1000"
                    )
                )["orders"]
            ]
    return total / elapsed, latencies


async def bench_ws(ws_url: str, product_ids: list[str], clients: int, window: float) -> float:
    counts = [0] * clients
    counting = asyncio.Event()

    async def one(index: int, session: aiohttp.ClientSession) -> None:
        async with session.ws_connect(ws_url, max_msg_size=64 * 1024 * 1024) as ws:
            for channel in ("heartbeats", "ticker", "market_trades", "level2"):
                ids = [] if channel == "heartbeats" else product_ids
                await ws.send_str(
                    orjson.dumps(
                        {"type": "subscribe", "channel": channel, "product_ids": ids}
                    ).decode()
                )
            async for msg in ws:
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    return
                if counting.is_set():
                    counts[index] += 1

    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(one(i, session)) for i in range(clients)]
        await asyncio.sleep(1.5)
        counting.set()
        await asyncio.sleep(window)
        total = sum(counts)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return total / window


async def start_venue(creds: Path, products: int, tpm: float) -> tuple[Any, dict[str, str]]:
    proc = await asyncio.create_subprocess_exec(
        *os.environ.get("BENCH_SIM_PYTHON", sys.executable).split(),
        "-m",
        "trader.sim.cli",
        "--port",
        "0",
        "--products",
        str(products),
        "--no-rate-limit",
        "--trades-per-minute",
        str(tpm),
        "--write-credentials",
        str(creds),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines: dict[str, str] = {}
    while "KEY_FILE" not in lines:
        raw = await asyncio.wait_for(proc.stdout.readline(), 60)
        if not raw:
            raise RuntimeError("venue exited before announcing itself")
        key, _, value = raw.decode().strip().partition(" ")
        lines[key] = value
    return proc, lines


async def run_orders(args: argparse.Namespace) -> tuple[list[float], list[float]]:
    """Orders phase against a venue with the default (quiet) synthetic market."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, lines = await start_venue(Path(tmp), args.products, 20.0)
        try:
            connector = aiohttp.TCPConnector(limit=args.concurrency)
            async with aiohttp.ClientSession(connector=connector) as session:
                client = Client(session, lines["REST"], Path(lines["KEY_FILE"]))
                products = (await client.call("GET", "/products"))["products"]
                rates, all_latencies = [], []
                for run in range(args.repeats):
                    rate, latencies = await bench_orders(
                        client, products, args.orders, args.concurrency, run
                    )
                    rates.append(rate)
                    all_latencies.extend(latencies)
        finally:
            proc.terminate()
            await proc.wait()
    return rates, all_latencies


async def run_ws(args: argparse.Namespace) -> list[float]:
    """WS phase against a venue with a busy synthetic market."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, lines = await start_venue(Path(tmp), args.products, args.trades_per_minute)
        try:
            product_ids = await _product_ids(lines)
            return [
                await bench_ws(lines["WS"], product_ids, args.clients, args.window)
                for _ in range(args.repeats)
            ]
        finally:
            proc.terminate()
            await proc.wait()


async def _product_ids(lines: dict[str, str]) -> list[str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(lines["REST"] + "/market/products") as resp,
    ):
        return [p["product_id"] for p in (await resp.json())["products"]]


async def main(args: argparse.Namespace) -> None:
    rates, all_latencies = await run_orders(args)
    frames = await run_ws(args)
    all_latencies.sort()
    p99 = all_latencies[int(len(all_latencies) * 0.99) - 1]
    if args.json:
        figures = {
            "orders_per_s": {"samples": rates},
            "order_latency_p99_ms": {"samples": [p99 * 1000]},
            "ws_frames_per_s": {"samples": frames},
        }
        print(json.dumps({"figures": figures}))
        return
    print(
        f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
        f"cpus={os.cpu_count()} | python {platform.python_version()}"
    )
    print(
        f"orders ({args.products} products, quiet market): {args.orders} x {args.repeats} "
        f"runs, concurrency {args.concurrency}: "
        f"median {statistics.median(rates):,.0f} orders/s "
        f"(runs {', '.join(f'{r:,.0f}' for r in rates)}); "
        f"latency p50 {statistics.median(all_latencies) * 1000:.2f} ms, "
        f"p99 {p99 * 1000:.2f} ms"
    )
    print(
        f"ws: {args.clients} clients x {args.products} products "
        f"(ticker, market_trades, level2, heartbeats; {args.trades_per_minute:g} "
        f"trades/min/product): median {statistics.median(frames):,.0f} frames/s "
        f"(runs {', '.join(f'{f:,.0f}' for f in frames)})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trades-per-minute", type=float, default=600.0)
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (for scripts/bench_all.py)"
    )
    asyncio.run(main(parser.parse_args()))
