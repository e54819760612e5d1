"""Triggers (S-1): incremental indicators over closed 1-minute candles, scored in [0, 1]."""

from trader.triggers.engine import TriggerEngine
from trader.triggers.scoring import select_top
from trader.triggers.types import Direction, TriggerKind, TriggerSignal

__all__ = ["Direction", "TriggerEngine", "TriggerKind", "TriggerSignal", "select_top"]
