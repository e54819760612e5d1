"""Fault injection for the simulated venue (SIM-1).

A `FaultController` holds scoped fault rules (REST: latency, 429, 4xx, 5xx — either with a
`Retry-After` if asked —, timeout after accept, 401 — optionally only on a resend of a
known client id —, a row edit: the first row of a listing answered with one field set to a
given value, e.g. a fill of size "-1", and a row drop: every row of a listing whose field
holds a given value left out, e.g. one order's fills, or with `row_drop_range` every row
whose field holds a number in [low, high), e.g. hours of candles by `start`; WS: drop,
duplicate, reorder, sequence gap, close, and empty: the frame sent in sequence with
`events: []`; time skew: `GET /time` answered `skew_s` seconds off while the venue's token
check keeps its own clock) and venue-wide fault state (clock offset: the venue's whole
clock, `/time` and token checks alike, as when the client's clock is off; price shocks,
product flags via a hook). `ws_edit` changes a data frame's content in place of its shape:
the first row of its first event's `rows` list (`tickers`, `trades`, `updates`) carries
`value` at `field`, and with `repeat` that row is sent `repeat` times (a trade's id
numbered per copy): a crossed touch, a price far off, a product nobody subscribed, a frame
of thousands of trades or of megabytes; an edit rule is tried before the channel's other
rules (`ws_empty` added first keeps a product quiet after one edited frame). A rule fires
on the requests/messages it matches (`path_prefix`, `route` — the venue's route pattern, e.g.
`/api/v3/brokerage/orders/historical/{order_id}` for the single-order status alone —,
`method`, `channel`) with `probability` drawn from a seeded RNG, at most `count` times
(None = until removed). Every injected fault is counted.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    LATENCY = "latency"
    HTTP_429 = "http_429"
    HTTP_5XX = "http_5xx"
    HTTP_4XX = "http_4xx"
    TIMEOUT_AFTER_ACCEPT = "timeout_after_accept"
    HTTP_401 = "http_401"
    ROW_EDIT = "row_edit"
    ROW_DROP = "row_drop"
    ROW_DROP_RANGE = "row_drop_range"
    TIME_SKEW = "time_skew"
    WS_DROP = "ws_drop"
    WS_DUPLICATE = "ws_duplicate"
    WS_REORDER = "ws_reorder"
    WS_GAP = "ws_gap"
    WS_CLOSE = "ws_close"
    WS_EMPTY = "ws_empty"
    WS_EDIT = "ws_edit"
    PRODUCT_FLAGS = "product_flags"
    PRODUCT_RULES = "product_rules"
    PRICE_SHOCK = "price_shock"
    CLOCK_OFFSET = "clock_offset"


REST_KINDS = (
    FaultKind.LATENCY,
    FaultKind.HTTP_401,
    FaultKind.HTTP_429,
    FaultKind.HTTP_5XX,
    FaultKind.HTTP_4XX,
    FaultKind.TIMEOUT_AFTER_ACCEPT,
    FaultKind.ROW_EDIT,
    FaultKind.ROW_DROP,
    FaultKind.ROW_DROP_RANGE,
    FaultKind.TIME_SKEW,
)
# change an answer, never replace it
REST_MODIFIERS = (
    FaultKind.LATENCY,
    FaultKind.ROW_EDIT,
    FaultKind.ROW_DROP,
    FaultKind.ROW_DROP_RANGE,
    FaultKind.TIME_SKEW,
)
WS_KINDS = (
    FaultKind.WS_DROP,
    FaultKind.WS_DUPLICATE,
    FaultKind.WS_REORDER,
    FaultKind.WS_GAP,
    FaultKind.WS_CLOSE,
    FaultKind.WS_EMPTY,
    FaultKind.WS_EDIT,
)
WS_CLOSE_CODES = (1000, 1001, 1006)
PRODUCT_FLAG_NAMES = ("trading_disabled", "cancel_only", "limit_only", "post_only", "status")
PRODUCT_RULE_NAMES = (
    "base_increment",
    "quote_increment",
    "base_min_size",
    "base_max_size",
    "quote_min_size",
    "quote_max_size",
)


@dataclass(slots=True)
class FaultRule:
    """One scoped fault. Parameters not used by `kind` are ignored."""

    id: int
    kind: FaultKind
    count: int | None = None
    path_prefix: str = ""
    route: str = ""  # REST: the route's pattern as the venue registers it; "" = any
    method: str = ""
    channel: str = ""
    probability: float = 1.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    status: int = 503
    body: str = "json"
    mode: str = "hold"
    hold_s: float = 30.0
    gap: int = 1
    code: int = 1000
    on_resend: bool = False  # REST: only a create whose client_order_id was sent before
    error: str = "INVALID_ARGUMENT"  # http_4xx: the error code in the JSON body
    retry_after_s: int = 0  # http_429 / http_5xx: a `Retry-After` header of that many seconds
    # row_edit/row_drop: the listing's key (`fills`, `accounts`); ws_edit: `tickers`..
    rows: str = ""
    # row_edit: the field of its first row, dotted (`available_balance.value`);
    # row_drop: the field of every row (`order_id`, `side`); ws_edit: of its first row
    field: str = ""
    value: str = ""  # row_edit, ws_edit: the text it is set to; row_drop: dropped rows hold it
    low: float = 0.0  # row_drop_range: rows whose field's number is in [low, high) dropped
    high: float = 0.0
    skew_s: float = 0.0  # time_skew: seconds added to the `/time` answer
    repeat: int = 1  # ws_edit: the edited row sent this many times

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = str(self.kind)
        return data


TIME_PATH = "/api/v3/brokerage/time"
RULE_PARAMS = frozenset(f.name for f in fields(FaultRule)) - {"id", "kind"}
ProductFlagsHook = Callable[[str, dict[str, Any]], None]
ProductRulesHook = Callable[[str, dict[str, Any]], None]
CloseHook = Callable[[int], int]


class FaultController:
    """Rules, counters and fault state; the venue's middleware and WS sessions consult it."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.rules: list[FaultRule] = []
        self.counts: Counter[str] = Counter()
        self.clock_offset_s = 0.0
        self.price_factors: dict[str, Decimal] = {}
        self.global_price_factor = Decimal(1)
        self._next_id = 1
        self.product_flags_hook: ProductFlagsHook | None = None
        self.product_rules_hook: ProductRulesHook | None = None
        self.close_hook: CloseHook | None = None

    # --- rules -------------------------------------------------------------------------
    def add(self, kind: FaultKind | str, **params: Any) -> FaultRule:
        """Add a rule; ValueError on an unknown kind, parameter or value."""
        rule_kind = _parse_kind(kind)
        if rule_kind not in REST_KINDS + WS_KINDS:
            raise ValueError(f"{rule_kind} is not a rule fault; use its own method")
        unknown = set(params) - RULE_PARAMS
        if unknown:
            raise ValueError(f"unknown fault parameters: {sorted(unknown)}")
        if rule_kind is FaultKind.TIME_SKEW:
            params.setdefault("path_prefix", TIME_PATH)
        rule = FaultRule(id=self._next_id, kind=rule_kind, **params)
        _validate(rule)
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: int) -> bool:
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.id != rule_id]
        return len(self.rules) < before

    def clear(self) -> None:
        """Remove every rule and reset clock offset and price shocks (counts are kept)."""
        self.rules.clear()
        self.clock_offset_s = 0.0
        self.price_factors.clear()
        self.global_price_factor = Decimal(1)

    def rest_faults(
        self, method: str, path: str, resend: bool = False, route: str = ""
    ) -> list[FaultRule]:
        """REST rules that fire for this request (counts consumed and recorded): every
        matching latency, row-edit and row-drop rule plus at most one outcome rule
        (401/429/4xx/5xx/timeout).
        `resend`: the request creates an order for a client id the venue received before;
        `route`: the pattern of the route the request resolved to."""
        fired: list[FaultRule] = []
        outcome_fired = False
        for rule in list(self.rules):
            if rule.kind not in REST_KINDS or not _matches_rest(rule, method, path, route):
                continue
            if rule.on_resend and not resend:
                continue
            is_outcome = rule.kind not in REST_MODIFIERS
            if is_outcome and outcome_fired:
                continue
            if self._fire(rule):
                fired.append(rule)
                outcome_fired = outcome_fired or is_outcome
        return fired

    def ws_fault(self, channel: str) -> FaultRule | None:
        """The first WS rule that fires for an outgoing message on `channel`, if any; a
        `ws_edit` rule before the others (a one-off edit of content lands on the next real
        frame even when a rule added before it empties the channel's frames from then on)."""
        rules = [r for r in self.rules if r.kind in WS_KINDS and r.channel in ("", channel)]
        rules.sort(key=lambda r: r.kind is not FaultKind.WS_EDIT)  # stable: else in order
        for rule in rules:
            if self._fire(rule):
                return rule
        return None

    def _fire(self, rule: FaultRule) -> bool:
        if rule.probability < 1.0 and self.rng.random() >= rule.probability:
            return False
        if rule.on_resend:
            self.counts[f"{rule.kind}_on_resend"] += 1
        if rule.count is not None:
            rule.count -= 1
            if rule.count <= 0:
                self.remove(rule.id)
        self.counts[str(rule.kind)] += 1
        return True

    # --- venue-wide state --------------------------------------------------------------
    def set_clock_offset(self, offset_s: float) -> None:
        """Shift the venue clock (`/time`, JWT nbf/exp checks) by `offset_s` seconds."""
        self.clock_offset_s = float(offset_s)
        self.counts[str(FaultKind.CLOCK_OFFSET)] += 1

    def price_shock(self, pct: Decimal | float | str, product_id: str | None = None) -> None:
        """Jump the market price by `pct` percent (one product, or all when None)."""
        factor = Decimal(1) + Decimal(str(pct)) / Decimal(100)
        if factor <= 0:
            raise ValueError(f"price shock of {pct}% would make prices non-positive")
        if product_id is None:
            self.global_price_factor *= factor
        else:
            self.price_factors[product_id] = self.price_factors.get(product_id, Decimal(1)) * factor
        self.counts[str(FaultKind.PRICE_SHOCK)] += 1

    def price_factor(self, product_id: str) -> Decimal:
        return self.global_price_factor * self.price_factors.get(product_id, Decimal(1))

    def set_product_flags(self, product_id: str, **flags: Any) -> None:
        """Flip `trading_disabled`, `cancel_only`, `limit_only`, `post_only` or `status`."""
        unknown = set(flags) - set(PRODUCT_FLAG_NAMES)
        if unknown or not flags:
            raise ValueError(f"flags must be some of {PRODUCT_FLAG_NAMES}, got {sorted(flags)}")
        if self.product_flags_hook is None:
            raise RuntimeError("no venue attached to this fault controller")
        self.product_flags_hook(product_id, flags)
        self.counts[str(FaultKind.PRODUCT_FLAGS)] += 1

    def set_product_rules(self, product_id: str, **values: Any) -> None:
        """Change a product's increments or size limits (decimal strings, positive), as
        the venue does now and then: orders are judged by the new rules at once."""
        unknown = set(values) - set(PRODUCT_RULE_NAMES)
        if unknown or not values:
            raise ValueError(f"rules must be some of {PRODUCT_RULE_NAMES}, got {sorted(values)}")
        parsed = {name: _positive_decimal(name, value) for name, value in values.items()}
        if self.product_rules_hook is None:
            raise RuntimeError("no venue attached to this fault controller")
        self.product_rules_hook(product_id, parsed)
        self.counts[str(FaultKind.PRODUCT_RULES)] += 1

    def close_websockets(self, code: int = 1000) -> int:
        """Close every WS connection now with `code` (1006 aborts TCP); returns how many."""
        if code not in WS_CLOSE_CODES:
            raise ValueError(f"close code must be one of {WS_CLOSE_CODES}")
        if self.close_hook is None:
            raise RuntimeError("no venue attached to this fault controller")
        closed = self.close_hook(code)
        self.counts[str(FaultKind.WS_CLOSE)] += closed
        return closed

    def snapshot(self) -> dict[str, Any]:
        """Rules, counts and state as JSON (`GET /_sim/faults`)."""
        return {
            "rules": [r.to_json() for r in self.rules],
            "counts": dict(sorted(self.counts.items())),
            "clock_offset_s": self.clock_offset_s,
            "price_factors": {k: str(v) for k, v in sorted(self.price_factors.items())},
            "global_price_factor": str(self.global_price_factor),
        }


