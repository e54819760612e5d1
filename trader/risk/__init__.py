"""Risk (R-1, R-2, R-3): the one entry gate, exits that always run, loss limits, cooldowns.

The package re-exports nothing: its modules import one another, so importers name the
module they need — `trader.risk.engine` (`evaluate`, the entry gate), `trader.risk.exits`,
`trader.risk.limits`, `trader.risk.fees`, `trader.risk.config` (`RiskConfig`).
"""
