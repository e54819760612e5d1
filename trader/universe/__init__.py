"""Universe selection (U-1): tiers, global filters, clusters; fails closed."""

from trader.universe.builder import (
    EligibleProduct,
    UniverseResult,
    build_universe,
    refresh_due,
    tier_for,
)
from trader.universe.changes import ExclusionChanges, exclusion_changes
from trader.universe.clusters import base_of, clusters_of
from trader.universe.filters import Exclusion, ExclusionReason, default_filters
from trader.universe.plugin import FilterParams, FilterPlugin, UniverseFilter

__all__ = [
    "EligibleProduct",
    "Exclusion",
    "ExclusionChanges",
    "ExclusionReason",
    "FilterParams",
    "FilterPlugin",
    "UniverseFilter",
    "UniverseResult",
    "base_of",
    "build_universe",
    "clusters_of",
    "default_filters",
    "exclusion_changes",
    "refresh_due",
    "tier_for",
]
