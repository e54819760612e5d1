"""`config/strategies.yaml`: the strategy registry and the `rules` strategy (STR-1).

Each registry entry names its strategy class (`class:`, a module path `package.module:Class`
or a file relative to the config directory `strategies/my_rsi.py:MyRsi`; a shipped id such
as `rules` may leave it out) and its parameters (`params:`, validated by the class's own
model when the configuration is loaded: `trader/config/plugins.py`). The shipped `rules`
strategy's parameters may also stand in the top-level `rules:` section (the older place).
A strategy runs only when its registry entry says `enabled: true` (new entries default off).
`load_limit_s` bounds the time each strategy's loading (its file's import and its
constructor) may take: one that runs longer fails the load (`trader/config/load_limit.py`).
`max_at_risk_pct` bounds the loss the strategy's positions and open orders would take if
every stop were hit, in percent of equity (a position without a stop counts in full).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator

from trader.config.base import YEAR_S, Strict
from trader.config.signals import TRIGGER_KINDS
from trader.config.universe import TIER_NAMES

SizePct = Annotated[Decimal, Field(gt=0, le=100)]
Confidence = Annotated[float, Field(ge=0, le=1)]


class StrategyEntry(Strict):
    """One registry entry: its class, on/off, budget and parameters."""

    class_ref: str | None = Field(
        None,
        alias="class",
        min_length=1,
        description="package.module:Class, or a file under the config directory: dir/file.py:Class",
    )
    enabled: bool = False
    max_at_risk_pct: Decimal = Field(
        Decimal("3"), ge=0, le=100, description="% equity; 0: no new risk (exits only)"
    )
    # more than 1000 proposals per cycle is more than the products a venue lists
    max_proposals_per_cycle: int = Field(
        3, ge=0, le=1000, description="0: the strategy proposes nothing"
    )
    params: dict[str, Any] | None = Field(
        None, description="the strategy's parameters, checked by its own model"
    )


class ExitParams(Strict):
    """Exit plan attached to an entry: stop-loss %, take-profit %, max hold minutes. Stop
    and take-profit are both positive distances from the entry price: a stop 100 % below
    it (price 0) never fires; a take-profit may exceed +100 % (capped at +1000 %)."""

    stop_loss_pct: Decimal = Field(Decimal("3"), gt=0, lt=100)
    take_profit_pct: Decimal = Field(Decimal("6"), gt=0, le=1000)
    # at most a year: a longer hold for a strategy deciding on minute candles is a typo
    max_hold_minutes: float = Field(240.0, gt=0, le=YEAR_S / 60)


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

    size_pct_by_tier: dict[str, SizePct] = Field(
        default_factory=_default_sizes, description="entry size, % equity, per tier"
    )
    default_exits: ExitParams = Field(default_factory=ExitParams)
    exits_by_trigger: dict[str, ExitParams] = Field(default_factory=dict)
    trigger_confidence: dict[str, Confidence] = Field(
        default_factory=_default_confidence, description="fractions in [0, 1]"
    )
    min_conviction: float = Field(0.4, ge=0, le=1, description="a fraction; 0: any")
    sell_on_bearish_trigger: bool = True

    @field_validator("size_pct_by_tier")
    @classmethod
    def _sizes(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for tier in value:
            if tier not in TIER_NAMES:
                raise ValueError(f"size_pct_by_tier: unknown tier {tier!r}")
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

    def exits_for(self, trigger_kind: str) -> ExitParams:
        """Exit plan for a trigger kind, or the default plan."""
        return self.exits_by_trigger.get(trigger_kind, self.default_exits)


class StrategiesConfig(Strict):
    """Registry (`registry`: id -> entry) and per-strategy parameters."""

    registry: dict[str, StrategyEntry] = Field(default_factory=lambda: {"rules": StrategyEntry()})
    rules: RulesStrategyConfig = Field(default_factory=RulesStrategyConfig)
    load_limit_s: float = Field(
        10.0,
        gt=0,
        le=600,
        description="seconds a strategy's file import and constructor may take at load",
    )

    def enabled_ids(self) -> list[str]:
        """Enabled strategy ids, sorted (deterministic run order)."""
        return sorted(sid for sid, entry in self.registry.items() if entry.enabled)
