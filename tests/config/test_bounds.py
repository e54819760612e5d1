"""CFG-1: every numeric field of every configuration model has the bounds its meaning
requires — found by walking the models, so a field added later without bounds fails here
unless it is on `ALLOW_LIST` with a reason. Each bound is shown to be enforced (a value
just past it is refused at that key), and out-of-bounds values of every kind are refused
by the real `trader check-config`: exit 2, one line naming the file and the key, nothing
created."""

from __future__ import annotations

import shutil
from decimal import Decimal
from typing import Any

import annotated_types
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from tests.config.model_walk import (
    config_models,
    model_slots,
    own_slots,
    reach,
)
from tests.support.daemon import REPO_ROOT, DaemonDir, merge
from trader.config.app import AppConfig
from trader.config.loader import POLICY_FILES

# "Model.field" (".*" for a mapping's values, "[]" for a list's items) -> why it has no bound
ALLOW_LIST: dict[str, str] = {
    # random.Random takes any integer; a bound would only refuse to reproduce a run that
    # was seeded elsewhere (the simulator's CLI takes any --seed)
    "SimConfig.seed": "every integer is a valid seed",
}

BOUND_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")
ROOTS: dict[str, type[BaseModel]] = {"app.yaml": AppConfig, **POLICY_FILES}


MODELS = config_models()
OWN = {name: bounds for model in MODELS for name, bounds in own_slots(model)}
SLOTS = [(file, *slot) for file, root in ROOTS.items() for slot in model_slots(root)]


# -- every numeric field has a bound (or a reason not to) --------------------------------
def test_cfg1_the_walk_finds_every_model_and_number():
    names = {model.__name__ for model in MODELS}
    assert {"AppConfig", "PolicyConfig", "TierConfig", "ExitParams", "RateLimitConfig"} <= names
    assert len(OWN) >= 90, sorted(OWN)
    assert {"PolicyConfig.regime_multipliers.*", "SignalsConfig.max_candle_age_s"} <= set(OWN)
    reachable: set[type[BaseModel]] = set()
    for root in ROOTS.values():
        reach(root, reachable)
    unreachable = {model.__name__ for model in MODELS} - {model.__name__ for model in reachable}
    assert not unreachable, f"models no configuration file reaches: {unreachable}"


@pytest.mark.parametrize("name", sorted(OWN))
def test_cfg1_every_numeric_field_has_a_bound(name):
    if name in ALLOW_LIST:
        assert not OWN[name], f"{name} has bounds now: take it off ALLOW_LIST"
        return
    assert OWN[name], (
        f"{name} is a number without bounds: give it the ge/gt/le/lt its meaning requires "
        "(documenting a 0 that means off), or put it on ALLOW_LIST with the reason"
    )


def test_cfg1_the_allow_list_names_only_existing_numbers():
    assert set(ALLOW_LIST) <= set(OWN), set(ALLOW_LIST) - set(OWN)
    assert all(reason.strip() for reason in ALLOW_LIST.values())


def _schema_numbers(node: Any, owner: str, found: list[tuple[str, dict[str, Any]]]) -> None:
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            found.append((owner, node))
        for key, value in node.items():
            if key == "properties":
                for name, sub in value.items():
                    _schema_numbers(sub, f"{owner.split('.')[0]}.{name}", found)
            elif key == "$defs":
                for model, sub in value.items():
                    _schema_numbers(sub, model, found)
            else:
                _schema_numbers(value, owner, found)
    elif isinstance(node, list):
        for item in node:
            _schema_numbers(item, owner, found)


