"""REST payloads → typed models (EX-1, EX-4). Malformed → ExchangeProtocolError naming
the endpoint and field. Fills and balances obey the WebSocket decoder's money rule
(`fields.amount_problem`): a fill's price and size are above zero, its fee and every
balance zero or above. A candle's prices are above zero, its volume zero or above, and it
passes `core.candle_check` (on its bar's grid, open and close within low and high); a
listing holding one start twice with different figures is refused."""

from __future__ import annotations

from decimal import Decimal

from trader.core.candle_check import candle_problem
from trader.core.types import Candle, FeeRates, ProductRules, Quote, Side
from trader.exchange.coinbase.codes import cause_of, order_status
from trader.exchange.coinbase.fields import Reader
from trader.exchange.errors import ExchangeProtocolError
from trader.exchange.models import (
    Account,
    CancelResult,
    Fill,
    Order,
    PreviewResult,
    ServerTime,
)

EPOCH_FIRST = Decimal(946_684_800)  # 2000-01-01T00:00:00Z
EPOCH_LAST = Decimal(4_102_444_800)  # 2100-01-01T00:00:00Z


def product_rules(p: Reader) -> ProductRules:
    return ProductRules(
        product_id=p.text("product_id"),
        base_currency=p.text("base_currency_id", "") or p.text("base_name", ""),
        quote_currency=p.text("quote_currency_id", "") or p.text("quote_name", ""),
        base_increment=p.dec("base_increment"),
        quote_increment=p.dec("quote_increment"),
        base_min_size=p.dec("base_min_size"),
        base_max_size=p.dec("base_max_size"),
        quote_min_size=p.dec("quote_min_size"),
        quote_max_size=p.dec("quote_max_size"),
        status=p.text("status", "online"),
        trading_disabled=p.flag("trading_disabled", False) or p.flag("is_disabled", False),
        cancel_only=p.flag("cancel_only", False),
        limit_only=p.flag("limit_only", False),
        post_only=p.flag("post_only", False),
        auction_mode=p.flag("auction_mode", False),
    )


def candle(product_id: str, c: Reader, bar_s: int = 60) -> Candle:
    read = Candle(
        product_id=product_id,
        start=c.integer("start"),
        open=c.positive("open"),
        high=c.positive("high"),
        low=c.positive("low"),
        close=c.positive("close"),
        volume=c.quantity("volume"),
    )
    problem = candle_problem(read, bar_s)
    if problem is not None:
        raise ExchangeProtocolError(c.endpoint, c.where, f"is not a candle: {problem}")
    return read


def unique_candles(product_id: str, rows: list[Reader], bar_s: int) -> dict[int, Candle]:
    """The listing's candles by start: a row served twice is taken once, two rows of one
    start with different figures are refused (which one is the venue's?)."""
    found: dict[int, Candle] = {}
    for row in rows:
        read = candle(product_id, row, bar_s)
        seen = found.setdefault(read.start, read)
        if seen != read:
            raise ExchangeProtocolError(
                row.endpoint, f"{row.where}.start", f"repeats {read.start} with other figures"
            )
    return found


def pricebook_quote(book: Reader) -> Quote | None:
    """Touch of one pricebook; None when a side is empty. Prices above zero, sizes zero or
    above (the stream's rule)."""
    bids, asks = book.items("bids", optional=True), book.items("asks", optional=True)
    if not bids or not asks:
        return None
    return Quote(
        product_id=book.text("product_id"),
        bid=bids[0].positive("price"),
        bid_size=bids[0].quantity("size"),
        ask=asks[0].positive("price"),
        ask_size=asks[0].quantity("size"),
        time=book.time("time"),
    )


def account(a: Reader) -> Account:
    return Account(
        uuid=a.text("uuid"),
        currency=a.text("currency"),
        available=a.obj("available_balance").quantity("value"),
        hold=a.obj("hold").quantity("value") if a.data.get("hold") is not None else Decimal(0),
        account_type=a.text("type", ""),
        active=a.flag("active", True),
        ready=a.flag("ready", True),
    )


def unique_accounts(rows: list[Reader]) -> list[Account]:
    """Each account once (R-5): a row served again (a repeated page) is taken once; two
    rows of one uuid with different figures, or two accounts of one currency and type
    (a second wallet beside the one the key trades), are refused — summing them would be
    a balance nobody holds."""
    found: dict[str, Account] = {}
    wallets: dict[tuple[str, str], str] = {}
    for row in rows:
        read = account(row)
        seen = found.get(read.uuid)
        if seen is not None:
            if seen != read:
                raise ExchangeProtocolError(
                    row.endpoint,
                    f"{row.where}.uuid",
                    f"repeats account {read.uuid} with other figures",
                )
            continue
        twin = wallets.setdefault((read.currency, read.account_type), read.uuid)
        if twin != read.uuid:
            raise ExchangeProtocolError(
                row.endpoint,
                f"{row.where}.currency",
                f"is a second {read.currency} account ({read.uuid} beside {twin})",
            )
        found[read.uuid] = read
    return list(found.values())


