"""Seed frames and their seeded mutants for the EX-2 WebSocket fuzz (`test_ws_fuzz.py`).

The seeds are real frames: small frames of the 2026 Coinbase capture and what the
simulator emits. `build_corpus` turns them into `PER_CHANNEL` mutants per channel with one
`random.Random(SEED)`; every draw's order is part of the corpus (and so of the counts
measured in the test module's docstring).
"""

from __future__ import annotations

import copy
import gzip
import random
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from tests.exchange.ws_fuzz_values import (
    BAD_MONEY,
    BAD_TIMES,
    CONTAINER_SWAPS,
    CONTAINERS,
    ENUM_KEYS,
    HOSTILE,
    RAW,
    RAW_TOKENS,
    TIME_KEYS,
    UNKNOWN_ENUMS,
)
from trader.core.orders import OrderKind, OrderStatus
from trader.core.types import Side
from trader.matching.types import OrderSpec, SimOrder
from trader.sim.server.encode import go_time_ns, rfc3339_ns
from trader.sim.server.encode_orders import user_order_json
from trader.sim.server.ws_channels import heartbeat_events, ticker_events, ticker_row, user_events

SEED = 20260809
PER_CHANNEL = 3000
MAX_SEED_BYTES = 4096
SEEDS_PER_CHANNEL = 8
CAPTURE = "coinbase-ws-capture-2026/advanced-trade-btc-eth.jsonl.gz"
CHANNELS = ("ticker", "market_trades", "l2_data", "user", "candles", "heartbeats", "subscriptions")

Where = tuple[str | int, ...]


# --- seed frames ---------------------------------------------------------------------------


def _sim_order(status: OrderStatus, filled: str, fills: int, kind: OrderKind) -> SimOrder:
    spec = OrderSpec(
        kind=kind,
        base_size=Decimal("0.5"),
        limit_price=None if kind is OrderKind.MARKET_IOC else Decimal("65083.66"),
        post_only=kind is OrderKind.LIMIT_GTC,
    )
    return SimOrder(
        order_id=f"sim-{status.value.lower()}-{fills}",
        client_order_id=f"trader-{fills}",
        product_id="BTC-USD",
        side=Side.SELL if fills % 2 else Side.BUY,
        spec=spec,
        configuration={kind.value: {"base_size": "0.5"}},
        created_time=1786309548.25,
        status=status,
        filled_size=Decimal(filled),
        filled_value=Decimal(filled) * Decimal("65083.66"),
        total_fees=Decimal(filled) * Decimal("65083.66") * Decimal("0.006"),
        number_of_fills=fills,
    )


def _envelope(channel: str, events: Any, seq: int) -> dict[str, Any]:
    """The sim's envelope (`ws_session._frame`): channel, timestamp, sequence_num, events."""
    stamp = rfc3339_ns(1786309548_298000000 + seq * 1_000_000)
    frame = {"channel": channel, "timestamp": stamp, "sequence_num": seq, "events": events}
    parsed: dict[str, Any] = orjson.loads(orjson.dumps(frame))
    return parsed


def _sim_frames() -> dict[str, list[dict[str, Any]]]:
    orders = [
        _sim_order(OrderStatus.OPEN, "0", 0, OrderKind.LIMIT_GTC),
        _sim_order(OrderStatus.OPEN, "0.2", 1, OrderKind.LIMIT_GTC),
        _sim_order(OrderStatus.FILLED, "0.5", 3, OrderKind.MARKET_IOC),
        _sim_order(OrderStatus.CANCELLED, "0", 0, OrderKind.LIMIT_GTD),
    ]
    rows = [user_order_json(order, "portfolio-1") for order in orders]
    stats = (Decimal("2867.5"), Decimal("64675.22"), Decimal("65252.99"), Decimal("0.09"))
    return {
        "user": [
            _envelope("user", user_events("snapshot", rows[:2]), 1),
            _envelope("user", user_events("update", rows[2:3]), 2),
            _envelope("user", user_events("update", rows[3:]), 3),
            _envelope("user", user_events("snapshot", []), 4),
        ],
        "ticker": [
            _envelope(
                "ticker",
                ticker_events("update", [ticker_row("BTC-USD", Decimal("65086.18"), stats, None)]),
                5,
            )
        ],
        "heartbeats": [
            _envelope("heartbeats", heartbeat_events(go_time_ns(1786309548_854840045, 41.2), 41), 6)
        ],
    }


