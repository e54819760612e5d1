#!/usr/bin/env python3
"""PERF-5: resident memory of what the daemon holds for 300 products, and its growth.

One process builds the daemon's market-side state and runs it on simulated minutes:

- market data: a `MarketDataService` for the products (live quotes, per-product candle
  builders, the bounded `CandleStore`), backfilled with `MarketDataSettings.backfill_minutes`
  (1500) closed 1-minute candles per product as fresh objects, as a REST backfill decodes
  them; the service itself is not started (no stream, no REST client);
- the decision core: `DecisionCore` from the shipped `config/*.yaml` (loaded through
  `load_config(app.yaml.example)`), fed every stored candle with `core.on_candle`, then
  subscribed to the store as the daemon does.

Each simulated minute the feed's trades reach the builders as `market_trades` events (newest
first, fresh objects) and its touch as `ticker` events; due minutes close into the store
(which feeds the core), the start-up minute is "repaired" as the service does over REST,
and one full decision step runs on a snapshot from the daemon's own `build_market`.

`--venue none` (default; a LIVE daemon against Coinbase): the feed is a light seeded random
walk (~20 trades per minute per product) kept in this script. `--venue embedded` (the
shipped app.yaml.example: DRY_RUN on the embedded simulator): the feed is a real
`trader.sim.venue.SimVenue` (synthetic market, loopback, driver off, stepped a minute at a
time) in the same process, so its own state (market source with its history, matching
engine, candle history, recent trades, WebSocket hub) is counted too.

RSS (VmRSS from /proc/self/status, read after `gc.collect()`) after `--warmup-minutes` is
the PERF-5 figure (target <= 200 MB); growth over `--soak-minutes` simulated minutes
(target <= 5 %) is reported with a least-squares trend over the soak's second half.

Excluded: the REST/WS client, its connections and buffers, SQLite and the state database,
the Actor/execution state and open orders, the metrics HTTP server, log handlers. Time is
simulated (a minute takes well under a second of wall time): nothing driven by wall-clock
timers runs, and bounded structures that fill over days (e.g. the builders' recent trade
ids) are not yet full after an hour.

    .venv/bin/python scripts/bench_memory.py [--venue none|embedded] [--soak-minutes 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import random
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trader.config.loader import load_config  # noqa: E402
from trader.core.portfolio import Portfolio  # noqa: E402
from trader.core.risk_state import RiskState  # noqa: E402
from trader.core.types import Candle, ProductRules, Trade  # noqa: E402
from trader.desk.cycle import STORE_HISTORY  # noqa: E402
from trader.desk.snapshot import build_market  # noqa: E402
from trader.exchange.models import MarketTrade, TickerEvent  # noqa: E402
from trader.marketdata.service import MarketDataService, MarketDataSettings  # noqa: E402
from trader.ops.metrics import Metrics  # noqa: E402
from trader.pipeline.decide import DecisionCore, DecisionInputs  # noqa: E402
from trader.sim.market.rules import rules_for_price  # noqa: E402
from trader.sim.market.synthetic import product_specs  # noqa: E402
from trader.sim.venue import SimConfig, SimVenue  # noqa: E402

START = 1_763_596_800  # a UTC midnight; history ends here
TARGET_RSS_MB = 200.0
TARGET_GROWTH_PCT = 5.0
BACKFILL = MarketDataSettings().backfill_minutes
MIB = 1024 * 1024


def rss_mb(field: str = "VmRSS") -> float:
    """Resident set (or its peak, VmHWM) after a full collection, in MiB (Linux only)."""
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def fresh(c: Candle) -> Candle:
    """A candle as decoded from a REST answer: new objects, nothing shared with the feed."""
    o, h, lo, cl, v = (Decimal(str(x)) for x in (c.open, c.high, c.low, c.close, c.volume))
    return Candle(c.product_id, c.start, o, h, lo, cl, v)


class Feed(Protocol):
    rules: dict[str, ProductRules]

    def history(self, pid: str) -> list[Candle]: ...

    def repair(self, pid: str, lo: int, hi: int, now: float) -> list[Candle]: ...

    def minute(self, now: int) -> tuple[dict[str, list[MarketTrade]], list[TickerEvent]]:
        """Trades per product (newest first, as frames carry them) and the latest touch."""
        ...


class WalkFeed:
    """A seeded random walk per product: the market as a LIVE daemon's stream shows it."""

    def __init__(self, products: int, seed: int, trades_per_minute: int = 20) -> None:
        specs = product_specs(products, seed)
        self.rules = {pid: rules_for_price(pid, price) for pid, price, _ in specs}
        self.price = {pid: float(price) for pid, price, _ in specs}
        self.vol = {pid: vol for pid, _, vol in specs}
        self.rng = random.Random(seed)
        self.tpm = trades_per_minute
        self.seq = 100_000_000

    def _px(self, pid: str, x: float) -> Decimal:
        return Decimal(f"{x:.6g}").quantize(self.rules[pid].quote_increment)

    def history(self, pid: str) -> list[Candle]:
        out = []
        for m in range(START - 60 * BACKFILL, START, 60):
            o = self.price[pid]
            c = self.price[pid] = o * (1 + self.rng.gauss(0, self.vol[pid]))
            hi, lo = max(o, c) * 1.0005, min(o, c) * 0.9995
            vol = Decimal(f"{self.rng.uniform(1, 500):.4f}")
            px = [self._px(pid, x) for x in (o, hi, lo, c)]
            out.append(Candle(pid, m, *px, vol))
        return out

    def repair(self, pid: str, lo: int, hi: int, now: float) -> list[Candle]:
        return []  # the start-up minute had no trades from this feed

    def minute(self, now: int) -> tuple[dict[str, list[MarketTrade]], list[TickerEvent]]:
        trades: dict[str, list[MarketTrade]] = {}
        tickers = []
        for pid in self.rules:
            batch = []
            for k in range(self.tpm):
                self.price[pid] *= 1 + self.rng.gauss(0, self.vol[pid] / 4)
                self.seq += 1
                side = "BUY" if self.rng.random() < 0.5 else "SELL"
                size = Decimal(f"{self.rng.uniform(0.001, 5):.6f}")
                t = now - 60 + 60 * (k + 0.5) / self.tpm
                batch.append(
                    MarketTrade(pid, str(self.seq), self._px(pid, self.price[pid]), size, side, t)
                )
            batch.reverse()
            trades[pid] = batch
            mid = self.price[pid]
            bid, ask = self._px(pid, mid * 0.9998), self._px(pid, mid * 1.0002)
            tickers.append(TickerEvent(pid, batch[0].price, bid, Decimal(1), ask, Decimal(1), now))
        return trades, tickers


