"""`config/policy.yaml`: risk limits, loss limits, cooldowns, data guards, fees (R-1..R-3, X-3).

Units are in the field names: `_pct` fields are percent (10 = 10 %), `_s` fields are seconds,
`_bps` fields are basis points, fee rates are fractions (0.005 = 0.5 %). Every field has a
default so an empty file validates; validators reject nonsense and name the field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from trader.config.base import Strict


def _check_percent(name: str, value: Decimal, *, allow_zero: bool = False) -> Decimal:
    low_ok = value >= 0 if allow_zero else value > 0
    if not low_ok or value > 100:
        bound = "[0, 100]" if allow_zero else "(0, 100]"
        raise ValueError(f"{name} must be a percent in {bound}, got {value}")
    return value


class PolicyConfig(Strict):
    """Risk policy (R-1, R-2, R-3, X-3). Caps are percent of current equity."""

    # R-1 exposure caps
    max_position_pct: Decimal = Field(Decimal("10"), description="cap per product, % equity")
    max_total_exposure_pct: Decimal = Field(Decimal("60"), description="all positions, % equity")
    min_cash_reserve_pct: Decimal = Field(Decimal("2"), description="cash never spent, % equity")
    max_open_positions: int = 5
    # R-1 trade pacing
    max_trades_per_hour: int = 6
    max_trades_per_day: int = 30
    min_seconds_between_trades: float = Field(300.0, description="per product, between entries")
    # R-3 cooldowns
    cooldown_after_fill_s: float = 900.0
    cooldown_after_stop_s: float = 3600.0
    consecutive_losses_limit: int = Field(3, description="N losses in a row pause all entries")
    cooldown_after_losses_s: float = 7200.0
    # R-3 loss limits
    daily_loss_limit_pct: Decimal = Field(Decimal("-3"), description="negative: -3 = lose 3 %")
    max_drawdown_pct: Decimal = Field(Decimal("10"), description="from the high-water mark")
    # what a loss limit does. `reduce`: no entries, protective exits keep running;
    # `halt`: HALTED, nothing sent (positions keep no stop until the operator acts)
    loss_limit_action: Literal["reduce", "halt"] = "reduce"
    # data guards
    max_data_age_s: float = Field(120.0, description="older quotes are stale (fail closed)")
    outlier_sigma_k: float = Field(8.0, description="quote vs last close, in 1-minute sigmas")
    max_spread_bps: Decimal = Decimal("50")
    # order sizing
    min_notional: Decimal = Field(Decimal("10"), description="quote units, after fees")
    sizing_liquidity: Literal["maker", "taker"] = "taker"
    regime_multipliers: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "normal": Decimal("1"),
            "high_vol": Decimal("0.6"),
            "risk_off": Decimal("0.3"),
        },
        description="scale every cap; an unknown regime uses the smallest multiplier",
    )
    # X-3 fee fallback (when transaction_summary is unavailable)
    fee_fallback_maker: Decimal = Decimal("0.005")
    fee_fallback_taker: Decimal = Decimal("0.009")
    # R-2 default exits for positions that carry none (adopted, manual, legacy)
    default_stop_loss_pct: Decimal = Decimal("5")
    default_take_profit_pct: Decimal | None = None
    default_max_hold_s: float | None = None
    trailing_stop_pct: Decimal | None = None

    @field_validator(
        "max_position_pct", "max_total_exposure_pct", "max_drawdown_pct", "default_stop_loss_pct"
    )
    @classmethod
    def _positive_percent(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        return _check_percent(str(info.field_name), value)

    @field_validator("min_cash_reserve_pct")
    @classmethod
    def _reserve_percent(cls, value: Decimal) -> Decimal:
        return _check_percent("min_cash_reserve_pct", value, allow_zero=True)

    @field_validator("default_take_profit_pct", "trailing_stop_pct")
    @classmethod
    def _optional_percent(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if value is None:
            return None
        if value <= 0 or value > 1000:
            raise ValueError(f"{info.field_name} must be in (0, 1000] or null, got {value}")
        return value

    @field_validator("daily_loss_limit_pct")
    @classmethod
    def _daily_loss(cls, value: Decimal) -> Decimal:
        if value >= 0 or value < -100:
            raise ValueError(
                f"daily_loss_limit_pct must be negative and >= -100 (e.g. -3), got {value}"
            )
        return value

    @field_validator(
        "max_open_positions",
        "max_trades_per_hour",
        "max_trades_per_day",
        "consecutive_losses_limit",
    )
    @classmethod
    def _positive_int(cls, value: int, info: ValidationInfo) -> int:
        if value < 1:
            raise ValueError(f"{info.field_name} must be >= 1, got {value}")
        return value

    @field_validator(
        "min_seconds_between_trades",
        "cooldown_after_fill_s",
        "cooldown_after_stop_s",
        "cooldown_after_losses_s",
    )
    @classmethod
    def _non_negative_seconds(cls, value: float, info: ValidationInfo) -> float:
        if value < 0:
            raise ValueError(f"{info.field_name} must be >= 0 seconds, got {value}")
        return value

    @field_validator("max_data_age_s", "outlier_sigma_k")
    @classmethod
    def _positive_float(cls, value: float, info: ValidationInfo) -> float:
        if value <= 0:
            raise ValueError(f"{info.field_name} must be > 0, got {value}")
        return value

    @field_validator("default_max_hold_s")
    @classmethod
    def _optional_hold(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError(f"default_max_hold_s must be > 0 or null, got {value}")
        return value

    @field_validator("max_spread_bps", "min_notional")
    @classmethod
    def _non_negative_decimal(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if value < 0:
            raise ValueError(f"{info.field_name} must be >= 0, got {value}")
        return value

    @field_validator("fee_fallback_maker", "fee_fallback_taker")
    @classmethod
    def _fee_rate(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if value < 0 or value >= Decimal("0.1"):
            raise ValueError(f"{info.field_name} must be a fraction in [0, 0.1), got {value}")
        return value

    @field_validator("regime_multipliers")
    @classmethod
    def _multipliers(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if not value:
            raise ValueError("regime_multipliers must name at least one regime")
        for regime, multiplier in value.items():
            if multiplier < 0 or multiplier > 1:
                raise ValueError(
                    f"regime_multipliers.{regime} must be in [0, 1] (regimes only tighten "
                    f"caps), got {multiplier}"
                )
        return value

    @model_validator(mode="after")
    def _coherent(self) -> PolicyConfig:
        if self.max_position_pct > self.max_total_exposure_pct:
            raise ValueError(
                f"max_position_pct ({self.max_position_pct}) must not exceed "
                f"max_total_exposure_pct ({self.max_total_exposure_pct})"
            )
        if self.max_trades_per_hour > self.max_trades_per_day:
            raise ValueError(
                f"max_trades_per_hour ({self.max_trades_per_hour}) must not exceed "
                f"max_trades_per_day ({self.max_trades_per_day})"
            )
        if self.fee_fallback_maker > self.fee_fallback_taker:
            raise ValueError("fee_fallback_maker must not exceed fee_fallback_taker")
        return self

    def regime_multiplier(self, regime: str) -> Decimal:
        """Cap multiplier for `regime`; an unknown regime gets the strictest one (fail closed)."""
        found = self.regime_multipliers.get(regime)
        return found if found is not None else min(self.regime_multipliers.values())
