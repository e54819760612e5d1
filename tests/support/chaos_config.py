"""The chaos run's configuration: an order flow every cycle on 1-minute triggers, under a
policy wide enough that risk refuses little and nothing halts for losses. The execution
benchmark (scripts/bench_execution.py) decides on the same."""

from __future__ import annotations

from pathlib import Path

from tests.support.venue import merge_yaml

POLICY = {
    "max_position_pct": 4,
    "max_total_exposure_pct": 90,
    "max_open_positions": 20,
    "max_trades_per_hour": 100000,
    "max_trades_per_day": 1000000,
    "min_seconds_between_trades": 2,
    "cooldown_after_fill_s": 0,
    "cooldown_after_stop_s": 0,
    "consecutive_losses_limit": 100000,
    "daily_loss_limit_pct": -90,
    "max_drawdown_pct": 95,
    "max_spread_bps": 1000,
    "min_notional": 2,
    "outlier_sigma_k": 1000,
    "min_target_cost_multiple": 0,  # 0.1 % targets: an order flow, not a strategy
}
SIGNALS = {
    # 1-minute triggers: an order flow every cycle, whatever the shipped timeframe
    "timeframe": "1m",
    "price_move": {"threshold_15m_pct": 0.001, "threshold_60m_pct": 0.001},
    "momentum": {"min_return_pct": 0.001, "min_consistency": 0.0},
    "min_score": 0.0,
    "max_candle_age_s": 600,
}
STRATEGY_RULES = {
    "min_conviction": 0.0,
    "sell_on_bearish_trigger": True,
    "default_exits": {"stop_loss_pct": 0.1, "take_profit_pct": 0.1, "max_hold_minutes": 0.25},
    "exits_by_trigger": {
        kind: {"stop_loss_pct": 0.1, "take_profit_pct": 0.1, "max_hold_minutes": 0.25}
        for kind in ("price_move_15m", "price_move_60m", "volume_spike", "breakout", "momentum")
    },
}
UNIVERSE = {
    "min_listing_age_days": 0,
    "min_daily_volatility_pct": 0,
    "max_daily_volatility_pct": 1000,
    "tiers": {
        name: {"min_quote_volume_24h": 0, "max_spread_bps": 1000}
        for name in ("core", "rotational", "event")
    },
}


def write_order_flow(config: Path) -> None:
    """Merge the order-flow settings into the configuration directory `config`."""
    merge_yaml(config / "policy.yaml", POLICY)
    merge_yaml(config / "signals.yaml", SIGNALS)
    merge_yaml(config / "strategies.yaml", {"rules": STRATEGY_RULES})
    merge_yaml(config / "universe.yaml", UNIVERSE)
