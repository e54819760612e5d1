"""U-1 global filters: each filter on both sides of its boundary; fails closed."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from trader.universe.filters import (
    ExclusionListFilter,
    ExclusionReason,
    FreshnessFilter,
    ListingAgeFilter,
    MinPriceFilter,
    QuoteCurrencyFilter,
    StatusFilter,
    VolatilityBandFilter,
    daily_volatility_pct,
)

from ..risk.factories import NOW, market_for, rules


def _reason(product_filter, market, now=NOW):
    exclusion = product_filter.check(market, now)
    return None if exclusion is None else exclusion.reason


@pytest.mark.parametrize(
    ("pid", "expected"), [("BTC-USD", None), ("BTC-EUR", ExclusionReason.QUOTE_CURRENCY)]
)
def test_u1_quote_currency_filter(pid, expected):
    assert _reason(QuoteCurrencyFilter("USD"), market_for(pid)) == expected


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, None),
        ({"status": "offline"}, ExclusionReason.STATUS),
        ({"trading_disabled": True}, ExclusionReason.STATUS),
        ({"cancel_only": True}, ExclusionReason.STATUS),
        ({"auction_mode": True}, ExclusionReason.STATUS),
        ({"limit_only": True}, None),
        ({"post_only": True}, None),
    ],
)
def test_u1_status_filter(flags, expected):
    market = market_for(product_rules=rules("BTC-USD", **flags))
    assert _reason(StatusFilter(), market) == expected


@pytest.mark.parametrize(
    ("excluded", "expected"),
    [
        (frozenset(), None),
        (frozenset({"BTC-USD"}), ExclusionReason.EXCLUDED),
        (frozenset({"BTC"}), ExclusionReason.EXCLUDED),
        (frozenset({"ETH"}), None),
    ],
)
def test_u1_exclusion_list_by_id_or_base(excluded, expected):
    assert _reason(ExclusionListFilter(excluded), market_for()) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"data_age": 300.0}, None),
        ({"data_age": 300.1}, ExclusionReason.STALE_DATA),
        ({"with_quote": False}, ExclusionReason.MISSING_DATA),
        ({"volume": None}, ExclusionReason.MISSING_DATA),
    ],
)
def test_u1_freshness_fails_closed(kwargs, expected):
    assert _reason(FreshnessFilter(300.0), market_for(**kwargs)) == expected


def test_u1_freshness_never_updated_is_stale():
    market = market_for()
    market = type(market)(market.rules, market.quote, market.quote_volume_24h, data_time=None)
    assert _reason(FreshnessFilter(300.0), market) == ExclusionReason.STALE_DATA


@pytest.mark.parametrize(
    ("price", "expected"), [("0.01", None), ("0.0099", ExclusionReason.MIN_PRICE)]
)
def test_u1_min_price(price, expected):
    assert _reason(MinPriceFilter(D("0.01")), market_for(price=price, spread_bps="0")) == expected


@pytest.mark.parametrize(
    ("days", "minimum", "expected"),
    [
        (30.0, 30.0, None),
        (29.99, 30.0, ExclusionReason.LISTING_AGE),
        (None, 30.0, ExclusionReason.MISSING_DATA),
        (None, 0.0, None),
    ],
)
def test_u1_listing_age(days, minimum, expected):
    assert _reason(ListingAgeFilter(minimum), market_for(listed_days=days)) == expected


def test_u1_daily_volatility_scaling():
    assert daily_volatility_pct(0.001) == pytest.approx(0.001 * 1440**0.5 * 100)


@pytest.mark.parametrize(
    ("daily_pct", "expected"),
    [
        (0.5, None),
        (25.0, None),
        (0.49, ExclusionReason.VOLATILITY_BAND),
        (25.01, ExclusionReason.VOLATILITY_BAND),
        (None, ExclusionReason.MISSING_DATA),
    ],
)
def test_u1_volatility_band(daily_pct, expected):
    sigma = None if daily_pct is None else daily_pct / 100 / 1440**0.5
    band = VolatilityBandFilter(0.5, 25.0)
    # tiny float slack so the boundary cases are exactly on the band edge
    if daily_pct in (0.5, 25.0):
        sigma = sigma * (1 + 1e-12) if daily_pct == 0.5 else sigma * (1 - 1e-12)
    assert _reason(band, market_for(sigma=sigma)) == expected
