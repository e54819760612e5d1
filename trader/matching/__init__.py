"""The matching engine (SIM-1, X-6): `MatchingEngine(products, setup)`; its types are in
`trader.matching.types`. The simulated venue, PAPER and the backtest all run it."""

from trader.matching.engine import MatchingEngine
from trader.matching.validation import MAX_OPEN_ORDERS_PER_PRODUCT

__all__ = ["MAX_OPEN_ORDERS_PER_PRODUCT", "MatchingEngine"]
