"""The backtest report (BT-1): one JSON document, byte-identical for identical inputs.

Everything in it comes from the simulated clock, the data and the configuration: trades
(round trips from the recorded fills), fills, intents, fees, the equity and drawdown
series (one point an hour, the last of each hour; the statistics use every step), exposure
by product and by cluster, risk rejections by reason, the config hash and the data
fingerprint. Wall-clock times and file paths stay out of it (they go to stdout).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import orjson

from trader.backtest.figures import run_figures
from trader.backtest.runner import StepLog
from trader.backtest.stats import (
    EquityPoint,
    FillStat,
    RoundTrip,
    Summary,
    drawdown_series,
    summarize,
)
from trader.backtest.tables import (
    benchmark,
    by_entry_tag,
    by_exit_reason,
    by_pair,
    entries,
    open_positions,
)
from trader.config.universe import UniverseConfig
from trader.desk.record import json_default
from trader.state.strategy_results import (
    UNATTRIBUTED,
    FillRow,
    StrategyResult,
    results_of_fills,
)
from trader.universe.clusters import clusters_of

HOUR_S = 3600
PCT = Decimal("0.0001")
SORTED_INDENTED = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class RunInfo:
    data: str
    fingerprint: str
    config_hash: str
    start: int
    end: int
    warmup_s: int
    bar_seconds: int
    products: tuple[str, ...]
    quote_currency: str
    listed_at: dict[str, float]  # what the universe's listing-age filter counted from


def entry_tags(intents: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Intent id → the tag of the entry it works (a reprice inherits its parent's)."""
    tags: dict[str, str] = {}
    for intent in intents:
        tag = intent.get("tag") or tags.get(intent["parent_intent_id"] or "")
        if tag:
            tags[intent["intent_id"]] = tag
    return tags


