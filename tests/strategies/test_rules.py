"""STR-1: the rules strategy (triggers -> entries) and the registry (enabled, limits, dedupe)."""

from __future__ import annotations

import decimal
from decimal import Decimal as D

import pytest

from trader.config.plugins import shipped_plugins
from trader.config.strategies import StrategiesConfig
from trader.core.decision import Proposal
from trader.core.portfolio import OpenOrder
from trader.core.types import Side
from trader.strategies import (
    BaseStrategy,
    RulesStrategy,
    StrategyContext,
    StrategyParams,
    StrategyPlugin,
    StrategyRegistry,
    budgets,
    dedupe_by_product,
)
from trader.strategies.base import StrategyError
from trader.strategies.rules import combined_conviction
from trader.triggers.types import Direction, TriggerKind, TriggerSignal

from ..risk.factories import NOW, market_for, portfolio, position, snapshot

UP, DOWN = Direction.UP, Direction.DOWN


def sig(pid="BTC-USD", kind=TriggerKind.BREAKOUT, direction=UP, score=0.8):
    return TriggerSignal(pid, kind, direction, score, 1000, {})


def ctx(triggers, pf=None, tier="core", products=("BTC-USD", "ETH-USD")):
    market = snapshot(*(market_for(p) for p in products), tier=tier)
    return StrategyContext(NOW, tuple(triggers), market, pf or portfolio())


CONFIG = StrategiesConfig.model_validate(
    {
        "registry": {"rules": {"enabled": True}},
        "rules": {
            "exits_by_trigger": {
                "breakout": {"stop_loss_pct": 3, "take_profit_pct": 8, "max_hold_minutes": 480}
            }
        },
    }
)
RULES = RulesStrategy("rules", CONFIG.rules)


@pytest.mark.parametrize(
    ("tier", "size"), [("core", D("5")), ("rotational", D("3")), ("event", D("2"))]
)
def test_str1_rules_tier_based_size_and_trigger_exits(tier, size):
    (proposal,) = RULES.propose(ctx([sig()], tier=tier))
    assert proposal.side is Side.BUY and proposal.size_pct == size
    assert proposal.stop_loss_pct == D("3") and proposal.take_profit_pct == D("8")
    assert proposal.max_hold_s == 480 * 60
    assert proposal.strategy_id == "rules"
    assert proposal.trigger_refs == ("breakout:BTC-USD:1000",)
    assert proposal.conviction == pytest.approx(0.8 * 0.8)


def test_str1_rules_default_exits_for_unlisted_trigger():
    (proposal,) = RULES.propose(ctx([sig(kind=TriggerKind.MOMENTUM)]))
    assert proposal.stop_loss_pct == CONFIG.rules.default_exits.stop_loss_pct


@pytest.mark.parametrize(
    ("score", "proposes"),
    [(0.5, True), (0.49, False)],  # breakout confidence 0.8: 0.5 * 0.8 = 0.4 = min_conviction
)
def test_str1_rules_min_conviction_boundary(score, proposes):
    assert bool(RULES.propose(ctx([sig(score=score)]))) is proposes


def test_str1_rules_conviction_combines_agreeing_triggers():
    signals = [sig(score=0.5), sig(kind=TriggerKind.VOLUME_SPIKE, score=0.5)]
    expected = 1 - (1 - 0.5 * 0.8) * (1 - 0.5 * 0.5)
    assert combined_conviction(signals, CONFIG.rules) == pytest.approx(expected)
    (proposal,) = RULES.propose(ctx(signals))
    assert proposal.conviction == pytest.approx(expected)
    assert proposal.stop_loss_pct == D("3")  # exits of the strongest (breakout)


def test_str1_rules_mixed_directions_propose_nothing():
    assert RULES.propose(ctx([sig(), sig(kind=TriggerKind.MOMENTUM, direction=DOWN)])) == []


def test_str1_rules_neutral_triggers_ignored():
    assert (
        RULES.propose(ctx([sig(kind=TriggerKind.VOLUME_SPIKE, direction=Direction.NEUTRAL)])) == []
    )


