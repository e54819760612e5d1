"""One factory chooses the venue adapter by `exchange.venue` (EX-1)."""

from __future__ import annotations

from typing import get_args

import pytest

from trader.config.app import ExchangeConfig
from trader.exchange.coinbase.exchange import CoinbaseExchange
from trader.exchange.factory import ADAPTERS, open_venue
from trader.exchange.interface import Venue
from trader.ops.metrics import Metrics


def _venues() -> set[str]:
    annotation = ExchangeConfig.model_fields["venue"].annotation
    return set(get_args(annotation))


def test_ex1_every_configurable_venue_but_none_has_an_adapter():
    assert _venues() - {"none"} == set(ADAPTERS)


@pytest.mark.parametrize("venue", ["coinbase", "sim"])
async def test_ex1_coinbase_and_the_simulated_venue_share_the_coinbase_adapter(venue):
    adapter = open_venue(ExchangeConfig(venue=venue), None, Metrics(), clock_interval_s=60.0)
    try:
        assert isinstance(adapter, CoinbaseExchange)
        checked: Venue = adapter  # the adapter satisfies the interface the daemon uses
        assert checked.clock.offset_s == 0.0
        assert adapter.read_only  # no key, no order endpoint
    finally:
        await adapter.close()


def test_ex1_no_adapter_for_no_venue():
    with pytest.raises(ValueError, match="'none' has no adapter"):
        open_venue(ExchangeConfig(venue="none"), None, Metrics(), clock_interval_s=60.0)
