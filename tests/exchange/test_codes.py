"""Coinbase's codes in the daemon's venue-neutral words (EX-1): rejection causes and order
statuses are mapped in the adapter; execution acts on the neutral values only."""

from __future__ import annotations

import pytest

from trader.core.orders import OrderStatus, RejectCause
from trader.exchange.coinbase.codes import CAUSES, cause_of, order_status
from trader.matching.causes import ENGINE_CAUSES, RULE_PREVIEWS, engine_cause


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        ("DUPLICATE_CLIENT_ORDER_ID", RejectCause.DUPLICATE_CLIENT_ID),
        ("INVALID_LIMIT_PRICE_POST_ONLY", RejectCause.POST_ONLY_WOULD_CROSS),
        ("INSUFFICIENT_FUND", RejectCause.INSUFFICIENT_FUNDS),
        ("ORDER_IS_FULLY_FILLED", RejectCause.ALREADY_FILLED),
        ("invalid_limit_price_post_only", RejectCause.POST_ONLY_WOULD_CROSS),
        ("UNSUPPORTED_ORDER_CONFIGURATION", RejectCause.PRODUCT_RULES),
        ("INVALID_SIZE_PRECISION", RejectCause.PRODUCT_RULES),
        ("invalid_price_precision", RejectCause.PRODUCT_RULES),
        ("INVALID_LIMIT_PRICE_PRECISION", RejectCause.PRODUCT_RULES),
        ("ORDER_ENTRY_DISABLED", RejectCause.PRODUCT_RULES),
        ("UNTRADABLE_PRODUCT", RejectCause.PRODUCT_RULES),
        ("INVALID_PRODUCT_ID", RejectCause.PRODUCT_RULES),
        ("INVALID_REQUEST", RejectCause.OTHER),
        ("", RejectCause.OTHER),
    ],
)
def test_ex1_coinbase_reason_codes_map_to_causes(code, cause):
    assert cause_of(code) is cause


@pytest.mark.parametrize(
    ("reason", "preview", "cause"),
    [
        ("INVALID_REQUEST", "PREVIEW_INVALID_BASE_SIZE_TOO_SMALL", RejectCause.PRODUCT_RULES),
        ("INVALID_REQUEST", "PREVIEW_INVALID_QUOTE_SIZE_TOO_LARGE", RejectCause.PRODUCT_RULES),
        ("UNKNOWN_FAILURE_REASON", "PREVIEW_INVALID_SIZE_PRECISION", RejectCause.PRODUCT_RULES),
        ("INVALID_REQUEST", "PREVIEW_INVALID_LIMIT_PRICE_PRECISION", RejectCause.PRODUCT_RULES),
        (
            "INSUFFICIENT_FUND",
            "PREVIEW_INVALID_BASE_SIZE_TOO_SMALL",
            RejectCause.INSUFFICIENT_FUNDS,
        ),
        ("INVALID_REQUEST", "PREVIEW_INSUFFICIENT_FUND", RejectCause.OTHER),
        ("INVALID_REQUEST", "", RejectCause.OTHER),
    ],
)
def test_ex4_a_size_or_grid_preview_reason_names_the_product_rules(reason, preview, cause):
    """A refusal by the product's rules (its failure reason generic, its preview reason
    naming the limit) is one the daemon reads the rules again for."""
    assert cause_of(reason, preview) is cause


def test_ex1_the_matching_engine_names_the_causes_the_coinbase_adapter_names():
    """PAPER and the backtest must meet the same causes LIVE meets for the same refusal."""
    for code, cause in ENGINE_CAUSES.items():
        assert CAUSES[code] is cause and engine_cause(code) is cause
    for preview in RULE_PREVIEWS:
        assert engine_cause("INVALID_REQUEST", preview) is cause_of("INVALID_REQUEST", preview)
    assert engine_cause("SOMETHING_ELSE") is RejectCause.OTHER


@pytest.mark.parametrize("status", list(OrderStatus))
def test_ex1_every_neutral_status_reads_back_from_its_wire_text(status):
    assert order_status(status.value) is status
    assert order_status(status.value.lower()) is status


@pytest.mark.parametrize("text", ["", "UNKNOWN_ORDER_STATUS", "EDIT_QUEUED", "open-ish"])
def test_ex1_a_status_the_daemon_does_not_know_is_unknown(text):
    assert order_status(text) is OrderStatus.UNKNOWN
