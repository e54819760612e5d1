"""Backtest statistics (BT-1): pure Decimal arithmetic over an equity series and trades.

Every function computes in its own Decimal context (28 significant digits, half-even
rounding), so results do not depend on the caller's context: identical inputs give
identical outputs.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import wraps
from itertools import pairwise
from typing import ParamSpec, TypeVar

SECONDS_PER_DAY = 86_400
SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY
HUNDRED = Decimal(100)
ZERO = Decimal(0)
PRESENTATION = Decimal("0.0001")

_CONTEXT = decimal.Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def fixed_context(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``func`` in the module's Decimal context."""

    @wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with decimal.localcontext(_CONTEXT):
            return func(*args, **kwargs)

    return wrapper


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """Account equity at one moment of the backtest."""

    time: int  # epoch seconds (UTC), strictly increasing
    equity: Decimal  # quote currency, positions at mid (as the loss limits mark them)


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """One closed trade (entry fills to exit fills) of a product."""

    product_id: str
    opened_at: float
    closed_at: float
    base_size: Decimal
    entry_price: Decimal  # average
    exit_price: Decimal  # average
    fees: Decimal
    pnl: Decimal  # net of all fees
    strategy: str = ""  # STR-5: the strategy of its first attributed fill (the entry's)
    exit_reason: str = ""  # why its last sale was placed: stop_loss, take_profit, max_hold, ...
    entry_tag: str = ""  # BT-4: its first buy's proposal tag (or trigger kinds)


@dataclass(frozen=True, slots=True)
class FillStat:
    """The part of one fill the statistics need."""

    fee: Decimal
    notional: Decimal
    maker: bool


@dataclass(frozen=True, slots=True)
class Summary:
    """The headline numbers of one backtest run; percentages are in percent."""

    start_equity: Decimal
    end_equity: Decimal
    total_return_pct: Decimal
    cagr_pct: Decimal | None
    sharpe: Decimal | None
    sortino: Decimal | None
    max_drawdown_pct: Decimal
    trades: int
    win_rate_pct: Decimal | None
    fees: Decimal
    maker_ratio_pct: Decimal | None
    volume: Decimal  # traded notional


@fixed_context
def drawdown_series(points: Sequence[EquityPoint]) -> list[tuple[int, Decimal]]:
    """Drawdown in percent (≤ 0) from the running peak at each point.

    While the running peak is not positive the drawdown is reported as 0.
    """
    series: list[tuple[int, Decimal]] = []
    peak: Decimal | None = None
    for point in points:
        peak = point.equity if peak is None else max(peak, point.equity)
        if peak > 0:
            series.append((point.time, (point.equity / peak - 1) * HUNDRED))
        else:
            series.append((point.time, ZERO))
    return series


@fixed_context
def max_drawdown_pct(points: Sequence[EquityPoint]) -> Decimal:
    """The deepest drawdown as a non-negative percentage (3.25 for -3.25 %); 0 when empty."""
    depths = [depth for _, depth in drawdown_series(points)]
    return -min(depths) if depths and min(depths) < 0 else ZERO


@fixed_context
def period_returns(points: Sequence[EquityPoint]) -> list[Decimal]:
    """Simple returns between consecutive points (0.1 for +10 %).

    A period that starts at non-positive equity has no defined return and is left out.
    """
    return [
        current.equity / previous.equity - 1
        for previous, current in pairwise(points)
        if previous.equity > 0
    ]


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, ZERO) / len(values)


@fixed_context
def sharpe(points: Sequence[EquityPoint], periods_per_year: Decimal) -> Decimal | None:
    """Annualised Sharpe ratio with a zero risk-free rate.

    mean(r) / sample standard deviation (n − 1) × √periods_per_year; None with fewer than two
    returns or zero deviation.
    """
    returns = period_returns(points)
    if len(returns) < 2:
        return None
    mean = _mean(returns)
    variance = sum(((r - mean) ** 2 for r in returns), ZERO) / (len(returns) - 1)
    if variance == 0:
        return None
    return mean / variance.sqrt() * periods_per_year.sqrt()


@fixed_context
def sortino(points: Sequence[EquityPoint], periods_per_year: Decimal) -> Decimal | None:
    """Annualised Sortino ratio with a zero target return.

    mean(r) / downside deviation × √periods_per_year, where the downside deviation is
    √(Σ min(r, 0)² / n) over all n periods (gains count as zero, not left out). None with
    fewer than two returns or when no period lost money (zero downside deviation).
    """
    returns = period_returns(points)
    if len(returns) < 2:
        return None
    downside = sum((min(r, ZERO) ** 2 for r in returns), ZERO) / len(returns)
    if downside == 0:
        return None
    return _mean(returns) / downside.sqrt() * periods_per_year.sqrt()


@fixed_context
def periods_per_year(points: Sequence[EquityPoint]) -> Decimal:
    """How many median-spaced periods fit in a 365-day year.

    Raises ValueError with fewer than two points or a non-increasing series.
    """
    if len(points) < 2:
        raise ValueError("periods_per_year needs at least two equity points")
    gaps = sorted(b.time - a.time for a, b in pairwise(points))
    middle = len(gaps) // 2
    if len(gaps) % 2:
        median = Decimal(gaps[middle])
    else:
        median = Decimal(gaps[middle - 1] + gaps[middle]) / 2
    if median <= 0:
        raise ValueError("equity point times must be strictly increasing")
    return Decimal(SECONDS_PER_YEAR) / median


