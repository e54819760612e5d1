"""Exposure bookkeeping for one `evaluate` call (R-1).

Built from the portfolio (positions at mid, open BUY orders at worst-case notional) and
updated with each approval, so later proposals in the batch see earlier approvals: a batch
can never exceed a cap together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from trader.core.market import MarketSnapshot
from trader.core.portfolio import Portfolio
from trader.core.risk_state import TradeStamp
from trader.core.types import Side
from trader.risk.config import RiskConfig
from trader.risk.fees import rate_for
from trader.universe.clusters import base_of, clusters_of

ZERO: Final = Decimal(0)
HUNDRED: Final = Decimal(100)


def at_risk(notional: Decimal, stop_loss_pct: Decimal | None) -> Decimal:
    """Loss if the stop is hit; without a stop the whole notional is at risk."""
    if stop_loss_pct is None:
        return notional
    return notional * stop_loss_pct / HUNDRED


@dataclass(slots=True)
class ExposureLedger:
    """Committed notional per product, at-risk per strategy, spendable cash, trades."""

    equity: Decimal
    cash_available: Decimal
    by_product: dict[str, Decimal] = field(default_factory=dict)
    at_risk_by_strategy: dict[str, Decimal] = field(default_factory=dict)
    open_products: set[str] = field(default_factory=set)
    trades: tuple[TradeStamp, ...] = ()
    clusters_by_product: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unvalued_orders: list[str] = field(default_factory=list)
    balances_known: bool = True

    def total(self) -> Decimal:
        return sum(self.by_product.values(), ZERO)

    def product(self, product_id: str) -> Decimal:
        return self.by_product.get(product_id, ZERO)

    def group(self, members: Iterable[str]) -> Decimal:
        return sum((self.product(pid) for pid in set(members)), ZERO)

    def in_cluster(self, cluster: str) -> list[str]:
        return [pid for pid, names in self.clusters_by_product.items() if cluster in names]

    def strategy_at_risk(self, strategy_id: str) -> Decimal:
        return self.at_risk_by_strategy.get(strategy_id, ZERO)

    def add_buy(
        self,
        product_id: str,
        strategy_id: str,
        notional: Decimal,
        cost: Decimal,
        stop_loss_pct: Decimal | None,
        stamp: TradeStamp,
        clusters: tuple[str, ...],
    ) -> None:
        """Record an approved entry: exposure, at-risk, cash (with fee), slot, trade stamp."""
        self.by_product[product_id] = self.product(product_id) + notional
        risk = self.strategy_at_risk(strategy_id) + at_risk(notional, stop_loss_pct)
        self.at_risk_by_strategy[strategy_id] = risk
        self.cash_available -= cost
        self.open_products.add(product_id)
        self.trades = (*self.trades, stamp)
        self.clusters_by_product[product_id] = clusters


def _clusters(product_id: str, market: MarketSnapshot, config: RiskConfig) -> tuple[str, ...]:
    product = market.get(product_id)
    base = product.rules.base_currency if product is not None else base_of(product_id)
    return clusters_of(product_id, base, config.universe)


def build_ledger(
    portfolio: Portfolio,
    market: MarketSnapshot,
    config: RiskConfig,
    prices: Mapping[str, Decimal],
    trades: tuple[TradeStamp, ...],
) -> ExposureLedger:
    """Exposure of the current portfolio, before any approval of this batch."""
    equity = portfolio.equity(prices)
    fee_rate = rate_for(config.rates, config.sizing_liquidity)
    ledger = ExposureLedger(
        equity=equity,
        cash_available=portfolio.quote_cash(),
        trades=trades,
        balances_known=portfolio.balances_known,
    )
    for pid, position in portfolio.positions.items():
        if position.base_size <= 0:
            continue
        value = position.value(prices.get(pid))
        ledger.by_product[pid] = ledger.product(pid) + value
        sid = position.strategy_id
        ledger.at_risk_by_strategy[sid] = ledger.strategy_at_risk(sid) + at_risk(
            value, position.stop_loss_pct
        )
        ledger.open_products.add(pid)
    for order in portfolio.open_orders:
        if order.side is not Side.BUY:
            continue
        pid, sid = order.product_id, order.strategy_id
        ask = _ask(market, pid)
        if order.quote_size is None and order.limit_price is None and ask is None:
            ledger.unvalued_orders.append(order.order_id)
            continue
        notional = order.worst_case_notional(ask)
        ledger.by_product[pid] = ledger.product(pid) + notional
        ledger.at_risk_by_strategy[sid] = ledger.strategy_at_risk(sid) + at_risk(
            notional, order.stop_loss_pct
        )
        ledger.cash_available -= notional * (1 + fee_rate)
        ledger.open_products.add(pid)
    for pid in ledger.by_product:
        ledger.clusters_by_product[pid] = _clusters(pid, market, config)
    return ledger


def _ask(market: MarketSnapshot, product_id: str) -> Decimal | None:
    product = market.get(product_id)
    if product is None or product.quote is None:
        return None
    return product.quote.ask
