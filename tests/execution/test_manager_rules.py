"""EX-4: the order manager sends nothing a product's rules or status would refuse."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from trader.core.types import ProductRules, Quote
from trader.execution.manager import post_problem

D = Decimal
RULES = ProductRules(
    "BTC-USD",
    "BTC",
    "USD",
    D("0.00000001"),
    D("0.01"),
    D("0.00001"),
    D("1000"),
    D("1"),
    D("10000000"),
)
QUOTE = Quote("BTC-USD", D("100"), D("1"), D("100.01"), D("1"), 0.0)


def test_ex4_post_problem_honours_status_flags_sizes_and_missing_data():
    assert post_problem(QUOTE, RULES, D("0.01"), is_market=False, post_only=True) is None
    assert post_problem(None, RULES, D("0.01"), is_market=False, post_only=True) == "no quote"
    assert (
        post_problem(QUOTE, None, D("0.01"), is_market=False, post_only=True) == "unknown product"
    )
    assert "base_min_size" in post_problem(
        QUOTE, RULES, D("0.000001"), is_market=False, post_only=True
    )
    for flag, expected in (
        ("cancel_only", "cancel_only"),
        ("trading_disabled", "trading_disabled"),
    ):
        halted = replace(RULES, **{flag: True})
        assert post_problem(QUOTE, halted, D("0.01"), is_market=False, post_only=True) == expected
    post_only_product = replace(RULES, post_only=True)
    assert post_problem(QUOTE, post_only_product, D("0.01"), is_market=False, post_only=False)
    assert (
        post_problem(QUOTE, post_only_product, D("0.01"), is_market=False, post_only=True) is None
    )
