"""X-5, OPS-4: what the send gate lets through, by reconciliation and trading state."""

from __future__ import annotations

from trader.core.types import TradingState
from trader.desk.orders import send_gate
from trader.execution.intents import Purpose
from trader.state.trading_state import TradingStatus


class _Keeper:
    def __init__(self, state: TradingState) -> None:
        self.status = TradingStatus(
            state, "kill_switch" if state is TradingState.HALTED else None, None, None, 0, 0.0
        )

    @property
    def state(self) -> TradingState:
        return self.status.state


def test_x5_nothing_is_sent_before_a_reconciliation_has_passed():
    gate = send_gate(_Keeper(TradingState.ACTIVE), reconciled=lambda: False)  # type: ignore[arg-type]
    for purpose in Purpose:
        assert gate(purpose) == "not reconciled with the venue yet"
    assert send_gate(_Keeper(TradingState.ACTIVE), lambda: True)(Purpose.ENTRY) is None  # type: ignore[arg-type]


def test_ops4_halted_sends_only_the_flatten_and_reducing_only_exits():
    halted = send_gate(_Keeper(TradingState.HALTED))  # type: ignore[arg-type]
    assert halted(Purpose.FLATTEN) is None
    assert all(halted(p) is not None for p in (Purpose.ENTRY, Purpose.EXIT, Purpose.REPRICE))
    reducing = send_gate(_Keeper(TradingState.REDUCING))  # type: ignore[arg-type]
    assert reducing(Purpose.EXIT) is None and reducing(Purpose.FLATTEN) is None
    assert reducing(Purpose.ENTRY) is not None and reducing(Purpose.REPRICE) is not None
