"""Clusters / themes (U-1, R-1 cluster_cap): which clusters a product belongs to."""

from __future__ import annotations

from trader.config.universe import UniverseConfig


def clusters_of(product_id: str, base_currency: str, config: UniverseConfig) -> tuple[str, ...]:
    """Names of the clusters listing the product id or its base currency, sorted."""
    return tuple(
        sorted(
            name
            for name, cluster in config.clusters.items()
            if product_id in cluster.members or base_currency in cluster.members
        )
    )


def base_of(product_id: str) -> str:
    """Base currency from a Coinbase product id (`BTC-USD` -> `BTC`)."""
    return product_id.split("-", 1)[0]
