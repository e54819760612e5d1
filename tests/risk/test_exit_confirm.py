"""R-2: a price exit read off an outlier quote waits for confirmation, through the decision
core (the one path of every mode and the backtest). Last close 100, sigma 0.1 %, k 8: the
band is |ln(bid / 100)| <= 0.008 (bids about 99.2..100.8)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader.config.plugins import shipped_plugins
from trader.config.policy import PolicyConfig
from trader.config.signals import SignalsConfig
from trader.config.strategies import StrategiesConfig
from trader.config.universe import UniverseConfig
from trader.core.decision import ExitOrder, ExitReason
from trader.core.market import MarketSnapshot, ProductMarket
from trader.core.portfolio import Position
from trader.core.risk_state import RiskState
from trader.core.types import Candle, Quote
from trader.pipeline.decide import DecisionCore, DecisionInputs, DecisionStep
from trader.risk.exit_confirm import ExitWait, Outcome, waiting_fields

from .factories import NOW, candle, portfolio, position, rules

PID = "BTC-USD"
STRATEGIES = StrategiesConfig.model_validate({"registry": {"rules": {"enabled": True}}})
LAST_CANDLE_START = int(NOW) // 60 * 60 - 120
# a position at 100 whose exit is inside the band: stop 0.5 % (99.5), target 0.5 % (100.5)
TIGHT = {"cost": "100", "stop": "0.5", "take_profit_pct": Decimal("0.5")}
# its exits far outside it: stop 5 % (95), target 5 % (105)
WIDE = {"cost": "100", "stop": "5", "take_profit_pct": Decimal("5")}


class Core:
    """A decision core and the waits it reported."""

    def __init__(self, **policy: object) -> None:
        self.core = DecisionCore(
            PolicyConfig.model_validate(policy),
            UniverseConfig(),
            SignalsConfig(),
            STRATEGIES,
            plugins=shipped_plugins(STRATEGIES),
        )
        self.events: list[ExitWait] = []
        self.core.exit_confirmation.listeners.append(self.events.append)

    def exits(
        self,
        held: Position,
        bid: str | None,
        *,
        at: float = NOW,
        quoted: float | None = None,
        **product: object,
    ) -> tuple[ExitOrder, ...]:
        """The exits stage at `at` with a quote of bid `bid` stamped `quoted` (`at`)."""
        step = DecisionStep(
            DecisionInputs(
                at,
                _market(bid, at if quoted is None else quoted, **product),
                portfolio(positions=(held,)),
                RiskState(),
            )
        )
        self.core.exits(step)
        return step.exits

    def outcomes(self) -> list[Outcome]:
        return [e.outcome for e in self.events]


def _market(
    bid: str | None,
    quoted: float,
    *,
    sigma: float | None = 0.001,
    last_close: str | None = "100",
    last_candle: Candle | None = None,
) -> MarketSnapshot:
    quote = (
        None
        if bid is None
        else Quote(PID, Decimal(bid), Decimal(1), Decimal("100.02"), Decimal(1), quoted)
    )
    if last_candle is None and last_close is not None:
        last_candle = candle(PID, LAST_CANDLE_START, last_close)
    product = ProductMarket(
        rules(PID),
        quote,
        data_time=quoted,
        sigma=sigma,
        last_close=None if last_close is None else Decimal(last_close),
        last_candle=last_candle,
    )
    return MarketSnapshot({PID: product})


def _reasons(exits: tuple[ExitOrder, ...]) -> list[ExitReason]:
    return [e.reason for e in exits]


GLITCHES = [  # one quote far off the market, by what it fires
    pytest.param({**WIDE}, "1", ExitReason.STOP_LOSS, id="stop-bid-100x-low"),
    pytest.param({**WIDE}, "0.01", ExitReason.STOP_LOSS, id="stop-bid-10000x-low"),
    pytest.param({**WIDE}, "90", ExitReason.STOP_LOSS, id="stop-bid-10pct-low"),
    pytest.param(
        {**WIDE, "stop": "50", "trailing_stop_pct": Decimal("3")},
        "60",
        ExitReason.TRAILING_STOP,
        id="trailing-bid-40pct-low",
    ),
    pytest.param({**WIDE}, "10000", ExitReason.TAKE_PROFIT, id="target-bid-100x-high"),
]


@pytest.mark.parametrize(("plan", "bid", "reason"), GLITCHES)
def test_r2_a_glitched_quote_fires_no_exit_on_its_own_however_often_it_is_read(plan, bid, reason):
    checks = Core()
    held = position(PID, **plan)
    for seconds in (0.0, 1.0, 30.0, 59.0):  # the same quote, read again and again
        assert checks.exits(held, bid, at=NOW + seconds, quoted=NOW) == ()
    assert checks.outcomes() == [Outcome.WAITING]  # one episode, told once
    assert checks.events[0].held.reason is reason
    assert checks.core.exit_due({PID: held}, lambda _: Decimal(bid), NOW + 59)  # step built


@pytest.mark.parametrize(("plan", "bid", "reason"), GLITCHES)
def test_r2_the_glitch_gone_the_wait_ends_and_a_later_glitch_starts_over(plan, bid, reason):
    checks = Core()
    held = position(PID, **plan)
    assert checks.exits(held, bid, at=NOW) == ()
    assert checks.exits(held, "100", at=NOW + 1) == ()  # a fresh quote at the market
    assert checks.outcomes() == [Outcome.WAITING, Outcome.DISMISSED]
    assert checks.exits(held, bid, at=NOW + 2) == ()  # not confirmed by the first one
    assert checks.outcomes()[-1] is Outcome.WAITING


def test_r2_between_cycles_a_quote_that_fires_nothing_ends_the_wait_too():
    checks = Core()
    held = position(PID, **WIDE)
    assert checks.exits(held, "1") == ()
    assert not checks.core.exit_due({PID: held}, lambda _: Decimal("100"), NOW + 1)
    assert checks.outcomes() == [Outcome.WAITING, Outcome.DISMISSED]


@pytest.mark.parametrize(("plan", "bid", "reason"), GLITCHES)
def test_r2_a_real_move_is_confirmed_by_a_fresh_quote_that_still_fires(plan, bid, reason):
    checks = Core()
    held = position(PID, **plan)
    assert checks.exits(held, bid, at=NOW, quoted=NOW) == ()
    fresh = checks.exits(held, bid, at=NOW + 0.5, quoted=NOW + 0.4)
    assert _reasons(fresh) == [reason]
    assert checks.outcomes() == [Outcome.WAITING, Outcome.CONFIRMED_BY_QUOTE]


@pytest.mark.parametrize(("plan", "bid", "reason"), GLITCHES)
def test_r2_with_no_fresh_quote_the_exit_is_sent_after_exit_confirm_max_s(plan, bid, reason):
    checks = Core(exit_confirm_max_s=20)
    held = position(PID, **plan)
    assert checks.exits(held, bid, at=NOW, quoted=NOW) == ()
    assert checks.exits(held, bid, at=NOW + 19.9, quoted=NOW) == ()
    assert _reasons(checks.exits(held, bid, at=NOW + 20, quoted=NOW)) == [reason]
    assert checks.outcomes() == [Outcome.WAITING, Outcome.SENT_UNCONFIRMED]


@pytest.mark.parametrize(
    ("low", "high", "sent"),
    [("94", "100", True), ("95", "100", True), ("95.01", "100", False)],
)
def test_r2_a_closed_candle_newer_than_the_glitch_that_trades_through_the_stop_confirms_it(
    low, high, sent
):
    checks = Core()
    held = position(PID, **WIDE)
    assert checks.exits(held, "1") == ()
    newer = candle(PID, LAST_CANDLE_START + 60, "100", low=low, high=high)
    exits = checks.exits(held, "1", at=NOW + 5, quoted=NOW, last_candle=newer)
    assert _reasons(exits) == ([ExitReason.STOP_LOSS] if sent else [])
    assert checks.outcomes()[-1] is (Outcome.CONFIRMED_BY_CANDLE if sent else Outcome.WAITING)


def test_r2_the_candle_known_when_the_exit_first_fired_confirms_nothing():
    checks = Core()
    held = position(PID, **WIDE)
    through = candle(PID, LAST_CANDLE_START, "100", low="90")
    assert checks.exits(held, "1", last_candle=through) == ()
    assert checks.exits(held, "1", at=NOW + 5, quoted=NOW, last_candle=through) == ()
    assert checks.outcomes() == [Outcome.WAITING]


def test_r2_a_candle_closing_at_the_new_level_moves_the_band_and_the_exit_is_sent():
    checks = Core()
    held = position(PID, **WIDE)
    assert checks.exits(held, "90") == ()
    exits = checks.exits(held, "90", at=NOW + 60, quoted=NOW, last_close="90.2")
    assert _reasons(exits) == [ExitReason.STOP_LOSS]
    assert checks.outcomes()[-1] in (Outcome.WITHIN_BAND, Outcome.CONFIRMED_BY_CANDLE)


@pytest.mark.parametrize(
    ("plan", "bid", "reason"),
    [
        ({**TIGHT}, "99.5", ExitReason.STOP_LOSS),
        ({**TIGHT}, "99.3", ExitReason.STOP_LOSS),
        (
            {**TIGHT, "stop": "5", "trailing_stop_pct": Decimal("0.5")},
            "99.4",
            ExitReason.TRAILING_STOP,
        ),
        ({**TIGHT}, "100.5", ExitReason.TAKE_PROFIT),
    ],
)
def test_r2_an_exit_inside_the_band_is_sent_at_once(plan, bid, reason):
    checks = Core()
    assert _reasons(checks.exits(position(PID, **plan), bid)) == [reason]
    assert checks.events == []


@pytest.mark.parametrize(("plan", "bid", "reason"), GLITCHES)
def test_r2_exit_confirm_max_s_zero_sends_every_exit_at_once(plan, bid, reason):
    checks = Core(exit_confirm_max_s=0)
    assert _reasons(checks.exits(position(PID, **plan), bid)) == [reason]
    assert checks.events == []


@pytest.mark.parametrize("bid", ["1", "10000", "100", None])
def test_r2_max_hold_is_never_delayed_by_a_wait(bid):
    checks = Core()
    held = position(PID, **WIDE, entry=NOW - 3600, max_hold_s=3600.0)
    assert _reasons(checks.exits(held, bid)) == [ExitReason.MAX_HOLD]


def test_r2_a_wait_that_reaches_max_hold_sends_max_hold():
    checks = Core()
    held = position(PID, **WIDE, entry=NOW - 3590, max_hold_s=3600.0)
    assert checks.exits(held, "1") == ()
    assert _reasons(checks.exits(held, "1", at=NOW + 10, quoted=NOW)) == [ExitReason.MAX_HOLD]


@pytest.mark.parametrize(
    "missing", [{"sigma": None}, {"last_close": None}, {"sigma": None, "last_close": None}]
)
def test_r2_without_a_last_close_or_sigma_a_price_exit_waits_for_a_fresh_quote(missing):
    """The band cannot be checked: even an ordinary stop waits for a second reading (the
    entry guard refuses such a product outright)."""
    checks = Core()
    held = position(PID, **TIGHT)
    assert checks.exits(held, "99.4", **missing) == ()
    assert checks.events[0].held.band is None
    assert "no last close" in waiting_fields(checks.events[0].held, checks.core.policy)["band"]
    exits = checks.exits(held, "99.4", at=NOW + 1, quoted=NOW + 1, **missing)
    assert _reasons(exits) == [ExitReason.STOP_LOSS]


def test_r2_a_sold_position_ends_its_wait():
    checks = Core()
    held = position(PID, **WIDE)
    assert checks.exits(held, "1") == ()
    assert checks.exits(position(PID, size="0", **WIDE), "1", at=NOW + 1) == ()
    assert checks.outcomes() == [Outcome.WAITING, Outcome.DISMISSED]


def test_r2_the_waiting_line_names_price_last_close_and_band():
    checks = Core()
    assert checks.exits(position(PID, **WIDE), "1") == ()
    fields = waiting_fields(checks.events[0].held, checks.core.policy)
    assert fields["product_id"] == PID and fields["reason"] == "stop_loss"
    assert fields["price"] == "1" and fields["last_close"] == "100"
    assert fields["band"] == "99.2032..100.803" and fields["waits_up_to_s"] == "60"
