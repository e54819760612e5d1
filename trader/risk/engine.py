"""The risk engine (R-1): one call per cycle, every proposal gets a verdict.

`evaluate(proposals, portfolio, market, risk_state, config, now)` processes proposals in
the given order (the registry orders them by conviction), and each approval is booked in
an exposure ledger before the next proposal is judged, so caps hold for the batch as a
whole. BUY order of checks: validity, trading state, product known/enabled, stale data,
eligibility, spread, outlier, loss limits, cooldown, trade rate, spacing, open-position
slots; then sizing under every cap (position, total, cluster, tier, strategy budget, cash),
quantized down; below the minimums is a rejection. SELL proposals only reduce a held
position (spot: no shorting) and skip the entry-only checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Final

from trader.core.decision import Proposal, RejectReason, Verdict, VerdictAction
from trader.core.market import MarketSnapshot, ProductMarket
from trader.core.portfolio import Portfolio
from trader.core.risk_state import RiskState, TradeStamp
from trader.core.types import Side
from trader.risk import checks
from trader.risk.checks import Refusal
from trader.risk.config import RiskConfig
from trader.risk.fees import fee_for
from trader.risk.ledger import ExposureLedger, build_ledger
from trader.risk.sizing import cap_headrooms, requested_notional, size_order
from trader.universe.clusters import clusters_of

ZERO: Final = Decimal(0)


def _reject(proposal: Proposal, refusal: Refusal, details: dict[str, Decimal]) -> Verdict:
    return Verdict(
        proposal, VerdictAction.REJECT, (refusal.reason,), details=details, note=refusal.note
    )


def _first_refusal(gates: Sequence[Callable[[], Refusal | None]]) -> Refusal | None:
    for gate in gates:
        refusal = gate()
        if refusal is not None:
            return refusal
    return None


def evaluate(
    proposals: Sequence[Proposal],
    portfolio: Portfolio,
    market: MarketSnapshot,
    risk_state: RiskState,
    config: RiskConfig,
    now: float,
) -> list[Verdict]:
    """One verdict per proposal, in order (R-1). Pure: same inputs, same verdicts."""
    if not proposals:
        return []
    prices = market.mid_prices()
    ledger = build_ledger(portfolio, market, config, prices, risk_state.recent_trades)
    verdicts: list[Verdict] = []
    for proposal in proposals:
        if proposal.side is Side.BUY:
            verdict = _evaluate_buy(proposal, ledger, market, risk_state, config, now)
        else:
            verdict = _evaluate_sell(proposal, portfolio, market, risk_state, config, now)
        verdicts.append(verdict)
    return verdicts


def _sell_gates(
    proposal: Proposal, market: MarketSnapshot, state: RiskState, config: RiskConfig, now: float
) -> Refusal | None:
    pid = proposal.product_id
    return _first_refusal(
        [
            lambda: checks.check_proposal_valid(proposal),
            lambda: checks.check_trading_state(state, Side.SELL),
            lambda: checks.check_product_known(market, pid),
            lambda: checks.check_product_enabled(_product(market, pid)),
            lambda: checks.check_fresh(_product(market, pid), now, config.policy),
        ]
    )


def _evaluate_sell(
    proposal: Proposal,
    portfolio: Portfolio,
    market: MarketSnapshot,
    state: RiskState,
    config: RiskConfig,
    now: float,
) -> Verdict:
    """A SELL reduces a held position, never beyond it (R-1 shorting_disallowed)."""
    refusal = _sell_gates(proposal, market, state, config, now)
    if refusal is not None:
        return _reject(proposal, refusal, {})
    product = _product(market, proposal.product_id)
    price = _touch(product, Side.SELL)
    sellable = portfolio.held_size(proposal.product_id) - portfolio.open_sell_size(
        proposal.product_id
    )
    details = {"price": price, "sellable_base": sellable}
    if sellable <= 0:
        refusal = Refusal(RejectReason.SHORTING_DISALLOWED, "nothing held to sell")
        return _reject(proposal, refusal, details)
    wanted = requested_sell_base(proposal, sellable, price)
    details["requested_base"] = wanted
    over = wanted > sellable
    sized = size_order(min(wanted, sellable) * price, price, product.rules, config)
    details.update(approved_base=sized.base_size, approved_notional=sized.notional)
    if sized.refusal is not None:
        return _reject(proposal, Refusal(sized.refusal, sized.note), details)
    reasons = (RejectReason.SHORTING_DISALLOWED,) if over else ()
    action = VerdictAction.RESIZE if over else VerdictAction.APPROVE
    return Verdict(proposal, action, reasons, sized.base_size, sized.notional, price, details)


def requested_sell_base(proposal: Proposal, sellable: Decimal, price: Decimal) -> Decimal:
    """Base size a SELL asks for: `base_size`, `size_pct` of the sellable position, or
    `quote_notional / price` — the smallest of those given."""
    wanted: list[Decimal] = []
    if proposal.base_size is not None:
        wanted.append(proposal.base_size)
    if proposal.size_pct is not None:
        wanted.append(sellable * proposal.size_pct / 100)
    if proposal.quote_notional is not None:
        wanted.append(proposal.quote_notional / price)
    return min(wanted)


def _buy_gates(
    proposal: Proposal,
    ledger: ExposureLedger,
    market: MarketSnapshot,
    state: RiskState,
    config: RiskConfig,
    now: float,
) -> Refusal | None:
    pid, policy = proposal.product_id, config.policy
    return _first_refusal(
        [
            lambda: checks.check_proposal_valid(proposal),
            lambda: checks.check_trading_state(state, Side.BUY),
            lambda: checks.check_product_known(market, pid),
            lambda: checks.check_product_enabled(_product(market, pid)),
            lambda: checks.check_fresh(_product(market, pid), now, policy),
            lambda: _check_balances_known(ledger),
            lambda: _check_orders_valued(ledger),
            lambda: checks.check_eligible(market, pid),
            lambda: checks.check_spread(_product(market, pid), policy),
            lambda: checks.check_target_covers_cost(
                proposal, _product(market, pid), config.rates, config.sizing_liquidity, policy
            ),
            lambda: checks.check_outlier(_product(market, pid), policy),
            lambda: _check_equity(ledger),
            lambda: checks.check_loss_limits(state, ledger.equity, policy, now),
            lambda: checks.check_cooldown(state, pid, now),
            lambda: checks.check_trade_rate(ledger.trades, now, policy),
            lambda: checks.check_spacing(ledger.trades, pid, now, policy),
            lambda: checks.check_open_positions(ledger.open_products, pid, policy),
        ]
    )


def _check_balances_known(ledger: ExposureLedger) -> Refusal | None:
    """R-5: an entry is sized on known money only, never on a default."""
    if not ledger.balances_known:
        return Refusal(RejectReason.BALANCES_UNKNOWN, "venue balances unknown: not sized")
    return None


def _check_orders_valued(ledger: ExposureLedger) -> Refusal | None:
    if ledger.unvalued_orders:
        note = f"open orders without a price: {sorted(ledger.unvalued_orders)}"
        return Refusal(RejectReason.STALE_DATA, note)
    return None


def _check_equity(ledger: ExposureLedger) -> Refusal | None:
    if ledger.equity <= 0:
        return Refusal(RejectReason.NO_EQUITY, f"equity {ledger.equity}")
    return None


def _evaluate_buy(
    proposal: Proposal,
    ledger: ExposureLedger,
    market: MarketSnapshot,
    state: RiskState,
    config: RiskConfig,
    now: float,
) -> Verdict:
    refusal = _buy_gates(proposal, ledger, market, state, config, now)
    details: dict[str, Decimal] = {"equity": ledger.equity}
    if refusal is not None:
        return _reject(proposal, refusal, details)
    product = _product(market, proposal.product_id)
    price = _touch(product, Side.BUY)
    requested = requested_notional(proposal, ledger.equity, price)
    clusters = ledger.clusters_by_product.get(proposal.product_id) or _clusters(
        proposal.product_id, product, config
    )
    headrooms = cap_headrooms(proposal, ledger, market, config, clusters)
    allowed = min([requested, *headrooms.values()])
    binding = tuple(reason for reason, room in headrooms.items() if room < requested)
    details.update(price=price, requested_notional=requested, allowed_notional=allowed)
    details["regime_multiplier"] = config.policy.regime_multiplier(market.regime)
    details.update({f"headroom_{reason}": room for reason, room in headrooms.items()})
    if allowed <= 0:
        blocked = tuple(reason for reason, room in headrooms.items() if room <= 0)
        return Verdict(proposal, VerdictAction.REJECT, blocked, price=price, details=details)
    sized = size_order(allowed, price, product.rules, config)
    details.update(approved_base=sized.base_size, approved_notional=sized.notional)
    if sized.capped_by_max:
        binding = (*binding, RejectReason.SIZE_ABOVE_MAXIMUM)
    if sized.refusal is not None:
        reasons = (sized.refusal, *binding)
        return Verdict(
            proposal, VerdictAction.REJECT, reasons, ZERO, ZERO, price, details, sized.note
        )
    fee = fee_for(sized.notional, config.rates, config.sizing_liquidity)
    details["fee_estimate"] = fee
    ledger.add_buy(
        proposal.product_id,
        proposal.strategy_id,
        sized.notional,
        sized.notional + fee,
        proposal.stop_loss_pct,
        TradeStamp(now, proposal.product_id),
        clusters,
    )
    action = VerdictAction.RESIZE if binding else VerdictAction.APPROVE
    return Verdict(proposal, action, binding, sized.base_size, sized.notional, price, details)


def _product(market: MarketSnapshot, product_id: str) -> ProductMarket:
    product = market.get(product_id)
    if product is None:
        raise KeyError(product_id)  # unreachable: check_product_known runs first
    return product


def _touch(product: ProductMarket, side: Side) -> Decimal:
    """Ask for a BUY, bid for a SELL (the conservative side for sizing)."""
    if product.quote is None:
        raise ValueError(f"{product.product_id}: no quote")  # unreachable: check_fresh
    return product.quote.ask if side is Side.BUY else product.quote.bid


def _clusters(product_id: str, product: ProductMarket, config: RiskConfig) -> tuple[str, ...]:
    return clusters_of(product_id, product.rules.base_currency, config.universe)
