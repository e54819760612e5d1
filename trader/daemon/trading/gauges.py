"""What the trading runtime exports each cycle (OPS-5, R-1, X-4): decisions by kind and
reason, and the portfolio as the decision saw it (equity, PnL, exposure) — exposure and
realized PnL also as each fill lands (gauges are floats: display only, never decided on).
Open orders are counted by the execution engine (`trader_open_orders`)."""

from __future__ import annotations

from decimal import Decimal

from trader.ops.metrics import Metrics
from trader.pipeline.decide import DecisionStep
from trader.state.strategy_results import UNATTRIBUTED, StrategyResult


class TradingMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.triggers = metrics.counter("trader_triggers", "triggers selected by kind", ["kind"])
        self.proposals = metrics.counter(
            "trader_proposals", "strategy proposals by strategy", ["strategy"]
        )
        self.rejections = metrics.counter(
            "trader_risk_rejections", "risk rejections by reason", ["reason"]
        )
        self.exclusions = metrics.counter(
            "trader_universe_exclusions", "products excluded at a refresh, by reason", ["reason"]
        )
        self.exits_unconfirmed = metrics.counter(
            "trader_exits_unconfirmed",
            "price exits read off an outlier quote that waited for confirmation (R-2)",
            ["product", "reason"],
        )
        self.equity = metrics.gauge("trader_equity", "cash plus positions at mid, quote currency")
        self.realized = metrics.gauge("trader_realized_pnl", "realized PnL net of all fees")
        self.position = metrics.gauge(
            "trader_position_notional", "position value at mid, quote currency", ["product"]
        )
        self.by_strategy = StrategyMetrics(metrics)

    def observe(self, step: DecisionStep, realized_pnl: Decimal) -> None:
        for signal in step.signals:
            self.triggers.labels(kind=signal.kind.value).inc()
        for proposal in step.proposals:
            self.proposals.labels(strategy=proposal.strategy_id).inc()
        for verdict in step.verdicts:
            if not verdict.approved:
                for reason in verdict.reasons:
                    self.rejections.labels(reason=reason.value).inc()
        if step.universe_refreshed and step.universe is not None:
            for exclusion in step.universe.excluded.values():
                self.exclusions.labels(reason=str(exclusion.reason)).inc()
        self._portfolio(step, realized_pnl)
        self.by_strategy.observe_step(step)

    def observe_positions(self, values: dict[str, Decimal], realized_pnl: Decimal) -> None:
        """X-4: exposure and realized PnL as soon as fills move them, not a cycle later."""
        for product_id, value in values.items():
            self.position.labels(product=product_id).set(float(value))
        self.realized.set(float(realized_pnl))

    def _portfolio(self, step: DecisionStep, realized_pnl: Decimal) -> None:
        portfolio = step.inputs.portfolio
        prices = step.inputs.market.mid_prices()
        if portfolio.balances_known:  # an unknown balance is not exported as a figure
            self.equity.set(float(step.equity))
        self.realized.set(float(realized_pnl))
        for product_id in step.inputs.market.products:
            self.position.labels(product=product_id).set(
                float(portfolio.position_value(product_id, prices))
            )


class StrategyMetrics:
    """STR-5: each strategy's proposals and approvals (this process), and its fills,
    realized PnL and exposure (from the state file and the step's portfolio)."""

    def __init__(self, metrics: Metrics) -> None:
        label = ["strategy"]
        self.proposals = metrics.counter(
            "trader_strategy_proposals", "proposals made, by strategy", label
        )
        self.approvals = metrics.counter(
            "trader_strategy_approvals", "proposals the risk engine approved, by strategy", label
        )
        self.fills = metrics.gauge("trader_strategy_fills", "fills in the state file", label)
        self.realized = metrics.gauge(
            "trader_strategy_realized_pnl", "realized PnL net of fees, quote currency", label
        )
        self.exposure = metrics.gauge(
            "trader_strategy_exposure", "value of its positions at mid, quote currency", label
        )
        self._exposed: set[str] = set()

    def observe_step(self, step: DecisionStep) -> None:
        for proposal in step.proposals:
            self.proposals.labels(strategy=proposal.strategy_id).inc()
        for verdict in step.approved:
            self.approvals.labels(strategy=verdict.proposal.strategy_id).inc()
        prices = step.inputs.market.mid_prices()
        exposure: dict[str, Decimal] = {}
        for position in step.inputs.portfolio.positions.values():
            owner = position.strategy_id or UNATTRIBUTED
            value = step.inputs.portfolio.position_value(position.product_id, prices)
            exposure[owner] = exposure.get(owner, Decimal(0)) + value
        self._exposed |= set(exposure)  # a strategy whose positions closed drops to 0
        for strategy in self._exposed:
            self.exposure.labels(strategy=strategy).set(float(exposure.get(strategy, 0)))

    def observe_results(self, results: dict[str, StrategyResult]) -> None:
        for strategy, result in results.items():
            self.fills.labels(strategy=strategy).set(result.fills)
            self.realized.labels(strategy=strategy).set(float(result.realized_pnl))
