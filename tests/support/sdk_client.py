"""The official Coinbase SDK (`coinbase-advanced-py`) as an unmodified client of `trader sim
--tls` (SIM-1). Run by the SDK's own interpreter, not the project's (the SDK needs
websockets<14): `python sdk_client.py HOST:PORT KEY_FILE`, with REQUESTS_CA_BUNDLE naming the
venue's CA. Prints one JSON line per check, {"check", "ok", "detail"}; exits 0 when it got
to the end (the checks' results are for the caller to judge). Imports only the SDK and the
standard library."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from coinbase.rest import RESTClient
from requests.exceptions import HTTPError
from sdk_client_ws import check_ws  # beside this file

PRODUCT = "BTC-USD"
PACE_S = 0.1  # the SDK does not retry a 429: stay well under Coinbase's 30 requests/s


def report(check: str, ok: bool, detail: Any = "") -> None:
    """One check's result; what was received only when it failed."""
    shown = "" if ok else str(detail)[:600]
    print(json.dumps({"check": check, "ok": bool(ok), "detail": shown}), flush=True)


def attempt(check: str, call: Callable[[], Any], expect: Callable[[Any], bool]) -> Any:
    """Run one SDK call; the check passes when it returns and `expect` holds."""
    time.sleep(PACE_S)
    try:
        result = call()
    except Exception as exc:  # the SDK's own exception is the finding
        report(check, False, f"{type(exc).__name__}: {exc}")
        return None
    try:
        ok = expect(result)
    except Exception as exc:
        ok, result = False, f"{type(exc).__name__}: {exc} in {result}"
    report(check, ok, "" if ok else result)
    return result


def http_error(check: str, call: Callable[[], Any], status: int, error: str | None) -> None:
    """A call the venue refuses: the SDK raises HTTPError with `status` and, for JSON errors,
    the body's `error` code."""
    time.sleep(PACE_S)
    try:
        call()
    except HTTPError as exc:
        response = exc.response
        body = response.json() if error is not None else response.text
        ok = response.status_code == status and (error is None or body.get("error") == error)
        report(check, ok, f"{response.status_code} {body}")
        return
    report(check, False, "no HTTPError raised")


def client_id() -> str:
    return str(uuid.uuid4())


def created(result: Any) -> bool:
    return bool(result.success) and result.success_response["order_id"] == result.order_id


def check_public(client: RESTClient, public: RESTClient) -> None:
    now = int(time.time())
    window = (str(now - 3600), str(now), "ONE_MINUTE")
    attempt("time", public.get_unix_time, lambda r: int(r.epoch_seconds) > 0 and r.iso)
    attempt("public_products", lambda: public.get_public_products(limit=2), lambda r: r.products)
    attempt("public_product", lambda: public.get_public_product(PRODUCT), lambda r: r.price)
    attempt(
        "public_product_book",
        lambda: public.get_public_product_book(PRODUCT, limit=3),
        lambda r: r.pricebook.bids and r.pricebook.asks,
    )
    attempt("public_candles", lambda: public.get_public_candles(PRODUCT, *window), _candles)
    attempt(
        "public_market_trades",
        lambda: public.get_public_market_trades(PRODUCT, 5),
        lambda r: r.trades and r.best_bid and r.best_ask,
    )
    attempt("candles", lambda: client.get_candles(PRODUCT, *window), _candles)
    attempt("market_trades", lambda: client.get_market_trades(PRODUCT, 5), lambda r: r.trades)


def _candles(result: Any) -> bool:
    first = result.candles[0]
    return all(isinstance(getattr(first, k), str) for k in ("start", "open", "close", "volume"))


def check_account(client: RESTClient) -> None:
    accounts = attempt(
        "accounts", lambda: client.get_accounts(limit=250), lambda r: r.accounts and r.size
    )
    if accounts:
        uuid_ = accounts.accounts[0].uuid
        attempt("account", lambda: client.get_account(uuid_), lambda r: r.account.uuid == uuid_)
    attempt("products", lambda: client.get_products(product_type="SPOT"), lambda r: r.products)
    attempt("product", lambda: client.get_product(PRODUCT), lambda r: r.product_id == PRODUCT)
    attempt("product_book", lambda: client.get_product_book(PRODUCT, limit=5), _book)
    attempt(
        "best_bid_ask",
        lambda: client.get_best_bid_ask([PRODUCT]),
        lambda r: r.pricebooks[0].bids[0].price,
    )
    attempt(
        "transaction_summary",
        lambda: client.get_transaction_summary(product_type="SPOT"),
        lambda r: Decimal(r.fee_tier["taker_fee_rate"]) > 0,
    )
    portfolios = attempt("portfolios", client.get_portfolios, lambda r: r.portfolios)
    if portfolios:
        uuid_ = portfolios.portfolios[0].uuid
        attempt(
            "portfolio_breakdown",
            lambda: client.get_portfolio_breakdown(uuid_),
            lambda r: r.breakdown.portfolio["uuid"] == uuid_,
        )
    attempt("key_permissions", client.get_api_key_permissions, lambda r: r.can_trade)
    attempt(
        "rate_limit_headers",
        lambda: client.get_accounts(limit=1).to_dict(),
        lambda r: int(r["rate_limit_limit"]) > 0 and r["rate_limit_remaining"] is not None,
    )


