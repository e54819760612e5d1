"""Execution benchmarks on loopback against the simulated venue (PERF-3, PERF-6, PERF-7).

PERF-3 tick-to-order: from a closed candle that fires a trigger to the create-order request
  written to the venue's socket (SPEC: "to the order request written"): the decision step
  (limits → universe → triggers → strategies → risk) over 8 products, the intent committed
  to SQLite (fsync), the request signed and written. The answer, and the engine's booking of
  it, are reported beside it ("to the answer booked").
PERF-6 kill switch: 1000 resting own orders (over the venue's products); touch the file →
  the watcher halts (persisted), cancel-all runs (batches of 100) → the venue lists no
  open own order. In one process.
PERF-7 restart: a LIVE daemon process started over a database whose installation has 1000
  orders resting at the venue → `/readyz` answers 200 (reconciled, data fresh).

    python scripts/bench_execution.py [--repeats N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.execution.support import execution_stack, quiet_venue, resting_buy  # noqa: E402
from trader.core.clock import wall_clock  # noqa: E402
from trader.core.orders import OrderKind  # noqa: E402
from trader.core.types import ProductRules, Side  # noqa: E402
from trader.daemon.killswitch import CancelDriver, KillSwitchWatcher  # noqa: E402
from trader.desk.keeper import StateKeeper  # noqa: E402
from trader.execution.drafts import OrderDraft  # noqa: E402
from trader.execution.intents import Purpose  # noqa: E402
from trader.ops.metrics import Metrics  # noqa: E402
from trader.sim.venue import SimVenue  # noqa: E402

WARMUP_ROUNDS = 5
TICK_ROUNDS = 100


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def stats(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "p10": pct(values, 0.1),
        "p90": pct(values, 0.9),
        "p99": pct(values, 0.99),
        "n": len(values),
    }


async def place_resting(stack, count: int) -> None:
    """`count` post-only buys resting below the market, spread over the venue's products
    (it allows 500 open per product), each at the smallest size the product accepts."""
    products = stack.venue.engine.products()
    for i in range(count):
        rules = products[i % len(products)]
        below = Decimal("0.9") - Decimal(i // len(products)) / 2000
        bid = stack.venue.engine.quote(rules.product_id).bid
        size = smallest_size(rules, bid * below)
        await stack.engine.place(resting_buy(stack.venue, rules.product_id, str(size), below))


KILL_SWITCH_GIVE_UP_S = 60.0  # a broken drill fails the figure instead of hanging the run


async def kill_switch_once(tmp: Path, orders: int) -> float:
    venue = SimVenue(quiet_venue(), clock=wall_clock)
    await venue.start()
    try:
        async with execution_stack(tmp, venue) as stack:
            await place_resting(stack, orders)
            assert len(stack.venue_open_own()) == orders
            metrics = Metrics()
            keeper = await StateKeeper.load(stack.db, metrics, wall_clock)
            canceller = CancelDriver(stack.cancel_all.run, metrics, clock=wall_clock)
            path = tmp / "KILL_SWITCH"
            watcher = KillSwitchWatcher(
                path, keeper, metrics, canceller, poll_interval_s=0.2, auto_resume=False
            )
            task = asyncio.create_task(watcher.run())
            await asyncio.sleep(0.3)
            path.touch()
            touched = time.perf_counter()
            while stack.venue_open_own():
                if time.perf_counter() - touched > KILL_SWITCH_GIVE_UP_S:
                    raise RuntimeError(
                        f"kill switch: orders still open after {KILL_SWITCH_GIVE_UP_S} s"
                    )
                await asyncio.sleep(0.002)
            elapsed = time.perf_counter() - touched
            task.cancel()
            await canceller.stop()
            return elapsed
    finally:
        await venue.stop()


RESTART_PRODUCTS = 4  # 1000 resting orders stay under the venue's 500 per product


def small_resting_buy(
    product_id: str, price: Decimal, size: Decimal = Decimal("0.0001")
) -> OrderDraft:
    """A post-only BUY of a small size below the market: it rests, never fills."""
    return OrderDraft(
        product_id,
        Side.BUY,
        OrderKind.LIMIT_GTC,
        Purpose.ENTRY,
        base_size=size,
        limit_price=price,
        post_only=True,
    )


def smallest_size(rules: ProductRules, price: Decimal) -> Decimal:
    """The smallest base size the product accepts at `price` (its minimums, with margin)."""
    wanted = max(rules.base_min_size, rules.quote_min_size * 2 / price)
    steps = (wanted / rules.base_increment).to_integral_value(rounding=ROUND_CEILING)
    return steps * rules.base_increment


def relaxed_core(tmp: Path):
    """The shipped configuration with thresholds relaxed so triggers fire every cycle."""
    import shutil

    import yaml

    from tests.support.chaos_config import write_order_flow
    from trader.config.loader import load_config
    from trader.pipeline.decide import DecisionCore

    shutil.copytree(ROOT / "config", tmp / "config")
    write_order_flow(tmp / "config")
    (tmp / "app.yaml").write_text(yaml.safe_dump({"mode": "DRY_RUN"}))
    loaded = load_config(tmp / "app.yaml")
    return DecisionCore.from_loaded(loaded)


def request_written_times() -> tuple[aiohttp.TraceConfig, list[float]]:
    """A request hook that notes when each POST's body has been written to the socket."""
    written: list[float] = []

    async def on_chunk_sent(
        _session: object, _context: object, params: aiohttp.TraceRequestChunkSentParams
    ) -> None:
        if params.method == "POST":
            written.append(time.perf_counter())

    trace = aiohttp.TraceConfig()
    trace.on_request_chunk_sent.append(on_chunk_sent)
    return trace, written


