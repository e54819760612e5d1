"""BT-1 backtest picture: a self-contained, deterministic HTML page with two SVG charts."""

from __future__ import annotations

import re
from decimal import Decimal as D

from trader.backtest.picture import MAX_DRAWN_POINTS, downsample, equity_html
from trader.backtest.stats import EquityPoint

START = 1_609_459_200  # 2021-01-01 00:00 UTC
SVG_XMLNS = "http://www.w3.org/2000/svg"


def series(*equities: int | str, step: int = 3600) -> list[EquityPoint]:
    return [EquityPoint(time=START + i * step, equity=D(e)) for i, e in enumerate(equities)]


def long_series(n: int, dip_at: int) -> list[EquityPoint]:
    """A rising series with one sharp one-bar dip."""
    points = []
    for i in range(n):
        equity = D(1000) + D(i) / 10
        if i == dip_at:
            equity = D(500)
        points.append(EquityPoint(time=START + i * 60, equity=equity))
    return points


def test_bt1_page_has_two_svgs_and_axis_labels():
    page = equity_html(series(100, 110, 99, 121), "Backtest", subtitle="BTC-USD, 2021")
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert page.count("<svg") == 2
    assert page.count("</svg>") == 2
    assert "<polyline" in page
    assert "<polygon" in page
    assert "2021-01-01 00:00" in page
    assert "2021-01-01 03:00" in page
    assert "121.00" in page
    assert "99.00" in page
    assert "-10.00 %" in page
    assert "BTC-USD, 2021" in page


def test_bt1_page_is_self_contained():
    page = equity_html(long_series(5000, 1234), "Backtest")
    urls = re.findall(r"https?://[^\"'\s<>]+", page)
    assert set(urls) == {SVG_XMLNS}
    assert "<script" not in page.lower()
    assert "src=" not in page
    assert "<link" not in page


def test_bt1_title_and_subtitle_are_escaped():
    page = equity_html(series(100, 101), "<script>alert(1)</script>", subtitle="a & <b>")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &amp; &lt;b&gt;" in page


def test_bt1_page_is_byte_identical_for_identical_input():
    points = long_series(10_000, 4321)
    assert equity_html(points, "t", subtitle="s") == equity_html(list(points), "t", subtitle="s")


def test_bt1_empty_series_says_there_is_no_data():
    page = equity_html([], "Backtest")
    assert "<svg" not in page
    assert "No data" in page
    assert "<h1>Backtest</h1>" in page


def test_bt1_single_point_is_a_flat_line():
    page = equity_html(series(100), "Backtest")
    assert page.count("<svg") == 2
    line = re.search(r'<polyline class="equity" points="([^"]+)"', page)
    assert line is not None
    ys = {pair.split(",")[1] for pair in line.group(1).split()}
    assert len(line.group(1).split()) == 2
    assert len(ys) == 1


def test_bt1_downsample_keeps_short_series_whole():
    points = [(i, D(i)) for i in range(MAX_DRAWN_POINTS)]
    assert downsample(points) == points


def test_bt1_downsample_bounds_points_and_keeps_extremes():
    points = [(i, D(i % 97)) for i in range(50_000)]
    points[31_337] = (31_337, D(-42))
    kept = downsample(points)
    assert len(kept) <= MAX_DRAWN_POINTS
    assert (31_337, D(-42)) in kept
    assert [t for t, _ in kept] == sorted({t for t, _ in kept})  # time order, no repeats
    assert max(v for _, v in kept) == D(96)


def test_bt1_downsampled_drawing_keeps_the_deepest_drawdown():
    page = equity_html(long_series(50_000, 31_337), "Backtest")
    for element in ("polyline", "polygon"):
        match = re.search(rf'<{element} [^>]*points="([^"]+)"', page)
        assert match is not None
        assert len(match.group(1).split()) <= MAX_DRAWN_POINTS + 2
    # the dip to 500 from a peak of ~4133.6 is the global minimum drawdown
    assert "-87.90 %" in page
    area = re.search(r'<polygon [^>]*points="([^"]+)"', page)
    assert area is not None
    lowest = max(float(pair.split(",")[1]) for pair in area.group(1).split())
    assert lowest == 230.0  # the bottom of the plot area
