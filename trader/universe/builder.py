"""Universe builder (U-1): global filters, then tier assignment and tier thresholds.

`build_universe(products, config, now)` returns the eligible products with their tier and
the excluded ones with a reason. Deterministic: when a tier holds more candidates than
`max_symbols`, the highest 24 h quote volume wins (ties by product id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from trader.config.universe import TierConfig, UniverseConfig
from trader.core.derived import Derived
from trader.core.market import ProductMarket
from trader.core.values import write_once
from trader.universe.clusters import ClusterIndex
from trader.universe.filters import (
    Exclusion,
    ExclusionReason,
    ProductFilter,
    default_filters,
    first_exclusion,
)


@dataclass(frozen=True, slots=True, init=False)
class EligibleProduct:
    """A product the universe admits, in its tier. Read-only (`core/values.py`)."""

    product_id: str
    tier: str
    quote_volume_24h: Decimal
    spread_bps: Decimal
    clusters: tuple[str, ...]

    def __init__(
        self,
        product_id: str,
        tier: str,
        quote_volume_24h: Decimal,
        spread_bps: Decimal,
        clusters: tuple[str, ...] = (),
    ) -> None:
        self.product_id = product_id  # type: ignore[misc]
        self.tier = tier  # type: ignore[misc]
        self.quote_volume_24h = quote_volume_24h  # type: ignore[misc]
        self.spread_bps = spread_bps  # type: ignore[misc]
        self.clusters = clusters  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class UniverseResult:
    """Eligible products (id -> EligibleProduct) and exclusions (id -> Exclusion)."""

    eligible: Mapping[str, EligibleProduct]
    excluded: Mapping[str, Exclusion]
    as_of: float

    def __init__(
        self,
        eligible: Mapping[str, EligibleProduct],
        excluded: Mapping[str, Exclusion],
        as_of: float,
    ) -> None:
        self.eligible = eligible  # type: ignore[misc]
        self.excluded = excluded  # type: ignore[misc]
        self.as_of = as_of  # type: ignore[misc]

    def tiers(self) -> dict[str, str]:
        """product id -> tier, for `MarketSnapshot.with_tiers`."""
        return {pid: item.tier for pid, item in self.eligible.items()}


class TierPlan:
    """The configuration's tier and cluster lookups, made once per settings object
    (`plan_for`) instead of once per product: the tier listing each symbol (first in
    precedence order), the first open tier, each tier's thresholds and size, and the
    clusters in name order with their members."""

    def __init__(self, config: UniverseConfig) -> None:
        order = config.tier_order()
        self.tiers: dict[str, TierConfig] = {name: config.tiers[name] for name in order}
        # name -> (min 24 h quote volume, max spread bps, max symbols), read once
        self.limits: dict[str, tuple[Decimal, Decimal, int]] = {
            name: (tier.min_quote_volume_24h, tier.max_spread_bps, tier.max_symbols)
            for name, tier in self.tiers.items()
        }
        self.listed: dict[str, str] = {}
        for name in order:
            for symbol in self.tiers[name].symbols:
                self.listed.setdefault(symbol, name)
        opened = [name for name in order if self.tiers[name].open_membership]
        self.open_tier: str | None = opened[0] if opened else None
        self.clusters = ClusterIndex(config)

    def tier_for(self, product_id: str) -> str | None:
        """The tier that lists the product, else the first open tier, else None."""
        return self.listed.get(product_id, self.open_tier)


_PLANS: Final = Derived[UniverseConfig, TierPlan](TierPlan, limit=64)


def plan_for(config: UniverseConfig) -> TierPlan:
    """The settings' tier plan, made once per settings object (they are frozen)."""
    return _PLANS.get(config)


def tier_for(product_id: str, config: UniverseConfig) -> str | None:
    """The tier that lists the product, else the first open tier, else None."""
    return plan_for(config).tier_for(product_id)