def _parse_kind(kind: FaultKind | str) -> FaultKind:
    try:
        return FaultKind(kind)
    except ValueError as exc:
        raise ValueError(f"unknown fault kind {kind!r}") from exc


def _matches_rest(rule: FaultRule, method: str, path: str, route: str) -> bool:
    if rule.method and rule.method.upper() != method.upper():
        return False
    if rule.route and rule.route != route:
        return False
    return path.startswith(rule.path_prefix)


def _validate(rule: FaultRule) -> None:
    if rule.count is not None and rule.count <= 0:
        raise ValueError("count must be positive (or null for unlimited)")
    if not 0.0 < rule.probability <= 1.0:
        raise ValueError("probability must be in (0, 1]")
    if rule.latency_ms < 0 or rule.jitter_ms < 0 or rule.hold_s < 0:
        raise ValueError("latency_ms, jitter_ms and hold_s must not be negative")
    if isinstance(rule.retry_after_s, bool) or not isinstance(rule.retry_after_s, int):
        raise ValueError("retry_after_s must be a whole number of seconds")
    if rule.retry_after_s < 0:
        raise ValueError("retry_after_s must not be negative")
    if rule.kind is FaultKind.HTTP_5XX and not 500 <= rule.status <= 599:
        raise ValueError("status must be a 5xx code")
    if rule.kind is FaultKind.HTTP_4XX and (
        not 400 <= rule.status <= 499 or rule.status in (401, 429)
    ):
        raise ValueError("status must be a 4xx code other than 401 and 429 (their own kinds)")
    if not isinstance(rule.on_resend, bool):
        raise ValueError("on_resend must be true or false")
    if rule.kind is FaultKind.HTTP_429 and rule.body not in ("json", "html"):
        raise ValueError("429 body must be 'json' or 'html'")
    if rule.kind is FaultKind.TIMEOUT_AFTER_ACCEPT and rule.mode not in ("hold", "drop"):
        raise ValueError("timeout_after_accept mode must be 'hold' or 'drop'")
    if rule.kind is FaultKind.WS_CLOSE and rule.code not in WS_CLOSE_CODES:
        raise ValueError(f"close code must be one of {WS_CLOSE_CODES}")
    names = (rule.rows, rule.field)
    if rule.kind in (FaultKind.ROW_EDIT, FaultKind.ROW_DROP) and not (
        all(isinstance(name, str) and name for name in names) and isinstance(rule.value, str)
    ):
        raise ValueError(f"{rule.kind} needs rows and field (names) and value (a string)")
    if rule.kind is FaultKind.ROW_DROP_RANGE and not (
        all(isinstance(name, str) and name for name in names) and _range(rule.low, rule.high)
    ):
        raise ValueError("row_drop_range needs rows and field (names) and numbers low < high")
    if rule.kind is FaultKind.TIME_SKEW and not _seconds(rule.skew_s):
        raise ValueError("skew_s must be a number of seconds (at most 100 years)")
    if rule.kind is FaultKind.TIME_SKEW and rule.path_prefix != TIME_PATH:
        raise ValueError(f"time_skew applies to {TIME_PATH} only")
    if rule.kind is FaultKind.WS_EDIT and not (
        isinstance(rule.rows, str)
        and rule.rows
        and isinstance(rule.field, str)
        and isinstance(rule.value, str)
        and type(rule.repeat) is int
        and 1 <= rule.repeat <= 1_000_000
        and (rule.field or rule.repeat > 1)
    ):
        raise ValueError(
            "ws_edit needs rows (a name), a field and value (strings) or a repeat in 2..1000000"
        )
    if rule.kind is FaultKind.WS_GAP and rule.gap < 1:
        raise ValueError("gap must be at least 1")


def _range(low: object, high: object) -> bool:
    if not (isinstance(low, int | float) and isinstance(high, int | float)):
        return False
    return not isinstance(low, bool) and math.isfinite(low) and math.isfinite(high) and low < high


def _seconds(value: object) -> bool:
    """A number of seconds within a century either way."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and abs(value) <= 100 * 365 * 86400


def _positive_decimal(name: str, value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a decimal string, got {value!r}")
    try:
        parsed = Decimal(value)
    except ArithmeticError as exc:
        raise ValueError(f"{name} must be a decimal string, got {value!r}") from exc
    if not parsed.is_finite() or parsed <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return parsed
