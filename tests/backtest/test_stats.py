"""BT-1 backtest statistics: hand-computed tables over small equity series."""

from __future__ import annotations

import decimal
from decimal import Decimal as D

import pytest

from trader.backtest.stats import (
    EquityPoint,
    FillStat,
    RoundTrip,
    Summary,
    cagr_pct,
    drawdown_series,
    max_drawdown_pct,
    period_returns,
    periods_per_year,
    sharpe,
    sortino,
    summarize,
    summary_table,
)

DAY = 86_400
YEAR = 365 * DAY


def series(*equities: str | int, step: int = DAY) -> list[EquityPoint]:
    return [EquityPoint(time=i * step, equity=D(e)) for i, e in enumerate(equities)]


# 100 → 110 → 99 → 121: returns +10 %, -10 %, +2/9; peak 110 then 99 is a 10 % drawdown.
SAMPLE = series(100, 110, 99, 121)


def trip(pnl: str) -> RoundTrip:
    return RoundTrip(
        product_id="BTC-USD",
        opened_at=0.0,
        closed_at=60.0,
        base_size=D("0.01"),
        entry_price=D("100"),
        exit_price=D("101"),
        fees=D("0.02"),
        pnl=D(pnl),
    )


def test_bt1_period_returns_between_consecutive_points():
    first, second, third = period_returns(SAMPLE)
    assert (first, second) == (D("0.1"), D("-0.1"))
    assert third.quantize(D("1e-20")) == (D(22) / D(99)).quantize(D("1e-20"))
    assert period_returns(series(100)) == []
    assert period_returns([]) == []


def test_bt1_period_returns_skip_periods_starting_at_non_positive_equity():
    assert period_returns(series(100, 0, 50)) == [D(-1)]


@pytest.mark.parametrize(
    ("equities", "expected"),
    [
        ((100, 110, 99, 121), ["0", "0", "-10", "0"]),
        ((100, 90, 95, 80), ["0", "-10", "-5", "-20"]),
        ((200, 200), ["0", "0"]),
        ((400, 387), ["0", "-3.25"]),
        ((), []),
    ],
)
def test_bt1_drawdown_series_from_running_peak(equities, expected):
    points = series(*equities)
    assert drawdown_series(points) == [
        (p.time, D(e)) for p, e in zip(points, expected, strict=True)
    ]


@pytest.mark.parametrize(
    ("equities", "expected"),
    [
        ((100, 110, 99, 121), "10"),
        ((100, 90, 95, 80), "20"),
        ((400, 387), "3.25"),
        ((100, 101, 102), "0"),
        ((), "0"),
    ],
)
def test_bt1_max_drawdown_is_non_negative_percent(equities, expected):
    assert max_drawdown_pct(series(*equities)) == D(expected)


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ((0, DAY), D(365)),
        ((0, 60, 120, 180), D(525_600)),
        ((0, 60, 120, 600), D(525_600)),  # median of 60, 60, 480
        ((0, 60, 180, 300, 420), D(YEAR) / D(120)),  # median of 60, 120, 120, 120
        ((0, 60, 180), D(YEAR) / D(90)),  # even count: mean of the middle two
    ],
)
def test_bt1_periods_per_year_from_median_spacing(times, expected):
    points = [EquityPoint(time=t, equity=D(1)) for t in times]
    assert periods_per_year(points) == expected


def test_bt1_periods_per_year_needs_two_points():
    with pytest.raises(ValueError):
        periods_per_year(series(100))


def test_bt1_sharpe_and_sortino_hand_computed():
    # mean 0.0740741, sample std 0.1626693, downside dev sqrt(0.01 / 3) = 0.0577350
    ratio, downside_ratio = sharpe(SAMPLE, D(365)), sortino(SAMPLE, D(365))
    assert ratio is not None
    assert downside_ratio is not None
    assert ratio.quantize(D("0.0001")) == D("8.6998")
    assert downside_ratio.quantize(D("0.0001")) == D("24.5117")


@pytest.mark.parametrize(
    "points",
    [
        series(100, 100, 100, 100),  # flat: zero deviation
        series(100, 110),  # one return only
        series(100),
        [],
    ],
)
def test_bt1_sharpe_none_without_deviation_or_enough_returns(points):
    assert sharpe(points, D(365)) is None
    assert sortino(points, D(365)) is None


def test_bt1_sortino_none_when_no_period_lost_money():
    points = series(100, 110, 115, 130)
    assert sharpe(points, D(365)) is not None
    assert sortino(points, D(365)) is None