@pytest.mark.parametrize("file", sorted(ROOTS))
def test_cfg1_the_json_schema_shows_a_bound_on_every_number(file):
    """The same rule seen through the published schema (a second, independent walk)."""
    found: list[tuple[str, dict[str, Any]]] = []
    root = ROOTS[file]
    _schema_numbers(root.model_json_schema(), root.__name__, found)
    assert found
    keys = {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"}
    unbounded = {owner for owner, node in found if not keys & set(node)}
    assert {owner.split(".*")[0] for owner in ALLOW_LIST} >= unbounded, unbounded


# -- every bound is enforced, at its key -------------------------------------------------
def _past(bound: Any, kind: type) -> Any:
    """A value of `kind` just on the wrong side of `bound` (on it, or one unit past)."""
    if isinstance(bound, annotated_types.Gt):
        value, step = bound.gt, 0
    elif isinstance(bound, annotated_types.Ge):
        value, step = bound.ge, -1
    elif isinstance(bound, annotated_types.Lt):
        value, step = bound.lt, 0
    else:
        value, step = bound.le, 1
    if kind is Decimal:
        return Decimal(str(value)) + step
    return kind(value + step)


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


ENFORCED = [
    pytest.param(root, path, _past(bound, kind), id=f"{file}:{'.'.join(path)}:{bound!r}")
    for file, path, kind, bounds in SLOTS
    for bound in bounds
    for root in [ROOTS[file]]
]


def test_cfg1_enforcement_cases_cover_every_bounded_slot():
    assert len(ENFORCED) >= 150


@pytest.mark.parametrize(("root", "path", "value"), ENFORCED)
def test_cfg1_a_value_past_a_bound_is_refused_at_its_key(root, path, value):
    data: dict[str, Any] = {}
    _set(data, path, value)
    with pytest.raises(ValidationError) as refused:
        root.model_validate(data)
    errors = [e for e in refused.value.errors() if tuple(map(str, e["loc"])) == path]
    assert errors, refused.value.errors()
    assert errors[0]["type"] in (
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
    )


# -- the real command, out-of-bounds values of every kind ----------------------------------
def _edit(home: DaemonDir, file: str, change: dict[str, Any]) -> None:
    if file == "app.yaml":
        home.write_app(merge(home.app, change))
        return
    target = home.root / "config" / file
    data = yaml.safe_load(target.read_text()) or {}
    target.write_text(yaml.safe_dump(merge(data, change), sort_keys=False))


OUT_OF_BOUNDS: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    # kind: (file, change, what the one error line names)
    "negative_percent": ("policy.yaml", {"max_position_pct": -5}, ("max_position_pct",)),
    "negative_percent_nested": (
        "universe.yaml",
        {"clusters": {"majors": {"max_exposure_pct": -1}}},
        ("clusters.majors.max_exposure_pct",),
    ),
    "percent_over_100": (
        "universe.yaml",
        {"tiers": {"core": {"allocation_cap_pct": 150}}},
        ("tiers.core.allocation_cap_pct",),
    ),
    "budget_over_100": (
        "strategies.yaml",
        {"registry": {"rules": {"max_at_risk_pct": 101}}},
        ("registry.rules.max_at_risk_pct",),
    ),
    "percent_in_mapping_over_100": (
        "strategies.yaml",
        {"rules": {"size_pct_by_tier": {"core": 120}}},
        ("rules.size_pct_by_tier.core",),
    ),
    "fraction_over_1": ("signals.yaml", {"min_score": 1.5}, ("min_score",)),
    "fraction_in_mapping_over_1": (
        "strategies.yaml",
        {"rules": {"trigger_confidence": {"breakout": 1.2}}},
        ("rules.trigger_confidence.breakout",),
    ),
    "fee_rate_over_cap": ("policy.yaml", {"fee_fallback_taker": 0.5}, ("fee_fallback_taker",)),
    "zero_cycle_interval": ("app.yaml", {"cycle": {"interval_s": 0}}, ("cycle.interval_s",)),
    "cycle_interval_of_a_year": (
        "app.yaml",
        {"cycle": {"interval_s": 31_536_000}},
        ("cycle.interval_s",),
    ),
    "zero_refresh_interval": ("universe.yaml", {"refresh_interval_s": 0}, ("refresh_interval_s",)),
    "negative_cooldown": ("policy.yaml", {"cooldown_after_stop_s": -1}, ("cooldown_after_stop_s",)),
    "zero_timeout": ("app.yaml", {"shutdown": {"timeout_s": 0}}, ("shutdown.timeout_s",)),
    "timeout_of_an_hour": (
        "app.yaml",
        {"exchange": {"request_timeout_s": 3600}},
        ("exchange.request_timeout_s",),
    ),
    "port_70000": ("app.yaml", {"metrics": {"port": 70000}}, ("metrics.port",)),
    "negative_port": ("app.yaml", {"metrics": {"port": -1}}, ("metrics.port",)),
    "zero_count": ("policy.yaml", {"max_open_positions": 0}, ("max_open_positions",)),
    "negative_count": (
        "strategies.yaml",
        {"registry": {"rules": {"max_proposals_per_cycle": -1}}},
        ("registry.rules.max_proposals_per_cycle",),
    ),
    "zero_money": ("app.yaml", {"paper": {"quote_balance": 0}}, ("paper.quote_balance",)),
    "negative_price": ("universe.yaml", {"min_price": -0.01}, ("min_price",)),
    "zero_spread": ("policy.yaml", {"max_spread_bps": 0}, ("max_spread_bps",)),
    "slippage_over_cap": (
        "app.yaml",
        {"execution": {"taker_slippage_bps": 5000}},
        ("execution.taker_slippage_bps",),
    ),
    "zero_rate_limit": (
        "app.yaml",
        {"exchange": {"rate_limits": {"private_per_s": 0}}},
        ("exchange.rate_limits.private_per_s",),
    ),
    "sim_rate_limit_over_cap": (
        "app.yaml",
        {"sim": {"rate_limits": {"public_per_s": 5000}}},
        ("sim.rate_limits.public_per_s",),
    ),
    "multiplier_loosening_caps": (
        "policy.yaml",
        {"regime_multipliers": {"high_vol": 1.5}},
        ("regime_multipliers.high_vol",),
    ),
    "multiplier_lowering_thresholds": (
        "signals.yaml",
        {"regime_threshold_multipliers": {"normal": 0.5}},
        ("regime_threshold_multipliers.normal",),
    ),
    "lookback_beyond_kept_data": (
        "signals.yaml",
        {"momentum": {"lookback_minutes": 10_000}},
        ("momentum.lookback_minutes",),
    ),
    "ratio_never_reached": (
        "signals.yaml",
        {"volume_spike": {"ratio_threshold": 30}},
        ("volume_spike.ratio_threshold",),
    ),
    "zero_age": ("signals.yaml", {"max_candle_age_s": 0}, ("max_candle_age_s",)),
    "zero_hold": (
        "strategies.yaml",
        {"rules": {"default_exits": {"max_hold_minutes": 0}}},
        ("rules.default_exits.max_hold_minutes",),
    ),
    "loss_limit_positive": ("policy.yaml", {"daily_loss_limit_pct": 3}, ("daily_loss_limit_pct",)),
    "stop_loss_negative": (
        "strategies.yaml",
        {"rules": {"exits_by_trigger": {"breakout": {"stop_loss_pct": -3}}}},
        ("rules.exits_by_trigger.breakout.stop_loss_pct",),
    ),
    "take_profit_negative": (
        "strategies.yaml",
        {"rules": {"default_exits": {"take_profit_pct": -6}}},
        ("rules.default_exits.take_profit_pct",),
    ),
    "trailing_stop_100": ("policy.yaml", {"trailing_stop_pct": 100}, ("trailing_stop_pct",)),
    "boolean_in_mapping": (
        "strategies.yaml",
        {"rules": {"trigger_confidence": {"breakout": True}}},
        ("rules.trigger_confidence", "breakout"),
    ),
    # min <= max and the like: one line naming both keys
    "min_over_max_volatility": (
        "universe.yaml",
        {"min_daily_volatility_pct": 40, "max_daily_volatility_pct": 20},
        ("min_daily_volatility_pct", "max_daily_volatility_pct"),
    ),
    "hourly_trades_over_daily": (
        "policy.yaml",
        {"max_trades_per_hour": 50, "max_trades_per_day": 30},
        ("max_trades_per_hour", "max_trades_per_day"),
    ),
    "position_over_total_exposure": (
        "policy.yaml",
        {"max_position_pct": 70},
        ("max_position_pct", "max_total_exposure_pct"),
    ),
    "maker_fee_over_taker": (
        "policy.yaml",
        {"fee_fallback_maker": 0.02, "fee_fallback_taker": 0.01},
        ("fee_fallback_maker", "fee_fallback_taker"),
    ),
    "exit_wait_beyond_stale_data": (
        "policy.yaml",
        {"max_data_age_s": 30},
        ("exit_confirm_max_s", "max_data_age_s"),
    ),
    "daily_loss_beyond_drawdown": (
        "policy.yaml",
        {"daily_loss_limit_pct": -30},
        ("daily_loss_limit_pct", "max_drawdown_pct"),
    ),
    "breakout_full_score_under_buffer": (
        "signals.yaml",
        {"breakout": {"buffer_pct": 3, "full_score_pct": 2}},
        ("breakout", "full_score_pct", "buffer_pct"),
    ),
    "momentum_full_score_under_minimum": (
        "signals.yaml",
        {"momentum": {"min_return_pct": 5}},
        ("momentum", "full_score_return_pct", "min_return_pct"),
    ),
    "volume_full_score_under_threshold": (
        "signals.yaml",
        {"volume_spike": {"ratio_threshold": 9}},
        ("volume_spike", "full_score_ratio", "ratio_threshold"),
    ),
}


