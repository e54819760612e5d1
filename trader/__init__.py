"""trader: an asyncio daemon that trades crypto spot on Coinbase Advanced Trade."""

__version__ = "0.1.0"