@fixed_context
def cagr_pct(start_equity: Decimal, end_equity: Decimal, seconds: int | Decimal) -> Decimal | None:
    """Compound annual growth rate in percent over ``seconds``.

    (end / start) ** (year / seconds) − 1, computed as exp(ln(end / start) × year / seconds).
    None for spans shorter than one day or non-positive equity.
    """
    span = Decimal(seconds)
    if span < SECONDS_PER_DAY or start_equity <= 0 or end_equity <= 0:
        return None
    growth = ((end_equity / start_equity).ln() * SECONDS_PER_YEAR / span).exp()
    return (growth - 1) * HUNDRED


def _present(value: Decimal) -> Decimal:
    """Round to 4 decimal places; a value too large for that keeps 28 significant digits."""
    if value.adjusted() - PRESENTATION.adjusted() >= _CONTEXT.prec:
        return +value
    return value.quantize(PRESENTATION, rounding=ROUND_HALF_EVEN)


def _present_or_none(value: Decimal | None) -> Decimal | None:
    return None if value is None else _present(value)


def _total_return_pct(start: Decimal, end: Decimal) -> Decimal:
    return (end / start - 1) * HUNDRED if start > 0 else ZERO


def _win_rate_pct(trips: Sequence[RoundTrip]) -> Decimal | None:
    if not trips:
        return None
    wins = sum(1 for trip in trips if trip.pnl > 0)
    return Decimal(wins) * HUNDRED / len(trips)


def _maker_ratio_pct(fills: Sequence[FillStat], volume: Decimal) -> Decimal | None:
    if volume <= 0:
        return None
    maker = sum((fill.notional for fill in fills if fill.maker), ZERO)
    return maker * HUNDRED / volume


def _risk_ratios(points: Sequence[EquityPoint]) -> tuple[Decimal | None, Decimal | None]:
    if len(points) < 3:
        return None, None
    per_year = periods_per_year(points)
    return sharpe(points, per_year), sortino(points, per_year)


@fixed_context
def summarize(
    points: Sequence[EquityPoint],
    trips: Sequence[RoundTrip],
    fills: Sequence[FillStat],
) -> Summary:
    """The run's headline numbers.

    Percentages and ratios are quantized to 4 decimal places; money is left exact. The
    return is 0 when the series is empty or starts at non-positive equity. The win rate is
    the share of round trips with a positive net PnL; the maker ratio is the share of traded
    notional filled as maker.
    """
    start = points[0].equity if points else ZERO
    end = points[-1].equity if points else ZERO
    seconds = points[-1].time - points[0].time if points else 0
    sharpe_ratio, sortino_ratio = _risk_ratios(points)
    volume = sum((fill.notional for fill in fills), ZERO)
    return Summary(
        start_equity=start,
        end_equity=end,
        total_return_pct=_present(_total_return_pct(start, end)),
        cagr_pct=_present_or_none(cagr_pct(start, end, seconds)),
        sharpe=_present_or_none(sharpe_ratio),
        sortino=_present_or_none(sortino_ratio),
        max_drawdown_pct=_present(max_drawdown_pct(points)),
        trades=len(trips),
        win_rate_pct=_present_or_none(_win_rate_pct(trips)),
        fees=sum((fill.fee for fill in fills), ZERO),
        maker_ratio_pct=_present_or_none(_maker_ratio_pct(fills, volume)),
        volume=volume,
    )


CENT = Decimal("0.01")  # the terminal shows money in cents, percent and ratios to 2 places


def _money(value: Decimal, currency: str) -> str:
    return f"{value.quantize(CENT, rounding=ROUND_HALF_EVEN):,f} {currency}"


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value.quantize(CENT, rounding=ROUND_HALF_EVEN):,f}%"


def _ratio(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value.quantize(CENT, rounding=ROUND_HALF_EVEN):f}"


def summary_table(summary: Summary, *, quote_currency: str = "USD") -> str:
    """A fixed-width two-column text table of ``summary`` for stdout (ends with a newline)."""
    rows = summary_rows(summary, quote_currency)
    label_width = max(len(label) for label, _ in rows)
    value_width = max(len(value) for _, value in rows)
    lines = [f"{label:<{label_width}}  {value:>{value_width}}" for label, value in rows]
    return "\n".join(lines) + "\n"


def summary_rows(summary: Summary, quote_currency: str) -> list[tuple[str, str]]:
    """The summary's (label, value) rows, rounded for reading (money to cents)."""
    return [
        ("Start equity", _money(summary.start_equity, quote_currency)),
        ("End equity", _money(summary.end_equity, quote_currency)),
        ("Return", _pct(summary.total_return_pct)),
        ("CAGR", _pct(summary.cagr_pct)),
        ("Sharpe", _ratio(summary.sharpe)),
        ("Sortino", _ratio(summary.sortino)),
        ("Max drawdown", _pct(summary.max_drawdown_pct)),
        ("Trades", f"{summary.trades:,}"),
        ("Win rate", _pct(summary.win_rate_pct)),
        ("Fees", _money(summary.fees, quote_currency)),
        ("Maker ratio", _pct(summary.maker_ratio_pct)),
        ("Volume", _money(summary.volume, quote_currency)),
    ]
