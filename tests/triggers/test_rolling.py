"""S-1 rolling windows: O(1) incremental state equals a brute-force recomputation."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trader.triggers.rolling import MonotonicExtreme, WindowRing

increasing_minutes = st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=120).map(
    lambda steps: [sum(steps[: i + 1]) for i in range(len(steps))]
)


@settings(max_examples=60, deadline=None)
@given(increasing_minutes, st.integers(min_value=2, max_value=30), st.data())
def test_s1_window_ring_sums_match_brute_force(minutes, size, data):
    spans = (size, data.draw(st.integers(min_value=1, max_value=size)))
    ring = WindowRing(size, 2, spans, phase=data.draw(st.integers(0, 100)))
    for i, minute in enumerate(minutes):
        ring.push(minute, (float(i + 1), 1.0))
        for window, span in enumerate(spans):
            inside = [j + 1 for j, m in enumerate(minutes[: i + 1]) if m > minute - span]
            assert ring.sums[window][0] == pytest.approx(sum(inside))
            assert ring.sums[window][1] == pytest.approx(len(inside))


@settings(max_examples=60, deadline=None)
@given(increasing_minutes, st.integers(min_value=1, max_value=10), st.integers(0, 10))
def test_s1_window_ring_latest_at_or_before(minutes, lag, slack):
    size = 2 * lag + slack + 1
    ring = WindowRing(size, 1, (size,))
    for i, minute in enumerate(minutes):
        ring.push(minute, (float(i),))
        target, oldest = minute - lag, minute - 2 * lag
        stored = [(m, float(j)) for j, m in enumerate(minutes[: i + 1]) if m > minute - size]
        candidates = [(m, v) for m, v in stored if oldest <= m <= target]
        expected = candidates[-1] if candidates else None
        assert ring.latest_at_or_before(target, oldest, 0) == expected


@settings(max_examples=40, deadline=None)
@given(increasing_minutes, st.integers(min_value=2, max_value=30), st.data())
def test_s1_a_ring_keeping_some_channels_sums_them_exactly_as_a_full_one(minutes, size, data):
    """Channels and windows nobody reads are left out; the kept ones are bit-identical."""
    spans = (size, data.draw(st.integers(min_value=1, max_value=size)))
    phase = data.draw(st.integers(0, 100))
    full = WindowRing(size, 3, spans, phase=phase)
    part = WindowRing(size, 3, spans, ((0, 2), ()), phase=phase, stored=(0, 2))
    count = 3 * len(minutes)
    values = data.draw(st.lists(st.floats(-1e3, 1e3), min_size=count, max_size=count))
    for i, minute in enumerate(minutes):
        pushed = tuple(values[3 * i : 3 * i + 3])
        full.push(minute, pushed)
        part.push(minute, pushed)
        assert part.sums[0][0] == full.sums[0][0] and part.sums[0][2] == full.sums[0][2]
        assert part.sums[1] == [0.0, 0.0, 0.0]
        assert part.value_at(minute, 2) == full.value_at(minute, 2) == pushed[2]
        assert part.value_at(minute, 1) is None
        assert part.latest_at_or_before(minute, minute - size, 1) is None
        assert part.latest_at_or_before(minute, minute - size, 0) == (minute, pushed[0])


def test_s1_window_ring_refuses_to_sum_a_channel_it_does_not_keep():
    with pytest.raises(ValueError, match="stored"):
        WindowRing(5, 2, (5,), ((0, 1),), stored=(0,))


def test_s1_window_ring_refuses_non_increasing_minutes():
    ring = WindowRing(5, 1, (5,))
    ring.push(10, (1.0,))
    with pytest.raises(ValueError):
        ring.push(10, (1.0,))


def test_s1_window_ring_resync_keeps_sums_exact():
    ring = WindowRing(4, 1, (4, 2))
    for minute in range(1, 1000):
        ring.push(minute, (0.1,))
    assert ring.sums[0][0] == pytest.approx(0.4, abs=1e-15)
    assert ring.sums[1][0] == pytest.approx(0.2, abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(
    increasing_minutes,
    st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=120, max_size=120),
    st.integers(min_value=1, max_value=20),
    st.booleans(),
)
def test_s1_monotonic_extreme_matches_brute_force(times, values, span, maximum):
    extreme = MonotonicExtreme(span, maximum=maximum)
    pick = max if maximum else min
    for i, time in enumerate(times):
        window = [values[j] for j, t in enumerate(times[:i]) if t > time - span]
        assert extreme.query(time) == (pick(window) if window else None)
        extreme.push(time, values[i])


@pytest.mark.parametrize("maximum", [True, False])
@pytest.mark.parametrize("span", [1, 7, 150])
@pytest.mark.parametrize("shape", ["falling", "rising", "sawtooth", "random", "gappy"])
def test_s1_monotonic_extreme_long_runs_match_brute_force(shape, span, maximum):
    """Thousands of entries: many pass out of the window, so the passed-over front is cut
    off the lists again and again (a falling series keeps every entry a maximum's
    candidate; a rising one, a minimum's); gaps empty the window entirely."""
    rng = random.Random(f"{shape}/{span}/{maximum}")
    count = 3000
    steps = [rng.choice((1, 1, 1, span + 1)) if shape == "gappy" else 1 for _ in range(count)]
    times = list(itertools.accumulate(steps))
    values = {
        "falling": [float(count - i) for i in range(count)],
        "rising": [float(i) for i in range(count)],
        "sawtooth": [float(i % 97) - (i % 5) * 0.5 for i in range(count)],
        "random": [rng.uniform(-10, 10) for _ in range(count)],
        "gappy": [rng.choice((1.0, 2.0, -0.0, 0.0, 3.5)) for _ in range(count)],
    }[shape]
    extreme = MonotonicExtreme(span, maximum=maximum)
    pick = max if maximum else min
    for i, time in enumerate(times):
        window = [values[j] for j in range(max(0, i - span), i) if times[j] > time - span]
        want = pick(reversed(window)) if window else None  # the latest of equal extremes
        got = extreme.query(time)
        assert got == want, (i, time)
        if got is not None and want is not None:  # that very value: -0.0 is not 0.0 here
            assert math.copysign(1.0, got) == math.copysign(1.0, want)
        extreme.push(time, values[i])
