"""Builders for decision-core tests (shared by tests/universe, triggers, strategies, risk)."""

from __future__ import annotations

from decimal import Decimal

from trader.config.policy import PolicyConfig
from trader.config.universe import UniverseConfig
from trader.core.decision import Proposal
from trader.core.market import MarketSnapshot, ProductMarket
from trader.core.portfolio import OpenOrder, Portfolio, Position
from trader.core.types import Candle, ProductRules, Quote, Side
from trader.risk.config import RiskConfig

NOW = 1_763_700_000.0  # 2025-11-21 04:40 UTC
D = Decimal


def rules(
    pid: str = "BTC-USD",
    *,
    base_increment: str = "0.0001",
    base_min: str = "0.0001",
    base_max: str = "1000000",
    quote_min: str = "1",
    quote_max: str = "10000000",
    **flags: object,
) -> ProductRules:
    base, quote = pid.split("-")
    return ProductRules(
        product_id=pid,
        base_currency=base,
        quote_currency=quote,
        base_increment=D(base_increment),
        quote_increment=D("0.01"),
        base_min_size=D(base_min),
        base_max_size=D(base_max),
        quote_min_size=D(quote_min),
        quote_max_size=D(quote_max),
        **flags,  # type: ignore[arg-type]
    )


def quote(pid: str, price: str | Decimal, spread_bps: str = "2", time: float = NOW) -> Quote:
    mid = D(price)
    half = mid * D(spread_bps) / D(20000)
    return Quote(pid, mid - half, D("1"), mid + half, D("1"), time)


def market_for(
    pid: str = "BTC-USD",
    price: str | Decimal = "100",
    *,
    now: float = NOW,
    spread_bps: str = "2",
    volume: str | None = "100000000",
    sigma: float | None = 0.001,
    listed_days: float | None = 400,
    data_age: float = 1.0,
    product_rules: ProductRules | None = None,
    with_quote: bool = True,
) -> ProductMarket:
    return ProductMarket(
        rules=product_rules or rules(pid),
        quote=quote(pid, price, spread_bps, now - data_age) if with_quote else None,
        quote_volume_24h=D(volume) if volume is not None else None,
        listed_at=now - listed_days * 86400 if listed_days is not None else None,
        data_time=now - data_age,
        sigma=sigma,
        last_close=D(price),
    )


def snapshot(
    *products: ProductMarket, regime: str = "normal", tier: str = "core"
) -> MarketSnapshot:
    by_id = {p.product_id: p for p in products}
    return MarketSnapshot(by_id, regime, {pid: tier for pid in by_id})


def portfolio(
    cash: str | Decimal = "10000",
    positions: tuple[Position, ...] = (),
    orders: tuple[OpenOrder, ...] = (),
) -> Portfolio:
    return Portfolio("USD", {"USD": D(cash)}, {p.product_id: p for p in positions}, orders)


def position(
    pid: str = "BTC-USD",
    size: str = "1",
    cost: str = "100",
    *,
    entry: float = NOW - 600,
    strategy: str = "rules",
    stop: str | None = "3",
    **extra: object,
) -> Position:
    return Position(
        pid,
        D(size),
        D(cost),
        entry,
        strategy,
        D(stop) if stop is not None else None,
        **extra,  # type: ignore[arg-type]
    )


def buy(
    pid: str = "BTC-USD",
    *,
    pct: str | None = "5",
    notional: str | None = None,
    stop: str | None = "3",
    strategy: str = "rules",
    conviction: float = 0.8,
) -> Proposal:
    return Proposal(
        pid,
        Side.BUY,
        strategy,
        conviction,
        "test",
        size_pct=D(pct) if pct is not None else None,
        quote_notional=D(notional) if notional is not None else None,
        stop_loss_pct=D(stop) if stop is not None else None,
    )


def sell(pid: str = "BTC-USD", size: str = "1", strategy: str = "rules") -> Proposal:
    return Proposal(pid, Side.SELL, strategy, 0.5, "test", base_size=D(size))


def risk_config(budget: str = "100", fee_taker: str = "0.009", **policy: object) -> RiskConfig:
    base = {"fee_fallback_taker": D(fee_taker), "min_notional": D("1"), "min_cash_reserve_pct": 0}
    base.update(policy)
    return RiskConfig(
        policy=PolicyConfig.model_validate(base),
        universe=UniverseConfig(),
        strategy_budgets={"rules": D(budget)},
    )


def candle(
    pid: str,
    start: int,
    close: str | float,
    volume: str | float = "10",
    *,
    high: str | float | None = None,
    low: str | float | None = None,
    open_: str | float | None = None,
) -> Candle:
    c = D(str(close))
    return Candle(
        pid,
        start,
        D(str(open_)) if open_ is not None else c,
        D(str(high)) if high is not None else c,
        D(str(low)) if low is not None else c,
        c,
        D(str(volume)),
    )
