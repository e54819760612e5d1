"""`config/strategies.yaml`: the strategy registry and the `rules` strategy (STR-1).

A strategy runs only when its registry entry says `enabled: true` (new entries default off).
`max_at_risk_pct` bounds the loss the strategy's positions and open orders would take if
every stop were hit, in percent of equity (a position without a stop counts in full).
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, ValidationInfo, field_validator

from trader.config.base import Strict
from trader.config.signals import TRIGGER_KINDS
from trader.config.universe import TIER_NAMES


class StrategyEntry(Strict):
    """One registry entry: on/off and budget."""

    enabled: bool = False
    max_at_risk_pct: Decimal = Decimal("3")
    max_proposals_per_cycle: int = 3

    @field_validator("max_at_risk_pct")
    @classmethod
    def _percent(cls, value: Decimal) -> Decimal:
        if value < 0 or value > 100:
            raise ValueError(f"max_at_risk_pct must be in [0, 100], got {value}")
        return value

    @field_validator("max_proposals_per_cycle")
    @classmethod
    def _proposals(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"max_proposals_per_cycle must be >= 0, got {value}")
        return value


class ExitParams(Strict):
    """Exit plan attached to an entry: stop-loss %, take-profit %, max hold minutes."""

    stop_loss_pct: Decimal = Decimal("3")
    take_profit_pct: Decimal = Decimal("6")
    max_hold_minutes: float = 240.0

    @field_validator("stop_loss_pct")
    @classmethod
    def _stop(cls, value: Decimal) -> Decimal:
        if value <= 0 or value >= 100:
            raise ValueError(f"stop_loss_pct must be in (0, 100), got {value}")
        return value

    @field_validator("take_profit_pct")
    @classmethod
    def _take(cls, value: Decimal) -> Decimal:
        if value <= 0 or value > 1000:
            raise ValueError(f"take_profit_pct must be in (0, 1000], got {value}")
        return value

    @field_validator("max_hold_minutes")
    @classmethod
    def _hold(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(f"max_hold_minutes must be > 0, got {value}")
        return value


def _default_sizes() -> dict[str, Decimal]:
    return {"core": Decimal("5"), "rotational": Decimal("3"), "event": Decimal("2")}


def _default_confidence() -> dict[str, float]:
    return {
        "price_move_15m": 0.6,
        "price_move_60m": 0.7,
        "volume_spike": 0.5,
        "breakout": 0.8,
        "momentum": 0.75,
    }


class RulesStrategyConfig(Strict):
    """Parameters of the shipped `rules` strategy."""

    size_pct_by_tier: dict[str, Decimal] = Field(default_factory=_default_sizes)
    default_exits: ExitParams = Field(default_factory=ExitParams)
    exits_by_trigger: dict[str, ExitParams] = Field(default_factory=dict)
    trigger_confidence: dict[str, float] = Field(default_factory=_default_confidence)
    min_conviction: float = 0.4
    sell_on_bearish_trigger: bool = True

    @field_validator("size_pct_by_tier")
    @classmethod
    def _sizes(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for tier, size in value.items():
            if tier not in TIER_NAMES:
                raise ValueError(f"size_pct_by_tier: unknown tier {tier!r}")
            if size <= 0 or size > 100:
                raise ValueError(f"size_pct_by_tier.{tier} must be in (0, 100], got {size}")
        return value

    @field_validator("exits_by_trigger", "trigger_confidence")
    @classmethod
    def _trigger_keys(cls, value: dict[str, object], info: ValidationInfo) -> dict[str, object]:
        unknown = sorted(set(value) - set(TRIGGER_KINDS))
        if unknown:
            raise ValueError(
                f"{info.field_name}: unknown trigger(s) {unknown}; allowed: {list(TRIGGER_KINDS)}"
            )
        return value

    @field_validator("trigger_confidence")
    @classmethod
    def _confidence(cls, value: dict[str, float]) -> dict[str, float]:
        for kind, confidence in value.items():
            if not 0 <= confidence <= 1:
                raise ValueError(f"trigger_confidence.{kind} must be in [0, 1], got {confidence}")
        return value

    @field_validator("min_conviction")
    @classmethod
    def _conviction(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValueError(f"min_conviction must be in [0, 1], got {value}")
        return value

    def exits_for(self, trigger_kind: str) -> ExitParams:
        """Exit plan for a trigger kind, or the default plan."""
        return self.exits_by_trigger.get(trigger_kind, self.default_exits)


class StrategiesConfig(Strict):
    """Registry (`registry`: id -> entry) and per-strategy parameters."""

    registry: dict[str, StrategyEntry] = Field(default_factory=lambda: {"rules": StrategyEntry()})
    rules: RulesStrategyConfig = Field(default_factory=RulesStrategyConfig)

    def enabled_ids(self) -> list[str]:
        """Enabled strategy ids, sorted (deterministic run order)."""
        return sorted(sid for sid, entry in self.registry.items() if entry.enabled)
