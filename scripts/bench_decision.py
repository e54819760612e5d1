#!/usr/bin/env python3
"""PERF-1: one full decision cycle over 300 products (`--products`), each with a day of
1-minute history, all from memory: the daemon's own `DecisionCore`, stage by stage
(limits, universe, triggers, strategies, risk, exits), after the new candles are applied.

Prints p50/p99 of the cycle over >= 200 cycles (target p99 <= 20 ms), a per-stage
breakdown, the per-candle incremental trigger update cost, and the machine.

    .venv/bin/python scripts/bench_decision.py [--products 300] [--cycles 300] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trader.config.policy import PolicyConfig
from trader.config.signals import SignalsConfig
from trader.config.strategies import StrategiesConfig
from trader.config.universe import TierConfig, UniverseConfig
from trader.core.market import MarketSnapshot, ProductMarket
from trader.core.portfolio import Portfolio, Position
from trader.core.risk_state import RiskState
from trader.core.types import Candle, ProductRules, Quote
from trader.pipeline.decide import DecisionCore, DecisionInputs, DecisionStep
from trader.triggers import TriggerEngine

T0 = 1_763_600_000 - (1_763_600_000 % 60)
DAY_MINUTES = 1440


def make_rules(pid: str) -> ProductRules:
    base = pid.split("-")[0]
    return ProductRules(
        pid,
        base,
        "USD",
        Decimal("0.00000001"),
        Decimal("0.0001"),
        Decimal("0.00000001"),
        Decimal("100000000"),
        Decimal("1"),
        Decimal("10000000"),
    )


class Walk:
    """Seeded random walk with occasional jumps, so triggers actually fire."""

    def __init__(self, pid: str, rng: random.Random) -> None:
        self.pid = pid
        self.rng = rng
        self.price = rng.uniform(0.5, 50_000.0)

    def candle(self, start: int) -> Candle:
        jump = self.rng.random() < 0.002
        move = self.rng.gauss(0, 0.0015) + (self.rng.choice((-1, 1)) * 0.03 if jump else 0.0)
        open_ = self.price
        self.price = max(0.0001, self.price * (1 + move))
        high = max(open_, self.price) * (1 + abs(self.rng.gauss(0, 0.0005)))
        low = min(open_, self.price) * (1 - abs(self.rng.gauss(0, 0.0005)))
        volume = self.rng.uniform(1, 100) * (5 if jump else 1)
        q = Decimal("0.0001")
        return Candle(
            self.pid,
            start,
            Decimal(open_).quantize(q),
            Decimal(high).quantize(q),
            Decimal(low).quantize(q),
            Decimal(self.price).quantize(q),
            Decimal(volume).quantize(Decimal("0.001")),
        )


def snapshot_for(
    engine: TriggerEngine, walks: list[Walk], now: float, rules: dict[str, ProductRules]
) -> MarketSnapshot:
    """What the daemon hands the decision core each cycle (built from its in-memory feeds)."""
    products: dict[str, ProductMarket] = {}
    for walk in walks:
        close = engine.last_close(walk.pid)
        if close is None:
            continue
        half = close * Decimal("0.0002")
        quote = Quote(walk.pid, close - half, Decimal(1), close + half, Decimal(1), now - 1)
        products[walk.pid] = ProductMarket(
            rules=rules[walk.pid],
            quote=quote,
            quote_volume_24h=Decimal(100_000_000),
            listed_at=now - 400 * 86400,
            data_time=now - 1,
            sigma=engine.sigma(walk.pid),
            last_close=close,
        )
    return MarketSnapshot(products, "normal")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-gc-freeze", action="store_true", help="leave start-up objects to the cyclic GC"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (for scripts/bench_all.py)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    walks = [Walk(f"P{i:03d}-USD", rng) for i in range(args.products)]
    history = [[w.candle(T0 + 60 * m) for m in range(DAY_MINUTES)] for w in walks]

    universe = UniverseConfig(
        min_daily_volatility_pct=0.0,
        max_daily_volatility_pct=1000.0,
        tiers={
            "core": TierConfig(
                symbols=[w.pid for w in walks[:10]], min_quote_volume_24h=Decimal(0)
            ),
            "rotational": TierConfig(
                open_membership=True, max_symbols=args.products, min_quote_volume_24h=Decimal(0)
            ),
        },
    )
    policy = PolicyConfig(max_trades_per_hour=1000, max_trades_per_day=1000, max_open_positions=20)
    strategies = StrategiesConfig.model_validate({"registry": {"rules": {"enabled": True}}})
    core = DecisionCore(policy, universe, SignalsConfig(), strategies)  # the daemon's core
    engine = core.triggers
    started = time.perf_counter_ns()
    for minute in range(DAY_MINUTES):  # in time order, as a live feed would deliver
        for series in history:
            core.on_candle(series[minute])
    engine.advance(T0 + 60 * DAY_MINUTES)
    total_candles = DAY_MINUTES * len(walks)
    per_candle_us = (time.perf_counter_ns() - started) / total_candles / 1000
    del history  # the engine keeps only its rolling state; the raw day is not retained
    rules = {w.pid: make_rules(w.pid) for w in walks}
    positions = {
        w.pid: Position(
            w.pid, Decimal("0.01"), Decimal(str(round(w.price, 4))), T0, "rules", Decimal("1")
        )
        for w in walks[:5]
    }
    portfolio = Portfolio("USD", {"USD": Decimal(25_000)}, positions, ())
    state = RiskState()

    gc.collect()
    if not args.no_gc_freeze:
        gc.freeze()  # start-up state to the permanent generation, as the daemon should do
    names = ("snapshot", "candles", *(name for name, _ in core.stages()))
    stages: dict[str, list[float]] = {k: [] for k in names}
    cycle_ms: list[float] = []
    total_ms: list[float] = []
    cpu_ms: list[float] = []
    counts = {"triggers": 0, "proposals": 0, "approved": 0, "exits": 0}
    for cycle in range(args.cycles):
        minute = DAY_MINUTES + cycle
        for walk in walks:
            core.on_candle(walk.candle(T0 + 60 * minute))
        now = float(T0 + 60 * (minute + 1))
        cpu0 = time.thread_time_ns()
        t0 = time.perf_counter_ns()
        engine.advance(now)  # the new candles into the trigger windows
        t1 = time.perf_counter_ns()
        market = snapshot_for(engine, walks, now, rules)
        step = DecisionStep(DecisionInputs(now, market, portfolio, state))
        t2 = time.perf_counter_ns()
        marks = [t2]
        for _name, stage in core.stages():  # the one decision core, stage by stage
            stage(step)
            marks.append(time.perf_counter_ns())
        cpu_ms.append((time.thread_time_ns() - cpu0) / 1e6)
        stages["candles"].append((t1 - t0) / 1e6)
        stages["snapshot"].append((t2 - t1) / 1e6)
        for name, a, b in zip(names[2:], marks[:-1], marks[1:], strict=True):
            stages[name].append((b - a) / 1e6)
        cycle_ms.append(((t1 - t0) + (marks[-1] - t2)) / 1e6)
        total_ms.append((marks[-1] - t0) / 1e6)
        counts["triggers"] += len(step.signals)
        counts["proposals"] += len(step.proposals)
        counts["approved"] += len(step.approved)
        counts["exits"] += len(step.exits)

    if args.json:
        figures = {
            "cycle_p50_ms": percentile(cycle_ms, 0.50),
            "cycle_p99_ms": percentile(cycle_ms, 0.99),
            "cpu_p99_ms": percentile(cpu_ms, 0.99),
            "with_snapshot_p99_ms": percentile(total_ms, 0.99),
            "trigger_update_us": per_candle_us,
        }
        print(json.dumps({"figures": {k: {"samples": [v]} for k, v in figures.items()}}))
        return
    print("PERF-1 decision cycle (the DecisionCore's stages after the new candles), from memory")
    print(
        f"machine: {platform.platform()} | python {platform.python_version()} | "
        f"cpu_count {os.cpu_count()} | {platform.processor() or platform.machine()}"
    )
    print(
        f"products: {len(walks)}, history: {DAY_MINUTES} candles each, cycles: {args.cycles}, "
        f"gc.freeze: {not args.no_gc_freeze}"
    )
    print(
        f"decision cycle  p50 {percentile(cycle_ms, 0.50):.2f} ms  "
        f"p99 {percentile(cycle_ms, 0.99):.2f} ms  max {max(cycle_ms):.2f} ms  "
        f"(target p99 <= 20 ms; includes applying the {len(walks)} new candles)"
    )
    print(
        f"  on-CPU time   p50 {percentile(cpu_ms, 0.50):.2f} ms  "
        f"p99 {percentile(cpu_ms, 0.99):.2f} ms  (excludes time descheduled by other load)"
    )
    print(
        f"with snapshot   p50 {percentile(total_ms, 0.50):.2f} ms  "
        f"p99 {percentile(total_ms, 0.99):.2f} ms"
    )
    for name, samples in stages.items():
        print(
            f"  {name:<10} p50 {statistics.median(samples):.3f} ms  "
            f"p99 {percentile(samples, 0.99):.3f} ms"
        )
    print(
        f"incremental trigger update: {per_candle_us:.2f} us per candle "
        f"({total_candles} candles fed and applied)"
    )
    print(f"activity over all cycles: {counts}")
    print(f"load average at end: {os.getloadavg()}")
    print(
        f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
        "(includes the day of generated history, freed after feeding)"
    )


if __name__ == "__main__":
    main()
