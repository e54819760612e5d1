"""Strategy registry (STR-1): built from `StrategiesConfig`, runs enabled strategies only.

Per cycle: each enabled strategy (sorted by id) proposes; its list is cut to the entry's
`max_proposals_per_cycle` (highest conviction first); then duplicates per product are
merged — the highest conviction wins, ties broken by strategy id then side. The result is
ordered by conviction (highest first), which is the order the risk engine applies caps in.
The at-risk budget (`max_at_risk_pct`) is enforced by the risk engine (strategy_budget).
Each strategy is called through `strategies/guard.py`: a failing one is a `StrategyError`;
its malformed proposals come back as stand-ins, not ranked, placed last (as many as its
limit) for the risk engine to refuse and the audit trail to record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any

from trader.config.load_limit import LoadOverrun, within_limit
from trader.config.strategies import StrategiesConfig
from trader.core.decision import Proposal
from trader.core.timeframes import BarBook, BarView, merged_needs
from trader.strategies.base import (
    BaseStrategy,
    StrategyBuildError,
    StrategyContext,
    StrategyPlugin,
)
from trader.strategies.guard import built, needs_triggers, proposals_of, uncalled


def _rank_key(proposal: Proposal) -> tuple[float, str, str, str]:
    return (-proposal.conviction, proposal.product_id, proposal.strategy_id, proposal.side.value)


def dedupe_by_product(proposals: Iterable[Proposal]) -> list[Proposal]:
    """One proposal per product: highest conviction, then strategy id, then side."""
    best: dict[str, Proposal] = {}
    for proposal in sorted(proposals, key=_rank_key):
        best.setdefault(proposal.product_id, proposal)
    return sorted(best.values(), key=_rank_key)


class StrategyRegistry:
    """The enabled strategies and their per-cycle limits."""

    def __init__(
        self,
        strategies: Mapping[str, BaseStrategy[Any]],
        limits: Mapping[str, int],
        sources: Mapping[str, str] | None = None,
    ) -> None:
        """`sources`: strategy id -> the class reference it was loaded from (for errors)."""
        self.strategies = dict(sorted(strategies.items()))
        self.limits = dict(limits)
        self.sources = dict(sources or {})
        self.calling = ""  # the id of the strategy being called now ("" between calls)
        # the strategies that propose nothing without triggers (`BaseStrategy.needs_triggers`)
        self.need_triggers = frozenset(
            sid for sid, strategy in self.strategies.items() if needs_triggers(strategy)
        )
        # False: every strategy is called at every step (what not calling them is tested
        # against)
        self.skip_untriggered = True

    @classmethod
    def from_config(
        cls, config: StrategiesConfig, plugins: Mapping[str, StrategyPlugin]
    ) -> StrategyRegistry:
        """Build every enabled entry from its resolved plugin (`trader/config/plugins.py`),
        each within `config.load_limit_s` (the caller waits; the daemon builds off its event
        loop: `build_registry`); an enabled id without one is an error, one that fails or
        overruns a StrategyBuildError naming it."""
        enabled = enabled_plugins(config, plugins)
        strategies = {sid: _built_within(sid, p, config.load_limit_s) for sid, p in enabled.items()}
        return cls.from_built(config, enabled, strategies)

    @classmethod
    def from_built(
        cls,
        config: StrategiesConfig,
        enabled: Mapping[str, StrategyPlugin],
        strategies: Mapping[str, BaseStrategy[Any]],
    ) -> StrategyRegistry:
        """The registry of the enabled strategies (`enabled_plugins`) built already."""
        limits = {sid: config.registry[sid].max_proposals_per_cycle for sid in enabled}
        sources = {sid: plugin.source for sid, plugin in enabled.items()}
        return cls(strategies, limits, sources)

    def needs(self) -> dict[str, int]:
        """The timeframes the enabled strategies read, with the longest history asked."""
        return merged_needs([s.timeframes for s in self.strategies.values()])

    def propose_all(self, ctx: StrategyContext, book: BarBook | None = None) -> list[Proposal]:
        """Run every enabled strategy (each sees the bars it declared), apply per-strategy
        limits, merge duplicates."""
        collected: list[Proposal] = []
        malformed: list[Proposal] = []
        untriggered = not ctx.triggers and self.skip_untriggered
        for strategy_id, strategy in self.strategies.items():
            self.calling = strategy_id
            source = self.sources.get(strategy_id, "")
            if untriggered and strategy_id in self.need_triggers:
                uncalled(strategy_id, source, ctx.now)  # it would propose nothing
                continue
            own = ctx if book is None else ctx.with_bars(BarView(book, strategy.timeframes))
            good, bad = proposals_of(strategy_id, strategy, own, source)
            limit = self.limits.get(strategy_id, 0)
            kept = sorted(good, key=_rank_key)[:limit]
            collected.extend(kept)
            malformed.extend(bad[:limit])
        self.calling = ""
        return dedupe_by_product(collected) + malformed

    def calls_none_untriggered(self) -> bool:
        """A step without triggers calls none of the strategies (`propose_untriggered`)."""
        return self.skip_untriggered and len(self.need_triggers) == len(self.strategies)

    def propose_untriggered(self, now: float) -> list[Proposal]:
        """What `propose_all` returns at a step without triggers where every strategy needs
        them (`calls_none_untriggered`), without a context to build: no proposal."""
        for strategy_id in self.strategies:
            self.calling = strategy_id
            uncalled(strategy_id, self.sources.get(strategy_id, ""), now)
        self.calling = ""
        return []


def enabled_plugins(
    config: StrategiesConfig, plugins: Mapping[str, StrategyPlugin]
) -> dict[str, StrategyPlugin]:
    """The resolved plugin of every enabled entry, by id; an enabled id without one is an
    error."""
    enabled: dict[str, StrategyPlugin] = {}
    for strategy_id in config.enabled_ids():
        plugin = plugins.get(strategy_id)
        if plugin is None:
            raise ValueError(f"strategies.registry.{strategy_id}: no such strategy")
        enabled[strategy_id] = plugin
    return enabled


def budgets(config: StrategiesConfig) -> dict[str, Decimal]:
    """strategy id -> max at-risk % of equity, for the risk engine's strategy_budget check."""
    return {sid: entry.max_at_risk_pct for sid, entry in config.registry.items()}


def _built_within(sid: str, plugin: StrategyPlugin, limit_s: float) -> BaseStrategy[Any]:
    make = partial(built, sid, plugin.build, plugin.source)
    try:
        return within_limit(make, limit_s, f"build {sid}")
    except LoadOverrun as exc:
        raise StrategyBuildError(sid, plugin.source, None, str(exc)) from None