@pytest.mark.parametrize(
    ("start", "end", "seconds", "expected"),
    [
        ("100", "200", YEAR, "100"),  # doubling over exactly 365 days
        ("100", "100", YEAR, "0"),
        ("100", "50", YEAR, "-50"),
        ("100", "400", 2 * YEAR, "100"),
        ("100", "121", YEAR // 2, "46.41"),  # 1.21 ** 2 - 1
        ("100", "200", DAY - 1, None),  # under one day
        ("0", "200", YEAR, None),
        ("100", "0", YEAR, None),
        ("100", "-5", YEAR, None),
    ],
)
def test_bt1_cagr(start, end, seconds, expected):
    result = cagr_pct(D(start), D(end), seconds)
    if expected is None:
        assert result is None
    else:
        assert result is not None
        assert result.quantize(D("0.0001")) == D(expected).quantize(D("0.0001"))


def test_bt1_summarize_sample():
    fills = [
        FillStat(fee=D("0.10"), notional=D("300"), maker=True),
        FillStat(fee=D("0.25"), notional=D("100"), maker=False),
        FillStat(fee=D("0.05"), notional=D("100"), maker=True),
    ]
    trips = [trip("1.5"), trip("-0.5"), trip("0"), trip("2")]
    summary = summarize(SAMPLE, trips, fills)
    assert summary == Summary(
        start_equity=D("100"),
        end_equity=D("121"),
        total_return_pct=D("21.0000"),
        cagr_pct=summary.cagr_pct,  # checked separately below
        sharpe=D("8.6998"),
        sortino=D("24.5117"),
        max_drawdown_pct=D("10.0000"),
        trades=4,
        win_rate_pct=D("50.0000"),  # 2 of 4 trips with positive PnL
        fees=D("0.40"),
        maker_ratio_pct=D("80.0000"),  # 400 of 500 notional
        volume=D("500"),
    )
    # 21 % in 3 days, annualised: 1.21 ** (365 / 3) - 1
    expected_cagr = (D("1.21").ln() * D(365) / D(3)).exp() * 100 - 100
    assert summary.cagr_pct == expected_cagr.quantize(D("0.0001"))


def test_bt1_summarize_quantizes_percentages_and_keeps_money_exact():
    points = [EquityPoint(0, D("1000.123456789")), EquityPoint(DAY, D("1003.3"))]
    summary = summarize(points, [trip("1"), trip("1"), trip("-1")], [])
    assert summary.start_equity == D("1000.123456789")
    assert summary.total_return_pct.as_tuple().exponent == -4
    assert summary.win_rate_pct == D("66.6667")
    assert summary.maker_ratio_pct is None
    assert summary.fees == D(0)
    assert summary.volume == D(0)


def test_bt1_summarize_empty_inputs():
    summary = summarize([], [], [])
    assert summary.start_equity == summary.end_equity == D(0)
    assert summary.total_return_pct == D(0)
    assert summary.cagr_pct is None
    assert summary.sharpe is None
    assert summary.sortino is None
    assert summary.max_drawdown_pct == D(0)
    assert summary.trades == 0
    assert summary.win_rate_pct is None
    assert summary.maker_ratio_pct is None


def test_bt1_summarize_independent_of_caller_decimal_context():
    expected = summarize(SAMPLE, [trip("1")], [])
    with decimal.localcontext(decimal.Context(prec=5, rounding=decimal.ROUND_DOWN)):
        assert summarize(SAMPLE, [trip("1")], []) == expected


def test_bt1_summarize_deterministic():
    assert summarize(SAMPLE, [trip("1")], []) == summarize(list(SAMPLE), [trip("1")], [])


def test_bt1_summarize_huge_cagr_still_presentable():
    summary = summarize(series(100, 300), [], [])  # tripling in one day
    assert summary.cagr_pct is not None
    assert summary.cagr_pct > D("1e100")


LABELS = [
    "Start equity",
    "End equity",
    "Return",
    "CAGR",
    "Sharpe",
    "Sortino",
    "Max drawdown",
    "Trades",
    "Win rate",
    "Fees",
    "Maker ratio",
    "Volume",
]


def test_bt1_summary_table_rows_and_formats():
    fills = [FillStat(fee=D("1.5"), notional=D("12345.67"), maker=True)]
    table = summary_table(summarize(SAMPLE, [trip("1")], fills), quote_currency="EUR")
    lines = table.splitlines()
    assert [line.split("  ")[0] for line in lines] == LABELS
    assert len({len(line) for line in lines}) == 1  # fixed width
    assert "100.00 EUR" in lines[0]  # the terminal rounds: money to cents, % to 2 places
    assert lines[2].endswith("21.00%")
    assert lines[6].endswith("10.00%")
    assert lines[7].endswith(" 1")
    assert lines[9].endswith("1.50 EUR")
    assert lines[11].endswith("12,345.67 EUR")
    assert "n/a" not in table


def test_bt1_summary_table_none_as_na():
    table = summary_table(summarize(series(100), [], []))
    by_label = {line.split("  ")[0]: line for line in table.splitlines()}
    assert list(by_label) == LABELS
    for label in ("CAGR", "Sharpe", "Sortino", "Win rate", "Maker ratio"):
        assert by_label[label].endswith("n/a")
    assert by_label["Fees"].endswith("0.00 USD")
