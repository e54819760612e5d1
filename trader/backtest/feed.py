"""How recorded bars reach the market and the decision core (BT-1, STR-6), shared by the
backtest runner and the look-ahead check so that both feed them the same way.

- `merged_slots`: every bar time in order, with the bars of every product starting then;
- `slot_opening`: the touch a bar opens with (the fill model's spread around the open, or
  the recorded bid/ask where the set has one), set before the decision at the bar's start.

Each bar itself is fed to the candle store and the core only at its end.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator, Sequence

from trader.backtest.data import Dataset
from trader.backtest.fills import BarFills
from trader.core.types import Candle, Quote


def rows_between(starts: Sequence[int], first: int, end: int) -> tuple[int, int]:
    """The index range of the bars starting in [first, end)."""
    return bisect.bisect_left(starts, first), bisect.bisect_left(starts, end)


def merged_slots(dataset: Dataset, first: int, end: int) -> Iterator[tuple[int, list[Candle]]]:
    """Every bar time in [first, end) with the bars starting then, product order fixed."""
    series = dataset.series
    order = sorted(series)

    def starts(index: int) -> Iterator[tuple[int, int, int]]:
        bars = series[order[index]]
        low, high = rows_between(bars.starts, first, end)
        for row in range(low, high):
            yield bars.starts[row], index, row

    current: int | None = None
    bucket: list[Candle] = []
    for start, index, row in heapq.merge(*(starts(i) for i in range(len(order)))):
        if start != current and bucket:
            assert current is not None
            yield current, bucket
            bucket = []
        current = start
        bucket.append(series[order[index]].candle(row))
    if bucket and current is not None:
        yield current, bucket


def slot_opening(dataset: Dataset, fills: BarFills, bar: Candle) -> Quote:
    """The touch `bar` opens with at its start."""
    top = dataset.tops.get(bar.product_id, {}).get(bar.start)
    return fills.opening(bar, dataset.rules[bar.product_id], top)
