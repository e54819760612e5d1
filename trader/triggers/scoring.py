"""Turn indicator measures into scored triggers, and pick the top ones (S-1).

A trigger fires when its measure is at or above its (regime-scaled) threshold (`>=`);
its score is `min(1, measure / full_score_measure)`. Momentum scores the mean of its
return strength and its consistency. Selection keeps scores `>= min_score`, highest
first, ties broken by product id then trigger kind, at most `max_triggers_per_cycle`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from trader.config.signals import SignalsConfig
from trader.core.derived import Derived
from trader.triggers.series import SeriesMeasures
from trader.triggers.types import Direction, TriggerKind, TriggerSignal

# enum members as module constants: compiled, a C static instead of a lookup of the class
# in the module's dictionary and of the member on the class (the breakout check reads two
# for every product at every bar)
UP: Final = Direction.UP
DOWN: Final = Direction.DOWN


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _direction(value: float | None) -> Direction:
    if value is None or value == 0:
        return Direction.NEUTRAL
    return Direction.UP if value > 0 else Direction.DOWN


def price_move_signals(
    pid: str, m: SeriesMeasures, config: SignalsConfig, multiplier: float
) -> list[TriggerSignal]:
    cfg = config.price_move
    out: list[TriggerSignal] = []
    windows = (
        (TriggerKind.PRICE_MOVE_15M, m.return_15m, cfg.threshold_15m_pct),
        (TriggerKind.PRICE_MOVE_60M, m.return_60m, cfg.threshold_60m_pct),
    )
    for kind, ret, base_threshold in windows:
        if ret is None:
            continue
        move_pct = abs(ret) * 100.0
        threshold = base_threshold * multiplier
        if move_pct >= threshold:
            score = _clamp(move_pct / (threshold * cfg.full_score_multiple))
            values = {"return_pct": ret * 100.0, "threshold_pct": threshold}
            out.append(TriggerSignal(pid, kind, _direction(ret), score, m.last_start, values))
    return out


def volume_spike_signal(
    pid: str, m: SeriesMeasures, config: SignalsConfig, multiplier: float
) -> TriggerSignal | None:
    cfg = config.volume_spike
    if m.volume_ratio is None:
        return None
    threshold = cfg.ratio_threshold * multiplier
    if m.volume_ratio < threshold:
        return None
    score = _clamp(m.volume_ratio / (cfg.full_score_ratio * multiplier))
    values = {"volume_ratio": m.volume_ratio, "threshold": threshold}
    if m.return_60m is not None:
        values["return_60m_pct"] = m.return_60m * 100.0
    direction = _direction(m.return_60m)
    return TriggerSignal(pid, TriggerKind.VOLUME_SPIKE, direction, score, m.last_start, values)


# the breakout's buffer, read once per settings object (a pydantic attribute read is a
# generic lookup; this check runs for every product at every bar)
_BREAKOUT_BUFFER: Final = Derived[SignalsConfig, float](lambda c: c.breakout.buffer_pct, limit=64)


def breakout_signal(
    pid: str, m: SeriesMeasures, config: SignalsConfig, multiplier: float
) -> TriggerSignal | None:
    buffer_pct = _BREAKOUT_BUFFER.get(config) * multiplier
    for excess, direction in ((m.breakout_up, UP), (m.breakout_down, DOWN)):
        if excess is None:
            continue
        excess_pct = excess * 100.0
        if excess_pct >= buffer_pct:
            cfg = config.breakout
            score = _clamp(excess_pct / (cfg.full_score_pct * multiplier))
            values = {
                "excess_pct": excess_pct,
                "buffer_pct": buffer_pct,
                "lookback_hours": float(cfg.lookback_hours),
            }
            return TriggerSignal(pid, TriggerKind.BREAKOUT, direction, score, m.last_start, values)
    return None


def momentum_signal(
    pid: str, m: SeriesMeasures, config: SignalsConfig, multiplier: float
) -> TriggerSignal | None:
    cfg = config.momentum
    ret = m.momentum_return
    if ret is None or m.momentum_up_share is None or m.momentum_down_share is None:
        return None
    return_pct = abs(ret) * 100.0
    threshold = cfg.min_return_pct * multiplier
    consistency = m.momentum_up_share if ret > 0 else m.momentum_down_share
    if ret == 0 or return_pct < threshold or consistency < cfg.min_consistency:
        return None
    strength = _clamp(return_pct / (cfg.full_score_return_pct * multiplier))
    score = _clamp((strength + consistency) / 2.0)
    values = {"return_pct": ret * 100.0, "consistency": consistency, "threshold_pct": threshold}
    return TriggerSignal(pid, TriggerKind.MOMENTUM, _direction(ret), score, m.last_start, values)


Single = Callable[[str, SeriesMeasures, SignalsConfig, float], TriggerSignal | None]


def _enabled(config: SignalsConfig) -> tuple[bool, tuple[Single, ...]]:
    """Whether the price moves are on, and the other enabled triggers in order."""
    singles: list[Single] = []
    if config.volume_spike.enabled:
        singles.append(volume_spike_signal)
    if config.breakout.enabled:
        singles.append(breakout_signal)
    if config.momentum.enabled:
        singles.append(momentum_signal)
    return config.price_move.enabled, tuple(singles)


# read once per settings object (they are frozen), not for every product at every bar
_ENABLED: Final = Derived[SignalsConfig, tuple[bool, tuple[Single, ...]]](_enabled, limit=64)


def product_signals(
    pid: str, m: SeriesMeasures, config: SignalsConfig, multiplier: float
) -> list[TriggerSignal]:
    """Every enabled trigger that fires for one product."""
    price_moves, singles = _ENABLED.get(config)
    out = price_move_signals(pid, m, config, multiplier) if price_moves else []
    for builder in singles:
        signal = builder(pid, m, config, multiplier)
        if signal is not None:
            out.append(signal)
    return out


def select_top(signals: Iterable[TriggerSignal], config: SignalsConfig) -> list[TriggerSignal]:
    """Scores `>= min_score`, highest first, deterministic ties, capped per cycle."""
    kept = [s for s in signals if s.score >= config.min_score]
    kept.sort(key=lambda s: (-s.score, s.product_id, s.kind))  # a StrEnum: its text's order
    return kept[: config.max_triggers_per_cycle]
