"""Backtest picture (BT-1, BT-4): one self-contained HTML page — the summary table, equity
against the benchmark with the trades marked, and the drawdown.

The page has no scripts and no external resources: a table and two inline SVG charts,
equity over time (a line; the equal-weight buy-and-hold benchmark scaled to the same start
as a dashed line; a marker at each trade's entry and exit, green for a winning trip, red
for a losing one) and drawdown in percent (an area below zero). Coordinates are computed in
float for drawing only and written with fixed decimals, so identical input gives a
byte-identical page.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from html import escape

from trader.backtest.stats import EquityPoint, drawdown_series

MAX_DRAWN_POINTS = 2000
MAX_MARKS = 600  # trade markers drawn at most (entries and exits)
WIDTH = 900
HEIGHT = 260
LEFT = 110  # room for the value labels
RIGHT = 20
TOP = 20
BOTTOM = 30  # room for the date labels

Series = list[tuple[int, Decimal]]

_STYLE = """\
body { font-family: sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
p.subtitle { color: #555; margin-top: 0; }
h2 { font-size: 1.1em; margin: 1.5em 0 0.3em; }
svg { background: #fafafa; border: 1px solid #ddd; }
svg text { font-size: 12px; fill: #444; }
.equity { fill: none; stroke: #1f6fb2; stroke-width: 1.5; }
.benchmark { fill: none; stroke: #888; stroke-width: 1.2; stroke-dasharray: 5 3; }
.entry { fill: #1f6fb2; }
.win { fill: #2e8b57; }
.loss { fill: #c0392b; }
.legend { font-size: 12px; }
table.summary { border-collapse: collapse; margin: 0.5em 0 1em; }
table.summary td { padding: 2px 14px 2px 0; }
table.summary td.value { text-align: right; font-variant-numeric: tabular-nums; }
.drawdown { fill: #d9534f; fill-opacity: 0.45; stroke: #b52b27; stroke-width: 1; }
.axis { stroke: #999; stroke-width: 1; }"""


@dataclass(frozen=True, slots=True)
class _Frame:
    """Maps (time, value) onto the plot area of one chart."""

    t0: int
    t1: int
    low: float
    high: float

    def x(self, time: int) -> float:
        if self.t1 == self.t0:
            return float(LEFT)
        return LEFT + (time - self.t0) / (self.t1 - self.t0) * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        span = self.high - self.low
        return TOP + (self.high - value) / span * (HEIGHT - TOP - BOTTOM)


def downsample(series: Sequence[tuple[int, Decimal]], limit: int = MAX_DRAWN_POINTS) -> Series:
    """At most ``limit`` points: the minimum and maximum of each bucket, in time order.

    Keeping both extremes of every bucket keeps spikes (a deep drawdown) visible.
    """
    if len(series) <= limit:
        return list(series)
    size = math.ceil(len(series) / max(limit // 2, 1))
    kept: Series = []
    for start in range(0, len(series), size):
        kept.extend(_extremes(series[start : start + size]))
    return kept


def _extremes(bucket: Sequence[tuple[int, Decimal]]) -> Series:
    """The first lowest and first highest point of ``bucket``, in time order."""
    low = min(range(len(bucket)), key=lambda i: bucket[i][1])
    high = max(range(len(bucket)), key=lambda i: bucket[i][1])
    return [bucket[i] for i in sorted({low, high})]


def _date(time: int) -> str:
    return datetime.fromtimestamp(time, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _coords(series: Series, frame: _Frame) -> list[str]:
    coords = [f"{frame.x(t):.1f},{frame.y(float(v)):.1f}" for t, v in series]
    if len(series) == 1:  # a single point is drawn as a flat line across the chart
        coords.append(f"{WIDTH - RIGHT:.1f},{frame.y(float(series[0][1])):.1f}")
    return coords


def _axes(frame: _Frame, top_label: str, bottom_label: str) -> list[str]:
    bottom = HEIGHT - BOTTOM
    return [
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{escape(top_label)}</text>',
        f'<text x="{LEFT - 6}" y="{bottom}" text-anchor="end">{escape(bottom_label)}</text>',
        f'<text x="{LEFT}" y="{HEIGHT - 10}">{_date(frame.t0)} UTC</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 10}" text-anchor="end">'
        f"{_date(frame.t1)} UTC</text>",
    ]


def _svg(label: str, body: list[str]) -> str:
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}">',
        *(f"  {line}" for line in body),
        "</svg>",
    ]
    return "\n".join(lines)


def _equity_svg(
    series: Series, benchmark: Series, marks: Sequence[TradeMark], t0: int, t1: int
) -> str:
    values = [v for _, v in series] + [v for _, v in benchmark]
    low, high = min(values), max(values)
    if low == high:  # a flat series is drawn in the middle
        low, high = low - 1, high + 1
    frame = _Frame(t0, t1, float(low), float(high))
    body = _axes(frame, f"{high:,.2f}", f"{low:,.2f}")
    if benchmark:
        coords = " ".join(_coords(benchmark, frame))
        body.append(f'<polyline class="benchmark" points="{coords}"/>')
    body.append(f'<polyline class="equity" points="{" ".join(_coords(series, frame))}"/>')
    times = [t for t, _ in series]  # once: a run's trades make hundreds of marks
    body.extend(_marker(mark, series, times, frame) for mark in marks)
    body.extend(_legend(bool(benchmark), bool(marks)))
    return _svg("Equity over time", body)


@dataclass(frozen=True, slots=True)
class TradeMark:
    """A trade drawn on the equity line: `kind` is entry, win or loss (an exit)."""

    time: int
    kind: str


def _marker(mark: TradeMark, series: Series, times: Sequence[int], frame: _Frame) -> str:
    """`times`: the series' times, in order."""
    index = max(bisect.bisect_right(times, mark.time) - 1, 0)
    x, y = frame.x(mark.time), frame.y(float(series[index][1]))
    if mark.kind == "entry":  # an upward triangle under the line
        return f'<path class="entry" d="M{x:.1f},{y + 3:.1f} l-4,7 h8 z"/>'
    return f'<path class="{mark.kind}" d="M{x:.1f},{y - 3:.1f} l-4,-7 h8 z"/>'


def _legend(benchmark: bool, marks: bool) -> list[str]:
    items = [("equity", "strategy equity")]
    if benchmark:
        items.append(("benchmark", "equal-weight buy and hold"))
    if marks:
        items += [("entry", "entry"), ("win", "exit, winning trip"), ("loss", "exit, losing")]
    out, x = [], LEFT + 10
    for css, label in items:
        if css in ("equity", "benchmark"):
            y = TOP + 4
            out.append(f'<line class="{css}" x1="{x}" y1="{y}" x2="{x + 18}" y2="{y}"/>')
        else:
            out.append(f'<rect class="{css}" x="{x + 5}" y="{TOP}" width="8" height="8"/>')
        out.append(f'<text class="legend" x="{x + 22}" y="{TOP + 8}">{escape(label)}</text>')
        x += 30 + 7 * len(label)
    return out


def _drawdown_svg(series: Series, t0: int, t1: int) -> str:
    deepest = min(v for _, v in series)
    low = deepest if deepest < 0 else Decimal(-1)  # no drawdown: zero stays on top
    frame = _Frame(t0, t1, float(low), 0.0)
    coords = _coords(series, frame)
    first_x, last_x = coords[0].split(",")[0], coords[-1].split(",")[0]
    zero = f"{frame.y(0.0):.1f}"
    outline = [f"{first_x},{zero}", *coords, f"{last_x},{zero}"]
    area = f'<polygon class="drawdown" points="{" ".join(outline)}"/>'
    body = [*_axes(frame, "0.00 %", f"{low:.2f} %"), area]
    return _svg("Drawdown in percent", body)


def _page(title: str, subtitle: str, content: list[str]) -> str:
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>\n{_STYLE}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
    ]
    if subtitle:
        head.append(f'<p class="subtitle">{escape(subtitle)}</p>')
    return "\n".join([*head, *content, "</body>", "</html>"]) + "\n"


def _table(rows: Sequence[tuple[str, str]]) -> list[str]:
    if not rows:
        return []
    cells = [
        f'<tr><td>{escape(label)}</td><td class="value">{escape(value)}</td></tr>'
        for label, value in rows
    ]
    return ['<table class="summary">', *cells, "</table>"]


def equity_html(
    points: Sequence[EquityPoint],
    title: str,
    *,
    subtitle: str = "",
    benchmark: Sequence[tuple[int, Decimal]] = (),
    marks: Sequence[TradeMark] = (),
    summary: Sequence[tuple[str, str]] = (),
) -> str:
    """The backtest's summary, equity (against `benchmark`, the equity a buy-and-hold of
    the same start would have, with `marks` on the trades) and drawdown as one
    self-contained HTML5 page. At most MAX_MARKS trades are marked (evenly chosen)."""
    if not points:
        return _page(title, subtitle, ["<p>No data: the equity series is empty.</p>"])
    t0, t1 = points[0].time, points[-1].time
    equity = downsample([(p.time, p.equity) for p in points])
    drawdown = downsample(drawdown_series(points))
    shown = list(marks)
    if len(shown) > MAX_MARKS:
        shown = [shown[i * len(shown) // MAX_MARKS] for i in range(MAX_MARKS)]
    content = [
        *_table(summary),
        "<h2>Equity</h2>",
        _equity_svg(equity, downsample(list(benchmark)), shown, t0, t1),
        "<h2>Drawdown (%)</h2>",
        _drawdown_svg(drawdown, t0, t1),
    ]
    return _page(title, subtitle, content)