def tier_exclusion(
    pid: str, tier_name: str, limits: tuple[Decimal, Decimal, int], volume: Decimal, spread: Decimal
) -> Exclusion | None:
    """Volume and spread thresholds of the product's tier (24 h quote volume, bps)."""
    min_volume, max_spread, _size = limits
    if volume < min_volume:
        detail = f"{tier_name}: 24h volume {volume} < {min_volume}"
        return Exclusion(pid, ExclusionReason.LOW_VOLUME, detail)
    if spread > max_spread:
        detail = f"{tier_name}: spread {spread:.2f}bps > {max_spread}"
        return Exclusion(pid, ExclusionReason.SPREAD_TOO_WIDE, detail)
    return None


def _admit(
    market: ProductMarket, chain: Sequence[ProductFilter], plan: TierPlan, now: float
) -> EligibleProduct | Exclusion:
    """Global filters, then the tier's thresholds: the product's place or its exclusion."""
    pid = market.product_id
    exclusion = first_exclusion(chain, market, now)
    if exclusion is not None:
        return exclusion
    tier_name = plan.tier_for(pid)
    if tier_name is None:
        return Exclusion(pid, ExclusionReason.NO_TIER, "in no tier and no open tier")
    volume = market.quote_volume_24h
    if market.quote is None or volume is None:  # checked by the filters
        return Exclusion(pid, ExclusionReason.MISSING_DATA, "no quote or volume")
    spread = market.quote.spread_bps
    exclusion = tier_exclusion(pid, tier_name, plan.limits[tier_name], volume, spread)
    if exclusion is not None:
        return exclusion
    clusters = plan.clusters.of(pid, market.rules.base_currency)
    return EligibleProduct(pid, tier_name, volume, spread, clusters)


def refresh_due(previous: UniverseResult | None, now: float, config: UniverseConfig) -> bool:
    """True when the universe should be rebuilt (never built, or `refresh_interval_s` passed)."""
    return previous is None or now - previous.as_of >= config.refresh_interval_s


def build_universe(
    products: Mapping[str, ProductMarket],
    config: UniverseConfig,
    now: float,
    filters: Sequence[ProductFilter] | None = None,
) -> UniverseResult:
    """Apply the global filter chain, assign tiers, enforce tier thresholds and sizes (U-1)."""
    chain = default_filters(config) if filters is None else filters
    excluded: dict[str, Exclusion] = {}
    plan = plan_for(config)
    candidates: dict[str, list[EligibleProduct]] = {name: [] for name in plan.tiers}
    for pid in sorted(products):
        market = products[pid]
        admitted = _admit(market, chain, plan, now)
        if isinstance(admitted, Exclusion):
            excluded[pid] = admitted
        else:
            candidates[admitted.tier].append(admitted)
    eligible = _cap_tiers(candidates, plan, excluded)
    return UniverseResult(eligible=eligible, excluded=excluded, as_of=now)


def _cap_tiers(
    candidates: Mapping[str, list[EligibleProduct]],
    plan: TierPlan,
    excluded: dict[str, Exclusion],
) -> dict[str, EligibleProduct]:
    eligible: dict[str, EligibleProduct] = {}
    for tier_name, members in candidates.items():
        limit = plan.limits[tier_name][2]
        if len(members) <= limit:  # all of them fit: no ranking needed
            for item in members:
                eligible[item.product_id] = item
            continue
        ranked = sorted(members, key=lambda e: (-e.quote_volume_24h, e.product_id))
        for rank, item in enumerate(ranked):
            if rank < limit:
                eligible[item.product_id] = item
            else:
                detail = f"{tier_name} holds {limit} symbols; volume rank {rank + 1}"
                excluded[item.product_id] = Exclusion(
                    item.product_id, ExclusionReason.TIER_FULL, detail
                )
    return dict(sorted(eligible.items()))


write_once(EligibleProduct, UniverseResult)
