"""The venue's fault mixes of the chaos run: FAULTS, the first and narrower list
(`--mix narrow`), and the wide mix (`--mix wide`, the default): every fault the simulated venue
offers that a real Coinbase could plausibly produce, each scoped to one endpoint of the
order path the daemon uses, and the combinations that press the money promises hardest
(X-1, X-4, X-5, X-7, EX-2, OPS-4, R-5):

- outcomes per endpoint (order create, batch cancel, order get, order list, fills,
  accounts, best bid/ask, products, candles): 429 (JSON, HTML, with `Retry-After`), 5xx
  (500/502/503/504), a timeout after the venue acted (answer held or dropped), latency; a
  404 on the order get (the order not yet visible), a 400 on a create;
- a lost create answer, then the resend answered 429, 5xx, 401 or lost again;
- a kill-switch drill whose batch cancel is answered 429 or 5xx, or lost after it acted
  (`drill_faults`);
- `kill -9`, and the restart's reads of fills, orders and accounts failing or a fill or an
  order missing from their listings for a while (`before_restart`);
- the user channel around fills: frames reordered, duplicated, dropped, a sequence gap,
  frames in sequence but empty, the channel closed; the market channels the same;
- a fill or an order missing from a few list answers (a listing that lags the venue);
- candles missing for an hour (no trades: Coinbase leaves the bar out);
- 401 bursts of 1–5 on a private endpoint (fewer than the 3 refused requests over 5 s that
  mean a refused key: a venue refusing for a moment, not a revoked key);
- the venue's clock within the daemon's default tolerance (±0.9 s);
- a price jump of up to ±3 % (one product or all);
- a product set cancel-only, limit-only or post-only for a while, then back.

Left out, because a real venue does not do it: `row_edit` and `ws_edit` (a fill of size -1,
a crossed touch, a frame for a product nobody subscribed: malformed data, refused by the
decoders and proven in tests/exchange and tests/sim, not a run of money through a venue);
`time_skew` (a `/time` answer hours off the clock the same venue checks tokens by: one venue
has one clock; a clock off is `clock_offset` here and the daemon's own clock stepped in
tests/support/chaos_faults.py); `trading_disabled` (a venue that refuses cancels as well
makes the drills' bound meaningless; the refusals it causes are cancel-only's); and
`product_rules` (increments changed under open orders, announced by Coinbase in advance:
tests/desk/test_product_rules.py proves the daemon reads them again after a refusal)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.support.chaos_faults import resend_rejection

if TYPE_CHECKING:
    from tests.support.chaos import ChaosRun

API = "/api/v3/brokerage"
CREATE = {"route": f"{API}/orders", "method": "POST"}
CANCEL = {"route": f"{API}/orders/batch_cancel", "method": "POST"}
GET_ORDER = {"route": f"{API}/orders/historical/{{order_id}}", "method": "GET"}
LIST_ORDERS = {"route": f"{API}/orders/historical/batch", "method": "GET"}
FILLS = {"route": f"{API}/orders/historical/fills", "method": "GET"}
ACCOUNTS = {"route": f"{API}/accounts", "method": "GET"}
BEST_BID_ASK = {"route": f"{API}/best_bid_ask", "method": "GET"}
PRODUCTS = {"route": f"{API}/market/products", "method": "GET"}
CANDLES = {"route": f"{API}/market/products/{{product_id}}/candles", "method": "GET"}
ORDER_PATH = (CREATE, CANCEL, GET_ORDER, LIST_ORDERS, FILLS, ACCOUNTS)
ENDPOINTS = (*ORDER_PATH, BEST_BID_ASK, PRODUCTS, CANDLES)
PRIVATE = (*ORDER_PATH, BEST_BID_ASK)
OUTCOMES: list[dict[str, Any]] = [
    {"kind": "http_429", "count": 2},
    {"kind": "http_429", "count": 1, "body": "html"},
    {"kind": "http_429", "count": 1, "retry_after_s": 1},
    {"kind": "http_5xx", "count": 2, "status": 500},
    {"kind": "http_5xx", "count": 1, "status": 502},
    {"kind": "http_5xx", "count": 3, "status": 503},
    {"kind": "http_5xx", "count": 1, "status": 504, "retry_after_s": 1},
    {"kind": "timeout_after_accept", "count": 1, "mode": "hold", "hold_s": 3.0},
    {"kind": "timeout_after_accept", "count": 1, "mode": "drop"},
    {"kind": "latency", "count": 4, "latency_ms": 400, "jitter_ms": 800},
]
# 4xx a venue answers to a well-formed request: an order not visible yet, a create refused
VENUE_4XX: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (GET_ORDER, {"kind": "http_4xx", "count": 1, "status": 404, "error": "NOT_FOUND"}),
    (CREATE, {"kind": "http_4xx", "count": 1, "status": 400}),
]
RESEND_MORE: list[dict[str, Any]] = [
    {"kind": "timeout_after_accept", "count": 1, "mode": "drop", "on_resend": True},
    {"kind": "http_401", "count": 1, "on_resend": True},
    {"kind": "http_5xx", "count": 2, "status": 502, "on_resend": True},
]
CANCEL_FAULTS: list[dict[str, Any]] = [
    {"kind": "http_429", "count": 1},
    {"kind": "http_429", "count": 2, "body": "html"},
    {"kind": "http_5xx", "count": 1, "status": 503},
    {"kind": "http_5xx", "count": 2, "status": 500},
    {"kind": "timeout_after_accept", "count": 1, "mode": "drop"},
    {"kind": "timeout_after_accept", "count": 1, "mode": "hold", "hold_s": 3.0},
]
RESTART_READS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (FILLS, {"kind": "http_5xx", "count": 4, "status": 503}),
    (FILLS, {"kind": "http_429", "count": 3}),
    (FILLS, {"kind": "timeout_after_accept", "count": 1, "mode": "hold", "hold_s": 3.0}),
    (LIST_ORDERS, {"kind": "http_5xx", "count": 3, "status": 500}),
    (LIST_ORDERS, {"kind": "timeout_after_accept", "count": 1, "mode": "drop"}),
    (ACCOUNTS, {"kind": "http_5xx", "count": 5, "status": 503}),
]
WS_KINDS = ("ws_reorder", "ws_duplicate", "ws_drop", "ws_gap", "ws_empty")
MARKET_CHANNELS = ("ticker", "l2_data", "market_trades", "heartbeats")
FLAGS = ("cancel_only", "limit_only", "post_only")
FLAG_WINDOW = 6  # injections until a flagged product is back to normal

FAULTS: list[dict[str, Any]] = [
    {
        "kind": "timeout_after_accept",
        "count": 1,
        "path_prefix": "/api/v3/brokerage/orders",
        "method": "POST",
        "hold_s": 3.0,
    },
    {
        "kind": "timeout_after_accept",
        "count": 1,
        "path_prefix": "/api/v3/brokerage/orders",
        "method": "POST",
        "mode": "drop",
    },
    {"kind": "http_5xx", "count": 2, "status": 503},
    {"kind": "http_5xx", "count": 1, "path_prefix": "/api/v3/brokerage/orders", "method": "POST"},
    {"kind": "http_429", "count": 3},
    {"kind": "http_429", "count": 2, "body": "html"},
    {"kind": "ws_gap", "count": 1},
    {"kind": "ws_drop", "count": 3},
    {"kind": "ws_duplicate", "count": 3},
    {"kind": "latency", "count": 5, "latency_ms": 300, "jitter_ms": 200},
]


def _post(run: ChaosRun, *rules: dict[str, Any]) -> None:
    for rule in rules:
        run.venue.call("POST", "/faults", rule)


def endpoint_outcome(run: ChaosRun) -> str:
    scope, outcome = run.rng.choice(ENDPOINTS), run.rng.choice(OUTCOMES)
    _post(run, {**outcome, **scope})
    return f"{outcome['kind']}@{scope['route'].removeprefix(API)}"


def venue_4xx(run: ChaosRun) -> str:
    scope, outcome = run.rng.choice(VENUE_4XX)
    _post(run, {**outcome, **scope})
    return f"http_{outcome['status']}@{scope['route'].removeprefix(API)}"


def resend_more(run: ChaosRun) -> str:
    """A create's answer lost, then its resend lost again, refused 401 or 502 (X-7)."""
    lost = {"kind": "timeout_after_accept", "count": 1, "mode": run.rng.choice(["drop", "hold"])}
    answer = run.rng.choice(RESEND_MORE)
    _post(run, {**lost, "hold_s": 2.0, **CREATE}, {**answer, **CREATE})
    return f"resend_{answer['kind']}"


