"""BT-1 backtest progress bar: in-place line with percentage, rate and ETA on a terminal only."""

from __future__ import annotations

import io

import pytest

from trader.backtest.progress import Progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingStream(io.StringIO):
    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self.writes = 0
        self.tty = tty

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)

    def isatty(self) -> bool:
        return self.tty


class BrokenStream(io.StringIO):
    attempts = 0

    def write(self, text: str) -> int:
        self.attempts += 1
        raise BrokenPipeError


class FailingStream(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError("disk full")


def test_bt1_progress_line_with_percentage_rate_and_eta():
    clock, stream = FakeClock(), io.StringIO()
    bar = Progress(65_740, stream=stream, enabled=True, clock=clock)
    clock.now += 2.0
    bar.update(27_600)
    out = stream.getvalue()
    assert out.startswith("\r")
    assert "backtest  42.0% [########------------]  27,600/65,740 bars" in out
    assert "13,800 bars/s" in out
    assert "ETA 0:03" in out  # 38,140 bars left at 13,800 bars/s


def test_bt1_progress_rewrites_in_place_and_finishes_with_newline():
    clock, stream = FakeClock(), io.StringIO()
    bar = Progress(100, label="replay", stream=stream, enabled=True, clock=clock)
    for done in (10, 50, 100):
        clock.now += 1.0
        bar.update(done)
    bar.finish()
    out = stream.getvalue()
    assert out.count("\r") == 4
    assert out.endswith("\n")
    assert out.count("\n") == 1
    assert " 10.0%" in out
    assert " 50.0%" in out
    assert "replay 100.0% [####################]" in out
    assert "took 0:03" in out
    bar.finish()
    assert stream.getvalue() == out  # finishing twice writes nothing more


def test_bt1_progress_eta_uses_average_rate_since_start():
    clock, stream = FakeClock(), io.StringIO()
    bar = Progress(10_000, stream=stream, enabled=True, clock=clock)
    clock.now += 100.0
    bar.update(1_000)  # 10 bars/s on average: 9,000 bars left is 15 minutes
    assert "ETA 15:00" in stream.getvalue()
    clock.now += 3_900.0
    bar.update(2_000)  # 0.5 bars/s: 8,000 bars left is 4:26:40
    assert "ETA 4:26:40" in stream.getvalue()


def test_bt1_progress_pads_over_a_longer_previous_line():
    clock, stream = FakeClock(), io.StringIO()
    bar = Progress(1_000_000, stream=stream, enabled=True, clock=clock)
    clock.now += 1.0
    bar.update(999_999)
    first = stream.getvalue()
    clock.now += 10_000.0
    bar.update(1)  # a shorter line (smaller rate) must cover the old one
    second = stream.getvalue()[len(first) :]
    assert len(second) >= len(first)


@pytest.mark.parametrize("tty", [False, True])
def test_bt1_progress_follows_isatty_by_default(tty):
    clock, stream = FakeClock(), CountingStream(tty=tty)
    bar = Progress(10, stream=stream, clock=clock)
    clock.now += 1.0
    bar.update(10)
    bar.finish()
    assert (stream.writes > 0) is tty


def test_bt1_progress_disabled_writes_nothing():
    clock, stream = FakeClock(), CountingStream(tty=True)
    bar = Progress(10, stream=stream, enabled=False, clock=clock)
    for done in range(11):
        clock.now += 1.0
        bar.update(done)
    bar.finish()
    assert stream.writes == 0
    assert stream.getvalue() == ""


def test_bt1_progress_update_returns_early_between_intervals():
    clock, stream = FakeClock(), CountingStream()
    total = 100_000
    bar = Progress(total, stream=stream, enabled=True, clock=clock, min_interval_s=0.1)
    for done in range(1, total + 1):
        clock.now += 0.0001  # 10 s in all: at most one redraw per 0.1 s
        bar.update(done)
    assert 90 <= stream.writes <= 102
    assert "100.0%" in stream.getvalue().rsplit("\r", 1)[-1]


def test_bt1_progress_broken_pipe_disables_the_bar():
    clock = FakeClock()
    stream = BrokenStream()
    bar = Progress(10, stream=stream, enabled=True, clock=clock)
    clock.now += 1.0
    bar.update(5)
    bar.update(10)
    bar.finish()
    assert stream.attempts == 1


def test_bt1_progress_other_os_errors_propagate():
    clock = FakeClock()
    bar = Progress(10, stream=FailingStream(), enabled=True, clock=clock)
    clock.now += 1.0
    with pytest.raises(OSError, match="disk full"):
        bar.update(10)


def test_bt1_progress_zero_total():
    stream = io.StringIO()
    bar = Progress(0, stream=stream, enabled=True, clock=FakeClock())
    bar.update(0)
    bar.finish()
    assert "100.0%" in stream.getvalue()
    assert "ETA --:--" not in stream.getvalue()
