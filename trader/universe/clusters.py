"""Clusters / themes (U-1, R-1 cluster_cap): which clusters a product belongs to."""

from __future__ import annotations

from typing import Final

from trader.config.universe import UniverseConfig
from trader.core.derived import Derived


class ClusterIndex:
    """The configured clusters in name order with their members, made once; a universe
    build asks it for every product."""

    def __init__(self, config: UniverseConfig) -> None:
        self._clusters = [
            (name, frozenset(config.clusters[name].members)) for name in sorted(config.clusters)
        ]
        self._found: dict[tuple[str, str], tuple[str, ...]] = {}

    def of(self, product_id: str, base_currency: str) -> tuple[str, ...]:
        """Names of the clusters listing the product id or its base currency, sorted
        (kept per product: the settings do not change)."""
        key = (product_id, base_currency)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = tuple(
                name
                for name, members in self._clusters
                if product_id in members or base_currency in members
            )
        return found


_INDEXES: Final = Derived[UniverseConfig, ClusterIndex](ClusterIndex, limit=64)


def clusters_of(product_id: str, base_currency: str, config: UniverseConfig) -> tuple[str, ...]:
    """Names of the clusters listing the product id or its base currency, sorted (the
    settings' index is made once per settings object: they are frozen)."""
    return _INDEXES.get(config).of(product_id, base_currency)


def base_of(product_id: str) -> str:
    """Base currency from a Coinbase product id (`BTC-USD` -> `BTC`)."""
    return product_id.split("-", 1)[0]