def user_channel(run: ChaosRun) -> str:
    """Around fills: the user channel's next frames reordered, doubled, lost or empty."""
    kind = run.rng.choice((*WS_KINDS, "ws_close"))
    rule: dict[str, Any] = {"kind": kind, "channel": "user", "count": run.rng.randint(1, 4)}
    if kind == "ws_gap":
        rule["gap"] = run.rng.randint(1, 5)
    if kind == "ws_close":
        rule.update(count=1, code=run.rng.choice((1000, 1001, 1006)))
    _post(run, rule)
    return f"{kind}@user"


def market_channel(run: ChaosRun) -> str:
    kind, channel = run.rng.choice(WS_KINDS), run.rng.choice(MARKET_CHANNELS)
    _post(run, {"kind": kind, "channel": channel, "count": run.rng.randint(1, 6)})
    return f"{kind}@{channel}"


def listing_lags(run: ChaosRun) -> str:
    """The latest fill (or order) missing from the next few fills (orders) listings."""
    if run.rng.random() < 0.6:
        fills = run.venue.call("GET", "/fills")["fills"]
        if not fills:
            return "row_drop_none"
        rule = {"rows": "fills", "field": "order_id", "value": fills[-1]["order_id"], **FILLS}
    else:
        orders = run.venue.call("GET", "/ledger")["orders"]
        if not orders:
            return "row_drop_none"
        rule = {"rows": "orders", "field": "order_id", "value": orders[-1]["order_id"]}
        rule.update(LIST_ORDERS)
    _post(run, {"kind": "row_drop", "count": run.rng.randint(1, 6), **rule})
    return f"row_drop@{rule['rows']}"


