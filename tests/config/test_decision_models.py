"""CFG-1 decision config models: empty files validate, shipped files validate, nonsense is
refused with a message naming the field (policy, universe, signals, strategies)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from trader.config.policy import PolicyConfig
from trader.config.signals import TRIGGER_KINDS, SignalsConfig
from trader.config.strategies import StrategiesConfig
from trader.config.universe import UniverseConfig
from trader.triggers.types import TriggerKind

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
MODELS: dict[str, type[BaseModel]] = {
    "policy.yaml": PolicyConfig,
    "universe.yaml": UniverseConfig,
    "signals.yaml": SignalsConfig,
    "strategies.yaml": StrategiesConfig,
}


@pytest.mark.parametrize("model", MODELS.values())
def test_cfg1_empty_file_validates(model):
    model.model_validate({})


@pytest.mark.parametrize(("file_name", "model"), MODELS.items())
def test_cfg1_shipped_defaults_validate(file_name, model):
    raw = yaml.safe_load((CONFIG_DIR / file_name).read_text())
    model.model_validate(raw)


@pytest.mark.parametrize("model", MODELS.values())
def test_cfg1_unknown_keys_refused(model):
    with pytest.raises(ValidationError, match="typo_key"):
        model.model_validate({"typo_key": 1})


@pytest.mark.parametrize("model", MODELS.values())
def test_cfg1_models_are_frozen(model):
    instance = model()
    name = next(iter(type(instance).model_fields))
    with pytest.raises(ValidationError):
        setattr(instance, name, None)


def test_r3_policy_defaults():
    policy = PolicyConfig()
    assert policy.daily_loss_limit_pct == Decimal("-3")
    assert policy.max_drawdown_pct == Decimal("10")
    assert (policy.fee_fallback_maker, policy.fee_fallback_taker) == (
        Decimal("0.005"),
        Decimal("0.009"),
    )


def test_str1_shipped_rules_strategy_enabled():
    raw = yaml.safe_load((CONFIG_DIR / "strategies.yaml").read_text())
    assert StrategiesConfig.model_validate(raw).enabled_ids() == ["rules"]
    assert StrategiesConfig().enabled_ids() == []  # new entries default off


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (PolicyConfig, {"max_position_pct": -1}, "max_position_pct"),
        (PolicyConfig, {"max_position_pct": 101}, "max_position_pct"),
        (PolicyConfig, {"max_total_exposure_pct": 0}, "max_total_exposure_pct"),
        (PolicyConfig, {"daily_loss_limit_pct": 3}, "daily_loss_limit_pct"),
        (PolicyConfig, {"daily_loss_limit_pct": 0}, "daily_loss_limit_pct"),
        (PolicyConfig, {"max_drawdown_pct": 0}, "max_drawdown_pct"),
        (PolicyConfig, {"max_open_positions": 0}, "max_open_positions"),
        (PolicyConfig, {"cooldown_after_fill_s": -1}, "cooldown_after_fill_s"),
        (PolicyConfig, {"max_spread_bps": -1}, "max_spread_bps"),
        (PolicyConfig, {"fee_fallback_taker": 0.5}, "fee_fallback_taker"),
        (PolicyConfig, {"regime_multipliers": {"normal": 1.5}}, "regime_multipliers.normal"),
        (PolicyConfig, {"max_position_pct": 70}, "max_position_pct"),  # > total exposure
        (PolicyConfig, {"max_trades_per_hour": 50}, "max_trades_per_hour"),  # > per day
        (UniverseConfig, {"min_price": -1}, "min_price"),
        (UniverseConfig, {"quote_currency": "usd"}, "quote_currency"),
        (UniverseConfig, {"tiers": {"gold": {}}}, "gold"),
        (UniverseConfig, {"tiers": {"core": {"allocation_cap_pct": 120}}}, "allocation_cap_pct"),
        (UniverseConfig, {"clusters": {"x": {"max_exposure_pct": -5}}}, "max_exposure_pct"),
        (UniverseConfig, {"min_daily_volatility_pct": 50}, "min_daily_volatility_pct"),
        (
            UniverseConfig,
            {"tiers": {"core": {"symbols": ["A-USD"]}, "event": {"symbols": ["A-USD"]}}},
            "A-USD",
        ),
        (SignalsConfig, {"min_score": 1.5}, "min_score"),
        (SignalsConfig, {"max_triggers_per_cycle": -1}, "max_triggers_per_cycle"),
        (SignalsConfig, {"price_move": {"threshold_15m_pct": 0}}, "threshold_15m_pct"),
        (SignalsConfig, {"breakout": {"lookback_hours": 48}}, "lookback_hours"),
        (SignalsConfig, {"momentum": {"min_consistency": 2}}, "min_consistency"),
        (SignalsConfig, {"regime_threshold_multipliers": {"calm": 0.5}}, "calm"),
        (StrategiesConfig, {"registry": {"rules": {"max_at_risk_pct": -1}}}, "max_at_risk_pct"),
        (StrategiesConfig, {"rules": {"min_conviction": 2}}, "min_conviction"),
        (StrategiesConfig, {"rules": {"size_pct_by_tier": {"core": 0}}}, "size_pct_by_tier"),
        (StrategiesConfig, {"rules": {"exits_by_trigger": {"rsi": {}}}}, "exits_by_trigger"),
        (
            StrategiesConfig,
            {"rules": {"default_exits": {"stop_loss_pct": 0}}},
            "stop_loss_pct",
        ),
    ],
)
def test_cfg1_nonsense_refused_naming_the_field(model, data, field):
    with pytest.raises(ValidationError) as error:
        model.model_validate(data)
    assert field in str(error.value)


def test_s1_trigger_kind_names_match_config():
    assert tuple(kind.value for kind in TriggerKind) == TRIGGER_KINDS
