"""Missing minutes in the venue's REST candles (EX-1, EX-2, S-1).

The venue leaves out minutes without trades, so the market-data service judges every REST
answer (start-up backfill with the daemon's own record, repairs after a stream gap) with
the one rule of `trader.core.gaps` before storing it. A hole judged missing data is asked
of the venue once more (a request for the hole's range alone); what it still lacks is not
taken as minutes without trades: listeners (the decision core) are told to start the
product's windows again after it (`subscribe`, before its later candles are stored), the
hole is counted (`trader_venue_data_errors_total{kind="missing_candles"}`) and named in one
`market_data_candles_missing` line (product, range, minutes). Holes in minutes the live
stream watched whole are trades not made and are not judged; they still enter each
product's quiet record (`observe`, every candle stored).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime

import structlog
from prometheus_client import Counter

from trader.core.gaps import GapRule, GapWatch, missing_holes
from trader.core.types import Candle
from trader.exchange.errors import ExchangeError

log = structlog.get_logger("trader.exchange")
Fetch = Callable[[str, int, int], Awaitable[list[Candle]]]
RestartListener = Callable[[str, int], None]  # (product, first start the windows begin at)


class CandleGaps:
    """One `GapWatch` per product, the second ask and the report of missing holes."""

    def __init__(self, rule: GapRule, product_ids: Iterable[str], errors: Counter) -> None:
        self.rule = rule
        self.watches = {p: GapWatch(rule) for p in product_ids}
        self._errors = errors
        self._listeners: list[RestartListener] = []

    def subscribe(self, listener: RestartListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def observe(self, candle: Candle) -> None:
        """A candle was stored (any source): the product's watch follows it."""
        watch = self.watches.get(candle.product_id)
        if watch is not None:
            watch.observe(candle.start)

    async def settle(
        self, product_id: str, end: int, candles: Sequence[Candle], fetch: Fetch
    ) -> list[Candle]:
        """The candles of an answer covering up to `end` (oldest first, after what was
        stored), with what a second ask for each missing hole brought; holes still
        missing are reported and their restarts announced."""
        watch = self.watches[product_id]
        holes = missing_holes(watch, (c.start for c in candles), end)
        if not holes:
            return list(candles)
        found = {c.start: c for c in candles}
        for lo, hi in holes:
            found.update((c.start, c) for c in await _ask_again(fetch, product_id, lo, hi))
        merged = [found[s] for s in sorted(found)]
        for lo, hi in missing_holes(watch, (c.start for c in merged), end):
            self._report(product_id, lo, hi)
            if hi == end:  # the answer's end: the next answer measures from there
                watch.resume(end)
        return merged

    def _report(self, product_id: str, lo: int, hi: int) -> None:
        self._errors.labels(kind="missing_candles").inc()
        log.warning(
            "market_data_candles_missing",
            product=product_id,
            start=_utc(lo),
            end=_utc(hi),
            minutes=(hi - lo) // 60,
            problem="the venue's candles lack this range, asked twice; not taken as minutes "
            "without trades: the product's windows start again after it (warm-up)",
        )
        for listener in list(self._listeners):
            listener(product_id, hi)


async def _ask_again(fetch: Fetch, product_id: str, lo: int, hi: int) -> list[Candle]:
    """The venue's candles of [lo, hi), asked once more; none when the ask fails."""
    try:
        return [c for c in await fetch(product_id, lo, hi) if lo <= c.start < hi]
    except ExchangeError as exc:
        log.warning("candle_gap_ask_failed", product=product_id, error=str(exc)[:200])
        return []


def _utc(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")
