"""freqtrade's own command line, given static spot markets instead of the exchange's
(scripts/bench_peer.py): a benchmark must not need the network. Runs in freqtrade's own
environment, never the project's."""

import json
import sys
from pathlib import Path
from typing import Any

from freqtrade.exchange import exchange as ft_exchange
from freqtrade.main import main


def spot_market(symbol: str) -> dict[str, Any]:
    base, quote = symbol.split("/")
    return {
        "id": base + quote, "symbol": symbol, "base": base, "quote": quote,
        "baseId": base, "quoteId": quote, "settle": None, "settleId": None,
        "type": "spot", "spot": True, "margin": False, "swap": False, "future": False,
        "option": False, "contract": False, "active": True, "linear": None, "inverse": None,
        "contractSize": None, "expiry": None, "expiryDatetime": None, "strike": None,
        "optionType": None, "taker": 0.006, "maker": 0.004,
        "precision": {"amount": 1e-8, "price": 1e-8, "cost": None, "base": None, "quote": None},
        "limits": {
            "amount": {"min": 1e-8, "max": None}, "price": {"min": 1e-8, "max": None},
            "cost": {"min": 1.0, "max": None}, "leverage": {"min": None, "max": None},
        },
        "info": {},
    }  # fmt: skip


async def static_markets(self: Any, reload: bool = False) -> None:
    pairs = json.loads(Path("config.json").read_text())["exchange"]["pair_whitelist"]
    self._api_async.set_markets([spot_market(pair) for pair in pairs])


ft_exchange.Exchange._api_reload_markets = static_markets

if __name__ == "__main__":
    sys.argv = ["freqtrade", *sys.argv[1:]]
    main()
