"""How recorded bars reach the market and the decision core (BT-1, STR-6), shared by the
backtest runner and the look-ahead check so that both feed them the same way.

- `merged_slots`: every bar time in order, with the bars of every product starting then;
- `slot_opening`: the touch a bar opens with (the simulated venue's synthetic book, or the
  recorded bid/ask where the set has one), set before the decision at the bar's start;
- `closing_candles`: the 1-minute candles a bar closes as (a 5-minute bar split as the
  venue splits it), fed to the candle store and the core only at the bar's end.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator, Sequence

from trader.backtest.data import Dataset
from trader.backtest.market import opening_quote
from trader.core.types import Candle, Quote
from trader.sim.market.bars import split_bar


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


def slot_opening(dataset: Dataset, bar: Candle, t: int) -> Quote:
    """The touch `bar` opens with at its start `t`."""
    top = dataset.tops.get(bar.product_id, {}).get(t)
    return opening_quote(bar, dataset.rules[bar.product_id], float(t), top)


def closing_candles(dataset: Dataset, bar: Candle) -> list[Candle]:
    """The closed 1-minute candles `bar` is made of."""
    minutes = dataset.bar_seconds // 60
    if minutes == 1:
        return [bar]
    return split_bar(bar, minutes, dataset.rules[bar.product_id].base_increment)
