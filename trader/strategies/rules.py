"""The shipped `rules` strategy (STR-1): triggers -> entries with tier-based sizing.

Per product, the cycle's triggers are grouped by direction (neutral ones are ignored):
- only UP triggers, product eligible (has a tier), not held, no open BUY -> BUY of
  `size_pct_by_tier[tier]` % of equity, with the exit plan of the strongest trigger;
- only DOWN triggers on a held product (and `sell_on_bearish_trigger`) -> SELL of the held
  size (spot: a SELL only ever reduces a held position);
- mixed directions -> nothing.
Conviction combines the agreeing triggers: `1 - prod(1 - score_i * confidence_i)`;
below `min_conviction` nothing is proposed.
"""

from __future__ import annotations

from collections.abc import Sequence

from trader.config.strategies import RulesStrategyConfig
from trader.core.decision import Proposal
from trader.core.types import Side
from trader.strategies.base import BaseStrategy, StrategyContext
from trader.triggers.types import Direction, TriggerKind, TriggerSignal


def combined_conviction(signals: Sequence[TriggerSignal], config: RulesStrategyConfig) -> float:
    """`1 - prod(1 - score * confidence)` over the signals (0 when there are none)."""
    miss = 1.0
    for signal in signals:
        confidence = config.trigger_confidence.get(signal.kind.value, 0.0)
        miss *= 1.0 - signal.score * confidence
    return 1.0 - miss


def strongest(signals: Sequence[TriggerSignal], config: RulesStrategyConfig) -> TriggerSignal:
    """The signal with the highest score x confidence (ties: trigger kind name)."""

    def weight(signal: TriggerSignal) -> tuple[float, str]:
        confidence = config.trigger_confidence.get(signal.kind.value, 0.0)
        return (-signal.score * confidence, signal.kind.value)

    return min(signals, key=weight)


def _kind(signal: TriggerSignal) -> TriggerKind:
    return signal.kind


def _describe(signals: Sequence[TriggerSignal], conviction: float) -> str:
    parts = ", ".join(f"{s.kind}={s.score:.2f}" for s in signals)
    return f"{parts}; conviction={conviction:.3f}"


class RulesStrategy(BaseStrategy[RulesStrategyConfig]):
    """See module docstring."""

    Params = RulesStrategyConfig
    needs_triggers = True  # every proposal comes from the step's triggers

    @property
    def config(self) -> RulesStrategyConfig:
        return self.params

    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        grouped: dict[str, list[TriggerSignal]] = {}
        for signal in ctx.triggers:
            found = grouped.get(signal.product_id)
            if found is None:
                grouped[signal.product_id] = [signal]
            else:
                found.append(signal)
        proposals: list[Proposal] = []
        for product_id in sorted(grouped):
            proposal = self._for_product(product_id, grouped[product_id], ctx)
            if proposal is not None:
                proposals.append(proposal)
        return proposals

    def _for_product(
        self, product_id: str, signals: list[TriggerSignal], ctx: StrategyContext
    ) -> Proposal | None:
        """Each side's signals in the order of their kinds, sorted only once a proposal
        is possible (most products with a trigger are held, pending or tierless): the
        conviction multiplies in that order."""
        ups = [s for s in signals if s.direction is Direction.UP]
        downs = [s for s in signals if s.direction is Direction.DOWN]
        if ups and not downs:
            return self._entry(product_id, ups, ctx)
        if downs and not ups and self.config.sell_on_bearish_trigger:
            return self._reduce(product_id, downs, ctx)
        return None

    def _entry(
        self, product_id: str, signals: list[TriggerSignal], ctx: StrategyContext
    ) -> Proposal | None:
        tier = ctx.market.tiers.get(product_id)
        size_pct = self.config.size_pct_by_tier.get(tier) if tier is not None else None
        if size_pct is None or ctx.portfolio.held_size(product_id) > 0:
            return None
        buys = (o for o in ctx.portfolio.open_orders if o.side is Side.BUY)
        if any(o.product_id == product_id for o in buys):
            return None
        signals = sorted(signals, key=_kind)
        conviction = combined_conviction(signals, self.config)
        if conviction < self.config.min_conviction:
            return None
        exits = self.config.exits_for(strongest(signals, self.config).kind.value)
        return Proposal(
            product_id=product_id,
            side=Side.BUY,
            strategy_id=self.strategy_id,
            conviction=conviction,
            reason=f"entry ({tier}): {_describe(signals, conviction)}",
            size_pct=size_pct,
            stop_loss_pct=exits.stop_loss_pct,
            take_profit_pct=exits.take_profit_pct,
            max_hold_s=exits.max_hold_minutes * 60.0,
            trigger_refs=tuple(s.ref for s in signals),
        )

    def _reduce(
        self, product_id: str, signals: list[TriggerSignal], ctx: StrategyContext
    ) -> Proposal | None:
        held = ctx.portfolio.held_size(product_id) - ctx.portfolio.open_sell_size(product_id)
        if held <= 0:
            return None
        signals = sorted(signals, key=_kind)
        conviction = combined_conviction(signals, self.config)
        if conviction < self.config.min_conviction:
            return None
        return Proposal(
            product_id=product_id,
            side=Side.SELL,
            strategy_id=self.strategy_id,
            conviction=conviction,
            reason=f"bearish exit: {_describe(signals, conviction)}",
            base_size=held,
            trigger_refs=tuple(s.ref for s in signals),
        )