async def tick_to_order(tmp: Path, rounds: int) -> dict[str, list[float]]:
    """PERF-3: cycle start → create request written (and → answer booked), whenever a
    trigger leads to an approved entry. The venue runs as its own process (`trader sim`),
    as the daemon would see it."""
    from tests.support.venue import start_venue
    from trader.config.app import ExchangeConfig, RateLimitConfig
    from trader.config.secrets import load_credentials
    from trader.core.portfolio import Portfolio
    from trader.core.products import quantize_price
    from trader.core.risk_state import RiskState
    from trader.desk.snapshot import build_market
    from trader.exchange.coinbase.exchange import CoinbaseExchange
    from trader.execution.engine import ExecutionEngine
    from trader.execution.ids import OrderIds, installation_namespace
    from trader.execution.metrics import ExecutionMetrics
    from trader.marketdata.service import MarketDataService
    from trader.pipeline.decide import DecisionInputs
    from trader.state.db import Database

    venue = start_venue(tmp, seed=9, products=8)
    samples: dict[str, list[float]] = {"written": [], "booked": [], "decision": []}
    db = await Database.open(tmp / "bench.db", wall_clock)
    config = ExchangeConfig(
        venue="coinbase",
        read_only=False,
        rest_url=venue.rest,
        ws_market_url=venue.ws,
        ws_user_url=venue.ws,
        rate_limits=RateLimitConfig(private_per_s=30, public_per_s=10),
    )
    exchange = CoinbaseExchange(
        config, load_credentials({"CB_API_KEY_FILE": str(venue.key_file)}), Metrics()
    )
    trace, written = request_written_times()
    exchange.http.trace_configs.append(trace)
    try:
        engine = ExecutionEngine(
            db,
            exchange,
            OrderIds(await db.run(installation_namespace)),
            ExecutionMetrics(Metrics()),
            mode="LIVE",
            send_gate=lambda _p: None,
            clock=wall_clock,
        )
        rules = {p.product_id: p for p in await exchange.products()}
        md = MarketDataService(exchange, list(rules), Metrics())
        await md.start()
        core = relaxed_core(tmp)
        for pid in rules:
            for candle in md.closed_candles(pid):
                core.on_candle(candle)
        cash = {"USD": Decimal("100000")}
        for round_ in range(WARMUP_ROUNDS + rounds):
            await asyncio.sleep(0.2)  # below the venue's 30/s private budget
            started = time.perf_counter()
            now = time.time()
            market = build_market(rules, md, core, {}, now, advance=True)
            step = core.decide(DecisionInputs(now, market, Portfolio("USD", cash), RiskState()))
            decided = time.perf_counter() - started
            quote = md.quote(step.approved[0].proposal.product_id) if step.approved else None
            if quote is None:
                continue
            pid = step.approved[0].proposal.product_id
            price = quantize_price(quote.bid * Decimal("0.9"), Side.BUY, rules[pid])
            written.clear()
            await engine.place(small_resting_buy(pid, price))
            if round_ >= WARMUP_ROUNDS:  # the first rounds build the universe, warm caches
                samples["booked"].append(time.perf_counter() - started)
                samples["written"].append(written[0] - started)
                samples["decision"].append(decided)
        await md.stop()
    finally:
        await exchange.close()
        await db.close()
        venue.stop()
    return samples


def restart_to_ready(repeats: int, orders: int) -> list[float]:
    """PERF-7: a LIVE daemon restarted after kill -9 over `orders` resting own orders."""
    from tests.support.chaos import ChaosRun
    from tests.support.daemon import wait_for

    samples: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        run = ChaosRun(Path(tmp), seed=5, products=RESTART_PRODUCTS)
        _merge_strategies_off(run)
        try:
            daemon = run.start_daemon()
            wait_for(lambda: daemon.get("/readyz")[0] == 200, timeout=60)
            daemon.kill9()
            asyncio.run(_place_for_installation(run, orders))
            resting = run.own_open()
            for _ in range(repeats):
                started = time.perf_counter()
                daemon = run.home.start(env=run.env)
                daemon.wait_started(timeout=60)
                wait_for(lambda d=daemon: d.get("/readyz")[0] == 200, timeout=120, interval=0.01)
                samples.append(time.perf_counter() - started)
                assert run.own_open() == resting, (run.own_open(), resting)
                daemon.kill9()
        finally:
            run.stop()
    return samples


