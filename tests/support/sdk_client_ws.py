"""WebSocket half of `sdk_client.py`: the SDK's WSClient and WSUserClient against `trader sim
--tls` (SIM-1). Imports only the SDK and the standard library.

Frames are parsed with the SDK's `WebsocketResponse`, given `client_id: ""`: the SDK reads
that key, which the recorded 2026 production frames (and so the venue's) do not carry."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from coinbase.rest import RESTClient
from coinbase.websocket import WebsocketResponse, WSClient, WSUserClient

Report = Callable[[str, bool, Any], None]
PRODUCT = "BTC-USD"
MARKET_CHANNELS = ["ticker", "ticker_batch", "level2", "market_trades", "candles", "status"]
DATA_CHANNEL = {"level2": "l2_data"}  # the channel name a subscription's frames carry


class Frames:
    """Every frame one SDK client received, parsed as JSON."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def on_message(self, text: str) -> None:
        self.items.append(json.loads(text))

    def of(self, channel: str) -> list[dict[str, Any]]:
        return [f for f in self.items if f.get("channel") == channel]

    def wait(self, until: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if until():
                return True
            time.sleep(0.05)
        return until()


def _parses(frame: dict[str, Any]) -> bool:
    response = WebsocketResponse({"client_id": "", **json.loads(json.dumps(frame))})
    return response.channel == frame["channel"] and len(response.events) >= 1


def _sequence_problem(frames: Frames) -> str:
    numbers = [f.get("sequence_num") for f in frames.items]
    if numbers != list(range(len(numbers))):
        return f"sequence_num not 0,1,2,...: {numbers[:40]}"
    return ""


def check_market(url: str, key_file: str | None, label: str, report: Report) -> None:
    frames = Frames()
    extra = {"key_file": key_file} if key_file else {}
    client = WSClient(base_url=url, on_message=frames.on_message, retry=False, **extra)
    client.open()
    try:
        client.subscribe([PRODUCT], MARKET_CHANNELS)
        client.heartbeats()
        wanted = [DATA_CHANNEL.get(c, c) for c in [*MARKET_CHANNELS, "heartbeats"]]
        frames.wait(lambda: all(frames.of(c) for c in wanted))
        for name in wanted:
            first = frames.of(name)[:1]
            ok = bool(first) and _parses(first[0])
            kind = first[0]["events"][0].get("type") if first else None
            report(f"ws_{label}_{name}", ok and kind in (None, "snapshot"), first[:1])
        acks = frames.of("subscriptions")
        final = acks[-1]["events"][0]["subscriptions"] if acks else {}
        report(
            f"ws_{label}_subscriptions_ack",
            len(acks) == len(MARKET_CHANNELS) + 1
            and set(final) == {*MARKET_CHANNELS, "heartbeats"}
            and final["level2"] == [PRODUCT],
            final,
        )
        sides = {u["side"] for f in frames.of("l2_data") for e in f["events"] for u in e["updates"]}
        report(f"ws_{label}_level2_sides", sides <= {"bid", "offer"} and "bid" in sides, sides)
        check_unsubscribe(client, frames, label, report)
        problem = _sequence_problem(frames)
        report(f"ws_{label}_sequence_num", not problem, problem)
    finally:
        client.close()


def check_unsubscribe(client: WSClient, frames: Frames, label: str, report: Report) -> None:
    client.unsubscribe([PRODUCT], MARKET_CHANNELS)
    client.heartbeats_unsubscribe()
    emptied = frames.wait(
        lambda: frames.of("subscriptions")[-1]["events"][0]["subscriptions"] == {}
    )
    settled = len(frames.items)
    time.sleep(2.5)
    late = [f.get("channel") for f in frames.items[settled:]]
    report(f"ws_{label}_unsubscribe", emptied and not late, f"emptied={emptied} late={late[:10]}")


def check_user(url: str, key_file: str, rest: RESTClient, report: Report) -> None:
    others = [p.product_id for p in rest.get_products().products if p.product_id != PRODUCT]
    for label, products in (("filtered", [PRODUCT]), ("all", [])):
        check_user_once(url, key_file, rest, (label, products, others[0]), report)


def check_user_once(
    url: str, key_file: str, rest: RESTClient, case: tuple[str, list[str], str], report: Report
) -> None:
    label, products, other = case
    frames = Frames()
    client = WSUserClient(
        base_url=url, key_file=key_file, on_message=frames.on_message, retry=False
    )
    client.open()
    try:
        client.user(products)
        frames.wait(lambda: bool(frames.of("subscriptions")))
        order_id = _place_and_cancel(rest, other)
        frames.wait(lambda: _statuses(frames, order_id) >= {"OPEN", "CANCELLED"})
        time.sleep(1.0)
        _report_user(frames, label, products, order_id, other, report)
    finally:
        client.close()


def _place_and_cancel(rest: RESTClient, other: str) -> str:
    bid = Decimal(rest.get_best_bid_ask([PRODUCT]).pricebooks[0].bids[0].price)
    price = str((bid * Decimal("0.8")).quantize(Decimal("0.01")))
    order = rest.limit_order_gtc_buy(str(uuid.uuid4()), PRODUCT, "0.0005", price, post_only=True)
    rest.market_order_buy(str(uuid.uuid4()), other, quote_size="10")
    rest.cancel_orders([order.order_id])
    return str(order.order_id)


def _orders(frames: Frames) -> list[dict[str, Any]]:
    return [o for f in frames.of("user") for e in f["events"] for o in e.get("orders") or []]


def _statuses(frames: Frames, order_id: str) -> set[str]:
    return {o["status"] for o in _orders(frames) if o["order_id"] == order_id}


def _report_user(
    frames: Frames, label: str, products: list[str], order_id: str, other: str, report: Report
) -> None:
    user = frames.of("user")
    first = user[0]["events"][0] if user else {}
    report(f"ws_user_{label}_snapshot", first.get("type") == "snapshot", first)
    report(f"ws_user_{label}_parses", user and all(_parses(f) for f in user), user[:1])
    statuses = _statuses(frames, order_id)
    report(f"ws_user_{label}_order_updates", statuses >= {"OPEN", "CANCELLED"}, statuses)
    seen = {o["product_id"] for o in _orders(frames)}
    expected_other = not products
    report(f"ws_user_{label}_product_filter", (other in seen) == expected_other, seen)
    acks = frames.of("subscriptions")
    report(
        f"ws_user_{label}_ack",
        acks and list(acks[0]["events"][0]["subscriptions"]) == ["user"],
        acks,
    )
    problem = _sequence_problem(frames)
    report(f"ws_user_{label}_sequence_num", not problem, problem)


def check_refused_key(url: str, key_file: str, report: Report) -> None:
    with open(key_file) as handle:
        secret = json.load(handle)["privateKey"]
    frames = Frames()
    client = WSUserClient(
        base_url=url,
        api_key="organizations/o/apiKeys/unknown",
        api_secret=secret,
        on_message=frames.on_message,
        retry=False,
    )
    client.open()
    try:
        client.user([PRODUCT])
        frames.wait(lambda: bool(frames.items), timeout=5)
        errors = [f for f in frames.items if f.get("type") == "error"]
        ok = bool(errors) and errors[0]["message"] == "authentication failure"
        report("ws_user_unknown_key_error", ok, frames.items[:2])
    finally:
        with contextlib.suppress(Exception):  # the venue may already have closed it
            client.close()


def check_ws(host: str, key_file: str, rest: RESTClient, report: Report) -> None:
    url = f"wss://{host}"
    check_market(url, key_file, "signed", report)
    check_market(url, None, "public", report)
    check_user(url, key_file, rest, report)
    check_refused_key(url, key_file, report)
