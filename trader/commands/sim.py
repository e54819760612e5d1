"""`trader sim`: the simulated Coinbase venue as a standalone server (SIM-1)."""

from __future__ import annotations

import argparse
import asyncio

from trader.sim import cli as sim_cli


def sim_command(args: argparse.Namespace) -> int:
    return asyncio.run(sim_cli.run(args))
