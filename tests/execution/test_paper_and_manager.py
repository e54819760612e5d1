"""X-6 paper fills that do not flatter; X-2 maker-first entries with TTL and reprices."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.exchange.support import adapter
from tests.execution.support import execution_stack, quiet_venue
from trader.core.clock import wall_clock
from trader.core.orders import OrderKind, OrderRequest
from trader.core.types import FeeRates, ProductRules, Side
from trader.exchange.models import BookEvent, MarketTrade, OrderAccepted, TickerEvent, TradesEvent
from trader.execution.intents import IntentState, Purpose
from trader.execution.manager import ExecutionPolicy, OrderManager
from trader.execution.paper import PaperExchange
from trader.sim.venue import SimVenue

D = Decimal
RULES = ProductRules(
    "BTC-USD",
    "BTC",
    "USD",
    D("0.00000001"),
    D("0.01"),
    D("0.00000001"),
    D("1000"),
    D("1"),
    D("10000000"),
)
FEES = FeeRates(maker=D("0.004"), taker=D("0.006"))


async def _paper(venue: SimVenue):
    async with adapter(venue) as inner:
        paper = PaperExchange(
            inner,
            [RULES],
            {"USD": D("100000")},
            FEES,
            latency_s=0.0,
            depth_levels=2,
            step_bps=D(10),
            clock=wall_clock,
        )
        yield paper


def _ticker(bid: str, ask: str, size: str = "0.5") -> TickerEvent:
    return TickerEvent("BTC-USD", D(bid), D(bid), D(size), D(ask), D(size), 1.0)


def _print(price: str, size: str, trade_id: str) -> TradesEvent:
    return TradesEvent([MarketTrade("BTC-USD", trade_id, D(price), D(size), "SELL", 2.0)], False)


async def test_x6_paper_limit_fills_only_when_trades_print_through_the_price():
    async with SimVenue(quiet_venue(), clock=wall_clock) as venue:
        async for paper in _paper(venue):
            paper.apply_market_event(_ticker("100.00", "100.10"))  # bids 100.00, 99.90, 99.80
            req = OrderRequest(
                "p-1",
                "BTC-USD",
                Side.BUY,
                OrderKind.LIMIT_GTC,
                base_size=D("1"),
                limit_price=D("99.80"),
                post_only=True,
            )
            accepted = await paper.create_order(req)
            assert isinstance(accepted, OrderAccepted)
            paper.apply_market_event(_print("99.85", "5", "t1"))  # above our price: no fill
            paper.apply_market_event(_print("99.80", "0.1", "t2"))  # at price: 0.5 queued ahead
            order = await paper.get_order(accepted.order_id)
            assert order.filled_size == 0
            paper.apply_market_event(_print("99.70", "0.4", "t3"))  # through: partial fill
            order = await paper.get_order(accepted.order_id)
            assert order.filled_size == D("0.4") and order.status == "OPEN"
            fills = await paper.fills(order_ids=[accepted.order_id])
            assert [f.price for f in fills] == [D("99.80")]
            assert fills[0].commission == D("99.80") * D("0.4") * FEES.maker
            break


async def test_x6_paper_market_order_walks_the_book_and_pays_taker_fee():
    async with SimVenue(quiet_venue(), clock=wall_clock) as venue:
        async for paper in _paper(venue):
            paper.apply_market_event(
                BookEvent(
                    "BTC-USD",
                    True,
                    [
                        ("bid", D("99.90"), D("1")),
                        ("offer", D("100.00"), D("0.3")),
                        ("offer", D("100.50"), D("0.3")),
                        ("offer", D("101.00"), D("5")),
                    ],
                )
            )
            req = OrderRequest("p-2", "BTC-USD", Side.BUY, OrderKind.MARKET_IOC, base_size=D("1"))
            accepted = await paper.create_order(req)
            assert isinstance(accepted, OrderAccepted)
            order = await paper.get_order(accepted.order_id)
            assert order.filled_size == D("1") and order.status == "FILLED"
            expected_value = (
                D("0.3") * D("100.00") + D("0.3") * D("100.50") + D("0.4") * D("101.00")
            )
            assert order.filled_value == expected_value  # worse than the touch: it walked
            assert order.total_fees == expected_value * FEES.taker
            events = []
            async with asyncio.timeout(2):
                async for event in paper.user_stream():
                    events.append(event)
                    if event.status == "FILLED":
                        break
            assert events[-1].cumulative_quantity == D("1")
            break


async def test_x6_paper_touch_only_book_does_not_fill_beyond_its_depth_model():
    async with SimVenue(quiet_venue(), clock=wall_clock) as venue:
        async for paper in _paper(venue):
            paper.apply_market_event(_ticker("100.00", "100.10", size="0.1"))
            req = OrderRequest("p-3", "BTC-USD", Side.BUY, OrderKind.MARKET_IOC, base_size=D("1"))
            accepted = await paper.create_order(req)
            order = await paper.get_order(accepted.order_id)
            assert order.filled_size == D("0.3")  # touch + 2 modelled levels of 0.1 each
            assert order.status == "CANCELLED"  # IOC remainder cancelled, never invented
            assert order.average_filled_price > D("100.10")
            break


async def test_x2_entry_rests_post_only_at_the_touch_then_reprices_after_ttl(tmp_path):
    async with execution_stack(tmp_path) as s:
        quote = lambda pid: s.venue.engine.quote(pid)  # noqa: E731
        rules = lambda pid: s.venue.engine.product(pid)  # noqa: E731

        async def cancel_one(order_id: str) -> object:
            return await s.exchange.cancel_orders([order_id])

        manager = OrderManager(
            s.engine,
            quote,
            rules,
            ExecutionPolicy(entry_ttl_s=1.0, max_reprices=1, cancel_grace_s=1.0),
            cancel_one,
            s.tracker.refresh_order,
            wall_clock,
        )
        first = await manager.enter("BTC-USD", Side.BUY, D("0.001"), proposal_id=None)
        assert first is not None and first.state is IntentState.OPEN
        venue_order = s.venue.engine.get_order(first.exchange_order_id)
        assert venue_order.spec.post_only and venue_order.spec.limit_price == quote("BTC-USD").bid
        async with asyncio.timeout(15):
            while len(s.ledger_client_ids()) < 2:
                await manager.tick()
                await asyncio.sleep(0.1)
            while manager.working:
                await manager.tick()
                await asyncio.sleep(0.1)
        rows = await s.db.run(
            lambda conn: conn.execute(
                "SELECT purpose, state, parent_intent_id FROM intents ORDER BY created_at"
            ).fetchall()
        )
        assert [(r[0], r[1]) for r in rows] == [("entry", "EXPIRED"), ("reprice", "EXPIRED")]
        assert rows[1][2] == first.intent_id
        assert s.venue_open_own() == []


async def test_x2_exit_is_an_ioc_with_bounded_slippage(tmp_path):
    async with execution_stack(tmp_path) as s:
        manager = OrderManager(
            s.engine,
            s.venue.engine.quote,
            s.venue.engine.product,
            ExecutionPolicy(exit_slippage_bps=D(50)),
            s.exchange.cancel_orders,
            s.tracker.refresh_order,
            wall_clock,
        )
        buy = await manager._ioc(
            "BTC-USD", Side.BUY, D("0.01"), D(50), Purpose.ENTRY, None, None, None
        )
        assert buy is not None and buy.state is IntentState.OPEN  # accepted; the fill comes next
        await s.tracker.refresh_order(buy.exchange_order_id)
        bid = s.venue.engine.quote("BTC-USD").bid
        sold = await manager.exit("BTC-USD", D("0.01"))
        assert sold is not None
        await s.tracker.refresh_order(sold.exchange_order_id)
        states = await s.db.run(
            lambda conn: [
                r[0] for r in conn.execute("SELECT state FROM intents ORDER BY created_at")
            ]
        )
        assert states == ["FILLED", "FILLED"]
        assert sold.limit_price >= bid * (1 - D("0.005"))
        order = s.venue.engine.get_order(sold.exchange_order_id)
        assert order.average_filled_price >= sold.limit_price


async def test_ops4_halted_sends_nothing_but_the_kill_switch_flatten(tmp_path):
    from trader.desk.keeper import StateKeeper
    from trader.desk.orders import send_gate
    from trader.ops.metrics import Metrics

    async with execution_stack(tmp_path) as s:
        keeper = await StateKeeper.load(s.db, Metrics(), wall_clock)
        s.engine._send_gate = send_gate(keeper)
        manager = OrderManager(
            s.engine,
            s.venue.engine.quote,
            s.venue.engine.product,
            ExecutionPolicy(),
            s.exchange.cancel_orders,
            s.tracker.refresh_order,
            wall_clock,
        )
        bought = await manager._ioc(
            "BTC-USD", Side.BUY, D("0.01"), D(50), Purpose.ENTRY, None, None, None
        )
        await s.tracker.refresh_order(bought.exchange_order_id)
        await keeper.halt("kill_switch", "drill")
        refused = await manager.exit("BTC-USD", D("0.01"))
        assert refused.state is IntentState.CANCELLED and "halted" in refused.reject_reason
        flat = await manager.exit(
            "BTC-USD",
            D("0.01"),
            purpose=Purpose.FLATTEN,
            reason="kill_switch_flatten",
            slippage_bps=D(100),
        )
        assert flat is not None and flat.state is IntentState.OPEN
        await s.tracker.refresh_order(flat.exchange_order_id)
        position = await s.db.run(
            lambda conn: conn.execute(
                "SELECT base_size FROM positions WHERE product_id = 'BTC-USD'"
            ).fetchone()
        )
        assert D(position[0]) == 0
        bid = s.venue.engine.quote("BTC-USD").bid
        assert flat.limit_price >= bid * (1 - D("0.01"))  # bounded slippage
