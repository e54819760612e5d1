"""EX-2: WebSocket streams against the venue — reconnect on silence and on every close
code, sequence gaps → resync, duplicate / out-of-order frames ignored, user snapshots."""

from __future__ import annotations

import contextlib
import itertools
import time
from decimal import Decimal

import pytest

from tests.exchange.support import adapter, collect, resting_buy, sample
from tests.sim.test_server_support import open_venue
from trader.exchange.coinbase.ws import WsSettings
from trader.exchange.models import OrderEvent, StreamStatus, TickerEvent, TradesEvent
from trader.ops.metrics import Metrics


def _status(state: str):
    return lambda e: isinstance(e, StreamStatus) and e.state == state


def _count(events, pred) -> int:
    return sum(1 for e in events if pred(e))


@pytest.fixture
async def env():
    async with open_venue(trades_per_minute=3000) as venue:
        venue.hub.intervals["second"] = 0.2  # heartbeats 5/s keep the tests short
        metrics = Metrics()
        async with adapter(venue, metrics=metrics) as exchange:
            yield venue, exchange, metrics


async def _run(stream, until, timeout=10.0):
    try:
        return await collect(stream, until, timeout)
    finally:
        with contextlib.suppress(RuntimeError):
            await stream.aclose()


async def test_ex2_market_stream_subscribes_and_types_events(env):
    _venue, exchange, metrics = env
    stream = exchange.market_stream(["BTC-USD", "ETH-USD"], level2=True)
    events = await _run(
        stream, lambda ev: _count(ev, lambda e: isinstance(e, TradesEvent) and not e.snapshot) >= 2
    )
    assert _status("up")(events[0]) or any(_status("up")(e) for e in events)
    tickers = [e for e in events if isinstance(e, TickerEvent)]
    assert tickers and all(isinstance(t.bid, Decimal) and t.bid < t.ask for t in tickers)
    trades = [t for e in events if isinstance(e, TradesEvent) for t in e.trades]
    assert trades and all(t.product_id in ("BTC-USD", "ETH-USD") for t in trades)
    assert sample(metrics, "trader_ws_bad_frames_total", stream="market", channel="ticker") == 0


async def test_ex2_watchdog_reconnects_after_silence(env):
    venue, exchange, metrics = env
    stream = exchange.market_stream(["BTC-USD"])
    events = await collect(stream, lambda ev: any(_status("up")(e) for e in ev))
    rule = venue.faults.add("ws_drop")  # every frame dropped: silence
    events = await collect(stream, lambda ev: any(_status("down")(e) for e in ev), 5.0)
    assert events[-1].reason == "watchdog"
    venue.faults.remove(rule.id)
    await _run(stream, lambda ev: any(_status("up")(e) for e in ev))
    assert sample(metrics, "trader_ws_reconnects_total", stream="market", reason="watchdog") >= 1


@pytest.mark.parametrize("code", [1000, 1001, 1006])
async def test_ex2_reconnects_after_any_close_code(env, code):
    venue, exchange, metrics = env
    stream = exchange.market_stream(["BTC-USD"])
    await collect(stream, lambda ev: any(_status("up")(e) for e in ev))
    assert venue.faults.close_websockets(code) == 1
    events = await collect(stream, lambda ev: any(_status("down")(e) for e in ev))
    assert events[-1].reason == f"closed_{code}"
    events = await _run(stream, lambda ev: any(_status("up")(e) for e in ev))
    assert any(isinstance(e, TickerEvent) for e in events)  # fresh snapshot
    assert (
        sample(metrics, "trader_ws_reconnects_total", stream="market", reason=f"closed_{code}") == 1
    )


async def test_ex2_a_venue_closing_each_connection_soon_after_it_opens_gets_a_growing_backoff(
    env,
):
    """Each connection subscribed (up) and closed at its first heartbeat: the backoff
    doubles to its cap instead of starting afresh at every connection (was: a reconnect
    every 50-100 ms for as long as the venue did it)."""
    venue, exchange, _metrics = env
    exchange.ws_settings = WsSettings(watchdog_s=1.5, backoff_base_s=0.1, backoff_cap_s=1.6)
    stream = exchange.market_stream(["BTC-USD"])
    await collect(stream, lambda ev: any(_status("up")(e) for e in ev))
    venue.faults.add("ws_close", channel="heartbeats", code=1006)
    downs: list[float] = []

    def closed_for(events: list[object]) -> bool:
        if events and _status("down")(events[-1]):
            downs.append(time.monotonic())
        return bool(downs) and time.monotonic() - downs[0] >= 5.0

    events = await _run(stream, closed_for, timeout=15)
    assert _count(events, _status("up")) >= 3  # each connection subscribed before it closed
    gaps = [later - earlier for earlier, later in itertools.pairwise(downs)]
    assert 3 <= len(downs) <= 10, gaps  # 0.1, 0.2, 0.4, 0.8, 1.6 s (halves at the least)
    assert max(gaps) >= 0.75, gaps


