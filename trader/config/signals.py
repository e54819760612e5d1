"""`config/signals.yaml`: trigger parameters (S-1).

Each trigger fires when its measure reaches its threshold (`>=`), and scores
`min(1, measure / full_score_measure)`. Thresholds are multiplied by the regime's
`regime_threshold_multipliers` entry (an unknown regime uses the largest, i.e. strictest).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from trader.config.base import DAY_S, Strict
from trader.core.gaps import GapRule

TRIGGER_KINDS: tuple[str, ...] = (
    "price_move_15m",
    "price_move_60m",
    "volume_spike",
    "breakout",
    "momentum",
)

# Returns in percent: a price can rise by more than 100 %, so the cap is 1000 % (a move
# threshold beyond that is a typo). Lookbacks stay within the ~25 h of 1-minute candles
# the daemon keeps per product (`trader.marketdata.candles.DEFAULT_HISTORY`).
RETURN_CAP_PCT = 1000.0
# regimes only raise thresholds; more than 100x would switch the trigger off
ThresholdMultiplier = Annotated[float, Field(ge=1, le=100)]
# the bars the triggers are computed on: every window below (15 min, 60 min, the momentum
# lookback, the breakout hours, 24 h) must be a whole number of them
TriggerTimeframe = Literal["1m", "5m", "15m"]
TIMEFRAME_SECONDS: dict[str, int] = {"1m": 60, "5m": 300, "15m": 900}


class PriceMoveConfig(Strict):
    """Absolute return over 15 and 60 minutes, in percent."""

    enabled: bool = True
    threshold_15m_pct: float = Field(1.5, gt=0, le=RETURN_CAP_PCT)
    threshold_60m_pct: float = Field(3.0, gt=0, le=RETURN_CAP_PCT)
    full_score_multiple: float = Field(
        3.0, ge=1, le=100, description="score 1 at this multiple of threshold"
    )


class VolumeSpikeConfig(Strict):
    """Last-hour quote volume vs the 24 h hourly average. The last hour is part of the 24 h,
    so the ratio is at most 24: a threshold (or a full score) above 24 is never reached."""

    enabled: bool = True
    ratio_threshold: float = Field(3.0, gt=0, le=24)
    full_score_ratio: float = Field(8.0, gt=0, le=24)

    @model_validator(mode="after")
    def _order(self) -> VolumeSpikeConfig:
        if self.full_score_ratio < self.ratio_threshold:
            raise ValueError(
                f"full_score_ratio ({self.full_score_ratio}) must be >= ratio_threshold "
                f"({self.ratio_threshold})"
            )
        return self


class BreakoutConfig(Strict):
    """Close beyond the previous N-hour high (or low) by more than a buffer."""

    enabled: bool = True
    lookback_hours: int = Field(12, ge=1, le=24)
    # a close 100 % below the low is a price of 0: a larger buffer never fires downwards
    buffer_pct: float = Field(0.2, gt=0, le=100)
    full_score_pct: float = Field(2.0, gt=0, le=RETURN_CAP_PCT)

    @model_validator(mode="after")
    def _order(self) -> BreakoutConfig:
        if self.full_score_pct < self.buffer_pct:
            raise ValueError(
                f"full_score_pct ({self.full_score_pct}) must be >= buffer_pct ({self.buffer_pct})"
            )
        return self


class MomentumConfig(Strict):
    """Return over a lookback plus consistency (share of candles moving the same way)."""

    enabled: bool = True
    lookback_minutes: int = Field(60, ge=5, le=720)
    min_return_pct: float = Field(1.0, gt=0, le=RETURN_CAP_PCT)
    min_consistency: float = Field(0.55, ge=0, le=1, description="a fraction; 0: any")
    full_score_return_pct: float = Field(4.0, gt=0, le=RETURN_CAP_PCT)

    @model_validator(mode="after")
    def _order(self) -> MomentumConfig:
        if self.full_score_return_pct < self.min_return_pct:
            raise ValueError(
                f"full_score_return_pct ({self.full_score_return_pct}) must be >= "
                f"min_return_pct ({self.min_return_pct})"
            )
        return self


class MissingDataConfig(Strict):
    """When a hole in a product's candles is the venue's data missing, not quiet trading
    (`trader.core.gaps`): at least `gap_minutes` long and `quiet_factor` times the longest
    quiet hole the product had in the 24 h before it. The product's windows start again
    after a missing hole (its warm-up again before a trigger fires)."""

    gap_minutes: int = Field(120, ge=10, le=DAY_S // 60, description="holes shorter are quiet")
    quiet_factor: int = Field(4, ge=1, le=100)

    def rule(self) -> GapRule:
        return GapRule(self.gap_minutes, self.quiet_factor)


class SignalsConfig(Strict):
    """All triggers (S-1) and the per-cycle selection."""

    timeframe: TriggerTimeframe = Field(
        "1m",
        description="the closed bars the triggers are computed on (live: built from the "
        "1-minute candles; a backtest: the data's own bars, or built from finer ones)",
    )
    price_move: PriceMoveConfig = Field(default_factory=PriceMoveConfig)
    volume_spike: VolumeSpikeConfig = Field(default_factory=VolumeSpikeConfig)
    breakout: BreakoutConfig = Field(default_factory=BreakoutConfig)
    momentum: MomentumConfig = Field(default_factory=MomentumConfig)
    min_score: float = Field(0.3, ge=0, le=1, description="a fraction; 0: every trigger")
    # more than 10000 is more than every product (at most 1000) times every trigger kind
    max_triggers_per_cycle: int = Field(
        10, ge=0, le=10000, description="highest scores first; 0: off (no triggers)"
    )
    # at least one closed minute; a candle a day old is from data the daemon no longer keeps
    max_candle_age_s: float = Field(
        180.0,
        ge=60,
        le=DAY_S,
        description="a product whose last closed candle is older is not evaluated",
    )
    missing_data: MissingDataConfig = Field(default_factory=MissingDataConfig)
    regime_threshold_multipliers: dict[str, ThresholdMultiplier] = Field(
        default_factory=lambda: {"normal": 1.0, "high_vol": 1.5, "risk_off": 2.0}
    )

    @field_validator("regime_threshold_multipliers")
    @classmethod
    def _multipliers(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("regime_threshold_multipliers must name at least one regime")
        return value

    @model_validator(mode="after")
    def _whole_bars(self) -> SignalsConfig:
        minutes = self.bar_seconds // 60
        lookback = self.momentum.lookback_minutes
        if lookback % minutes:
            raise ValueError(
                f"momentum.lookback_minutes ({lookback}) must be a whole number of the "
                f"{self.timeframe} bars the triggers use (timeframe)"
            )
        return self

    @property
    def bar_seconds(self) -> int:
        """The length of the bars the triggers are computed on, in seconds."""
        return TIMEFRAME_SECONDS[self.timeframe]

    def threshold_multiplier(self, regime: str) -> float:
        """Threshold multiplier for `regime`; unknown regimes get the strictest (largest)."""
        found = self.regime_threshold_multipliers.get(regime)
        return found if found is not None else max(self.regime_threshold_multipliers.values())
