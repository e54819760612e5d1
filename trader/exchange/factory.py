"""The venue adapter for `exchange.venue` — the one place that names the adapters.

The simulated venue speaks Coinbase Advanced Trade's protocol, so `sim` uses the Coinbase
adapter too (pointed at the embedded venue). A second venue is a new package under
`trader/exchange/` implementing `trader.exchange.interface.Venue`, plus one line here.
"""

from __future__ import annotations

from collections.abc import Callable

from trader.config.app import ExchangeConfig
from trader.config.secrets import Credentials
from trader.exchange.coinbase.exchange import CoinbaseExchange
from trader.exchange.interface import Venue
from trader.exchange.key_standing import KeyStanding
from trader.ops.metrics import Metrics

CLOCK_INTERVAL_S = 300.0  # the venue clock's re-measurement interval for one-shot commands
AdapterFactory = Callable[
    [ExchangeConfig, Credentials | None, Metrics, float, KeyStanding | None], Venue
]


def _coinbase(
    config: ExchangeConfig,
    credentials: Credentials | None,
    metrics: Metrics,
    clock_interval_s: float,
    key_standing: KeyStanding | None,
) -> Venue:
    return CoinbaseExchange(
        config,
        credentials,
        metrics,
        clock_interval_s=clock_interval_s,
        key_standing=key_standing,
    )


ADAPTERS: dict[str, AdapterFactory] = {
    "coinbase": _coinbase,
    "sim": _coinbase,
}


def open_venue(
    config: ExchangeConfig,
    credentials: Credentials | None,
    metrics: Metrics,
    *,
    clock_interval_s: float,
    key_standing: KeyStanding | None = None,
) -> Venue:
    """The adapter for `config.venue`; `none` (no venue) has none and is refused here.
    `key_standing`: where the venue's answers about the key are kept (the daemon's)."""
    factory = ADAPTERS.get(config.venue)
    if factory is None:
        raise ValueError(f"exchange.venue {config.venue!r} has no adapter")
    return factory(config, credentials, metrics, clock_interval_s, key_standing)