def candles_missing(run: ChaosRun) -> str:
    start = int(time.time()) // 3600 * 3600 - run.rng.randint(1, 48) * 3600
    rule = {"kind": "row_drop_range", "rows": "candles", "field": "start", **CANDLES}
    _post(run, {**rule, "low": start, "high": start + 3600, "count": run.rng.randint(1, 4)})
    return "row_drop_range@candles"


def unauthorized_burst(run: ChaosRun) -> str:
    scope = run.rng.choice(PRIVATE)
    _post(run, {"kind": "http_401", "count": run.rng.randint(1, 5), **scope})
    return f"http_401@{scope['route'].removeprefix(API)}"


def clock_offset(run: ChaosRun) -> str:
    run.venue.call("POST", "/clock", {"offset_s": round(run.rng.uniform(-0.9, 0.9), 3)})
    return "clock_offset"


def price_shock(run: ChaosRun) -> str:
    body: dict[str, Any] = {"pct": f"{run.rng.uniform(-3, 3):.2f}"}
    if run.rng.random() < 0.7:
        body["product_id"] = run.rng.choice(run.product_ids)
    run.venue.call("POST", "/shock", body)
    return "price_shock"


def product_flag(run: ChaosRun) -> str:
    product_id, flag = run.rng.choice(run.product_ids), run.rng.choice(FLAGS)
    run.venue.call("POST", f"/products/{product_id}/flags", {flag: True})
    run.flagged[product_id] = run.counts.faults + FLAG_WINDOW
    return f"product_{flag}"


def base_fault(run: ChaosRun) -> str:
    """One rule of FAULTS, the first, narrower list (the wide mix draws it too)."""
    fault = dict(run.rng.choice(FAULTS))
    run.venue.call("POST", "/faults", fault)
    return str(fault["kind"])


INJECTORS: list[tuple[float, Callable[[ChaosRun], str]]] = [
    (3, base_fault),
    (5, endpoint_outcome),
    (1, venue_4xx),
    (2, resend_rejection),
    (2, resend_more),
    (3, user_channel),
    (1, market_channel),
    (2, listing_lags),
    (0.5, candles_missing),
    (1, unauthorized_burst),
    (0.5, clock_offset),
    (0.5, price_shock),
    (1, product_flag),
]


def inject(run: ChaosRun) -> str:
    """One fault of the wide mix, drawn by weight from the run's seeded RNG."""
    restore_flags(run, due_only=True)
    weights = [weight for weight, _ in INJECTORS]
    injector = run.rng.choices([i for _, i in INJECTORS], weights=weights)[0]
    return injector(run)


def restore_flags(run: ChaosRun, due_only: bool = False) -> None:
    """Flagged products back to normal (with `due_only`, those whose window has passed)."""
    for product_id, until in list(run.flagged.items()):
        if due_only and run.counts.faults < until:
            continue
        normal = {flag: False for flag in FLAGS}
        run.venue.call("POST", f"/products/{product_id}/flags", normal)
        del run.flagged[product_id]


def drill_faults(run: ChaosRun) -> str:
    """A drill's batch cancel answered 429 / 5xx, or lost after it acted."""
    rule = run.rng.choice(CANCEL_FAULTS)
    _post(run, {**rule, **CANCEL})
    return f"drill_{rule['kind']}"


def before_restart(run: ChaosRun) -> str:
    """Faults waiting for the restart's reads: fills, orders, accounts failing, or the
    latest fill missing from the fills listing for a few reads."""
    if run.rng.random() < 0.3:
        return "restart_" + listing_lags(run)
    scope, rule = run.rng.choice(RESTART_READS)
    _post(run, {**rule, **scope})
    return f"restart_{rule['kind']}@{scope['route'].removeprefix(API)}"
