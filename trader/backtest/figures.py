"""The figures a trader judges a run by (BT-4), beside the summary (`stats.py`): how the
trades paid (profit factor, expectancy, SQN, best and worst, durations, losing streaks),
how deep and how long the worst drawdown was, Calmar, and the days won, drawn and lost.

Pure Decimal arithmetic in the statistics' own context (`stats.fixed_context`), so
identical inputs give identical figures. Durations are seconds; percentages are percent.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from trader.backtest.stats import (
    HUNDRED,
    SECONDS_PER_DAY,
    ZERO,
    EquityPoint,
    RoundTrip,
    Summary,
    fixed_context,
)
from trader.backtest.tables import by_pair

PLACES = Decimal("0.0001")
SQN_MAX_TRADES = 100  # Van Tharp's SQN counts at most 100 trades, so it does not grow with n


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(PLACES)


@fixed_context
def trade_figures(trips: Sequence[RoundTrip]) -> dict[str, Any]:
    """Profit factor (gross profit over gross loss), expectancy (mean net PnL per trade),
    SQN (√min(n, 100) × mean / standard deviation of the trades' PnL), best and worst
    trade, average duration of winners and losers, longest losing streak."""
    pnls = [t.pnl for t in trips]
    won = sum((p for p in pnls if p > 0), ZERO)
    lost = -sum((p for p in pnls if p < 0), ZERO)
    return {
        "profit_factor": _q(won / lost) if lost > 0 else None,
        "expectancy": sum(pnls, ZERO) / len(pnls) if pnls else None,
        "sqn": _q(_sqn(pnls)),
        "best_trade": _trade(max(trips, key=lambda t: t.pnl)) if trips else None,
        "worst_trade": _trade(min(trips, key=lambda t: t.pnl)) if trips else None,
        "avg_duration_winners_s": _mean_duration([t for t in trips if t.pnl > 0]),
        "avg_duration_losers_s": _mean_duration([t for t in trips if t.pnl <= 0]),
        "max_consecutive_losses": _longest_losing_streak(pnls),
    }


def _sqn(pnls: Sequence[Decimal]) -> Decimal | None:
    n = len(pnls)
    if n < 2:
        return None
    mean = sum(pnls, ZERO) / n
    variance = sum(((p - mean) ** 2 for p in pnls), ZERO) / (n - 1)
    if variance <= 0:
        return None
    return Decimal(min(n, SQN_MAX_TRADES)).sqrt() * mean / variance.sqrt()


def _trade(trip: RoundTrip) -> dict[str, Any]:
    return {"product_id": trip.product_id, "opened_at": trip.opened_at, "pnl": trip.pnl}


def _mean_duration(trips: Sequence[RoundTrip]) -> Decimal | None:
    if not trips:
        return None
    total = sum((Decimal(repr(t.closed_at - t.opened_at)) for t in trips), ZERO)
    return (total / len(trips)).quantize(Decimal(1))


def _longest_losing_streak(pnls: Sequence[Decimal]) -> int:
    longest = current = 0
    for pnl in pnls:
        current = current + 1 if pnl < 0 else 0
        longest = max(longest, current)
    return longest


def pair_extremes(by_pair: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The best and worst pair by net PnL (ties: the first by product id)."""
    if not by_pair:
        return {"best_pair": None, "worst_pair": None}
    ranked = sorted(by_pair.items(), key=lambda item: (-item[1]["pnl"], item[0]))
    return {
        "best_pair": {"product_id": ranked[0][0], "pnl": ranked[0][1]["pnl"]},
        "worst_pair": {"product_id": ranked[-1][0], "pnl": ranked[-1][1]["pnl"]},
    }


@fixed_context
def drawdown_period(points: Sequence[EquityPoint]) -> dict[str, Any]:
    """The deepest drawdown: its depth, the peak it fell from, the bottom, the recovery (the
    first point back at the peak; None while still under water) and its duration (peak to
    recovery, or to the last point)."""
    peak_at = bottom_at = start = 0
    peak = worst = None
    deepest = ZERO
    for point in points:
        if peak is None or point.equity >= peak:
            peak, peak_at = point.equity, point.time
        elif peak > 0:
            depth = (point.equity / peak - 1) * HUNDRED
            if depth < deepest:
                deepest, start, bottom_at, worst = depth, peak_at, point.time, peak
    if worst is None:
        return {"max_pct": ZERO, "start": None, "bottom": None, "end": None, "duration_s": 0}
    end = next((p.time for p in points if p.time > bottom_at and p.equity >= worst), None)
    last = end if end is not None else points[-1].time
    return {
        "max_pct": -deepest.quantize(PLACES),
        "start": start,
        "bottom": bottom_at,
        "end": end,
        "duration_s": last - start,
    }


@fixed_context
def return_before_fees_pct(summary: Summary) -> Decimal | None:
    """What the run would have returned with every fee given back (gross of fees)."""
    if summary.start_equity <= 0:
        return None
    gross = summary.end_equity + summary.fees - summary.start_equity
    return (gross / summary.start_equity * HUNDRED).quantize(PLACES)


def calmar(cagr_pct: Decimal | None, max_drawdown_pct: Decimal) -> Decimal | None:
    """CAGR over the deepest drawdown (both percent); None without either."""
    if cagr_pct is None or max_drawdown_pct <= 0:
        return None
    return _q(_ratio(cagr_pct, max_drawdown_pct))


@fixed_context
def _ratio(a: Decimal, b: Decimal) -> Decimal:
    return a / b


def daily_results(points: Sequence[EquityPoint]) -> dict[str, int]:
    """UTC days whose closing equity rose (win), stayed exactly equal (draw) or fell (loss)
    against the day before's close (the first day against the starting equity)."""
    closes: dict[int, Decimal] = {}
    for point in points:
        closes[point.time // SECONDS_PER_DAY] = point.equity
    counts = {"wins": 0, "draws": 0, "losses": 0}
    previous = points[0].equity if points else None
    for day in sorted(closes):
        equity = closes[day]
        assert previous is not None
        key = "wins" if equity > previous else "losses" if equity < previous else "draws"
        counts[key] += 1
        previous = equity
    return counts


def run_figures(
    summary: Summary, points: Sequence[EquityPoint], trips: Sequence[RoundTrip], halts: int
) -> dict[str, Any]:
    """Everything above for one run, as the report's `figures`."""
    return {
        "return_before_fees_pct": return_before_fees_pct(summary),
        **trade_figures(trips),
        **pair_extremes(by_pair(trips)),
        "calmar": calmar(summary.cagr_pct, summary.max_drawdown_pct),
        "drawdown": drawdown_period(points),
        "days": daily_results(points),
        "halts": halts,
    }
