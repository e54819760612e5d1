#!/usr/bin/env python3
"""PERF-4: backtest throughput through the full pipeline.

The backtest's own code (`trader.backtest`: data loading, the live decision core, risk,
order manager and paper exchange on a simulated clock — the same objects as
`trader backtest`) over the REAL 5-minute set `../shared/data/binance-5m-24pairs-2021`
with the shipped configuration (`app.yaml.example` and `config/`):

- one product (BTC-USD) over the whole set, `--repeats` times: data bars per second of
  the run (loading excluded; each 5-minute bar goes to the triggers as it is, plus one
  decision step and the bar fill model's path where orders work or positions are held).
  Target ≥ 300 000 bars/s.
- all 24 pairs × 65 740 bars (1.58 M bars) once: wall seconds including loading. Target
  well under a minute.

    .venv/bin/python scripts/bench_backtest.py [--repeats 3] [--days N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import structlog  # noqa: E402

from trader.backtest.data import load_dataset  # noqa: E402
from trader.backtest.runner import Runner  # noqa: E402
from trader.backtest.session import open_session  # noqa: E402
from trader.config.loader import load_config  # noqa: E402

DATA = REPO_ROOT.parent / "shared" / "data" / "binance-5m-24pairs-2021"
WARMUP_S = 25 * 3600
DAY_S = 86400


async def _run(products: list[str] | None, days: int | None) -> tuple[int, float, float]:
    """(bars, run seconds, load seconds) of one backtest over the set."""
    began = time.perf_counter()
    dataset = load_dataset(DATA, products)
    loaded = load_config(REPO_ROOT / "app.yaml.example")
    first, last = dataset.span()
    start = first + WARMUP_S
    end = last if days is None else min(last, start + days * DAY_S)
    with tempfile.TemporaryDirectory() as scratch:
        session = await open_session(loaded, dataset, Path(scratch) / "bt.db", first)
        try:
            loaded_s = time.perf_counter() - began
            runner = Runner(session, start, end, WARMUP_S)
            started = time.perf_counter()
            log = await runner.run()
            run_s = time.perf_counter() - started
        finally:
            await session.close()
    return log.bars, run_s, loaded_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--days", type=int, default=None, help="limit the span (quick runs)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    if not DATA.is_dir():
        print(f"recorded data not found: {DATA}", file=sys.stderr)
        return 1
    one = [asyncio.run(_run(["BTC-USD"], args.days)) for _ in range(args.repeats)]
    rates = [bars / run_s for bars, run_s, _ in one]
    bars_all, run_all, load_all = asyncio.run(_run(None, args.days))
    total_all = run_all + load_all
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpu, " + (
        f"Python {platform.python_version()}"
    )
    print(f"machine: {machine}")
    print(f"one product: {one[0][0]:,} bars; {statistics.median(rates):,.0f} bars/s median "
          f"(runs: {', '.join(f'{r:,.0f}' for r in rates)})")  # fmt: skip
    print(f"24 pairs: {bars_all:,} bars in {total_all:.1f} s ({load_all:.1f} s loading, "
          f"{bars_all / run_all:,.0f} bars/s running)")  # fmt: skip
    if args.json:
        figures = {
            "bars_per_s": {"samples": rates},
            "all_pairs_s": {"samples": [total_all]},
            "all_pairs_bars_per_s": {"samples": [bars_all / run_all]},
        }
        print(json.dumps({"figures": figures, "bars_one": one[0][0], "bars_all": bars_all}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
