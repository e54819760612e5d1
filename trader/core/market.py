"""In-memory market snapshot handed to the decision core (U-1, S-1, R-1).

The daemon (live, paper) or the backtest builds one snapshot per cycle from its own feeds;
the decision core only reads it. Freshness is explicit: `data_time` is when this product's
market data was last updated, and `age(now)` is what the stale-data checks compare.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from trader.core.types import Candle, ProductRules, Quote
from trader.core.values import write_once

CANDLE_SECONDS: Final = 60


@dataclass(frozen=True, slots=True, init=False)
class ProductMarket:
    """Everything the decision core knows about one product at snapshot time.

    `sigma` is the standard deviation of 1-minute log returns (a statistical estimate, float);
    `quote_volume_24h` is in quote currency; `listed_at` is epoch seconds (None = unknown);
    `last_candle` is the product's last closed candle (its close is `last_close`).
    Bars are not copied into the snapshot: a strategy reads its closed bars through
    `StrategyContext.bars` (only bars that ended by `now`, S-1). Read-only
    (`core/values.py`).
    """

    rules: ProductRules
    quote: Quote | None
    quote_volume_24h: Decimal | None
    listed_at: float | None
    data_time: float | None
    sigma: float | None
    last_close: Decimal | None
    last_candle: Candle | None

    def __init__(
        self,
        rules: ProductRules,
        quote: Quote | None = None,
        quote_volume_24h: Decimal | None = None,
        listed_at: float | None = None,
        data_time: float | None = None,
        sigma: float | None = None,
        last_close: Decimal | None = None,
        last_candle: Candle | None = None,
    ) -> None:
        self.rules = rules  # type: ignore[misc]
        self.quote = quote  # type: ignore[misc]
        self.quote_volume_24h = quote_volume_24h  # type: ignore[misc]
        self.listed_at = listed_at  # type: ignore[misc]
        self.data_time = data_time  # type: ignore[misc]
        self.sigma = sigma  # type: ignore[misc]
        self.last_close = last_close  # type: ignore[misc]
        self.last_candle = last_candle  # type: ignore[misc]

    @property
    def product_id(self) -> str:
        return self.rules.product_id

    def age(self, now: float) -> float:
        """Seconds since the data was updated; infinite when it never was (fail closed)."""
        if self.data_time is None:
            return math.inf
        return now - self.data_time


@dataclass(frozen=True, slots=True, init=False)
class MarketSnapshot:
    """All products plus the market regime and the universe's tier assignment.

    `tiers` maps each eligible product to its tier (filled from the universe result); a
    product missing from it is not eligible for entries. Read-only (`core/values.py`).
    """

    products: Mapping[str, ProductMarket]
    regime: str
    tiers: Mapping[str, str]

    def __init__(
        self,
        products: Mapping[str, ProductMarket],
        regime: str = "normal",
        tiers: Mapping[str, str] | None = None,
    ) -> None:
        self.products = products  # type: ignore[misc]
        self.regime = regime  # type: ignore[misc]
        self.tiers = {} if tiers is None else tiers  # type: ignore[misc]

    def get(self, product_id: str) -> ProductMarket | None:
        return self.products.get(product_id)

    def mid_prices(self, only: Iterable[str] | None = None) -> dict[str, Decimal]:
        """Mid price per product with a quote (used to value positions): of the products
        `only` names (those the snapshot has), else of every product."""
        if only is None:
            chosen = self.products
        else:
            chosen = {pid: self.products[pid] for pid in only if pid in self.products}
        return {pid: pm.quote.mid for pid, pm in chosen.items() if pm.quote is not None}

    def with_tiers(self, tiers: Mapping[str, str]) -> MarketSnapshot:
        """A copy carrying the universe's tier assignment, over read-only views of the
        products and the tiers: the snapshot strategies are handed (STR-1), which what one
        does cannot change for the stages after it."""
        return MarketSnapshot(
            products=MappingProxyType(self.products),
            regime=self.regime,
            tiers=MappingProxyType(dict(tiers)),
        )


write_once(ProductMarket, MarketSnapshot)
