"""Risk (R-1, R-2, R-3): the one entry gate, exits that always run, loss limits, cooldowns."""

from trader.core.decision import RejectReason
from trader.risk.config import RiskConfig
from trader.risk.engine import evaluate
from trader.risk.exits import exits_due, filter_exits, update_peaks
from trader.risk.fees import Liquidity, fallback_rates, fee_for
from trader.risk.limits import (
    HaltTransition,
    OperatorAudit,
    after_fill,
    after_stop_out,
    check_loss_limits,
    observe_equity,
    prune_cooldowns,
    prune_trades,
    record_trade_result,
    reset_high_water_mark,
    resume_trading,
    roll_day,
    update_high_water_mark,
)

__all__ = [
    "HaltTransition",
    "Liquidity",
    "OperatorAudit",
    "RejectReason",
    "RiskConfig",
    "after_fill",
    "after_stop_out",
    "check_loss_limits",
    "evaluate",
    "exits_due",
    "fallback_rates",
    "fee_for",
    "filter_exits",
    "observe_equity",
    "prune_cooldowns",
    "prune_trades",
    "record_trade_result",
    "reset_high_water_mark",
    "resume_trading",
    "roll_day",
    "update_high_water_mark",
    "update_peaks",
]