def _merge_strategies_off(run) -> None:
    from tests.support.venue import merge_yaml

    merge_yaml(
        run.home.root / "config" / "strategies.yaml", {"registry": {"rules": {"enabled": False}}}
    )


async def _place_for_installation(run, orders: int) -> None:
    """Resting orders placed with the daemon's own database, so they are its own."""
    from trader.config.loader import load_config
    from trader.config.secrets import load_credentials
    from trader.exchange.coinbase.exchange import CoinbaseExchange
    from trader.execution.engine import ExecutionEngine
    from trader.execution.ids import OrderIds, installation_namespace
    from trader.execution.metrics import ExecutionMetrics
    from trader.state.db import Database

    loaded = load_config(run.home.config)
    db = await Database.open(loaded.db_path, wall_clock)
    creds = load_credentials({"CB_API_KEY_FILE": str(run.venue.key_file)})
    exchange = CoinbaseExchange(loaded.app.exchange, creds, Metrics())
    try:
        ids = OrderIds(await db.run(installation_namespace))
        engine = ExecutionEngine(
            db,
            exchange,
            ids,
            ExecutionMetrics(Metrics()),
            mode="LIVE",
            send_gate=lambda _p: None,
            clock=wall_clock,
        )
        products = loaded.app.exchange.products
        quotes = await exchange.best_bid_ask(products)
        rules = {pid: await exchange.product(pid) for pid in products}
        for i in range(orders):  # spread over the products: the venue allows 500 open each
            pid = products[i % len(products)]
            step = Decimal(i // len(products)) / 5000
            tick = rules[pid].quote_increment
            price = (quotes[pid].bid * (Decimal("0.8") - step) / tick).to_integral_value() * tick
            await engine.place(small_resting_buy(pid, price, smallest_size(rules[pid], price)))
        while await engine.resolve_pending(force=True):  # a 429 answer is resent
            await asyncio.sleep(0.5)
    finally:
        await exchange.close()
        await db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--orders", type=int, default=1000, help="open orders for PERF-6 (issue 16: 1000)"
    )
    parser.add_argument(
        "--restart-orders", type=int, default=1000, help="open orders for PERF-7 (spec: 1000)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    kill: list[float] = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            kill.append(asyncio.run(kill_switch_once(Path(tmp), args.orders)))
    with tempfile.TemporaryDirectory() as tmp:
        ticks = asyncio.run(tick_to_order(Path(tmp), rounds=TICK_ROUNDS))
    restart = restart_to_ready(args.repeats, args.restart_orders)
    results = {
        "PERF-3 tick-to-order, cycle start → create request written (s)": {
            **stats(ticks["written"]),
            "note": "8 products; 1 fsync'd commit; venue in its own process",
        },
        "PERF-3 beyond: cycle start → the answer booked (s)": {
            **stats(ticks["booked"]),
            "note": "the venue's answer read, the order's state committed and read back",
        },
        "PERF-3 part: the decision step alone (s)": {
            **stats(ticks["decision"]),
            "note": "snapshot + limits, universe, triggers, strategies, risk",
        },
        "PERF-6 kill switch, touch → all cancelled (s)": {
            **stats(kill),
            "note": f"{args.orders} open orders; 0.2 s file poll included",
        },
        "PERF-7 restart after kill -9 → ready (s)": {
            **stats(restart),
            "note": f"{args.restart_orders} open orders adopted; "
            f"{RESTART_PRODUCTS} products backfilled",
        },
    }
    machine = f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    if args.json:  # the protocol of scripts/bench_all.py: one JSON line, figures with samples
        figures = {
            "tick_to_order_p99_ms": [pct(ticks["written"], 0.99) * 1000],
            "tick_to_order_p50_ms": [statistics.median(ticks["written"]) * 1000],
            "answer_booked_p99_ms": [pct(ticks["booked"], 0.99) * 1000],
            "decision_p50_ms": [statistics.median(ticks["decision"]) * 1000],
            "kill_switch_p99_s": [pct(kill, 0.99)],
            "kill_switch_s": kill,
            "restart_s": restart,
        }
        print(
            json.dumps(
                {
                    "machine": machine,
                    "results": results,
                    "figures": {k: {"samples": v} for k, v in figures.items()},
                }
            )
        )
    else:
        print(machine)
        for name, figures in results.items():
            print(
                f"{name}: median {figures['median']:.4f}  p90 {figures['p90']:.4f}  "
                f"p99 {figures['p99']:.4f}  (n={figures['n']}; {figures['note']})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
