"""trader: an asyncio daemon that trades crypto spot on Coinbase Advanced Trade."""

from trader import native

__version__ = "0.1.0"

native.choose()  # before any compiled-or-pure module is imported (trader/native.py)
