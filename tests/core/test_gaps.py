"""S-1, EX-2, BT-1: a hole in a product's candles is quiet trading or the venue's data
missing (`trader.core.gaps`), judged from what came before it only."""

from __future__ import annotations

import random

import pytest

from trader.core.gaps import DAY_S, GapRule, GapWatch, _long_steps, missing_holes, missing_in_series

RULE = GapRule(minutes=120, quiet_factor=4)
T0 = 1_700_000_000 // 60 * 60


def minutes(first: int, count: int, every: int = 1) -> list[int]:
    return [T0 + (first + i * every) * 60 for i in range(count)]


def busy_then(hole_minutes: int) -> list[int]:
    """A product trading every minute for a day, a hole, then an hour of trading again."""
    before = minutes(0, 1440)
    return before + minutes(1440 + hole_minutes, 60)


@pytest.mark.parametrize(("hole", "missing"), [(119, False), (120, True), (600, True)])
def test_a_hole_of_a_busy_product_is_missing_from_the_bound_on(hole, missing):
    starts = busy_then(hole)
    found = missing_holes(GapWatch(RULE), starts)
    after = T0 + (1440 + hole) * 60
    assert found == ([(after - hole * 60, after)] if missing else [])


def test_a_quiet_products_sparse_minutes_are_normal_but_a_much_longer_hole_is_not():
    rng = random.Random(3)
    starts, t = [], 0
    while t < 2 * 1440:  # two days of trades 0..150 minutes apart: its nights are quiet
        starts.append(T0 + t * 60)
        t += 1 + rng.randrange(150)
    watch = GapWatch(RULE)
    assert missing_holes(watch, starts) == []
    for start in starts:
        watch.observe(start)
    longest = watch.longest_quiet()
    assert 120 * 60 <= longest <= 150 * 60
    last = starts[-1]
    just_quiet = last + 60 + 4 * longest - 60
    assert missing_holes(watch, [just_quiet]) == []
    too_long = last + 60 + 4 * longest
    assert missing_holes(watch, [too_long]) == [(last + 60, too_long)]


def test_several_holes_each_judged_and_a_missing_one_leaves_the_quiet_record_alone():
    starts = minutes(0, 600) + minutes(600 + 180, 600) + minutes(780 + 600 + 300, 60)
    found = missing_holes(GapWatch(RULE), starts)
    assert [(hi - lo) // 60 for lo, hi in found] == [180, 300]


def test_no_hole_before_the_first_candle_and_the_end_of_an_answer_counts():
    watch = GapWatch(RULE)
    late = minutes(600, 60)  # the range began 10 h before its first candle: nothing spans
    assert missing_holes(watch, late) == []
    end = late[-1] + 60 + 3 * 3600  # the answer covers 3 h more than its last candle
    assert missing_holes(watch, late, end) == [(late[-1] + 60, end)]
    assert missing_holes(watch, late, late[-1] + 60 + 119 * 60) == []


def test_the_quiet_record_reaches_back_one_day():
    watch = GapWatch(RULE)
    for start in minutes(0, 10) + minutes(10 + 100, 10):  # one 100-minute quiet hole
        watch.observe(start)
    assert watch.longest_quiet() == 100 * 60
    for start in minutes(120, 1440):  # a day of trading every minute after it
        watch.observe(start)
    assert watch.longest_quiet() == 0
    assert watch.judge(watch.last_start + 60 + 120 * 60) == 120 * 60


def test_judging_leaves_the_watch_as_it_was():
    watch = GapWatch(RULE)
    for start in minutes(0, 30):
        watch.observe(start)
    before = (watch.last_start, watch.longest_quiet())
    missing_holes(watch, minutes(400, 5), T0 + DAY_S)
    assert (watch.last_start, watch.longest_quiet()) == before


@pytest.mark.parametrize("seed", range(6))
def test_a_whole_series_is_judged_as_a_watch_fed_every_start_would(seed):
    rng = random.Random(seed)
    starts, t = [], 0
    for _ in range(6000):
        starts.append(T0 + t * 60)
        roll = rng.random()
        t += 1 if roll < 0.9 else rng.randrange(2, 60) if roll < 0.995 else rng.randrange(60, 900)
    watch, expected = GapWatch(RULE), []
    for start in starts:
        if hole := watch.observe(start):
            expected.append((start - hole, start))
    assert missing_in_series(RULE, 60, starts) == expected


def test_five_minute_bars_are_judged_in_their_own_length():
    starts = [T0 + i * 300 for i in range(300)]
    starts += [starts[-1] + 300 + 120 * 60 + i * 300 for i in range(10)]
    assert missing_in_series(RULE, 300, starts) == [(starts[299] + 300, starts[300])]


def test_a_reported_end_of_answer_is_not_judged_again_by_the_next_answer():
    watch = GapWatch(RULE)
    for start in minutes(0, 600):
        watch.observe(start)
    end = watch.last_start + 60 + 180 * 60  # the answer ends 3 h after its last candle
    assert missing_holes(watch, [], end) == [(end - 180 * 60, end)]
    watch.resume(end)
    assert missing_holes(watch, minutes(600 + 180 + 2, 5)) == []  # the next answer
    assert watch.judge(end + 180 * 60) == 180 * 60  # a later hole counts from `end`


@pytest.mark.parametrize("seed", range(8))
def test_long_steps_by_bisection_are_those_a_plain_scan_finds(seed):
    rng = random.Random(seed)
    starts, t = [], rng.randrange(0, 3) * 300
    for _ in range(rng.randrange(1, 3000)):
        starts.append(T0 + t)
        t += 300 * (1 if rng.random() < 0.97 else rng.randrange(2, 60))
    limit = rng.choice((600, 300 * 25, 300 * 40))
    plain = [i for i in range(len(starts) - 1) if starts[i + 1] - starts[i] >= limit]
    assert list(_long_steps(starts, 300, limit)) == plain