class TestOutOfBoundsThroughCheckConfig:
    @pytest.mark.parametrize("kind", sorted(OUT_OF_BOUNDS))
    def test_exit_2_one_line_naming_the_key_nothing_created(self, tmp_path, kind):
        file, change, names = OUT_OF_BOUNDS[kind]
        home = DaemonDir(tmp_path / "work")
        _edit(home, file, change)
        result = home.cli("check-config")
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("config error:")]
        assert len(errors) == 1, result.stderr
        assert f"{file}: " in errors[0], errors[0]
        assert all(name in errors[0] for name in names), errors[0]
        assert "1 problem found; nothing was started" in result.stderr
        assert not home.data.exists() and not home.logs.exists()


def test_cfg1_the_shipped_defaults_pass_check_config(tmp_path):
    """`app.yaml.example` as shipped, with the shipped `config/`, through the real command."""
    home = DaemonDir(tmp_path / "work")
    shutil.copyfile(REPO_ROOT / "app.yaml.example", home.config)
    result = home.cli("check-config")
    assert result.returncode == 0, result.stderr
    assert "config OK" in result.stdout
    assert not home.data.exists() and not home.logs.exists()


@pytest.mark.parametrize("file", sorted(ROOTS))
def test_cfg1_the_shipped_files_are_withinbounds_in(file):
    """Every shipped value validates against the bounds (not only the defaults in code)."""
    path = REPO_ROOT / ("app.yaml.example" if file == "app.yaml" else f"config/{file}")
    ROOTS[file].model_validate(yaml.safe_load(path.read_text()) or {})
