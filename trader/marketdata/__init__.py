"""Live market data (EX-2, S-1): quotes, 1-minute candles and the market-data service."""
