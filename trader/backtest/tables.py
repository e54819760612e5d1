"""The tables a trader acts on (BT-4): results per pair, exit reason and entry tag, the benchmark
over the same window, the positions still open at the end, and how entries fared.

All money is Decimal and exact in the report; the terminal rounds (`tables_text`).
Benchmarks: equal-weight buy-and-hold of the products in the run (each bought at its first
close in the window, valued at its last), and BTC-USD alone when the set has it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from trader.backtest.stats import RoundTrip
from trader.state.strategy_results import FillRow, holdings_after

ZERO = Decimal(0)
PCT = Decimal("0.0001")
CENT = Decimal("0.01")
BENCHMARK_PRODUCT = "BTC-USD"


def _group(trips: Iterable[RoundTrip], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[RoundTrip]] = {}
    for trip in trips:
        groups.setdefault(str(getattr(trip, key)) or "-", []).append(trip)
    return {name: _trip_stats(own) for name, own in sorted(groups.items())}


def _trip_stats(trips: Sequence[RoundTrip]) -> dict[str, Any]:
    wins = sum(1 for t in trips if t.pnl > 0)
    return {
        "trades": len(trips),
        "wins": wins,
        "win_rate_pct": (Decimal(wins * 100) / len(trips)).quantize(PCT),
        "pnl": sum((t.pnl for t in trips), ZERO),
        "fees": sum((t.fees for t in trips), ZERO),
        "best": max(t.pnl for t in trips),
        "worst": min(t.pnl for t in trips),
    }


def by_pair(trips: Sequence[RoundTrip]) -> dict[str, dict[str, Any]]:
    return _group(trips, "product_id")


def by_exit_reason(trips: Sequence[RoundTrip]) -> dict[str, dict[str, Any]]:
    return _group(trips, "exit_reason")


def by_entry_tag(trips: Sequence[RoundTrip]) -> dict[str, dict[str, Any]]:
    return _group(trips, "entry_tag")


def benchmark(closes: Mapping[str, tuple[Decimal, Decimal]]) -> dict[str, Any]:
    """`closes`: product → (first close, last close) over the window."""
    changes = {
        pid: (last / first - 1) * 100 for pid, (first, last) in sorted(closes.items()) if first > 0
    }
    equal_weight = sum(changes.values(), ZERO) / len(changes) if changes else None
    btc = changes.get(BENCHMARK_PRODUCT)
    return {
        "equal_weight_buy_and_hold_pct": None
        if equal_weight is None
        else equal_weight.quantize(PCT),
        "btc_buy_and_hold_pct": None if btc is None else btc.quantize(PCT),
        "change_by_product_pct": {pid: c.quantize(PCT) for pid, c in changes.items()},
    }


def open_positions(
    fills: Iterable[FillRow], marks: Mapping[str, Decimal]
) -> dict[str, dict[str, Any]]:
    """Products still held after the last fill: size, average cost (fees in), the last close
    and the unrealized PnL at it."""
    out: dict[str, dict[str, Any]] = {}
    for pid, (held, cost) in holdings_after(fills).items():
        mark = marks.get(pid)
        out[pid] = {
            "base_size": held,
            "average_cost": cost / held,
            "mark": mark,
            "unrealized_pnl": None if mark is None else mark * held - cost,
        }
    return out


def entries(intents: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Entry orders: how many were placed (first attempts), how many chains filled at all
    (the first attempt or a reprice), how many attempts expired unfilled."""
    chains: dict[str, bool] = {}
    parent: dict[str, str] = {}
    for intent in intents:
        if intent["purpose"] not in ("entry", "reprice"):
            continue
        root = parent.get(intent["parent_intent_id"] or "", intent["intent_id"])
        parent[intent["intent_id"]] = root
        filled = Decimal(intent["filled_size"] or 0) > 0
        chains[root] = chains.get(root, False) or filled
    first = [i for i in intents if i["purpose"] == "entry"]
    first_filled = sum(1 for i in first if Decimal(i["filled_size"] or 0) > 0)
    expired = sum(
        1 for i in intents if i["purpose"] in ("entry", "reprice") and i["state"] == "EXPIRED"
    )
    return {
        "placed": len(first),
        "first_attempt_filled": first_filled,
        "chains_filled": sum(chains.values()),
        "fill_rate_pct": (Decimal(sum(chains.values()) * 100) / len(chains)).quantize(PCT)
        if chains
        else None,
        "attempts_expired": expired,
    }


def _cents(value: Decimal | None) -> str:
    return "-" if value is None else f"{value.quantize(CENT, rounding=ROUND_HALF_EVEN):,f}"


