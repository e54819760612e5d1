"""U-1 universe builder: tiers, thresholds, max symbols, clusters, exclusion changes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from trader.config.universe import ClusterConfig, TierConfig, UniverseConfig
from trader.universe import build_universe, exclusion_changes, tier_for
from trader.universe.filters import Exclusion, ExclusionReason

from ..risk.factories import NOW, market_for


def _config(**overrides):
    base = {
        "tiers": {
            "core": TierConfig(
                symbols=["BTC-USD"], min_quote_volume_24h=D("1000"), max_spread_bps=D("10")
            ),
            "rotational": TierConfig(
                open_membership=True,
                min_quote_volume_24h=D("500"),
                max_spread_bps=D("20"),
                max_symbols=2,
            ),
        },
        "min_daily_volatility_pct": 0.0,
    }
    base.update(overrides)
    return UniverseConfig(**base)


def _products(*markets):
    return {m.product_id: m for m in markets}


def test_u1_tier_assignment_explicit_then_open():
    config = _config()
    assert tier_for("BTC-USD", config) == "core"
    assert tier_for("ETH-USD", config) == "rotational"
    closed = _config(tiers={"core": TierConfig(symbols=["BTC-USD"])})
    assert tier_for("ETH-USD", closed) is None


@pytest.mark.parametrize(
    ("volume", "spread", "expected"),
    [
        ("1000", "10", None),
        ("999.99", "10", ExclusionReason.LOW_VOLUME),
        ("1000", "10.01", ExclusionReason.SPREAD_TOO_WIDE),
    ],
)
def test_u1_tier_thresholds(volume, spread, expected):
    result = build_universe(
        _products(market_for("BTC-USD", volume=volume, spread_bps=spread)), _config(), NOW
    )
    if expected is None:
        assert result.eligible["BTC-USD"].tier == "core"
    else:
        assert result.excluded["BTC-USD"].reason is expected


def test_u1_max_symbols_keeps_highest_volume_deterministically():
    markets = [
        market_for("AAA-USD", volume="600"),
        market_for("BBB-USD", volume="900"),
        market_for("CCC-USD", volume="900"),
    ]
    result = build_universe(_products(*markets), _config(), NOW)
    assert sorted(result.eligible) == ["BBB-USD", "CCC-USD"]
    assert result.excluded["AAA-USD"].reason is ExclusionReason.TIER_FULL


def test_u1_fails_closed_on_missing_or_stale_data():
    markets = [
        market_for("BTC-USD", with_quote=False),
        market_for("ETH-USD", data_age=10_000),
        market_for("SOL-USD", sigma=None),
    ]
    result = build_universe(_products(*markets), _config(), NOW)
    assert result.eligible == {}
    assert result.excluded["BTC-USD"].reason is ExclusionReason.MISSING_DATA
    assert result.excluded["ETH-USD"].reason is ExclusionReason.STALE_DATA
    assert result.excluded["SOL-USD"].reason is ExclusionReason.MISSING_DATA


def test_u1_every_product_is_either_eligible_or_excluded_with_reason():
    markets = [
        market_for("BTC-USD"),
        market_for("ETH-EUR"),
        market_for("USDC-USD"),
        market_for("NEW-USD", listed_days=1),
    ]
    config = _config(exclusions=["USDC"])
    result = build_universe(_products(*markets), config, NOW)
    assert set(result.eligible) | set(result.excluded) == {m.product_id for m in markets}
    assert not set(result.eligible) & set(result.excluded)
    assert result.excluded["ETH-EUR"].reason is ExclusionReason.QUOTE_CURRENCY
    assert result.excluded["USDC-USD"].reason is ExclusionReason.EXCLUDED
    assert result.excluded["NEW-USD"].reason is ExclusionReason.LISTING_AGE
    assert result.tiers() == {"BTC-USD": "core"}


def test_u1_no_tier_when_no_open_tier():
    config = _config(tiers={"core": TierConfig(symbols=["BTC-USD"])})
    result = build_universe(_products(market_for("ETH-USD")), config, NOW)
    assert result.excluded["ETH-USD"].reason is ExclusionReason.NO_TIER


def test_u1_clusters_attached_to_eligible_products():
    config = _config(clusters={"majors": ClusterConfig(members=["BTC", "ETH-USD"])})
    result = build_universe(_products(market_for("BTC-USD"), market_for("ETH-USD")), config, NOW)
    assert result.eligible["BTC-USD"].clusters == ("majors",)
    assert result.eligible["ETH-USD"].clusters == ("majors",)


def test_u1_exclusion_changes_logged_once_per_change():
    stale = Exclusion("A-USD", ExclusionReason.STALE_DATA, "age 400s")
    stale_later = Exclusion("A-USD", ExclusionReason.STALE_DATA, "age 700s")
    low = Exclusion("A-USD", ExclusionReason.LOW_VOLUME, "x")
    other = Exclusion("B-USD", ExclusionReason.EXCLUDED, "listed")
    first = exclusion_changes({}, {"A-USD": stale})
    assert first.added == (stale,) and not first.changed
    assert exclusion_changes({"A-USD": stale}, {"A-USD": stale_later}).empty
    changed = exclusion_changes({"A-USD": stale}, {"A-USD": low, "B-USD": other})
    assert changed.changed == (low,) and changed.added == (other,)
    assert exclusion_changes({"A-USD": low}, {}).readmitted == ("A-USD",)


def test_u1_shipped_defaults_admit_core_majors():
    config = UniverseConfig()
    result = build_universe(_products(market_for("BTC-USD")), config, NOW)
    assert result.eligible["BTC-USD"].tier == "core"
