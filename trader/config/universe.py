"""`config/universe.yaml`: tiers, global filters, clusters (U-1).

A product lands in the first tier (core, rotational, event) that lists it in `symbols`, or,
when listed nowhere, in the first tier with `open_membership: true`; it must then pass that
tier's thresholds. Percent fields are percent (60 = 60 %).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator, model_validator

from trader.config.base import DAY_S, Strict

TIER_NAMES: tuple[str, ...] = ("core", "rotational", "event")


class TierConfig(Strict):
    """One tier's admission thresholds and allocation cap."""

    symbols: list[str] = Field(default_factory=list, description="explicit member product ids")
    open_membership: bool = False
    # money (quote units) is Decimal; no upper cap: quote currencies differ in scale
    min_quote_volume_24h: Decimal = Field(
        Decimal("1000000"), ge=0, description="quote units; 0: no minimum"
    )
    # 0 would refuse every product with a spread; 10000 bps is a spread of 100 %
    max_spread_bps: Decimal = Field(Decimal("50"), gt=0, le=10000)
    allocation_cap_pct: Decimal = Field(
        Decimal("30"), ge=0, le=100, description="% equity; 0: the tier admits no entries"
    )
    # more than 10000 members is more products than any venue lists
    max_symbols: int = Field(10, ge=0, le=10000, description="0: the tier is off")


class ClusterConfig(Strict):
    """A theme of related assets with a shared exposure cap (members: base currencies or ids)."""

    members: list[str] = Field(default_factory=list)
    max_exposure_pct: Decimal = Field(
        Decimal("40"), ge=0, le=100, description="% equity; 0: no exposure to the cluster"
    )


def _default_tiers() -> dict[str, TierConfig]:
    return {
        "core": TierConfig(
            symbols=["BTC-USD", "ETH-USD", "SOL-USD"],
            min_quote_volume_24h=Decimal("50000000"),
            max_spread_bps=Decimal("20"),
            allocation_cap_pct=Decimal("60"),
            max_symbols=10,
        ),
        "rotational": TierConfig(
            open_membership=True,
            min_quote_volume_24h=Decimal("5000000"),
            max_spread_bps=Decimal("40"),
            allocation_cap_pct=Decimal("30"),
            max_symbols=20,
        ),
        "event": TierConfig(
            min_quote_volume_24h=Decimal("1000000"),
            max_spread_bps=Decimal("80"),
            allocation_cap_pct=Decimal("10"),
            max_symbols=5,
        ),
    }


FILTER_ID = r"^[a-z][a-z0-9_]{0,39}$"


class FilterEntry(Strict):
    """A user's universe filter (STR-2): its id (the exclusion reason it reports), its class
    (package.module:Class, or a file under the config directory), its parameters."""

    id: str = Field(pattern=FILTER_ID, description="lower case, digits, _; the reason code")
    class_ref: str = Field(alias="class", min_length=1, description="module:Class or file.py:Class")
    enabled: bool = True
    params: dict[str, Any] | None = Field(None, description="checked by the class's own model")


class UniverseConfig(Strict):
    """Universe selection (U-1). Fails closed: missing or stale data excludes a product."""

    quote_currency: str = "USD"
    # money (quote units) is Decimal; no upper cap: quote currencies differ in scale
    min_price: Decimal = Field(Decimal("0.01"), ge=0, description="0: no minimum")
    exclusions: list[str] = Field(
        default_factory=list, description="product ids or base currencies never traded"
    )
    # Coinbase lists nothing older than ~2015: a minimum beyond 10 years excludes everything
    min_listing_age_days: float = Field(30.0, ge=0, le=3650, description="0: no minimum")
    # daily volatility: the 1-minute sigma scaled to a day, in percent. It can exceed 100;
    # beyond 1000 % it is not a market but a typo
    min_daily_volatility_pct: float = Field(0.0, ge=0, le=1000, description="0: no minimum")
    max_daily_volatility_pct: float = Field(30.0, gt=0, le=1000)
    # a day is the cap: the daemon keeps ~25 h of candles, older data proves nothing
    max_data_age_s: float = Field(300.0, gt=0, le=DAY_S)
    refresh_interval_s: float = Field(300.0, gt=0, le=DAY_S)
    tiers: dict[str, TierConfig] = Field(default_factory=_default_tiers)
    clusters: dict[str, ClusterConfig] = Field(default_factory=dict)
    filters: list[FilterEntry] = Field(
        default_factory=list, description="the user's own filters, after the shipped ones"
    )
    load_limit_s: float = Field(
        10.0,
        gt=0,
        le=600,
        description="seconds a filter's loading (file import, parameters, constructor) may take",
    )

    @field_validator("filters")
    @classmethod
    def _filter_ids(cls, value: list[FilterEntry]) -> list[FilterEntry]:
        ids = [entry.id for entry in value]
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        if doubled:
            raise ValueError(f"filter ids must be unique: {doubled}")
        return value

    @field_validator("quote_currency")
    @classmethod
    def _quote(cls, value: str) -> str:
        if not value or not value.isalnum() or value.upper() != value:
            raise ValueError(f"quote_currency must be an upper-case code like USD, got {value!r}")
        return value

    @field_validator("tiers")
    @classmethod
    def _tier_names(cls, value: dict[str, TierConfig]) -> dict[str, TierConfig]:
        unknown = sorted(set(value) - set(TIER_NAMES))
        if unknown:
            raise ValueError(f"tiers: unknown tier(s) {unknown}; allowed: {list(TIER_NAMES)}")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> UniverseConfig:
        if self.min_daily_volatility_pct > self.max_daily_volatility_pct:
            raise ValueError(
                "min_daily_volatility_pct must not exceed max_daily_volatility_pct "
                f"({self.min_daily_volatility_pct} > {self.max_daily_volatility_pct})"
            )
        seen: dict[str, str] = {}
        for tier_name in self.tier_order():
            for symbol in self.tiers[tier_name].symbols:
                if symbol in seen:
                    raise ValueError(
                        f"tiers.{tier_name}.symbols: {symbol} is already in tier {seen[symbol]}"
                    )
                seen[symbol] = tier_name
        return self

    def tier_order(self) -> list[str]:
        """Configured tier names in precedence order (core, rotational, event)."""
        return [name for name in TIER_NAMES if name in self.tiers]
