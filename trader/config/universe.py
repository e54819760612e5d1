"""`config/universe.yaml`: tiers, global filters, clusters (U-1).

A product lands in the first tier (core, rotational, event) that lists it in `symbols`, or,
when listed nowhere, in the first tier with `open_membership: true`; it must then pass that
tier's thresholds. Percent fields are percent (60 = 60 %).
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from trader.config.base import Strict

TIER_NAMES: tuple[str, ...] = ("core", "rotational", "event")


class TierConfig(Strict):
    """One tier's admission thresholds and allocation cap."""

    symbols: list[str] = Field(default_factory=list, description="explicit member product ids")
    open_membership: bool = False
    min_quote_volume_24h: Decimal = Decimal("1000000")
    max_spread_bps: Decimal = Decimal("50")
    allocation_cap_pct: Decimal = Decimal("30")
    max_symbols: int = 10

    @field_validator("min_quote_volume_24h", "max_spread_bps")
    @classmethod
    def _non_negative(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if value < 0:
            raise ValueError(f"{info.field_name} must be >= 0, got {value}")
        return value

    @field_validator("allocation_cap_pct")
    @classmethod
    def _percent(cls, value: Decimal) -> Decimal:
        if value < 0 or value > 100:
            raise ValueError(f"allocation_cap_pct must be in [0, 100], got {value}")
        return value

    @field_validator("max_symbols")
    @classmethod
    def _max_symbols(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"max_symbols must be >= 0, got {value}")
        return value


class ClusterConfig(Strict):
    """A theme of related assets with a shared exposure cap (members: base currencies or ids)."""

    members: list[str] = Field(default_factory=list)
    max_exposure_pct: Decimal = Decimal("40")

    @field_validator("max_exposure_pct")
    @classmethod
    def _percent(cls, value: Decimal) -> Decimal:
        if value < 0 or value > 100:
            raise ValueError(f"max_exposure_pct must be in [0, 100], got {value}")
        return value


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


class UniverseConfig(Strict):
    """Universe selection (U-1). Fails closed: missing or stale data excludes a product."""

    quote_currency: str = "USD"
    min_price: Decimal = Decimal("0.01")
    exclusions: list[str] = Field(
        default_factory=list, description="product ids or base currencies never traded"
    )
    min_listing_age_days: float = 30.0
    min_daily_volatility_pct: float = 0.0
    max_daily_volatility_pct: float = 30.0
    max_data_age_s: float = 300.0
    refresh_interval_s: float = 300.0
    tiers: dict[str, TierConfig] = Field(default_factory=_default_tiers)
    clusters: dict[str, ClusterConfig] = Field(default_factory=dict)

    @field_validator("quote_currency")
    @classmethod
    def _quote(cls, value: str) -> str:
        if not value or not value.isalnum() or value.upper() != value:
            raise ValueError(f"quote_currency must be an upper-case code like USD, got {value!r}")
        return value

    @field_validator("min_price")
    @classmethod
    def _min_price(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError(f"min_price must be >= 0, got {value}")
        return value

    @field_validator("min_listing_age_days", "min_daily_volatility_pct", "max_daily_volatility_pct")
    @classmethod
    def _non_negative(cls, value: float, info: ValidationInfo) -> float:
        if value < 0:
            raise ValueError(f"{info.field_name} must be >= 0, got {value}")
        return value

    @field_validator("max_data_age_s", "refresh_interval_s")
    @classmethod
    def _positive(cls, value: float, info: ValidationInfo) -> float:
        if value <= 0:
            raise ValueError(f"{info.field_name} must be > 0 seconds, got {value}")
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