def _book(result: Any) -> bool:
    return bool(result.pricebook.bids and result.pricebook.asks)


def check_orders(client: RESTClient) -> None:
    product = client.get_product(PRODUCT)
    book = client.get_best_bid_ask([PRODUCT]).pricebooks[0]
    tick, lot = Decimal(product.quote_increment), Decimal(product.base_increment)
    low = (Decimal(book.bids[0].price) * Decimal("0.8")).quantize(tick)
    high = (Decimal(book.asks[0].price) * Decimal("1.2")).quantize(tick)
    size = str((Decimal(20) / low).quantize(lot))
    low_s, high_s, lower_s = str(low), str(high), str((low * Decimal("0.9")).quantize(tick))
    attempt(
        "preview_market",
        lambda: client.preview_market_order_buy(PRODUCT, quote_size="10"),
        lambda r: r.preview_id and not r.errs,
    )
    attempt(
        "preview_limit",
        lambda: client.preview_limit_order_gtc_buy(PRODUCT, size, low_s),
        lambda r: r.preview_id and not r.errs,
    )
    attempt(
        "market_buy",
        lambda: client.market_order_buy(client_id(), PRODUCT, quote_size="20"),
        created,
    )
    sold = str((Decimal(10) / Decimal(book.asks[0].price)).quantize(lot))  # of the 20 bought
    attempt("market_sell", lambda: client.market_order_sell(client_id(), PRODUCT, sold), created)
    attempt(
        "limit_ioc", lambda: client.limit_order_ioc_buy(client_id(), PRODUCT, size, low_s), created
    )
    attempt(
        "limit_fok", lambda: client.limit_order_fok_buy(client_id(), PRODUCT, size, low_s), created
    )
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    attempt(
        "limit_gtd",
        lambda: client.limit_order_gtd_buy(client_id(), PRODUCT, size, low_s, end),
        created,
    )
    attempt(
        "stop_limit",
        lambda: client.stop_limit_order_gtc_buy(
            client_id(), PRODUCT, size, high_s, high_s, "STOP_DIRECTION_STOP_UP"
        ),
        created,
    )
    attempt(
        "bracket",
        lambda: client.trigger_bracket_order_gtc_sell(client_id(), PRODUCT, size, high_s, low_s),
        lambda r: r.success or r.error_response["error"] == "INSUFFICIENT_FUND",
    )
    check_order_lifecycle(client, size, low_s, lower_s)


def check_order_lifecycle(client: RESTClient, size: str, price: str, lower: str) -> None:
    coid = client_id()
    order = attempt(
        "limit_gtc",
        lambda: client.limit_order_gtc_buy(coid, PRODUCT, size, price, post_only=True),
        created,
    )
    if not order:
        return
    order_id = order.order_id
    attempt(
        "duplicate_client_order_id",
        lambda: client.limit_order_gtc_buy(coid, PRODUCT, size, price, post_only=True),
        lambda r: r.success and r.order_id == order_id,
    )
    attempt("get_order", lambda: client.get_order(order_id), lambda r: r.order["status"] == "OPEN")
    attempt(
        "preview_edit",
        lambda: client.preview_edit_order(order_id, size, lower),
        lambda r: not r.errors,
    )
    attempt("edit_order", lambda: client.edit_order(order_id, size, lower), lambda r: r.success)
    attempt(
        "list_orders_open",
        lambda: client.list_orders(product_ids=[PRODUCT], order_status=["OPEN"]),
        lambda r: order_id in {o["order_id"] for o in r.orders},
    )
    attempt(
        "cancel_orders",
        lambda: client.cancel_orders([order_id]),
        lambda r: r.results[0]["success"] and r.results[0]["order_id"] == order_id,
    )
    attempt("list_orders", lambda: client.list_orders(limit=5), lambda r: r.orders)
    attempt("fills", lambda: client.get_fills(product_ids=[PRODUCT]), lambda r: r.fills)
    attempt(
        "close_position_spot",
        lambda: client.close_position(client_id(), PRODUCT),
        lambda r: r.success is False and r.error_response["error"],
    )
    http_error("get_order_unknown", lambda: client.get_order(client_id()), 404, "NOT_FOUND")


def check_refusals(host: str, key_file: str) -> None:
    with open(key_file) as handle:
        secret = json.load(handle)["privateKey"]
    stranger = RESTClient(
        base_url=host, api_key="organizations/o/apiKeys/unknown", api_secret=secret
    )
    http_error("unknown_key_401", stranger.get_accounts, 401, None)
    client = RESTClient(base_url=host, key_file=key_file)
    http_error("unknown_product_404", lambda: client.get_product("NOPE-USD"), 404, "NOT_FOUND")


def check_rest(host: str, key_file: str) -> None:
    client = RESTClient(base_url=host, key_file=key_file, rate_limit_headers=True)
    check_public(client, RESTClient(base_url=host))
    check_account(client)
    check_orders(client)
    check_refusals(host, key_file)


def main() -> int:
    host, key_file = sys.argv[1], sys.argv[2]
    check_rest(host, key_file)
    check_ws(host, key_file, RESTClient(base_url=host, key_file=key_file), report)
    report("done", True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
