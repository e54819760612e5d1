"""`config/signals.yaml`: trigger parameters (S-1).

Each trigger fires when its measure reaches its threshold (`>=`), and scores
`min(1, measure / full_score_measure)`. Thresholds are multiplied by the regime's
`regime_threshold_multipliers` entry (an unknown regime uses the largest, i.e. strictest).
"""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator, model_validator

from trader.config.base import Strict

TRIGGER_KINDS: tuple[str, ...] = (
    "price_move_15m",
    "price_move_60m",
    "volume_spike",
    "breakout",
    "momentum",
)


def _positive(value: float, info: ValidationInfo) -> float:
    if value <= 0:
        raise ValueError(f"{info.field_name} must be > 0, got {value}")
    return value


class PriceMoveConfig(Strict):
    """Absolute return over 15 and 60 minutes, in percent."""

    enabled: bool = True
    threshold_15m_pct: float = 1.5
    threshold_60m_pct: float = 3.0
    full_score_multiple: float = Field(3.0, description="score 1 at this multiple of threshold")

    check_positive = field_validator("threshold_15m_pct", "threshold_60m_pct")(_positive)

    @field_validator("full_score_multiple")
    @classmethod
    def _multiple(cls, value: float) -> float:
        if value < 1:
            raise ValueError(f"full_score_multiple must be >= 1, got {value}")
        return value


class VolumeSpikeConfig(Strict):
    """Last-hour quote volume vs the 24 h hourly average."""

    enabled: bool = True
    ratio_threshold: float = 3.0
    full_score_ratio: float = 8.0

    check_positive = field_validator("ratio_threshold", "full_score_ratio")(_positive)

    @model_validator(mode="after")
    def _order(self) -> VolumeSpikeConfig:
        if self.full_score_ratio < self.ratio_threshold:
            raise ValueError("full_score_ratio must be >= ratio_threshold")
        return self


class BreakoutConfig(Strict):
    """Close beyond the previous N-hour high (or low) by more than a buffer."""

    enabled: bool = True
    lookback_hours: int = 12
    buffer_pct: float = 0.2
    full_score_pct: float = 2.0

    check_positive = field_validator("buffer_pct", "full_score_pct")(_positive)

    @field_validator("lookback_hours")
    @classmethod
    def _hours(cls, value: int) -> int:
        if value < 1 or value > 24:
            raise ValueError(f"lookback_hours must be in [1, 24], got {value}")
        return value


class MomentumConfig(Strict):
    """Return over a lookback plus consistency (share of candles moving the same way)."""

    enabled: bool = True
    lookback_minutes: int = 60
    min_return_pct: float = 1.0
    min_consistency: float = 0.55
    full_score_return_pct: float = 4.0

    check_positive = field_validator("min_return_pct", "full_score_return_pct")(_positive)

    @field_validator("lookback_minutes")
    @classmethod
    def _minutes(cls, value: int) -> int:
        if value < 5 or value > 720:
            raise ValueError(f"lookback_minutes must be in [5, 720], got {value}")
        return value

    @field_validator("min_consistency")
    @classmethod
    def _consistency(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValueError(f"min_consistency must be in [0, 1], got {value}")
        return value


class SignalsConfig(Strict):
    """All triggers (S-1) and the per-cycle selection."""

    price_move: PriceMoveConfig = Field(default_factory=PriceMoveConfig)
    volume_spike: VolumeSpikeConfig = Field(default_factory=VolumeSpikeConfig)
    breakout: BreakoutConfig = Field(default_factory=BreakoutConfig)
    momentum: MomentumConfig = Field(default_factory=MomentumConfig)
    min_score: float = 0.3
    max_triggers_per_cycle: int = 10
    max_candle_age_s: float = Field(
        180.0, description="a product whose last closed candle is older is not evaluated"
    )
    regime_threshold_multipliers: dict[str, float] = Field(
        default_factory=lambda: {"normal": 1.0, "high_vol": 1.5, "risk_off": 2.0}
    )

    @field_validator("min_score")
    @classmethod
    def _score(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValueError(f"min_score must be in [0, 1], got {value}")
        return value

    @field_validator("max_triggers_per_cycle")
    @classmethod
    def _max_triggers(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"max_triggers_per_cycle must be >= 0, got {value}")
        return value

    @field_validator("max_candle_age_s")
    @classmethod
    def _age(cls, value: float) -> float:
        if value < 60:
            raise ValueError(f"max_candle_age_s must be >= 60, got {value}")
        return value

    @field_validator("regime_threshold_multipliers")
    @classmethod
    def _multipliers(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("regime_threshold_multipliers must name at least one regime")
        for regime, multiplier in value.items():
            if multiplier < 1:
                raise ValueError(
                    f"regime_threshold_multipliers.{regime} must be >= 1 (regimes only "
                    f"raise thresholds), got {multiplier}"
                )
        return value

    def threshold_multiplier(self, regime: str) -> float:
        """Threshold multiplier for `regime`; unknown regimes get the strictest (largest)."""
        found = self.regime_threshold_multipliers.get(regime)
        return found if found is not None else max(self.regime_threshold_multipliers.values())
