"""`config/policy.yaml`: risk limits, loss limits, cooldowns, data guards, fees (R-1..R-3, X-3).

Units are in the field names: `_pct` fields are percent (10 = 10 %), `_s` fields are seconds,
`_bps` fields are basis points, fee rates are fractions (0.005 = 0.5 %). Every field has a
default so an empty file validates; validators reject nonsense and name the field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from trader.config.base import DAY_S, MAX_MONEY, WEEK_S, YEAR_S, Strict

# a regime can only tighten the caps; 0 stops entries in that regime
RegimeMultiplier = Annotated[Decimal, Field(ge=0, le=1)]


class PolicyConfig(Strict):
    """Risk policy (R-1, R-2, R-3, X-3). Caps are percent of current equity."""

    # R-1 exposure caps
    max_position_pct: Decimal = Field(
        Decimal("10"), gt=0, le=100, description="cap per product, % equity"
    )
    max_total_exposure_pct: Decimal = Field(
        Decimal("60"), gt=0, le=100, description="all positions, % equity"
    )
    min_cash_reserve_pct: Decimal = Field(
        Decimal("2"),
        ge=0,
        lt=100,
        description="cash never spent, % equity; 0: no reserve (100 would forbid every entry)",
    )
    # no lower than one, else nothing could ever be held; more than 1000 positions is more
    # products than a venue lists
    max_open_positions: int = Field(5, ge=1, le=1000)
    # R-1 trade pacing. No upper caps: a large number is how "no limit" is written
    max_trades_per_hour: int = Field(6, ge=1)
    max_trades_per_day: int = Field(30, ge=1)
    # waits: 0 is off; a week is the cap (a longer wait is a typo for a shorter unit)
    min_seconds_between_trades: float = Field(
        300.0, ge=0, le=WEEK_S, description="per product, between entries; 0: off"
    )
    # R-3 cooldowns (0: no cooldown)
    cooldown_after_fill_s: float = Field(900.0, ge=0, le=WEEK_S)
    cooldown_after_stop_s: float = Field(3600.0, ge=0, le=WEEK_S)
    consecutive_losses_limit: int = Field(
        3, ge=1, description="N losses in a row pause all entries (no cap: large = never)"
    )
    cooldown_after_losses_s: float = Field(7200.0, ge=0, le=WEEK_S)
    # R-3 loss limits
    daily_loss_limit_pct: Decimal = Field(
        Decimal("-3"), ge=-100, lt=0, description="negative: -3 = lose 3 %"
    )
    max_drawdown_pct: Decimal = Field(
        Decimal("10"), gt=0, le=100, description="from the high-water mark"
    )
    # what a loss limit does. `reduce`: no entries, protective exits keep running;
    # `halt`: HALTED, nothing sent (positions keep no stop until the operator acts)
    loss_limit_action: Literal["reduce", "halt"] = "reduce"
    # data guards; a quote a day old is stale whatever the market: a larger limit is a typo
    max_data_age_s: float = Field(
        120.0, gt=0, le=DAY_S, description="older quotes are stale (fail closed)"
    )
    # beyond 1000 sigmas the guard could never fire
    outlier_sigma_k: float = Field(
        8.0, gt=0, le=1000, description="quote vs last close, in 1-minute sigmas"
    )
    # a price exit fired by an outlier reading (beyond the outlier band of the last
    # close) waits for a fresher reading at most this long; 0: every exit is sent at once
    exit_confirm_max_s: float = Field(
        60.0, ge=0, le=DAY_S, description="longest wait of an outlier exit for confirmation"
    )
    # 0 would refuse every quote with a spread; 10000 bps is a spread of 100 %
    max_spread_bps: Decimal = Field(Decimal("50"), gt=0, le=10000)
    # order sizing (money is Decimal; capped far above any currency's scale: MAX_MONEY)
    min_notional: Decimal = Field(
        Decimal("10"),
        ge=0,
        le=MAX_MONEY,
        description="quote units, after fees; 0: only the venue's quote_min_size applies",
    )
    sizing_liquidity: Literal["maker", "taker"] = "taker"
    # an entry's take-profit must pay for its round trip: entry fee (sizing_liquidity) +
    # exit fee (taker) + spread, times this; beyond 100 times no target could ever pass
    min_target_cost_multiple: Decimal = Field(
        Decimal("0"), ge=0, le=100, description="0: no check; entries without a target pass"
    )
    regime_multipliers: dict[str, RegimeMultiplier] = Field(
        default_factory=lambda: {
            "normal": Decimal("1"),
            "high_vol": Decimal("0.6"),
            "risk_off": Decimal("0.3"),
        },
        description="scale every cap, in [0, 1] (0: no entries in that regime); an unknown "
        "regime uses the smallest multiplier",
    )
    # X-3 fee fallback (when transaction_summary is unavailable): fractions below 10 %
    fee_fallback_maker: Decimal = Field(Decimal("0.005"), ge=0, lt=Decimal("0.1"))
    fee_fallback_taker: Decimal = Field(Decimal("0.009"), ge=0, lt=Decimal("0.1"))
    # R-2 default exits for positions that carry none (adopted, manual, legacy). Stop and
    # take-profit are both positive distances from the cost: a stop 100 % below it (price
    # 0) never fires; a take-profit may be above +100 % (capped at +1000 %); a trailing stop
    # 100 % below the peak never fires
    default_stop_loss_pct: Decimal = Field(Decimal("5"), gt=0, lt=100)
    default_take_profit_pct: Decimal | None = Field(None, gt=0, le=1000)
    default_max_hold_s: float | None = Field(
        None, gt=0, le=YEAR_S, description="null: no time limit; at most a year"
    )
    trailing_stop_pct: Decimal | None = Field(None, gt=0, lt=100)

    @field_validator("regime_multipliers")
    @classmethod
    def _multipliers(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if not value:
            raise ValueError("regime_multipliers must name at least one regime")
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
            raise ValueError(
                f"fee_fallback_maker ({self.fee_fallback_maker}) must not exceed "
                f"fee_fallback_taker ({self.fee_fallback_taker})"
            )
        # a reading older than max_data_age_s is stale: no exit waits on one past that
        if self.exit_confirm_max_s > self.max_data_age_s:
            raise ValueError(
                f"exit_confirm_max_s ({self.exit_confirm_max_s}) must not exceed "
                f"max_data_age_s ({self.max_data_age_s})"
            )
        # drawdown from the high-water mark is never smaller than the day's loss (the mark
        # is at least the day's opening equity until an operator resets it): a daily limit
        # wider than the drawdown limit would be dead, so it is surely a typo (-30 for -3)
        if -self.daily_loss_limit_pct > self.max_drawdown_pct:
            raise ValueError(
                f"daily_loss_limit_pct ({self.daily_loss_limit_pct}) must not be a larger "
                f"loss than max_drawdown_pct ({self.max_drawdown_pct})"
            )
        return self

    def regime_multiplier(self, regime: str) -> Decimal:
        """Cap multiplier for `regime`; an unknown regime gets the strictest one (fail closed)."""
        found = self.regime_multipliers.get(regime)
        return found if found is not None else min(self.regime_multipliers.values())
