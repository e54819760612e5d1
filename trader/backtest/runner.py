"""The backtest loop (BT-1): recorded bars through the live pipeline on a simulated clock.

For each bar time `t` (every product's bar starting at `t`), in order:
1. the clock is set to `t`; each product's touch becomes its bar's opening book (the
   simulated venue's synthetic book, or the recorded bid/ask where the set has one);
2. from the backtest's start on, one step of the trading cycle the daemon runs
   (`desk/cycle.py`: inputs → decide → record → act through the order desk);
3. products with own orders working or a position held walk their bar's path inside the
   paper exchange (the bar fill model, `fills.py`): trades at its corners, the touch at
   every point, the exit check the daemon runs between cycles wherever a position is held;
   own-order events go to the tracker, and the order manager's timers run on the same
   clock. A held product whose bar can only move the clock (no own order on it, no exit
   possible in the bar) has its points before the close passed: their prints take their
   trade ids and expire orders at their times; the close is visited in full;
4. at `t + bar` the bar itself is closed and fed to the candle store, the triggers and the
   strategies' timeframes — never earlier, and never cut into synthetic shorter candles
   (the triggers' timeframe is the data's bar or built from whole bars).
Bars before the start only warm the triggers and the 24 h volume up. Positions, orders,
cooldowns and counters live in the scratch SQLite file exactly as in PAPER; they are read
back only after a write there or a move of the paper balances (`desk/state_source.py`).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from trader.backtest.feed import merged_slots, recorded_top, rows_between, slot_opening
from trader.backtest.fills import Level, Levels, PathPoint, PathWalker, touch_bid
from trader.backtest.market import ticker
from trader.backtest.session import Session
from trader.core.market import ProductMarket
from trader.core.portfolio import Position
from trader.core.types import Candle, ProductRules, Quote
from trader.desk.cycle import products_to_trade
from trader.exchange.models import MarketTrade, OrderEvent, TradesEvent
from trader.pipeline.decide import DecisionStep
from trader.risk.exits import exit_within, stop_price, target_price

ZERO: Final = Decimal(0)


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
        # the session's parts read at every point of every bar, held here (compiled: a
        # field read instead of an attribute lookup on the session)
        self.dataset = session.dataset
        self.market = session.market
        self.paper = session.paper
        self.desk = session.desk
        self.fills = session.fills
        self.cycle = session.cycle
        self.state = session.state
        self.clock = session.clock
        self.policy = session.loaded.policy
        # False: every point of every walk visited in full (what passing quiet walks'
        # points is tested against)
        self.pass_quiet = True
        self.passed = 0  # points passed so far

    def total_bars(self) -> int:
        first = self.start - self.warmup_s
        ranges = (rows_between(s.starts, first, self.end) for s in self.s.dataset.series.values())
        return sum(high - low for low, high in ranges)

    async def run(self, progress: Callable[[int], None] = lambda _done: None) -> StepLog:
        dataset, market, fills = self.dataset, self.market, self.fills
        for t, bars in merged_slots(dataset, self.start - self.warmup_s, self.end):
            self.clock.now = float(t)
            for bar in bars:
                market.set_quote(slot_opening(dataset, fills, bar))
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
        cycle = self.cycle
        step = cycle.decide(await cycle.inputs(float(t)))
        self._observe(t, step)
        cycle_id = f"bt-{t}"
        ids = await cycle.record(cycle_id, step)
        trading = products_to_trade(step)
        for pid in sorted(trading):  # the paper exchange's book of each product it trades
            quote = self.market.quote(pid)
            if quote is not None:
                self.paper.apply_market_event(ticker(quote))
        await cycle.act(step, cycle_id, ids)
        for pid in sorted(cycle.core.exit_confirmation.pending):  # R-2, see `_read_again`
            quote = self.market.quote(pid)
            if quote is not None:
                self.paper.apply_market_event(ticker(quote))
                await self._read_again(quote)
                trading.add(pid)
        return trading

    def _held(self) -> Mapping[str, Position] | None:
        """The positions the state source knows without reading the file, else None (then
        `_read_positions`): no coroutine at every point of a walk."""
        return self.state.known_positions()

    async def _read_positions(self) -> Mapping[str, Position]:
        """The positions read from the file alone (`_held` found none known): a write in
        the middle of a walk does not make the whole pair be read before the next step."""
        return await self.state.positions()

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
        if positions:  # each position at its bid (at its cost where the step has no quote)
            products = step.inputs.market.products
            held = {p: pos.base_size * _mark(products.get(p), pos) for p, pos in positions.items()}
            log.exposure.append((t, held))

    # -- the bar's path: working orders fill, held positions are watched -----------------
    async def _replay_orders(self, t: int, bars: list[Candle], traded: set[str]) -> None:
        paper = self.paper
        positions = self._held()
        if positions is None:
            positions = await self._read_positions()
        walked = set(paper.engine.open_products()) | set(positions)
        if not walked:
            if self._pending():
                await self._drain()
            return
        heap: list[tuple[float, int, str]] = []
        walks: dict[str, _Walk] = {}
        for rank, bar in enumerate(sorted(bars, key=lambda b: b.product_id)):
            pid = bar.product_id
            if pid not in walked:
                continue
            opening = self.market.quote(pid)
            if opening is not None and pid not in traded:  # the paper book at the open
                paper.apply_market_event(ticker(opening))
            walk = walks[pid] = self._walk(bar, t, positions.get(pid))
            await self._push(heap, rank, walk)
        while heap:
            _time, rank, pid = heapq.heappop(heap)
            walk = walks[pid]
            await self._visit(walk)
            await self._push(heap, rank, walk)
        self.clock.now = float(t + self.bar_s)
        paper.engine.expire_orders(self.clock.now)
        if self._pending():
            await self._drain()

    def _walk(self, bar: Candle, t: int, position: Position | None) -> _Walk:
        top = recorded_top(self.dataset, bar.product_id, t)
        spread = self.fills.bar_spread(bar, top)
        low_first = False
        if position is not None:  # both exits inside the bar: the stop comes first
            target = target_price(position, self.policy)
            stop = stop_price(position, self.policy)
            low_first = target is not None and bar.low <= stop and target <= bar.high
        rules = self.dataset.rules[bar.product_id]
        walker = PathWalker(
            bar, float(t), float(self.bar_s), rules.quote_increment, low_first=low_first
        )
        fills = self.fills
        sizes = fills.trade_size(walker, rules), fills.level_size(bar, rules)
        walk = _Walk(walker, rules, spread, *sizes)
        if position is not None and self.pass_quiet:
            walk.exits = (position, self._exit_levels(position, spread))
            walk.quiet = self._quiet_levels(walk, position, float(t + self.bar_s))
        return walk

    def _quiet_levels(self, walk: _Walk, position: Position, end: float) -> Levels | None:
        """The levels of a held product's walk whose points can only move the clock (then
        they are passed, `_pass`), else None. So it is when no own order works on the
        product (none can start before the bar's end but through its exit), its path
        crosses no exit level (it stops at its corners alone, whose bids lie between the
        touches at the bar's low and high: the touch rounds a price's bid down to the
        grid), and no exit can be due at any of those bids before the bar's end."""
        pid = walk.product_id
        if self.paper.engine.working_on(pid) or any(
            entry.product_id == pid for entry in self.desk.manager.working.values()
        ):
            return None
        bar = walk.walker.bar
        assert walk.exits is not None
        stops, targets = walk.exits[1]
        if any(p >= bar.low for p, _ in stops) or any(p <= bar.high for p, _ in targets):
            return None
        low = touch_bid(walk.rules, bar.low, walk.spread)
        high = touch_bid(walk.rules, bar.high, walk.spread)
        if exit_within(position, low, high, end, self.policy):
            return None
        return Levels(stops, targets)

    async def _push(self, heap: list[tuple[float, int, str]], rank: int, walk: _Walk) -> None:
        """The walk's next point for the product's levels now, into the time order."""
        if walk.quiet is not None:  # the same levels all bar (`_quiet_levels`)
            walk.next = walk.walker.peek(walk.quiet)
            if walk.next is not None:
                heapq.heappush(heap, (walk.next.time, rank, walk.product_id))
            return
        pid = walk.product_id
        held = self._held()
        if held is None:
            held = await self._read_positions()
        position = held.get(pid)
        exits = walk.exits
        if exits is None or exits[0] is not position:  # the same position: the same levels
            exits = walk.exits = (position, self._exit_levels(position, walk.spread))
        stops, targets = exits[1]
        bids, asks = self.paper.engine.resting_prices(pid)
        walk.next = walk.walker.peek(Levels(stops, targets, bids, asks))
        if walk.next is not None:
            heapq.heappush(heap, (walk.next.time, rank, walk.product_id))

    def _exit_levels(
        self, position: Position | None, spread: Decimal
    ) -> tuple[list[Level], list[Level]]:
        stop = target = None
        if position is not None:
            stop = stop_price(position, self.policy)
            target = target_price(position, self.policy)
        return self.fills.exit_levels(stop, target, spread)

    async def _visit(self, walk: _Walk) -> None:
        """One point: its trade (at a corner), the touch around it, the own-order events,
        then the exit check the daemon runs between cycles (R-2)."""
        paper = self.paper
        point = walk.next
        assert point is not None
        walk.walker.take(point)
        self.clock.now = point.time
        if walk.quiet is not None and not walk.walker.done:
            await self._pass(walk, point)
            return
        quote = self.fills.at_point(walk.rules, point, walk.spread, walk.level_size)
        if point.trade and walk.trade_size > ZERO:
            paper.apply_market_event(self._trade(walk, point))
        self.market.set_quote(quote)
        paper.apply_market_event(ticker(quote, point.price))
        if self._pending():
            await self._drain()
        held = self._held()
        if held is None:
            held = await self._read_positions()
        if walk.product_id in held:
            await self.cycle.exits_between_cycles(point.time, (walk.product_id,))
            if walk.product_id in self.cycle.core.exit_confirmation.pending:
                await self._read_again(quote)
            if self._pending():
                await self._drain()

    async def _read_again(self, quote: Quote) -> None:
        """A price exit read off an outlier waits for a fresher quote (R-2). The bars hold
        no glitch and the path is continuous: the instant after the point the touch is
        still there, a fresh quote the exit check reads as the daemon reads the next
        ticker."""
        pid, later = quote.product_id, math.nextafter(quote.time, math.inf)
        self.clock.now = later
        self.market.set_quote(
            Quote(pid, quote.bid, quote.bid_size, quote.ask, quote.ask_size, later)
        )
        await self.cycle.exits_between_cycles(later, (pid,))

    async def _pass(self, walk: _Walk, point: PathPoint) -> None:
        """A point of a quiet walk (`_quiet_levels`) before its last: what its visit leaves
        behind. Its print takes its trade id and expires the orders due by its time (the
        paper venue's first step on a print; it fills nothing here); the touch, quote and
        last price it shows only the product's own orders and exits read, and the walk's
        last point, visited in full, shows them again before the next read."""
        self.passed += 1
        if point.trade and walk.trade_size > ZERO:
            self._print(walk, point)
            self.paper.engine.expire_orders(point.time)
        if self._pending():
            await self._drain()

    def _trade(self, walk: _Walk, point: PathPoint) -> TradesEvent:
        trade_id, side = self._print(walk, point)
        trade = MarketTrade(
            walk.product_id, str(trade_id), point.price, walk.trade_size, side, point.time
        )
        return TradesEvent([trade], snapshot=False)

    def _print(self, walk: _Walk, point: PathPoint) -> tuple[int, str]:
        """The trade id and aggressor side of the print at `point`."""
        pid = walk.product_id
        trade_id = self._trade_ids.get(pid, 1)
        self._trade_ids[pid] = trade_id + 1
        side = "BUY" if walk.last_price is None or point.price >= walk.last_price else "SELL"
        walk.last_price = point.price
        return trade_id, side

    def _pending(self) -> bool:
        """Own-order events wait, or an order is worked: `_drain` has something to do."""
        return self.paper.events_waiting() or bool(self.desk.manager.working)

    async def _drain(self) -> None:
        """Own-order events into the tracker; the order manager's timers on the clock."""
        desk = self.desk
        events = self.paper.drain_events()
        for event in events:
            if isinstance(event, OrderEvent):
                await desk.tracker.on_order_event(event)
        if desk.manager.working:
            await desk.manager.tick()

    # -- the bar closes ------------------------------------------------------------------
    def _close(self, bars: list[Candle]) -> None:
        market, core, fills = self.market, self.s.core, self.fills
        for bar in bars:
            market.add_candle(bar)
            core.on_candle(bar)
            fills.closed(bar)


def _mark(market: ProductMarket | None, position: Position) -> Decimal:
    """What a unit of the position is marked at: the bid, else its average cost."""
    quote = None if market is None else market.quote
    return position.avg_cost if quote is None else quote.bid


@dataclass(init=False)
class _Walk:
    """One product's walk through its bar, with what its points need (one per product and
    walked bar: its `__init__` is written out, which mypyc builds natively)."""

    walker: PathWalker
    rules: ProductRules
    spread: Decimal
    trade_size: Decimal
    level_size: Decimal  # at the touch and each deeper level, at every point
    next: PathPoint | None
    last_price: Decimal | None
    # the position the exit levels were worked out for (the cached state pair's own object
    # until the state is read again) and those levels
    exits: tuple[Position | None, tuple[list[Level], list[Level]]] | None
    quiet: Levels | None  # the walk's levels all bar when its points are passed, else None

    def __init__(
        self,
        walker: PathWalker,
        rules: ProductRules,
        spread: Decimal,
        trade_size: Decimal,
        level_size: Decimal,
    ) -> None:
        self.walker = walker
        self.rules = rules
        self.spread = spread
        self.trade_size = trade_size
        self.level_size = level_size
        self.next = None
        self.last_price = None
        self.exits = None
        self.quiet = None

    @property
    def product_id(self) -> str:
        return self.rules.product_id
