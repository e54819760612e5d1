"""Global universe filters (U-1): a chain of small objects, each excluding with a reason.

Every filter fails closed: when the data it needs is missing or stale, the product is
excluded (never admitted with invented metrics — see LESSONS.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final, Protocol

from trader.config.universe import UniverseConfig
from trader.core.market import ProductMarket
from trader.core.values import write_once

MINUTES_PER_DAY: Final = 1440
SECONDS_PER_DAY: Final = 86400.0
# the square root of a day's minutes, taken once (the same float `math.sqrt` gives per call)
SQRT_MINUTES_PER_DAY: Final = math.sqrt(MINUTES_PER_DAY)


class ExclusionReason(StrEnum):
    QUOTE_CURRENCY = "quote_currency"
    STATUS = "status"
    EXCLUDED = "excluded"
    MISSING_DATA = "missing_data"
    STALE_DATA = "stale_data"
    MIN_PRICE = "min_price"
    LISTING_AGE = "listing_age"
    VOLATILITY_BAND = "volatility_band"
    LOW_VOLUME = "low_volume"
    SPREAD_TOO_WIDE = "spread_too_wide"
    TIER_FULL = "tier_full"
    NO_TIER = "no_tier"


@dataclass(frozen=True, slots=True, init=False)
class Exclusion:
    """Why a product is not in the universe; `detail` carries the numbers.
    Read-only (`core/values.py`)."""

    product_id: str
    reason: ExclusionReason | str  # a user's filter: its id (STR-2)
    detail: str

    def __init__(self, product_id: str, reason: ExclusionReason | str, detail: str) -> None:
        self.product_id = product_id  # type: ignore[misc]
        self.reason = reason  # type: ignore[misc]
        self.detail = detail  # type: ignore[misc]


class ProductFilter(Protocol):
    """One global filter: None to keep the product, an Exclusion to drop it."""

    def check(self, market: ProductMarket, now: float) -> Exclusion | None: ...


class GlobalFilter:
    """The base of the built-in filters below: compiled, the chain calls their `check`
    directly instead of looking the method up on every product (a user's filter needs
    no base; it only has to be a `ProductFilter`)."""

    __slots__ = ()

    def check(self, market: ProductMarket, now: float) -> Exclusion | None:
        raise NotImplementedError


def _exclude(market: ProductMarket, reason: ExclusionReason, detail: str) -> Exclusion:
    return Exclusion(market.product_id, reason, detail)


@dataclass(frozen=True, slots=True)
class QuoteCurrencyFilter(GlobalFilter):
    quote_currency: str

    def check(self, market: ProductMarket, now: float) -> Exclusion | None:
        actual = market.rules.quote_currency
        if actual != self.quote_currency:
            return _exclude(market, ExclusionReason.QUOTE_CURRENCY, f"quote {actual}")
        return None


@dataclass(frozen=True, slots=True)
class StatusFilter(GlobalFilter):
    """Entries need a product that is online and accepts new (post-only) orders (EX-4)."""

    def check(self, market: ProductMarket, now: float) -> Exclusion | None:
        rules = market.rules
        if rules.status == "online" and not (
            rules.trading_disabled or rules.cancel_only or rules.auction_mode
        ):
            return None
        flags = [
            name
            for name, on in (
                ("trading_disabled", rules.trading_disabled),
                ("cancel_only", rules.cancel_only),
                ("auction_mode", rules.auction_mode),
            )
            if on
        ]
        if rules.status != "online":
            flags.insert(0, f"status={rules.status}")
        if flags:
            return _exclude(market, ExclusionReason.STATUS, ",".join(flags))
        return None


@dataclass(frozen=True, slots=True)
class ExclusionListFilter(GlobalFilter):
    """Operator exclusions, by product id or base currency."""

    excluded: frozenset[str]

    def check(self, market: ProductMarket, now: float) -> Exclusion | None:
        excluded = self.excluded
        if not excluded:  # nothing listed, nothing to look up
            return None
        rules = market.rules  # the product id, then the base currency (no tuple per check)
        if rules.product_id in excluded:
            return _exclude(market, ExclusionReason.EXCLUDED, f"listed as {rules.product_id}")
        if rules.base_currency in excluded:
            return _exclude(market, ExclusionReason.EXCLUDED, f"listed as {rules.base_currency}")
        return None


@dataclass(frozen=True, slots=True)
class FreshnessFilter(GlobalFilter):
    """Quote and 24 h volume must exist; data must be younger than `max_age_s`."""

    max_age_s: float

    def check(self, market: ProductMarket, now: float) -> Exclusion | None:
        if market.quote is None or market.quote_volume_24h is None:
            missing = "quote" if market.quote is None else "quote_volume_24h"
            return _exclude(market, ExclusionReason.MISSING_DATA, f"no {missing}")
        age = market.age(now)
        if age > self.max_age_s:
            return _exclude(market, ExclusionReason.STALE_DATA, f"age {age:.1f}s")
        return None


@dataclass(frozen=True, slots=True)
class MinPriceFilter(GlobalFilter):
    min_price: Decimal

    def check(self, market: ProductMarket, now: float) -> Exclusion | None:
        if market.quote is None:
            return _exclude(market, ExclusionReason.MISSING_DATA, "no quote")
        price = market.quote.mid
        if price < self.min_price:
            return _exclude(market, ExclusionReason.MIN_PRICE, f"price {price} < {self.min_price}")
        return None


@dataclass(frozen=True, slots=True)
class ListingAgeFilter(GlobalFilter):
    """Listed for at least `min_days`; an unknown listing time excludes (when min_days > 0)."""

    min_days: float

    def check(self, market: ProductMarket, now: float) -> Exclusion | None:
        if self.min_days <= 0:
            return None
        if market.listed_at is None:
            return _exclude(market, ExclusionReason.MISSING_DATA, "listing time unknown")
        age_days = (now - market.listed_at) / SECONDS_PER_DAY
        if age_days < self.min_days:
            return _exclude(market, ExclusionReason.LISTING_AGE, f"listed {age_days:.1f} days")
        return None


def daily_volatility_pct(sigma_1m: float) -> float:
    """A 1-minute log-return sigma scaled to a day (sqrt of time), in percent."""
    return sigma_1m * SQRT_MINUTES_PER_DAY * 100.0


@dataclass(frozen=True, slots=True)
class VolatilityBandFilter(GlobalFilter):
    """Daily volatility within [min_pct, max_pct]; an unknown sigma excludes."""

    min_pct: float
    max_pct: float

    def check(self, market: ProductMarket, now: float) -> Exclusion | None:
        if market.sigma is None or math.isnan(market.sigma):
            return _exclude(market, ExclusionReason.MISSING_DATA, "no volatility estimate")
        daily = daily_volatility_pct(market.sigma)
        if daily < self.min_pct or daily > self.max_pct:
            band = f"[{self.min_pct}, {self.max_pct}]"
            return _exclude(
                market, ExclusionReason.VOLATILITY_BAND, f"daily vol {daily:.2f}% outside {band}"
            )
        return None


def default_filters(config: UniverseConfig) -> Sequence[ProductFilter]:
    """The global filter chain, cheapest and most fundamental first."""
    return (
        QuoteCurrencyFilter(config.quote_currency),
        StatusFilter(),
        ExclusionListFilter(frozenset(config.exclusions)),
        FreshnessFilter(config.max_data_age_s),
        MinPriceFilter(config.min_price),
        ListingAgeFilter(config.min_listing_age_days),
        VolatilityBandFilter(config.min_daily_volatility_pct, config.max_daily_volatility_pct),
    )


def first_exclusion(
    filters: Sequence[ProductFilter], market: ProductMarket, now: float
) -> Exclusion | None:
    """The first filter that excludes the product, or None when all keep it."""
    for product_filter in filters:
        if isinstance(product_filter, GlobalFilter):  # compiled: a direct call
            exclusion = product_filter.check(market, now)
        else:
            exclusion = product_filter.check(market, now)
        if exclusion is not None:
            return exclusion
    return None


write_once(Exclusion)