def server_time(t: Reader) -> ServerTime:
    """`epochMillis`, else `epochSeconds`: a decimal (a string or a whole number, never a
    boolean or a float) of a time in 2000..2100; anything else is no reading of a clock
    (EX-3: it must not move the offset)."""
    if t.data.get("epochMillis") not in (None, ""):
        key, epoch = "epochMillis", t.dec("epochMillis") / 1000
    else:
        key, epoch = "epochSeconds", t.dec("epochSeconds")
    if not EPOCH_FIRST <= epoch <= EPOCH_LAST:
        raise ExchangeProtocolError(
            t.endpoint, key, f"is not a time in 2000..2100: {t.data.get(key)!r}"
        )
    return ServerTime(epoch=float(epoch), iso=t.text("iso", ""))


def fee_rates(summary: Reader) -> FeeRates:
    tier = summary.obj("fee_tier")
    return FeeRates(maker=tier.dec("maker_fee_rate"), taker=tier.dec("taker_fee_rate"))


def side(r: Reader, key: str) -> Side:
    raw = r.text(key)
    try:
        return Side(raw.upper())
    except ValueError:
        raise ExchangeProtocolError(r.endpoint, key, f"is not BUY or SELL: {raw!r}") from None


def order(o: Reader) -> Order:
    config = o.data.get("order_configuration") or {}
    params = Reader(
        o.endpoint,
        next(iter(config.values()), {}) if isinstance(config, dict) and config else {},
        "order_configuration",
    )
    return Order(
        order_id=o.text("order_id"),
        client_order_id=o.text("client_order_id", ""),
        product_id=o.text("product_id"),
        side=side(o, "side"),
        status=order_status(o.text("status")),
        order_type=o.text("order_type", "").upper(),
        time_in_force=o.text("time_in_force", ""),
        created_time=o.time("created_time", 0.0),
        filled_size=o.dec_or("filled_size", Decimal(0)) or Decimal(0),
        average_filled_price=o.dec_or("average_filled_price", Decimal(0)) or Decimal(0),
        filled_value=o.dec_or("filled_value", Decimal(0)) or Decimal(0),
        total_fees=o.dec_or("total_fees", Decimal(0)) or Decimal(0),
        number_of_fills=o.integer("number_of_fills", 0),
        base_size=params.dec_or("base_size", None),
        quote_size=params.dec_or("quote_size", None),
        limit_price=params.dec_or("limit_price", None),
        post_only=params.flag("post_only", False),
        reject_reason=o.text("reject_reason", ""),
        cancel_message=o.text("cancel_message", ""),
        settled=o.flag("settled", False),
        order_configuration=config if isinstance(config, dict) else {},
    )


def fill(f: Reader) -> Fill:
    return Fill(
        entry_id=f.text("entry_id", ""),
        trade_id=f.text("trade_id"),
        order_id=f.text("order_id"),
        product_id=f.text("product_id"),
        side=side(f, "side"),
        price=f.positive("price"),
        size=f.positive("size"),
        commission=f.quantity("commission"),
        liquidity=f.text("liquidity_indicator", ""),
        trade_type=f.text("trade_type", "FILL"),
        trade_time=f.time("trade_time"),
        sequence_timestamp=f.text("sequence_timestamp", ""),
    )


def preview(p: Reader) -> PreviewResult:
    zero = Decimal(0)
    return PreviewResult(
        order_total=p.dec_or("order_total", zero) or zero,
        commission_total=p.dec_or("commission_total", zero) or zero,
        base_size=p.dec_or("base_size", zero) or zero,
        quote_size=p.dec_or("quote_size", zero) or zero,
        best_bid=p.dec_or("best_bid", zero) or zero,
        best_ask=p.dec_or("best_ask", zero) or zero,
        slippage=p.dec_or("slippage", zero) or zero,
        errs=tuple(str(e) for e in p.array("errs", optional=True)),
        warnings=tuple(str(w) for w in p.array("warning", optional=True)),
        preview_id=p.text("preview_id", ""),
    )


def cancel_result(r: Reader) -> CancelResult:
    failure = r.text("failure_reason", "")
    return CancelResult(
        order_id=r.text("order_id"),
        success=r.flag("success"),
        failure_reason=failure,
        cause=cause_of(failure),
    )
