"""How recorded bars reach the market and the decision core (BT-1, STR-6), shared by the
backtest runner and the look-ahead check so that both feed them the same way.

- `merged_slots`: every bar time in order, with the bars of every product starting then;
- `slot_opening`: the touch a bar opens with (the fill model's spread around the open, or
  the recorded bid/ask where the set has one), set before the decision at the bar's start.

Each bar itself is fed to the candle store and the core only at its end.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence

from trader.backtest.data import Dataset
from trader.backtest.fills import BarFills
from trader.core.types import Candle, Quote
from trader.sim.market.bars import TopOfBook


def rows_between(starts: Sequence[int], first: int, end: int) -> tuple[int, int]:
    """The index range of the bars starting in [first, end)."""
    return bisect.bisect_left(starts, first), bisect.bisect_left(starts, end)


def merged_slots(dataset: Dataset, first: int, end: int) -> Iterator[tuple[int, list[Candle]]]:
    """Every bar time in [first, end) with the bars starting then, product order fixed.
    Each product keeps a cursor into its bars; a bar time takes the bar under every
    cursor that starts then."""
    ordered = [dataset.series[pid] for pid in sorted(dataset.series)]
    cursors: list[int] = []
    ends: list[int] = []
    times: set[int] = set()
    for bars in ordered:
        low, high = rows_between(bars.starts, first, end)
        cursors.append(low)
        ends.append(high)
        times.update(bars.starts[low:high])
    for t in sorted(times):
        bucket: list[Candle] = []
        for index in range(len(ordered)):
            row = cursors[index]
            if row < ends[index]:
                bars = ordered[index]
                if bars.starts[row] == t:
                    bucket.append(bars.candle(row))
                    cursors[index] = row + 1
        yield t, bucket


def recorded_top(dataset: Dataset, product_id: str, start: int) -> TopOfBook | None:
    """The recorded bid/ask at a bar's start, where the set has one (no dict made for a
    product without any: asked for every bar)."""
    tops = dataset.tops.get(product_id)
    return None if tops is None else tops.get(start)


def slot_opening(dataset: Dataset, fills: BarFills, bar: Candle) -> Quote:
    """The touch `bar` opens with at its start."""
    top = recorded_top(dataset, bar.product_id, bar.start)
    return fills.opening(bar, dataset.rules[bar.product_id], top)
