"""Coinbase Advanced Trade REST endpoints → typed models (EX-1, EX-4; protocol §2).

Reads retry (see `http.HttpClient.get`); POST /orders is sent once and classified as
accepted / rejected / unknown, never retried here (X-1: the execution engine resends the
byte-identical body to resolve an unknown).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiohttp
import orjson
import structlog

from trader.core.types import Candle, FeeRates, ProductRules, Quote
from trader.exchange.coinbase import parse
from trader.exchange.coinbase.codes import cause_of
from trader.exchange.coinbase.fields import Reader
from trader.exchange.coinbase.http import HttpClient, Params, RawResponse, parse_error_body
from trader.exchange.errors import ExchangeProtocolError
from trader.exchange.models import (
    Account,
    CancelResult,
    CreateOrderResult,
    Fill,
    Order,
    OrderAccepted,
    OrderRejected,
    OrderUnknown,
    PreviewResult,
    ServerTime,
)

log = structlog.get_logger("trader.exchange")
CANDLE_S = 60
DAY_S = 86400
MAX_CANDLES_PER_REQUEST = 349
# Coinbase's `granularity` names by bar length in seconds (protocol §2, candles)
GRANULARITY_NAMES = {
    60: "ONE_MINUTE",
    300: "FIVE_MINUTE",
    900: "FIFTEEN_MINUTE",
    1800: "THIRTY_MINUTE",
    3600: "ONE_HOUR",
    7200: "TWO_HOUR",
    21600: "SIX_HOUR",
    86400: "ONE_DAY",
}
MAX_CANCEL_IDS = 100
MAX_PAGES = 1000
MAX_REFUSED_REMEMBERED = 10_000
UNKNOWN_REASONS = frozenset({"", "UNKNOWN_FAILURE_REASON", "UNKNOWN_PREVIEW_FAILURE_REASON"})
# a throttled or timed-out request says nothing about the order: it may not have been read
UNPROVEN_STATUSES = frozenset({408, 429})
P = ParamSpec("P")
R = TypeVar("R")


def reports_malformed(
    call: Callable[Concatenate[CoinbaseRest, P], Awaitable[R]],
) -> Callable[Concatenate[CoinbaseRest, P], Awaitable[R]]:
    """Count (`outcome="malformed"`) and log a payload that breaks the documented format,
    naming endpoint and field, then let the ExchangeProtocolError propagate. The same
    problem answered again to the same call (of the same product) is counted, not logged
    again, until that call succeeds."""

    @functools.wraps(call)
    async def guarded(self: CoinbaseRest, /, *args: P.args, **kwargs: P.kwargs) -> R:
        subject = args[0] if args and isinstance(args[0], str) else ""
        key = f"{call.__name__} {subject}"
        try:
            result = await call(self, *args, **kwargs)
        except ExchangeProtocolError as exc:
            self.http.count(exc.endpoint, "malformed")
            if self.malformed_said.get(key) != str(exc):
                self.malformed_said[key] = str(exc)
                log.warning(
                    "exchange_malformed_payload",
                    endpoint=exc.endpoint,
                    field=exc.field,
                    error=str(exc),
                )
            raise
        self.malformed_said.pop(key, None)
        return result

    return guarded


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class CoinbaseRest:
    """Typed REST calls over one `HttpClient`."""

    def __init__(self, http: HttpClient, *, page_size: int | None = None) -> None:
        self.http = http
        self.page_size = page_size  # None: each endpoint's maximum
        self._refused_fills: set[str] = set()  # trade ids of malformed fills, logged once
        self.malformed_said: dict[str, str] = {}  # call -> the problem last logged for it

    # --- public market data (the `/market/` mirrors: IP budget, never competes with
    # order traffic for the private per-key budget) --------------------------------------
    @reports_malformed
    async def server_time(self) -> ServerTime:
        data = await self.http.get("/time", "time", private=False)
        return parse.server_time(Reader("time", data))

    @reports_malformed
    async def products(self, product_ids: Sequence[str] = ()) -> list[ProductRules]:
        params: Params = {"product_type": "SPOT", "product_ids": list(product_ids)}
        data = await self.http.get("/market/products", "products", private=False, params=params)
        return [parse.product_rules(p) for p in Reader("products", data).items("products")]

    @reports_malformed
    async def product(self, product_id: str) -> ProductRules:
        data = await self.http.get(f"/market/products/{product_id}", "product", private=False)
        return parse.product_rules(Reader("product", data))

    @reports_malformed
    async def candles(
        self, product_id: str, start: int, end: int, granularity_s: int = CANDLE_S
    ) -> list[Candle]:
        """Candles of `granularity_s` seconds (a key of GRANULARITY_NAMES) starting in
        [start, end), oldest first; ≤ 349 per request."""
        name = GRANULARITY_NAMES.get(granularity_s)
        if name is None:
            raise ValueError(f"no Coinbase granularity of {granularity_s} s")
        found: dict[int, Candle] = {}
        window = MAX_CANDLES_PER_REQUEST * granularity_s
        first = start // granularity_s * granularity_s
        for lo in range(first, end, window):
            hi = min(lo + window, end)
            params: Params = {
                "start": lo,
                "end": hi,
                "granularity": name,
                "limit": MAX_CANDLES_PER_REQUEST,
            }
            data = await self.http.get(
                f"/market/products/{product_id}/candles", "candles", private=False, params=params
            )
            rows = self._candle_rows(product_id, data, granularity_s)
            found.update((s, c) for s, c in rows.items() if start <= s < end)
        return [found[s] for s in sorted(found)]

    def _candle_rows(self, product_id: str, data: Any, bar_s: int) -> dict[int, Candle]:
        """One answer's candles; a malformed one refuses the whole answer, counted
        (`trader_venue_data_errors_total{kind="malformed_candle"}`): no piece of it is
        stored or fed to the triggers."""
        try:
            answer = Reader("candles", data, f"{product_id}/{GRANULARITY_NAMES[bar_s]}")
            rows = answer.items("candles", optional=True)
            return parse.unique_candles(product_id, rows, bar_s)
        except ExchangeProtocolError:
            self.http.metrics.venue_data_errors.labels(kind="malformed_candle").inc()
            raise

    @reports_malformed
    async def first_daily_start(self, product_id: str, now: float) -> float | None:
        """Start of the earliest daily candle in the last 349 days: the product has been
        listed at least since then (an honest lower bound; None without daily data)."""
        end = int(now) // DAY_S * DAY_S
        params: Params = {
            "start": end - MAX_CANDLES_PER_REQUEST * DAY_S,
            "end": end,
            "granularity": "ONE_DAY",
            "limit": MAX_CANDLES_PER_REQUEST,
        }
        data = await self.http.get(
            f"/market/products/{product_id}/candles", "candles", private=False, params=params
        )
        starts = list(self._candle_rows(product_id, data, DAY_S))
        return float(min(starts)) if starts else None

    @reports_malformed
    async def best_bid_ask(self, product_ids: Sequence[str]) -> dict[str, Quote]:
        data = await self.http.get(
            "/best_bid_ask", "best_bid_ask", private=True, params={"product_ids": list(product_ids)}
        )
        quotes: dict[str, Quote] = {}
        for book in Reader("best_bid_ask", data).items("pricebooks", optional=True):
            quote = parse.pricebook_quote(book)
            if quote is not None:
                quotes[quote.product_id] = quote
        return quotes

    # --- account ------------------------------------------------------------------------
    @reports_malformed
    async def accounts(self) -> list[Account]:
        rows = await self._paged(
            "/accounts", "accounts", "accounts", {"limit": self.page_size or 250}
        )
        return parse.unique_accounts(rows)

    @reports_malformed
    async def fee_rates(self) -> FeeRates:
        data = await self.http.get(
            "/transaction_summary",
            "transaction_summary",
            private=True,
            params={"product_type": "SPOT"},
        )
        return parse.fee_rates(Reader("transaction_summary", data))

    # --- orders -------------------------------------------------------------------------
    async def create_order_raw(self, body: bytes) -> CreateOrderResult:
        """Send `body` once; classify the answer (never raises for the outcome)."""
        try:
            raw = await self.http.post_once("/orders", "create_order", body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            cause = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
            self.http.count("create_order", "unknown")
            log.warning("create_order_unknown", cause=cause)
            return OrderUnknown(cause)
        result = classify_create(raw)
        if isinstance(result, OrderUnknown):
            log.warning("create_order_unknown", cause=result.cause, status=raw.status)
        elif isinstance(result, OrderRejected):
            log.info("create_order_rejected", reason=result.reason, status=raw.status)
        return result

    @reports_malformed
    async def preview_order(self, body: bytes) -> PreviewResult:
        data = await self.http.post("/orders/preview", "preview_order", body)
        return parse.preview(Reader("preview_order", data))

    @reports_malformed
    async def cancel_orders(self, order_ids: Sequence[str]) -> list[CancelResult]:
        results: list[CancelResult] = []
        ids = list(order_ids)
        for lo in range(0, len(ids), MAX_CANCEL_IDS):
            body = orjson.dumps({"order_ids": ids[lo : lo + MAX_CANCEL_IDS]})
            data = await self.http.post("/orders/batch_cancel", "cancel_orders", body)
            results += [
                parse.cancel_result(r) for r in Reader("cancel_orders", data).items("results")
            ]
        return results

    @reports_malformed
    async def get_order(self, order_id: str) -> Order:
        data = await self.http.get(f"/orders/historical/{order_id}", "get_order", private=True)
        return parse.order(Reader("get_order", data).obj("order"))

    @reports_malformed
    async def list_orders(
        self,
        *,
        product_ids: Sequence[str] = (),
        statuses: Sequence[str] = (),
        start: float | None = None,
    ) -> list[Order]:
        params: Params = {
            "product_ids": list(product_ids),
            "order_status": list(statuses),
            "limit": self.page_size or 1000,
            "start_date": rfc3339(start) if start is not None else None,
        }
        rows = await self._paged("/orders/historical/batch", "list_orders", "orders", params)
        return [parse.order(r) for r in rows]

    @reports_malformed
    async def fills(
        self,
        *,
        order_ids: Sequence[str] = (),
        product_ids: Sequence[str] = (),
        start: float | None = None,
    ) -> list[Fill]:
        params: Params = {
            "order_ids": list(order_ids),
            "product_ids": list(product_ids),
            "limit": self.page_size or 1000,
            "start_sequence_timestamp": rfc3339(start) if start is not None else None,
        }
        rows = await self._paged("/orders/historical/fills", "fills", "fills", params)
        fills: list[Fill] = []
        for row in rows:
            try:
                fills.append(parse.fill(row))
            except ExchangeProtocolError as exc:
                self._refuse_fill(row, exc)
        return fills

    def _refuse_fill(self, row: Reader, exc: ExchangeProtocolError) -> None:
        """A fill that breaks the format is left out, the others of its page are kept
        (EX-1, X-4): one line and one count per trade id, however often it is read again."""
        trade_id = row.data.get("trade_id")
        key = trade_id if isinstance(trade_id, str) else repr(row.data)[:200]
        if key in self._refused_fills:
            return
        if len(self._refused_fills) >= MAX_REFUSED_REMEMBERED:
            self._refused_fills.clear()
        self._refused_fills.add(key)
        self.http.count(exc.endpoint, "malformed")
        self.http.metrics.venue_data_errors.labels(kind="malformed_fill").inc()
        log.error(
            "exchange_fill_refused",
            endpoint=exc.endpoint,
            trade_id=trade_id,
            order_id=row.data.get("order_id"),
            field=exc.field,
            error=str(exc),
        )

    async def _paged(self, path: str, endpoint: str, key: str, params: Params) -> list[Reader]:
        """Follow `cursor` (with `has_next` when present) until the last page."""
        rows: list[Reader] = []
        cursor = ""
        for _ in range(MAX_PAGES):
            page_params = dict(params)
            if cursor:
                page_params["cursor"] = cursor
            page = Reader(
                endpoint, await self.http.get(path, endpoint, private=True, params=page_params)
            )
            rows += page.items(key, optional=True)
            cursor = page.text("cursor", "")
            if not cursor or page.data.get("has_next") is False:
                return rows
        raise ExchangeProtocolError(endpoint, "cursor", f"did not end after {MAX_PAGES} pages")


def classify_create(raw: RawResponse) -> CreateOrderResult:
    """200 success → accepted; 200 success:false or a 4xx other than 408/429 → rejected;
    5xx, 408, 429 and anything unparseable → unknown. Whether a rejection proves that no
    order exists is the execution engine's call (X-7: not when it answers a resend)."""
    if raw.status >= 500:
        return OrderUnknown(f"HTTP {raw.status}")
    if raw.status in UNPROVEN_STATUSES:
        code = parse_error_body(raw.status, raw.body).code
        return OrderUnknown(f"HTTP {raw.status}" + ("" if code.startswith("HTTP_") else f" {code}"))
    if raw.status >= 300:
        info = parse_error_body(raw.status, raw.body)
        return OrderRejected(info.code, info.message, raw.status, cause=cause_of(info.code))
    try:
        data: Any = orjson.loads(raw.body)
    except orjson.JSONDecodeError:
        return OrderUnknown("unparseable create_order response")
    if not isinstance(data, dict) or not isinstance(data.get("success"), bool):
        return OrderUnknown("create_order response without success flag")
    if data["success"]:
        return _accepted(data)
    return _rejected(data)


def _accepted(data: dict[str, Any]) -> CreateOrderResult:
    ok = data.get("success_response")
    ok = ok if isinstance(ok, dict) else {}
    order_id = ok.get("order_id") or data.get("order_id")
    if not isinstance(order_id, str) or not order_id:
        return OrderUnknown("create_order success without order_id")
    return OrderAccepted(
        order_id, str(ok.get("client_order_id", "")), str(ok.get("product_id", ""))
    )


def _rejected(data: dict[str, Any]) -> OrderRejected:
    err = data.get("error_response")
    err = err if isinstance(err, dict) else {}
    candidates = (
        err.get("new_order_failure_reason"),
        err.get("error"),
        err.get("preview_failure_reason"),
        data.get("failure_reason"),
    )
    reason = next(
        (str(c) for c in candidates if c and str(c) not in UNKNOWN_REASONS),
        "UNKNOWN_FAILURE_REASON",
    )
    preview = str(err.get("preview_failure_reason", ""))
    return OrderRejected(
        reason, str(err.get("message", "")), 200, preview, cause_of(reason, preview)
    )