class VenueFeed:
    """The embedded simulator, stepped one minute at a time; its trades are tapped."""

    def __init__(self, venue: SimVenue) -> None:
        self.venue = venue
        self.rules = {r.product_id: r for r in venue.engine.products()}
        self.tapped: list[Trade] = []
        history = venue.ctx.history
        record = history.record

        def tap(trade: Trade) -> None:
            self.tapped.append(trade)
            record(trade)

        history.record = tap  # type: ignore[method-assign]

    def history(self, pid: str) -> list[Candle]:
        return [fresh(c) for c in self.venue.source.history(pid)[-BACKFILL:]]

    def repair(self, pid: str, lo: int, hi: int, now: float) -> list[Candle]:
        return [fresh(c) for c in self.venue.ctx.history.candles(pid, 60, lo, hi, now)[::-1]]

    def minute(self, now: int) -> tuple[dict[str, list[MarketTrade]], list[TickerEvent]]:
        self.venue.step(now)
        trades: dict[str, list[MarketTrade]] = {}
        for t in self.tapped:  # fresh objects, as decoded from the venue's frames
            trades.setdefault(t.product_id, []).append(
                MarketTrade(
                    t.product_id,
                    t.trade_id.encode().decode(),
                    Decimal(str(t.price)),
                    Decimal(str(t.size)),
                    t.side.value,
                    t.time,
                )
            )
        self.tapped.clear()
        for batch in trades.values():
            batch.reverse()
        tickers = []
        for pid in self.rules:
            q = self.venue.engine.quote(pid)
            if q is not None:
                tickers.append(TickerEvent(pid, q.bid, q.bid, q.bid_size, q.ask, q.ask_size, now))
        return trades, tickers


