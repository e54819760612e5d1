"""Readers for recorded market data (SIM-1 replays; reused by the BT-1 backtest).

Every reader returns typed, Decimal-valued records (`Candle`, `Trade`, ...) and raises
`RecordedDataError` naming the file and line on malformed input.
"""

from trader.recorded.binance import binance_files, product_id_for_file, read_klines
from trader.recorded.coinbase_minute import (
    QuoteBar,
    minute_files,
    product_id_for_symbol,
    read_daily_bars,
    read_quote_bars,
    read_trade_bars,
)
from trader.recorded.errors import RecordedDataError
from trader.recorded.ws_capture import (
    BookEvent,
    WsCapture,
    parse_product,
    read_capture_products,
    read_ws_capture,
)

__all__ = [
    "BookEvent",
    "QuoteBar",
    "RecordedDataError",
    "WsCapture",
    "binance_files",
    "minute_files",
    "parse_product",
    "product_id_for_file",
    "product_id_for_symbol",
    "read_capture_products",
    "read_daily_bars",
    "read_klines",
    "read_quote_bars",
    "read_trade_bars",
    "read_ws_capture",
]
