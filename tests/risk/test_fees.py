"""X-3: one fee function for sizing, min-notional, execution and PnL."""

from __future__ import annotations

from decimal import Decimal as D

from trader.config.policy import PolicyConfig
from trader.core.types import FeeRates
from trader.risk.config import RiskConfig
from trader.risk.fees import Liquidity, fallback_rates, fee_for, net_of_fee


def test_x3_fee_for_maker_and_taker():
    rates = FeeRates(maker=D("0.004"), taker=D("0.006"))
    assert fee_for(D("1000"), rates, Liquidity.MAKER) == D("4.000")
    assert fee_for(D("1000"), rates, Liquidity.TAKER) == D("6.000")
    assert fee_for(D("-1000"), rates, Liquidity.TAKER) == D("6.000")
    assert net_of_fee(D("1000"), rates, Liquidity.TAKER) == D("994.000")


def test_x3_fallback_rates_from_policy_defaults():
    assert fallback_rates(PolicyConfig()) == FeeRates(maker=D("0.005"), taker=D("0.009"))
    live = FeeRates(D("0.001"), D("0.002"))
    assert RiskConfig(fee_rates=live).rates == live
    assert RiskConfig().rates == FeeRates(D("0.005"), D("0.009"))
