"""Trigger outputs (S-1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class TriggerKind(StrEnum):
    """Trigger names; the same strings as `trader.config.signals.TRIGGER_KINDS`."""

    PRICE_MOVE_15M = "price_move_15m"
    PRICE_MOVE_60M = "price_move_60m"
    VOLUME_SPIKE = "volume_spike"
    BREAKOUT = "breakout"
    MOMENTUM = "momentum"


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class TriggerSignal:
    """One fired trigger: score in [0, 1], direction, and the values that produced it.

    `candle_start` is the start of the last closed candle the values include. `values` is
    read-only: every strategy of a cycle is handed the same signals (STR-1).
    """

    product_id: str
    kind: TriggerKind
    direction: Direction
    score: float
    candle_start: int
    values: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.values, MappingProxyType):
            object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    @property
    def ref(self) -> str:
        """Stable reference for proposals and the audit trail."""
        return f"{self.kind}:{self.product_id}:{self.candle_start}"
