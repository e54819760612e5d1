"""BT-1: the recorded bars reach the backtest bar time by bar time — every product's bar
starting then, in product order, none twice, none skipped — whatever gaps, late listings
and early ends the products' series have."""

from __future__ import annotations

import random

import pytest

from trader.backtest.bars import BarSeries
from trader.backtest.data import Dataset
from trader.backtest.feed import merged_slots

BAR = 300


def _series(product_id: str, starts: list[int]) -> BarSeries:
    rows = [("10", "11", "9", "10.5", "3")] * len(starts)
    return BarSeries.from_rows(product_id, f"{product_id}.json", starts, rows)


def _dataset(starts: dict[str, list[int]]) -> Dataset:
    series = {pid: _series(pid, s) for pid, s in starts.items()}
    return Dataset("t", BAR, series, {}, {}, "fp")


def _expected(starts: dict[str, list[int]], first: int, end: int) -> list[tuple[int, list[str]]]:
    times = sorted({t for s in starts.values() for t in s if first <= t < end})
    return [(t, [pid for pid in sorted(starts) if t in starts[pid]]) for t in times]


def _merged(starts: dict[str, list[int]], first: int, end: int) -> list[tuple[int, list[str]]]:
    slots = merged_slots(_dataset(starts), first, end)
    return [(t, [bar.product_id for bar in bars]) for t, bars in slots]


def test_bt1_each_bar_time_brings_every_bar_starting_then_in_product_order():
    starts = {
        "SOL-USD": [BAR * n for n in range(3, 9)],  # listed later
        "BTC-USD": [BAR * n for n in range(10) if n != 4],  # one bar missing
        "ETH-USD": [BAR * n for n in range(0, 6)],  # ends early
        "ADA-USD": [],  # nothing recorded
    }
    merged = _merged(starts, 0, BAR * 10)
    assert merged == _expected(starts, 0, BAR * 10)
    assert merged[4] == (BAR * 4, ["ETH-USD", "SOL-USD"])
    slot_bars = next(bars for t, bars in merged_slots(_dataset(starts), BAR, BAR * 2))
    assert [(b.start, b.close) for b in slot_bars] == [(BAR, b.close) for b in slot_bars]


@pytest.mark.parametrize("seed", range(20))
def test_bt1_any_mix_of_gaps_and_windows_merges_like_the_plain_definition(seed):
    rng = random.Random(seed)
    starts = {
        f"P{n}-USD": sorted(rng.sample(range(0, BAR * 60, BAR), rng.randint(0, 40)))
        for n in range(rng.randint(1, 6))
    }
    first, end = sorted(rng.sample(range(-BAR, BAR * 62, 60), 2))
    assert _merged(starts, first, end) == _expected(starts, first, end)
