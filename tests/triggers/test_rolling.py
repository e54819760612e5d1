"""S-1 rolling windows: O(1) incremental state equals a brute-force recomputation."""

from __future__ import annotations

import importlib.util
import itertools
import math
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from librt.vecs import vec

import trader.native as native
from trader.triggers import rolling
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
        ring.push(minute, vec[float]([float(i + 1), 1.0]))
        for window, span in enumerate(spans):
            inside = [j + 1 for j, m in enumerate(minutes[: i + 1]) if m > minute - span]
            assert ring.total(window, 0) == pytest.approx(sum(inside))
            assert ring.total(window, 1) == pytest.approx(len(inside))


@settings(max_examples=60, deadline=None)
@given(increasing_minutes, st.integers(min_value=1, max_value=10), st.integers(0, 10))
def test_s1_window_ring_latest_at_or_before(minutes, lag, slack):
    size = 2 * lag + slack + 1
    ring = WindowRing(size, 1, (size,))
    for i, minute in enumerate(minutes):
        ring.push(minute, vec[float]([float(i)]))
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
        pushed = vec[float](values[3 * i : 3 * i + 3])
        full.push(minute, pushed)
        part.push(minute, pushed)
        assert part.total(0, 0) == full.total(0, 0) and part.total(0, 2) == full.total(0, 2)
        assert [part.total(1, channel) for channel in range(3)] == [0.0, 0.0, 0.0]
        assert part.value_at(minute, 2) == full.value_at(minute, 2) == pushed[2]
        assert part.value_at(minute, 1) is None
        assert part.latest_at_or_before(minute, minute - size, 1) is None
        assert part.latest_at_or_before(minute, minute - size, 0) == (minute, pushed[0])


def test_s1_window_ring_refuses_to_sum_a_channel_it_does_not_keep():
    with pytest.raises(ValueError, match="stored"):
        WindowRing(5, 2, (5,), ((0, 1),), stored=(0,))


def test_s1_window_ring_refuses_non_increasing_minutes():
    ring = WindowRing(5, 1, (5,))
    ring.push(10, vec[float]([1.0]))
    with pytest.raises(ValueError):
        ring.push(10, vec[float]([1.0]))


def test_s1_window_ring_resync_keeps_sums_exact():
    ring = WindowRing(4, 1, (4, 2))
    for minute in range(1, 1000):
        ring.push(minute, vec[float]([0.1]))
    assert ring.total(0, 0) == pytest.approx(0.4, abs=1e-15)
    assert ring.total(1, 0) == pytest.approx(0.2, abs=1e-15)


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


def _rolling_from_source():  # type: ignore[no-untyped-def]
    """`rolling.py` imported from its source under another name, beside the compiled one."""
    path = native.ROOT / "trader/triggers/rolling.py"
    spec = importlib.util.spec_from_file_location("rolling_from_source", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not native.COMPILED, reason=f"no compiled modules here: {native.REASON}")
@pytest.mark.parametrize("seed", range(4))
def test_perf4_the_compiled_ring_sums_bit_for_bit_as_its_source(seed):
    """The compiled ring and its source, fed the same minutes (gaps longer than a window,
    than the ring, resyncs) and values (tiny, huge, negative), agree to the last bit."""
    source = _rolling_from_source()
    assert not Path(rolling.__file__).name.endswith(".py")
    rng = random.Random(seed)
    size, spans, summed = 97, (96, 12, 5), ((1, 2, 3, 0), (0,), (3, 4, 5))
    stored = (0, 1, 2, 3, 4, 5, 6)
    rings = [
        module.WindowRing(size, 7, spans, summed, phase=seed * 13, stored=stored)
        for module in (rolling, source)
    ]
    minute = 5_000_000
    for _ in range(3000):
        minute += rng.choice((1, 1, 1, 1, 2, 7, 13, 120))
        pushed = vec[float]([rng.uniform(-1, 1) * 10 ** rng.randint(-9, 9) for _ in range(7)])
        for ring in rings:
            ring.push(minute, pushed)
        compiled, interpreted = rings
        for window, channel in itertools.product(range(3), range(7)):
            assert compiled.total(window, channel) == interpreted.total(window, channel)
        lag = rng.randint(1, 40)
        found = compiled.latest_at_or_before(minute - lag, minute - 2 * lag, 6)
        assert found == interpreted.latest_at_or_before(minute - lag, minute - 2 * lag, 6)


def test_s1_window_ring_refuses_a_bucket_or_channel_it_does_not_have():
    ring = WindowRing(5, 2, (5, 3))
    with pytest.raises(ValueError, match="need 2 values"):
        ring.push(10, vec[float]([1.0]))
    ring.push(10, vec[float]([1.0, 2.0]))
    for window, channel in ((0, 2), (0, -1), (2, 0), (-1, 0)):  # packed: another's sum
        with pytest.raises(IndexError):
            ring.total(window, channel)
    for channel in (2, -1):  # no such channel: nothing stored, as for one not kept
        assert ring.value_at(10, channel) is None
        assert ring.latest_at_or_before(10, 0, channel) is None
    with pytest.raises(ValueError, match="stored channels"):
        WindowRing(5, 2, (5,), ((0,),), stored=(0, 2))


@pytest.mark.skipif(not native.COMPILED, reason=f"no compiled modules here: {native.REASON}")
@pytest.mark.parametrize("maximum", [True, False])
def test_perf4_the_compiled_extreme_answers_as_its_source(maximum):
    """Runs long enough to move the candidates to the front many times, gaps that empty
    the window, repeated and signed-zero values: the same answer, bit for bit."""
    source = _rolling_from_source()
    rng = random.Random(f"extreme/{maximum}")
    extremes = [module.MonotonicExtreme(12 * 3600, maximum=maximum) for module in (rolling, source)]
    time, level = 1_600_000_000, 0.0
    for step in range(20_000):
        time += rng.choice((60, 60, 60, 60, 60, 60, 300)) if step % 3000 else 50_000
        drift = (-1.0, 1.0, 0.0)[step // 500 % 3]  # falling, rising, flat stretches
        level += drift * rng.uniform(0, 1e-3)
        spike = rng.choice((0.0, -0.0, float(rng.randint(-1, 1))))
        value = level if rng.random() < 0.995 else spike
        compiled, interpreted = (extreme.query(time) for extreme in extremes)
        assert compiled == interpreted
        if compiled is not None and interpreted is not None:
            assert math.copysign(1.0, compiled) == math.copysign(1.0, interpreted)
        for extreme in extremes:
            extreme.push(time, value)