class Harness:
    """The daemon's market data and decision core, advanced one simulated minute at a time."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        self.rules = feed.rules
        self.now = float(START)
        self.md = MarketDataService(
            _NoExchange(),  # type: ignore[arg-type]
            list(self.rules),
            Metrics(),
            settings=MarketDataSettings(history=STORE_HISTORY),  # as the daemon runs it
            clock=lambda: self.now,
        )
        self.listed_at = {pid: START - 400 * 86400.0 for pid in self.rules}
        self.core: DecisionCore | None = None
        self.portfolio = Portfolio("USD", {"USD": Decimal(100_000)}, {}, ())
        self.risk_state = RiskState()
        self.counts = {"minutes": 0, "trades": 0, "candles": 0, "signals": 0, "proposals": 0}

    def backfill(self) -> int:
        return sum(self.md.live.store_all(self.feed.history(pid)) for pid in self.rules)

    def build_core(self) -> None:
        """As the daemon does: the core subscribes before the backfill, so it sees every
        backfilled candle while the store keeps only its short history."""
        loaded = load_config(ROOT / "app.yaml.example")
        core = DecisionCore.from_loaded(loaded)
        core.triggers.advance(self.now)
        self.md.subscribe_candles(core.on_candle)
        self.core = core

    def minute(self) -> None:
        """One simulated minute: feed → ingest → close (and repair) → decide."""
        assert self.core is not None
        now = int(self.now) + 60
        trades, tickers = self.feed.minute(now)
        live = self.md.live
        for batch in trades.values():
            live.apply_trades(batch, now)
            self.counts["trades"] += len(batch)
        for ticker in tickers:
            live.apply_ticker(ticker, now)
        self.now = closing = now + self.md.settings.grace_s  # the service's timer
        stored = len(live.close_due(closing))
        for pid, builder in live.builders.items():
            span = builder.repair_range(closing)
            if span is not None:
                candles = self.feed.repair(pid, *span, closing)
                stored += live.store_all(builder.apply_repair(*span, candles, closing))
        market = build_market(self.rules, self.md, self.core, self.listed_at, now, advance=True)
        step = self.core.decide(DecisionInputs(now, market, self.portfolio, self.risk_state))
        self.risk_state = step.risk_state
        self.now = float(now)
        for key, n in (("minutes", 1), ("candles", stored), ("signals", len(step.signals))):
            self.counts[key] += n
        self.counts["proposals"] += len(step.proposals)


class _NoExchange:
    """The service is never started here (no stream, no REST): only its state is used."""


@contextlib.asynccontextmanager
async def open_feed(args: argparse.Namespace) -> AsyncIterator[Feed]:
    if args.venue == "none":
        yield WalkFeed(args.products, args.seed)
        return
    config = SimConfig(
        products=args.products,
        seed=args.seed,
        start=float(START),
        driver=False,
        rate_limit_private=None,
        rate_limit_public=None,
    )
    async with SimVenue(config, clock=lambda: float(START)) as venue:
        yield VenueFeed(venue)


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    stages: list[tuple[str, float]] = [("interpreter + imports", rss_mb())]
    async with open_feed(args) as feed:
        name = "sim venue" if args.venue == "embedded" else "walk feed"
        stages.append((f"+ {name} ({args.products} products)", rss_mb()))
        harness = Harness(feed)
        harness.build_core()
        stages.append(("+ decision core built", rss_mb()))
        stored = harness.backfill()
        assert harness.core is not None
        harness.core.triggers.advance(harness.now)  # builds the per-product trigger state now
        stages.append((f"+ {stored} candles backfilled, fed to the triggers", rss_mb()))
        for _ in range(args.warmup_minutes):
            harness.minute()
        warm = rss_mb()
        stages.append((f"after {args.warmup_minutes} warm-up minutes", warm))
        samples = [warm]
        started = time.perf_counter()
        for _ in range(args.soak_minutes):
            harness.minute()
            samples.append(rss_mb())
        soak_wall = time.perf_counter() - started
        builders = harness.md.live.builders.values()
        held = {
            "candles_per_product": len(harness.md.closed_candles(next(iter(harness.rules)))),
            "daemon_recent_trade_ids": sum(len(ids) for b in builders for ids in b._seen.values()),
        }
        if isinstance(feed, VenueFeed):
            recent = feed.venue.ctx.market.recent.values()
            held["venue_recent_trades"] = sum(len(d) for d in recent)
    end = samples[-1]
    growth = (end - warm) / warm * 100
    return {
        "benchmark": "memory",
        "spec": "PERF-5",
        "venue": args.venue,
        "products": args.products,
        "stages": stages,
        "rss_warm_mb": warm,
        "rss_end_mb": end,
        "rss_peak_mb": rss_mb("VmHWM"),
        "growth_pct": growth,
        "trend_mb_per_hour": _slope(samples[len(samples) // 2 :]) * 60,
        "soak_minutes": args.soak_minutes,
        "soak_wall_s": soak_wall,
        "held_at_end": held,
        "activity": harness.counts,
        "figures": {
            "rss_mb": {"samples": [warm * MIB / 1e6], "unit": "MB"},  # SPEC's MB: 10^6 B
            "growth_pct": {"samples": [growth], "unit": "%"},
        },
    }


def _slope(values: list[float]) -> float:
    """Least-squares slope per sample (0 with fewer than two samples)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def report(result: dict[str, Any]) -> None:
    print(
        f"PERF-5 memory: what the daemon holds for {result['products']} products, "
        f"venue {result['venue']} (RSS = VmRSS after gc.collect, MiB)"
    )
    print(
        f"machine: {platform.platform()} | python {platform.python_version()} | "
        f"cpu_count {os.cpu_count()}"
    )
    previous = 0.0
    for name, value in result["stages"]:
        delta = f"(+{value - previous:6.1f})" if previous else " " * 9
        print(f"  {name:<46} {value:7.1f} MiB {delta}")
        previous = value
    warm, growth = result["rss_warm_mb"], result["growth_pct"]
    print(
        f"RSS after warm-up {warm:.1f} MiB = {warm * MIB / 1e6:.1f} MB "
        f"(target <= {TARGET_RSS_MB:.0f} MB): "
        f"{'meets' if warm * MIB / 1e6 <= TARGET_RSS_MB else 'MISSES'}"
    )
    print(
        f"soak {result['soak_minutes']} simulated minutes ({result['soak_wall_s']:.1f} s wall): "
        f"end {result['rss_end_mb']:.1f} MiB, growth {growth:+.2f} % "
        f"(target <= {TARGET_GROWTH_PCT:.0f} %): "
        f"{'meets' if growth <= TARGET_GROWTH_PCT else 'MISSES'}; "
        f"second-half trend {result['trend_mb_per_hour']:+.2f} MiB/simulated hour"
    )
    print(f"peak RSS {result['rss_peak_mb']:.1f} MiB; activity {result['activity']}")
    print(f"held at end: {result['held_at_end']}")
    print(
        "includes: interpreter, imported libraries, market data (quotes, builders, store), "
        "decision core, one live decision step"
        + (", the embedded sim venue" if result["venue"] == "embedded" else "")
    )
    print(
        "excludes: REST/WS client and connections, SQLite, execution/Actor state, "
        "metrics server, logging; wall-clock timers (time is simulated)"
        + ("; the simulator (not in a LIVE daemon)" if result["venue"] == "none" else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--venue", choices=("none", "embedded"), default="none")
    parser.add_argument("--warmup-minutes", type=int, default=15)
    parser.add_argument("--soak-minutes", type=int, default=60, help="simulated minutes")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    result = asyncio.run(measure(args))
    if args.json:
        print(json.dumps(result))
    else:
        report(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