async def test_ex2_sequence_gap_resubscribes_and_resyncs(env):
    venue, exchange, metrics = env
    stream = exchange.market_stream(["BTC-USD"])
    await collect(stream, lambda ev: any(_status("up")(e) for e in ev))
    venue.faults.add("ws_gap", count=1, channel="heartbeats", gap=3)
    events = await collect(stream, lambda ev: any(_status("resync")(e) for e in ev))
    assert events[-1].reason == "sequence_gap"
    after = await _run(
        stream, lambda ev: any(isinstance(e, TradesEvent) and e.snapshot for e in ev)
    )
    assert not any(_status("down")(e) for e in after)  # same connection, resubscribed
    assert sample(metrics, "trader_ws_sequence_gaps_total", stream="market") == 1


async def test_ex2_duplicate_and_reordered_frames_are_ignored(env):
    venue, exchange, metrics = env
    stream = exchange.market_stream(["BTC-USD"])
    await collect(stream, lambda ev: any(_status("up")(e) for e in ev))
    venue.faults.add("ws_duplicate", count=6, channel="market_trades")
    events = await _run(
        stream,
        lambda ev: (
            venue.faults.counts["ws_duplicate"] >= 6
            and _count(ev, lambda e: isinstance(e, TradesEvent)) >= 8
        ),
    )
    ids = [
        t.trade_id
        for e in events
        if isinstance(e, TradesEvent) and not e.snapshot
        for t in e.trades
    ]
    assert len(ids) == len(set(ids))
    assert sample(metrics, "trader_ws_frames_total", stream="market", disposition="stale") >= 6


async def test_ex2_user_stream_snapshot_updates_and_resync(env):
    venue, exchange, metrics = env
    accepted = await exchange.create_order(await resting_buy(exchange, "user-1"))
    stream = exchange.user_stream()
    events = await collect(stream, lambda ev: any(_status("up")(e) for e in ev))
    snap = [e for e in events if isinstance(e, OrderEvent)]
    assert [(e.order_id, e.status, e.snapshot) for e in snap] == [(accepted.order_id, "OPEN", True)]
    await exchange.cancel_orders([accepted.order_id])
    events = await collect(
        stream, lambda ev: any(isinstance(e, OrderEvent) and e.status == "CANCELLED" for e in ev)
    )
    venue.faults.add("ws_gap", count=1, channel="heartbeats", gap=2)
    events = await _run(stream, lambda ev: any(_status("resync")(e) for e in ev))
    assert sample(metrics, "trader_ws_sequence_gaps_total", stream="user") == 1


async def test_ex2_reordered_frame_resyncs_and_late_frame_is_ignored(env):
    venue, exchange, metrics = env
    stream = exchange.market_stream(["BTC-USD"])
    await collect(stream, lambda ev: any(_status("up")(e) for e in ev))
    venue.faults.add("ws_reorder", count=1, channel="heartbeats")
    await _run(
        stream,
        lambda ev: (
            any(_status("resync")(e) for e in ev)
            and sample(metrics, "trader_ws_frames_total", stream="market", disposition="stale") >= 1
        ),
    )
    assert sample(metrics, "trader_ws_sequence_gaps_total", stream="market") == 1


async def test_ex2_a_channel_whose_frames_keep_being_lost_resyncs_at_a_bounded_pace(env):
    """Every user frame lost, heartbeats flowing: each resubscribe's snapshot is lost in
    turn, a gap at the next heartbeat. The stream keeps resyncing (no gap is forgotten),
    once per 2 s (`RESYNC_MIN_S`), not at every frame (was: a resync and a log line each)."""
    venue, exchange, metrics = env
    stream = exchange.user_stream()
    await collect(stream, lambda ev: any(_status("up")(e) for e in ev))
    venue.faults.add("ws_drop", channel="user")
    await exchange.create_order(
        await resting_buy(exchange, "lost-1")
    )  # its update is lost, then every snapshot
    started = time.monotonic()
    events = await _run(stream, lambda _ev: time.monotonic() - started >= 5.0, timeout=10)
    resyncs = _count(events, _status("resync"))
    assert 2 <= resyncs <= 4, resyncs  # 5 s at one per 2 s (not one per heartbeat, 5/s)
    assert sample(metrics, "trader_ws_sequence_gaps_total", stream="user") >= resyncs
    assert not any(_status("down")(e) for e in events)  # the connection itself is fine