def tables_text(report: Mapping[str, Any], quote_currency: str) -> str:
    """The pair and exit-reason tables, the benchmark and the entries, rounded for a
    terminal."""
    sections = ("by_pair", "by_exit_reason", "by_entry_tag")
    width = max([20, *(len(name) + 2 for section in sections for name in report[section])])
    head = "Pair / exit / entry tag"
    lines = [f"{head:<{width}}{'trades':>8}{'win %':>9}{'PnL ' + quote_currency:>16}"]
    for section in sections:
        for name, row in report[section].items():
            lines.append(
                f"{name:<{width}}{row['trades']:>8,}{_cents(row['win_rate_pct']):>9}"
                f"{_cents(row['pnl']):>16}"
            )
        lines.append("")
    bench, made = report["benchmark"], report["entries"]
    lines.append(
        f"Benchmark: equal-weight buy-and-hold {_cents(bench['equal_weight_buy_and_hold_pct'])}%"
        f", BTC {_cents(bench['btc_buy_and_hold_pct'])}%"
    )
    lines.append(
        f"Entries: {made['placed']:,} placed, {made['first_attempt_filled']:,} filled at the "
        f"first attempt, fill rate {_cents(made['fill_rate_pct'])}%, "
        f"{made['attempts_expired']:,} attempts expired; open at the end: "
        f"{len(report['open_positions'])}"
    )
    lines.extend(figures_text(report["figures"], quote_currency))
    return "\n".join(lines)


def _stamp(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M")


def _hours(seconds: Decimal | int | None) -> str:
    return "-" if seconds is None else f"{Decimal(seconds) / 3600:.1f} h"


def _named(entry: Mapping[str, Any] | None) -> str:
    return "-" if entry is None else f"{entry['product_id']} {_cents(entry['pnl'])}"


def figures_text(figures: Mapping[str, Any], quote_currency: str) -> list[str]:
    """The run's figures (BT-4), rounded for a terminal."""
    dd, days = figures["drawdown"], figures["days"]
    return [
        f"Return before fees {_cents(figures['return_before_fees_pct'])}%",
        f"Profit factor {_cents(figures['profit_factor'])}, expectancy "
        f"{_cents(figures['expectancy'])} {quote_currency} per trade, SQN "
        f"{_cents(figures['sqn'])}, Calmar {_cents(figures['calmar'])}",
        f"Max drawdown {_cents(dd['max_pct'])}% from {_stamp(dd['start'])} to "
        f"{_stamp(dd['bottom'])}, recovered {_stamp(dd['end'])} ({_hours(dd['duration_s'])})",
        f"Best pair {_named(figures['best_pair'])}, worst {_named(figures['worst_pair'])}; "
        f"best trade {_named(figures['best_trade'])}, worst {_named(figures['worst_trade'])}",
        f"Average hold: winners {_hours(figures['avg_duration_winners_s'])}, losers "
        f"{_hours(figures['avg_duration_losers_s'])}; most losses in a row "
        f"{figures['max_consecutive_losses']}",
        f"Days won / drawn / lost: {days['wins']} / {days['draws']} / {days['losses']}; "
        f"halts: {figures['halts']}",
    ]


def figure_rows(report: Mapping[str, Any], quote_currency: str) -> list[tuple[str, str]]:
    """The benchmark, the run's figures and its entries as (label, value) rows."""
    bench, fig, made = report["benchmark"], report["figures"], report["entries"]
    dd, days = fig["drawdown"], fig["days"]
    return [
        ("Return before fees", f"{_cents(fig['return_before_fees_pct'])}%"),
        ("Buy and hold, equal weight", f"{_cents(bench['equal_weight_buy_and_hold_pct'])}%"),
        ("Buy and hold, BTC", f"{_cents(bench['btc_buy_and_hold_pct'])}%"),
        ("Profit factor", _cents(fig["profit_factor"])),
        ("Expectancy", f"{_cents(fig['expectancy'])} {quote_currency}"),
        ("SQN", _cents(fig["sqn"])),
        ("Calmar", _cents(fig["calmar"])),
        ("Drawdown from / to", f"{_stamp(dd['start'])} / {_stamp(dd['bottom'])}"),
        ("Drawdown lasted", _hours(dd["duration_s"])),
        ("Best / worst pair", f"{_named(fig['best_pair'])} / {_named(fig['worst_pair'])}"),
        ("Most losses in a row", str(fig["max_consecutive_losses"])),
        ("Days won / drawn / lost", f"{days['wins']} / {days['draws']} / {days['losses']}"),
        ("Entry fill rate", f"{_cents(made['fill_rate_pct'])}%"),
        ("Entry attempts expired", f"{made['attempts_expired']:,}"),
        ("Halts", str(fig["halts"])),
    ]
