"""The simulated venue's protocol server (SIM-1).

Speaks the Coinbase Advanced Trade wire protocol (REST under `/api/v3/brokerage`, the
WebSocket feed at `/`, JWT auth) on loopback and drives the pure engine and market source
defined by `trader.sim.contract`. Fault injection and audit endpoints live under `/_sim/`.
"""
