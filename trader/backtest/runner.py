"""The backtest loop (BT-1): recorded bars through the live pipeline on a simulated clock.

For each bar time `t` (every product's bar starting at `t`), in order:
1. the clock is set to `t`; each product's touch becomes its bar's opening book (the
   simulated venue's synthetic book, or the recorded bid/ask where the set has one);
2. from the backtest's start on, one step of the trading cycle the daemon runs
   (`desk/cycle.py`: inputs → decide → record → act through the order desk);
3. products with own orders working replay their bar inside the paper exchange: the
   venue's intra-bar trade path, each trade followed by the touch around it; own-order
   events go to the tracker, and the order manager's timers run on the same clock;
4. at `t + bar` the bar's 1-minute candles (a 5-minute bar split as the venue splits it)
   are closed and fed to the candle store and the triggers — never earlier.
Bars before the start only warm the triggers and the 24 h volume up. Positions, orders,
cooldowns and counters live in the scratch SQLite file exactly as in PAPER; they are read
back only after something could have changed there (`desk/state_source.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from trader.backtest.feed import closing_candles, merged_slots, rows_between, slot_opening
from trader.backtest.market import slot_events, ticker
from trader.backtest.session import Session
from trader.core.types import Candle
from trader.desk.cycle import products_to_trade
from trader.exchange.models import OrderEvent, TickerEvent, TradesEvent
from trader.pipeline.decide import DecisionStep


@dataclass
class StepLog:
    """What the report needs from each decision step (kept in memory, small)."""

    equity: list[tuple[int, Decimal]] = field(default_factory=list)
    exposure: list[tuple[int, dict[str, Decimal]]] = field(default_factory=list)
    rejections: dict[str, int] = field(default_factory=dict)
    proposals: int = 0
    approved: int = 0
    exits: int = 0
    halts: list[tuple[float, str]] = field(default_factory=list)
    steps: int = 0
    bars: int = 0
    # STR-5: strategy -> [proposals, approved]
    by_strategy: dict[str, list[int]] = field(default_factory=dict)


class Runner:
    def __init__(self, session: Session, start: int, end: int, warmup_s: int) -> None:
        self.s = session
        self.start = start
        self.end = end
        self.warmup_s = warmup_s
        self.bar_s = session.dataset.bar_seconds
        self.log = StepLog()
        self._trade_ids: dict[str, int] = {}

    def total_bars(self) -> int:
        first = self.start - self.warmup_s
        ranges = (rows_between(s.starts, first, self.end) for s in self.s.dataset.series.values())
        return sum(high - low for low, high in ranges)

    async def run(self, progress: Callable[[int], None] = lambda _done: None) -> StepLog:
        for t, bars in merged_slots(self.s.dataset, self.start - self.warmup_s, self.end):
            self.s.clock.now = t
            for bar in bars:
                self.s.market.set_quote(slot_opening(self.s.dataset, bar, t))
            if t >= self.start:
                traded = await self._decide(t)
                await self._replay_orders(t, bars, traded)
            else:
                self.s.core.triggers.advance(t)
            self._close(bars)
            self.log.bars += len(bars)
            progress(self.log.bars)
        return self.log

    # -- one step of the trading cycle, as the daemon runs it ---------------------------
    async def _decide(self, t: int) -> set[str]:
        s = self.s
        cycle = s.cycle
        step = cycle.decide(await cycle.inputs(float(t)))
        self._observe(t, step)
        cycle_id = f"bt-{t}"
        ids = await cycle.record(cycle_id, step)
        trading = products_to_trade(step)
        for pid in sorted(trading):  # the paper exchange's book of each product it trades
            quote = s.market.quote(pid)
            if quote is not None:
                s.paper.apply_market_event(ticker(quote))
        await cycle.act(step, cycle_id, ids)
        return trading

    def _observe(self, t: int, step: DecisionStep) -> None:
        log = self.log
        log.steps += 1
        log.equity.append((t, step.equity))
        log.proposals += len(step.proposals)
        log.approved += len(step.approved)
        log.exits += len(step.exits)
        for proposal in step.proposals:
            log.by_strategy.setdefault(proposal.strategy_id, [0, 0])[0] += 1
        for verdict in step.approved:
            log.by_strategy.setdefault(verdict.proposal.strategy_id, [0, 0])[1] += 1
        if step.halt is not None:
            log.halts.append((float(t), step.halt.breach.reason.value))
        for verdict in step.verdicts:
            for reason in verdict.reasons:
                log.rejections[reason.value] = log.rejections.get(reason.value, 0) + 1
        positions = step.inputs.portfolio.positions
        if positions:
            marks = {p: pm.quote.bid for p, pm in step.inputs.market.products.items() if pm.quote}
            log.exposure.append(
                (t, {p: pos.base_size * marks.get(p, pos.avg_cost) for p, pos in positions.items()})
            )

    # -- working orders meet the bar -----------------------------------------------------
    async def _replay_orders(self, t: int, bars: list[Candle], traded: set[str]) -> None:
        s = self.s
        working = set(s.paper.engine.open_products())
        if not working:
            await self._drain()
            return
        by_product = {b.product_id: b for b in bars}
        events: list[tuple[float, int, int, TickerEvent | TradesEvent]] = []
        for rank, pid in enumerate(sorted(working)):
            bar = by_product.get(pid)
            if bar is None:
                continue
            top = s.dataset.tops.get(pid, {}).get(t)
            opening = s.market.quote(pid)
            if opening is not None and opening.time == t and pid not in traded:
                events.append((float(t), rank, -1, ticker(opening)))
            first = self._trade_ids.get(pid, 1)
            found = slot_events(bar, s.dataset.rules[pid], float(t), float(self.bar_s), first, top)
            self._trade_ids[pid] = first + len(found)
            events.extend((_time(e), rank, i, e) for i, e in enumerate(found))
        for when, _rank, _i, event in sorted(events, key=lambda item: item[:3]):
            s.clock.now = when
            s.paper.apply_market_event(event)
            if isinstance(event, TickerEvent):
                s.market.set_quote(event.to_quote())
            await self._drain()
        s.clock.now = float(t + self.bar_s)
        s.paper.engine.expire_orders(s.clock.now)
        await self._drain()
        s.cycle.state.changed()

    async def _drain(self) -> None:
        """Own-order events into the tracker; the order manager's timers on the clock."""
        s = self.s
        for event in s.paper.drain_events():
            if isinstance(event, OrderEvent):
                await s.desk.tracker.on_order_event(event)
        if s.desk.manager.working:
            await s.desk.manager.tick()
            s.cycle.state.changed()

    # -- the bar closes ------------------------------------------------------------------
    def _close(self, bars: list[Candle]) -> None:
        s = self.s
        for bar in bars:
            for candle in closing_candles(s.dataset, bar):
                s.market.add_candle(candle)
                s.core.on_candle(candle)


def _time(event: TickerEvent | TradesEvent) -> float:
    return event.time if isinstance(event, TickerEvent) else event.trades[0].time