def load_seeds(shared_data: Path) -> dict[str, list[dict[str, Any]]]:
    """Up to SEEDS_PER_CHANNEL small captured frames per channel, plus the sim's frames."""
    rng = random.Random(SEED)
    by_channel: dict[str, list[dict[str, Any]]] = {channel: [] for channel in CHANNELS}
    with gzip.open(shared_data / CAPTURE, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = orjson.loads(line)
            if record["t"] == "recv" and len(record["data"]) <= MAX_SEED_BYTES:
                frame = orjson.loads(record["data"])
                by_channel[frame["channel"]].append(frame)
    for channel, frames in by_channel.items():
        if len(frames) > SEEDS_PER_CHANNEL:
            by_channel[channel] = rng.sample(frames, SEEDS_PER_CHANNEL)
    for channel, frames in _sim_frames().items():
        by_channel[channel].extend(frames)
    assert all(by_channel.values()), {c: len(f) for c, f in by_channel.items()}
    return by_channel


def build_corpus(seeds: dict[str, list[dict[str, Any]]]) -> dict[str, list[bytes]]:
    rng = random.Random(SEED)
    return {channel: list(mutants(rng, seeds[channel], PER_CHANNEL)) for channel in CHANNELS}


# --- mutation ------------------------------------------------------------------------------


def _paths(node: Any, prefix: Where = ()) -> Iterator[tuple[Where, Any]]:
    """Every (path, value) below `node` (the root itself excluded)."""
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        path = (*prefix, key)
        yield path, value
        yield from _paths(value, path)


def _parent(root: Any, path: Where) -> Any:
    node = root
    for step in path[:-1]:
        node = node[step]
    return node


def _set(root: Any, path: Where, value: Any) -> None:
    _parent(root, path)[path[-1]] = value


def _delete(root: Any, path: Where) -> None:
    del _parent(root, path)[path[-1]]


def _pick(rng: random.Random, frame: Any, want: Any = None) -> Where | None:
    found = [path for path, value in _paths(frame) if want is None or want(path, value)]
    return rng.choice(found) if found else None


def _is_money(path: Where, value: Any) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"-?\d+(\.\d+)?", value))


def _corrupt_text(rng: random.Random, text: str) -> str:
    if not text:
        return rng.choice(["0", "Z", "\u0000"])
    index = rng.randrange(len(text))
    junk = rng.choice("0123456789:-.TZ +eE_xn\u0663\u00e9")
    if rng.random() < 0.5:
        return text[:index] + junk + text[index + 1 :]
    return (
        text[:index] + text[index + 1 :]
        if rng.random() < 0.5
        else text[:index] + junk + text[index:]
    )


def _plant_bad_money(rng: random.Random, frame: dict[str, Any]) -> bool:
    path = _pick(rng, frame, _is_money)
    if path is None:
        return False
    _set(frame, path, rng.choice(BAD_MONEY))
    return True


def _plant_bad_time(rng: random.Random, frame: dict[str, Any]) -> bool:
    path = _pick(rng, frame, lambda p, v: p[-1] in TIME_KEYS)
    if path is None:
        return False
    value = _parent(frame, path)[path[-1]]
    bad = _corrupt_text(rng, value) if isinstance(value, str) and rng.random() < 0.5 else None
    _set(frame, path, bad if bad is not None else rng.choice(BAD_TIMES))
    return True


