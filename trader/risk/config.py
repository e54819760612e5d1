"""The risk engine's view of configuration (R-1): policy, universe caps, budgets, fees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from trader.config.policy import PolicyConfig
from trader.config.strategies import StrategiesConfig
from trader.config.universe import UniverseConfig
from trader.core.types import FeeRates
from trader.risk.fees import Liquidity, fallback_rates


@dataclass(frozen=True, slots=True)
class RiskConfig:
    """Inputs of `evaluate` besides market and state.

    `strategy_budgets`: strategy id -> max at-risk % of equity (a strategy without an entry
    has no budget: its entries are rejected). `fee_rates`: live rates when known, else the
    policy fallback.
    """

    policy: PolicyConfig = field(default_factory=PolicyConfig)
    universe: UniverseConfig = field(default_factory=UniverseConfig)
    strategy_budgets: Mapping[str, Decimal] = field(default_factory=dict)
    fee_rates: FeeRates | None = None

    @classmethod
    def from_configs(
        cls,
        policy: PolicyConfig,
        universe: UniverseConfig,
        strategies: StrategiesConfig,
        fee_rates: FeeRates | None = None,
    ) -> RiskConfig:
        budgets = {sid: entry.max_at_risk_pct for sid, entry in strategies.registry.items()}
        return cls(policy, universe, budgets, fee_rates)

    @property
    def rates(self) -> FeeRates:
        return self.fee_rates if self.fee_rates is not None else fallback_rates(self.policy)

    @property
    def sizing_liquidity(self) -> Liquidity:
        return Liquidity(self.policy.sizing_liquidity)