def round_trips(
    fills: Sequence[dict[str, Any]],
    reasons: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> list[RoundTrip]:
    """Closed trades per product: from the first fill out of flat back to flat; `reasons`
    (intent id → why it was placed) names each trip's exit reason (its last sale's), `tags`
    (intent id → entry tag) its entry tag (its first buy's)."""
    open_: dict[str, dict[str, Any]] = {}
    trips: list[RoundTrip] = []
    for fill in fills:
        pid, size = fill["product_id"], Decimal(fill["size"])
        notional, fee = Decimal(fill["price"]) * size, Decimal(fill["fee"])
        trip = open_.setdefault(
            pid, {"at": fill["time"], "held": ZERO, "bought": ZERO, "sold": ZERO,
                  "cost": ZERO, "proceeds": ZERO, "fees": ZERO, "strategy": None,
                  "exit_reason": "", "tag": None},
        )  # fmt: skip
        trip["fees"] += fee
        trip["strategy"] = trip["strategy"] or fill.get("strategy")
        if fill["side"] == "BUY":
            trip["tag"] = trip["tag"] or (tags or {}).get(fill["intent_id"] or "")
            trip["held"] += size
            trip["bought"] += size
            trip["cost"] += notional
        else:
            trip["held"] -= size
            trip["sold"] += size
            trip["proceeds"] += notional
            trip["exit_reason"] = (reasons or {}).get(fill["intent_id"] or "", "")
        if trip["held"] <= 0 and trip["sold"] > 0:
            trips.append(_closed(pid, trip, fill["time"]))
            del open_[pid]
    return trips


def _closed(pid: str, trip: dict[str, Any], closed_at: float) -> RoundTrip:
    bought, sold = trip["bought"], trip["sold"]
    return RoundTrip(
        product_id=pid,
        opened_at=trip["at"],
        closed_at=closed_at,
        base_size=bought,
        entry_price=trip["cost"] / bought if bought else ZERO,
        exit_price=trip["proceeds"] / sold if sold else ZERO,
        fees=trip["fees"],
        pnl=trip["proceeds"] - trip["cost"] - trip["fees"],
        strategy=trip["strategy"] or UNATTRIBUTED,
        exit_reason=trip["exit_reason"],
        entry_tag=trip["tag"] or "",
    )


def fill_stats(fills: Sequence[dict[str, Any]]) -> list[FillStat]:
    return [
        FillStat(
            Decimal(f["fee"]), Decimal(f["price"]) * Decimal(f["size"]), f["liquidity"] == "MAKER"
        )
        for f in fills
    ]


def hourly(series: Sequence[tuple[int, Decimal]]) -> list[tuple[int, Decimal]]:
    """The last point of every hour (and the very last point)."""
    out: list[tuple[int, Decimal]] = []
    for index, (time, value) in enumerate(series):
        last = index == len(series) - 1
        if last or series[index + 1][0] // HOUR_S != time // HOUR_S:
            out.append((time, value))
    return out


def exposure(log: StepLog, universe: UniverseConfig, steps: int) -> dict[str, Any]:
    """Max and time-average of the marked position value, by product and by cluster."""
    by_product: dict[str, list[Decimal]] = {}
    by_cluster: dict[str, list[Decimal]] = {}
    names_of: dict[str, tuple[str, ...]] = {}  # a product's clusters, looked up once
    for _time, values in log.exposure:
        clusters: dict[str, Decimal] = {}
        for pid, value in values.items():
            by_product.setdefault(pid, []).append(value)
            names = names_of.get(pid)
            if names is None:
                names = names_of[pid] = clusters_of(pid, pid.split("-")[0], universe)
            for name in names:
                clusters[name] = clusters.get(name, ZERO) + value
        for name, value in clusters.items():
            by_cluster.setdefault(name, []).append(value)

    def summary(values: list[Decimal]) -> dict[str, Decimal]:
        return {"max": max(values), "mean": sum(values, ZERO) / max(steps, 1)}

    return {
        "by_product": {k: summary(v) for k, v in sorted(by_product.items())},
        "by_cluster": {k: summary(v) for k, v in sorted(by_cluster.items())},
    }


def fill_rows_of(fills: Sequence[dict[str, Any]]) -> list[FillRow]:
    """The report's fills as the rows the per-strategy booking reads."""
    return [
        FillRow(f["product_id"], f["side"], Decimal(f["price"]), Decimal(f["size"]),
                Decimal(f["fee"]), f.get("strategy") or UNATTRIBUTED)
        for f in fills
    ]  # fmt: skip


def by_strategy(
    log: StepLog, fills: Sequence[dict[str, Any]], trips: Sequence[RoundTrip]
) -> dict[str, dict[str, Any]]:
    """STR-5: each strategy's proposals, approvals, fills, volume, fees, realized PnL (at
    average cost), and its round trips: count, win rate, net PnL."""
    results = results_of_fills(fill_rows_of(fills))
    names = sorted(set(log.by_strategy) | set(results) | {t.strategy for t in trips})
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        own = [t for t in trips if t.strategy == name]
        result = results.get(name, StrategyResult())
        wins = sum(1 for t in own if t.pnl > 0)
        out[name] = {
            "proposals": log.by_strategy.get(name, [0, 0])[0],
            "approved": log.by_strategy.get(name, [0, 0])[1],
            "fills": result.fills,
            "volume": result.volume,
            "fees": result.fees,
            "realized_pnl": result.realized_pnl,
            "trades": len(own),
            "win_rate_pct": (Decimal(wins * 100) / len(own)).quantize(PCT) if own else None,
            "trades_pnl": sum((t.pnl for t in own), ZERO),
        }
    return out


def strategy_table(by: dict[str, dict[str, Any]], quote_currency: str) -> str:
    """STR-5: one line per strategy for the terminal."""
    lines = [f"{'Strategy':<16}{'proposals':>10}{'approved':>10}{'trades':>8}{'win %':>9}"
             f"{'realized ' + quote_currency:>18}{'fees':>14}"]  # fmt: skip
    for name, row in by.items():
        win = "-" if row["win_rate_pct"] is None else f"{row['win_rate_pct']:.1f}"
        lines.append(
            f"{name:<16}{row['proposals']:>10,}{row['approved']:>10,}{row['trades']:>8,}"
            f"{win:>9}{row['realized_pnl']:>18,.2f}{row['fees']:>14,.2f}"
        )
    return "\n".join(lines)


def build_report(
    info: RunInfo,
    log: StepLog,
    fills: list[dict[str, Any]],
    intents: list[dict[str, Any]],
    universe: UniverseConfig,
    closes: Mapping[str, tuple[Decimal, Decimal]] | None = None,
) -> tuple[dict[str, Any], Summary, list[EquityPoint]]:
    """`closes`: each product's first and last close in the window (the benchmark, and the
    marks of the positions open at the end)."""
    closes = closes or {}
    points = [EquityPoint(t, e) for t, e in log.equity]
    reasons = {i["intent_id"]: i["reason"] or i["purpose"] for i in intents}
    trips = round_trips(fills, reasons, entry_tags(intents))
    summary = summarize(points, trips, fill_stats(fills))
    fees = {
        kind: sum((Decimal(f["fee"]) for f in fills if f["liquidity"] == kind), ZERO)
        for kind in ("MAKER", "TAKER")
    }
    report = {
        "run": asdict(info),
        "summary": asdict(summary),
        "decisions": {
            "steps": log.steps,
            "bars": log.bars,
            "proposals": log.proposals,
            "approved": log.approved,
            "exits": log.exits,
            "halts": [{"time": t, "reason": r} for t, r in log.halts],
        },
        "risk_rejections": dict(sorted(log.rejections.items())),
        "fees": {"total": sum(fees.values(), ZERO), "maker": fees["MAKER"], "taker": fees["TAKER"]},
        "trades": [asdict(t) for t in trips],
        "fills": fills,
        "intents": intents,
        "equity_hourly": hourly(log.equity),
        "drawdown_pct_hourly": [(t, d.quantize(PCT)) for t, d in hourly(drawdown_series(points))],
        "exposure": exposure(log, universe, log.steps),
        "by_strategy": by_strategy(log, fills, trips),
        "by_pair": by_pair(trips),
        "by_exit_reason": by_exit_reason(trips),
        "by_entry_tag": by_entry_tag(trips),
        "figures": run_figures(summary, points, trips, len(log.halts)),
        "benchmark": benchmark(closes),
        "open_positions": open_positions(
            fill_rows_of(fills), {p: last for p, (_, last) in closes.items()}
        ),
        "entries": entries(intents),
    }
    return report, summary, points


def report_json(report: dict[str, Any]) -> bytes:
    return orjson.dumps(report, default=json_default, option=SORTED_INDENTED) + b"\n"