def _plant_unknown_enum(rng: random.Random, frame: dict[str, Any]) -> bool:
    path = _pick(rng, frame, lambda p, v: p[-1] in ENUM_KEYS)
    if path is None:
        return False
    _set(frame, path, rng.choice(UNKNOWN_ENUMS))
    return True


def _swap_container(rng: random.Random, frame: dict[str, Any]) -> bool:
    path = _pick(rng, frame, lambda p, v: p[-1] in CONTAINERS)
    if path is None:
        return False
    _set(frame, path, copy.deepcopy(rng.choice(CONTAINER_SWAPS)))
    return True


def _corrupt_a_string(rng: random.Random, frame: dict[str, Any]) -> bool:
    path = _pick(rng, frame, lambda p, v: isinstance(v, str))
    if path is None:
        return False
    _set(frame, path, _corrupt_text(rng, _parent(frame, path)[path[-1]]))
    return True


# A targeted mutation returns False when the frame has nothing it aims at.
TARGETED_MUTATIONS: dict[str, Callable[[random.Random, dict[str, Any]], bool]] = {
    "money": _plant_bad_money,
    "time": _plant_bad_time,
    "enum": _plant_unknown_enum,
    "container": _swap_container,
    "text": _corrupt_a_string,
}


def _mutate_any_node(rng: random.Random, frame: dict[str, Any], kind: str) -> str:
    """`delete`, `raw` or `value` on any node; returns the kind done."""
    path = _pick(rng, frame)
    if path is None:  # an empty frame: add junk at the top
        frame[rng.choice(["events", "channel", "x"])] = copy.deepcopy(rng.choice(HOSTILE))
        return "value"
    if kind == "delete" and isinstance(path[-1], str):
        _delete(frame, path)
        return kind
    if kind == "raw":
        _set(frame, path, RAW)
        return kind
    _set(frame, path, copy.deepcopy(rng.choice(HOSTILE)))
    return "value"


def _mutate_tree(rng: random.Random, frame: dict[str, Any]) -> str:
    """One structural mutation in place; returns its kind (a targeted kind that finds
    nothing to aim at falls back to `value`)."""
    kind = rng.choice(["value", "money", "time", "enum", "delete", "container", "text", "raw"])
    targeted = TARGETED_MUTATIONS.get(kind)
    if targeted is not None:
        if targeted(rng, frame):
            return kind
        kind = "value"
    return _mutate_any_node(rng, frame, kind)


def _dump(rng: random.Random, frame: dict[str, Any]) -> bytes:
    raw = orjson.dumps(frame)
    placeholder = orjson.dumps(RAW)
    while placeholder in raw:
        raw = raw.replace(placeholder, rng.choice(RAW_TOKENS).encode(), 1)
    return raw


def _mutate_bytes(rng: random.Random, raw: bytes) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:  # truncated JSON
        return raw[: rng.randrange(len(raw))]
    index = rng.randrange(len(raw))
    if choice == 1:  # one byte changed
        return raw[:index] + bytes([rng.randrange(256)]) + raw[index + 1 :]
    if choice == 2:  # invalid UTF-8 or a stray structural character inserted
        return raw[:index] + rng.choice([b"\xff", b"\xc3", b"{", b"]", b",", b'"']) + raw[index:]
    return raw + rng.choice([b"}", b" x", b"\x00", b"[]"])  # trailing garbage


def mutants(rng: random.Random, frames: list[dict[str, Any]], count: int) -> Iterator[bytes]:
    """`count` mutated encodings of `frames` (1-3 structural mutations, sometimes bytes)."""
    for _ in range(count):
        frame = copy.deepcopy(rng.choice(frames))
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            _mutate_tree(rng, frame)
        raw = _dump(rng, frame)
        if raw and rng.random() < 0.15:
            raw = _mutate_bytes(rng, raw)
        yield raw
