"""BT-4 the backtest picture in a real browser: headless Chromium (the distribution's
package; `.ci/run` installs it) parses the page and draws the summary table, the equity
line, the benchmark, the trade markers and the drawdown — checked in the DOM it built and
in the pixels of its screenshot."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from decimal import Decimal
from pathlib import Path

import pytest

from trader.backtest.picture import TradeMark, equity_html
from trader.backtest.stats import EquityPoint

START = 1_609_459_200
COLOURS = {  # the page's CSS colours
    "equity": (0x1F, 0x6F, 0xB2),
    "benchmark": (0x88, 0x88, 0x88),
    "win": (0x2E, 0x8B, 0x57),
    "loss": (0xC0, 0x39, 0x2B),
}


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no headless Chromium on this machine (`.ci/run` installs the `chromium` package)")


def _run(browser: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--force-device-scale-factor=1", *args],
        capture_output=True, timeout=120,
    )  # fmt: skip


def _pixels(png: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels of an 8-bit RGB/RGBA PNG (no interlace)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, data, header = 8, b"", b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        body = png[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        data += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6) and header[12] == 0
    step = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(data), width * step
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 0xFF
        rows.append(line)
        previous = line
    pixels = [tuple(row[x * step : x * step + 3]) for row in rows for x in range(width)]
    return width, height, pixels  # type: ignore[return-value]


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 8 for a, b in zip(pixel, colour, strict=True))


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    points = [
        EquityPoint(START + 3600 * i, Decimal(10000 + 40 * i - (i % 7) * 90)) for i in range(200)
    ]
    benchmark = [(START + 3600 * i, Decimal(10000 + 25 * i)) for i in range(200)]
    marks = [TradeMark(START + 3600 * i, "entry") for i in range(5, 200, 20)]
    marks += [
        TradeMark(START + 3600 * (i + 6), "win" if i % 40 else "loss") for i in range(5, 190, 20)
    ]
    rows = [("Return", "80.00%"), ("Profit factor", "1.42"), ("Days won / lost", "5 / 3")]
    html = equity_html(
        points, "Backtest", subtitle="a test page", benchmark=benchmark, marks=marks,
        summary=rows,
    )  # fmt: skip
    path = tmp_path_factory.mktemp("picture") / "equity.html"
    path.write_text(html, "utf-8")
    return path


def test_bt4_chromium_builds_the_table_charts_and_markers_from_the_page(page):
    run = _run(_browser(), "--dump-dom", page.as_uri())
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    dom = run.stdout.decode()
    assert dom.count("<svg") == 2
    assert 'class="benchmark"' in dom and 'class="equity"' in dom and 'class="drawdown"' in dom
    assert dom.count('<path class="entry"') == 10
    assert dom.count('<path class="win"') + dom.count('<path class="loss"') == 10
    assert "<td>Profit factor</td>" in dom and ">1.42</td>" in dom


def test_bt4_chromium_draws_equity_benchmark_and_trades_in_their_colours(page, tmp_path):
    shot = tmp_path / "shot.png"
    run = _run(_browser(), f"--screenshot={shot}", "--window-size=1000,1000", page.as_uri())
    assert run.returncode == 0 and shot.exists(), run.stderr.decode(errors="replace")[-2000:]
    width, height, pixels = _pixels(shot.read_bytes())
    assert (width, height) == (1000, 1000)
    for name, colour in COLOURS.items():
        assert sum(1 for p in pixels if _near(p, colour)) >= 20, name