def test_str1_rules_no_entry_when_not_eligible_held_or_order_open():
    assert RULES.propose(ctx([sig("SOL-USD")])) == []  # not in the universe
    held = portfolio(positions=(position("BTC-USD"),))
    assert RULES.propose(ctx([sig()], pf=held)) == []
    order = OpenOrder("o", "BTC-USD", Side.BUY, D("1"), limit_price=D("100"))
    assert RULES.propose(ctx([sig()], pf=portfolio(orders=(order,)))) == []


def test_str1_rules_sell_only_reduces_held_position():
    bearish = [sig(direction=DOWN)]
    assert RULES.propose(ctx(bearish)) == []  # nothing held: spot never shorts
    held = portfolio(positions=(position("BTC-USD", "2"),))
    (proposal,) = RULES.propose(ctx(bearish, pf=held))
    assert proposal.side is Side.SELL and proposal.base_size == D("2")
    selling = OpenOrder("o", "BTC-USD", Side.SELL, D("2"), limit_price=D("101"))
    already = portfolio(positions=(position("BTC-USD", "2"),), orders=(selling,))
    assert RULES.propose(ctx(bearish, pf=already)) == []


def test_str1_rules_is_pure_and_deterministic():
    context = ctx([sig("ETH-USD"), sig("BTC-USD", score=0.9)])
    first, second = RULES.propose(context), RULES.propose(context)
    assert first == second
    assert [p.product_id for p in first] == ["BTC-USD", "ETH-USD"]


class _Fixed(BaseStrategy):
    """Proposes what the test put in `_PROPOSALS[strategy_id]`."""

    def propose(self, ctx):
        return list(_PROPOSALS[self.strategy_id])


_PROPOSALS: dict[str, list[Proposal]] = {}


def fixed(strategy_id, proposals):
    _PROPOSALS[strategy_id] = proposals
    return StrategyPlugin(strategy_id, _Fixed, StrategyParams(), "tests:_Fixed")


def _p(pid, conviction, strategy="a", side=Side.BUY):
    return Proposal(pid, side, strategy, conviction, "x", size_pct=D("1"))


def test_str1_registry_runs_only_enabled_strategies():
    config = StrategiesConfig.model_validate(
        {"registry": {"rules": {"enabled": False}, "b": {"enabled": True}}}
    )
    plugins = {"b": fixed("b", [_p("BTC-USD", 0.5, "b")])}
    registry = StrategyRegistry.from_config(config, plugins)
    assert list(registry.strategies) == ["b"]
    assert [p.strategy_id for p in registry.propose_all(ctx([]))] == ["b"]


def test_str1_new_strategies_default_off():
    config = StrategiesConfig.model_validate({"registry": {"rules": {}}})
    assert StrategyRegistry.from_config(config, shipped_plugins(config)).strategies == {}


def test_str1_registry_unknown_enabled_strategy_is_an_error():
    config = StrategiesConfig.model_validate({"registry": {"nope": {"enabled": True}}})
    with pytest.raises(ValueError, match="nope"):
        StrategyRegistry.from_config(config, {})


def test_str1_registry_max_proposals_per_cycle_keeps_highest_conviction():
    config = StrategiesConfig.model_validate(
        {"registry": {"a": {"enabled": True, "max_proposals_per_cycle": 2}}}
    )
    proposals = [_p("A-USD", 0.1), _p("B-USD", 0.9), _p("C-USD", 0.5)]
    registry = StrategyRegistry.from_config(config, {"a": fixed("a", proposals)})
    assert [p.product_id for p in registry.propose_all(ctx([]))] == ["B-USD", "C-USD"]


def test_str1_dedupe_highest_conviction_wins_with_deterministic_ties():
    merged = dedupe_by_product(
        [
            _p("BTC-USD", 0.5, "b"),
            _p("BTC-USD", 0.7, "c"),
            _p("ETH-USD", 0.6, "z"),
            _p("ETH-USD", 0.6, "a"),
        ]
    )
    assert [(p.product_id, p.strategy_id) for p in merged] == [
        ("BTC-USD", "c"),
        ("ETH-USD", "a"),
    ]


