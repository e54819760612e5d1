"""Safety gates checked before the daemon starts (OPS-2, CFG-2, SEC). Each problem names
the gate that is missing; any problem refuses the start with exit code 4."""

from __future__ import annotations

from collections.abc import Mapping

from trader.config.loader import LoadedConfig
from trader.config.secrets import Credentials, key_file_too_open
from trader.core.types import Mode

CONFIRM_ENV = "TRADER_CONFIRM_LIVE"


def live_gate_problems(
    loaded: LoadedConfig,
    credentials: Credentials | None,
    *,
    confirm_flag: bool,
    env: Mapping[str, str],
) -> list[str]:
    """Why LIVE may not start; empty when every gate is open or the mode is not LIVE."""
    app = loaded.app
    if app.mode is not Mode.LIVE:
        return []
    problems: list[str] = []
    if app.exchange.read_only:
        problems.append("exchange.read_only must be false for LIVE")
    if not (confirm_flag or env.get(CONFIRM_ENV) == "1"):
        problems.append(
            f"operator confirmation missing: set {CONFIRM_ENV}=1 or pass --confirm-live"
        )
    if credentials is None:
        problems.append(
            "no API credentials: set CB_API_KEY_FILE, "
            "or CB_API_KEY_NAME with CB_API_PRIVATE_KEY_FILE"
        )
    elif (problem := key_file_problem(credentials)) is not None:
        problems.append(problem)
    return problems


def key_file_problem(credentials: Credentials) -> str | None:
    """Why the key file may not serve LIVE (readable by group or others, CFG-2), or None.
    `run` and `adopt` both refuse on it."""
    if credentials.key_file is not None and key_file_too_open(credentials.key_file):
        return f"key file {credentials.key_file} is readable by group or others: chmod 600 it"
    return None
