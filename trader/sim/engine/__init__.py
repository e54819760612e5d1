"""The simulated venue's matching engine (SIM-1): `MatchingEngine(products, setup)`."""

from trader.sim.engine.engine import MatchingEngine
from trader.sim.engine.validation import MAX_OPEN_ORDERS_PER_PRODUCT

__all__ = ["MAX_OPEN_ORDERS_PER_PRODUCT", "MatchingEngine"]