def test_str1_registry_refuses_mislabelled_proposals():
    config = StrategiesConfig.model_validate({"registry": {"a": {"enabled": True}}})
    registry = StrategyRegistry.from_config(
        config, {"a": fixed("a", [_p("BTC-USD", 0.5, "other")])}
    )
    with pytest.raises(StrategyError, match=r"strategy 'a' .* proposed as strategy 'other'"):
        registry.propose_all(ctx([]))


def test_str1_budgets_from_registry():
    config = StrategiesConfig.model_validate({"registry": {"rules": {"max_at_risk_pct": 2.5}}})
    assert budgets(config) == {"rules": D("2.5")}


def test_str1_shipped_registry_builds_rules():
    registry = StrategyRegistry.from_config(CONFIG, shipped_plugins(CONFIG))
    assert list(registry.strategies) == ["rules"]
    assert registry.propose_all(ctx([sig()]))[0].product_id == "BTC-USD"


class _Counted(BaseStrategy):
    """Counts its calls; proposes a BUY of BTC-USD at each."""

    calls = 0

    def propose(self, ctx):
        type(self).calls += 1
        return [_p("BTC-USD", 0.5, self.strategy_id)]


class _NeedsTriggers(_Counted):
    needs_triggers = True


class _TruthyNotTrue(_Counted):
    needs_triggers = 1  # anything but True: called at every step


class _AsProperty(_Counted):
    @property
    def needs_triggers(self):  # not a class's True: called at every step
        return True


def _registry_of(cls):
    config = StrategiesConfig.model_validate({"registry": {"a": {"enabled": True}}})
    cls.calls = 0
    return StrategyRegistry.from_config(
        config, {"a": StrategyPlugin("a", cls, StrategyParams(), "t")}
    )


@pytest.mark.parametrize(
    ("cls", "called_untriggered"),
    [(_Counted, True), (_NeedsTriggers, False), (_TruthyNotTrue, True), (_AsProperty, True)],
)
def test_str1_a_strategy_that_needs_triggers_is_called_only_at_steps_with_some(
    cls, called_untriggered
):
    registry = _registry_of(cls)
    untriggered = registry.propose_all(ctx([]))
    assert cls.calls == int(called_untriggered)
    assert untriggered == ([_p("BTC-USD", 0.5)] if called_untriggered else [])
    assert registry.calls_none_untriggered() is not called_untriggered
    assert registry.propose_all(ctx([sig()])) == [_p("BTC-USD", 0.5)]
    assert cls.calls == int(called_untriggered) + 1
    registry.skip_untriggered = False  # every strategy called at every step
    assert registry.propose_all(ctx([])) == [_p("BTC-USD", 0.5)]
    assert not registry.calls_none_untriggered()


@pytest.mark.parametrize("untriggered_only", [True, False])
def test_str1_a_strategy_not_called_still_fails_on_a_changed_default_context(untriggered_only):
    registry = _registry_of(_NeedsTriggers)
    decimal.DefaultContext.prec = 5
    with pytest.raises(StrategyError, match=r"'a' .* changed decimal.DefaultContext \(prec\)"):
        if untriggered_only:
            registry.propose_untriggered(NOW)
        else:
            registry.propose_all(ctx([]))
    assert decimal.DefaultContext.prec == 28  # put back
    assert registry.propose_untriggered(NOW) == [] and _NeedsTriggers.calls == 0


@pytest.mark.parametrize("held", [False, True])
@pytest.mark.parametrize("tier", ["core", "rotational", "event", "none"])
def test_str1_rules_proposes_nothing_without_triggers(held, tier):
    """What `RulesStrategy.needs_triggers` declares."""
    pf = portfolio(positions=(position("BTC-USD"),)) if held else None
    assert RulesStrategy.needs_triggers is True
    assert RULES.propose(ctx([], pf, tier=tier)) == []


class _Raising(type(BaseStrategy)):
    """A metaclass whose read of `needs_triggers` raises."""

    @property
    def needs_triggers(cls):
        raise RuntimeError("no")


class _MetaRaising(_Counted, metaclass=_Raising):
    pass


def test_str1_a_class_whose_declaration_read_raises_is_called_at_every_step():
    registry = _registry_of(_MetaRaising)
    assert registry.propose_all(ctx([])) == [_p("BTC-USD", 0.5)] and _MetaRaising.calls == 1
