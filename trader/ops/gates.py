"""Safety gates checked before the daemon starts (OPS-2, CFG-2, SEC). Each problem names
the gate that is missing; any problem refuses the start with exit code 4."""

from __future__ import annotations

from collections.abc import Mapping

from trader.config.issues import printable
from trader.config.loader import LoadedConfig
from trader.config.secrets import Credentials, key_file_too_open
from trader.core.types import Mode

CONFIRM_ENV = "TRADER_CONFIRM_LIVE"
SHOWN_CHARS = 40  # of a value the variable should not hold, what the refusal shows


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
    confirmation = _confirmation_problem(confirm_flag, env.get(CONFIRM_ENV))
    if confirmation is not None:
        problems.append(confirmation)
    if credentials is None:
        problems.append(
            "no API credentials: set CB_API_KEY_FILE, "
            "or CB_API_KEY_NAME with CB_API_PRIVATE_KEY_FILE"
        )
    elif (problem := key_file_problem(credentials)) is not None:
        problems.append(problem)
    return problems


def _confirmation_problem(confirm_flag: bool, given: str | None) -> str | None:
    """Why the operator's confirmation is not there: the variable unset, or not `1`."""
    if confirm_flag or given == "1":
        return None
    if not given:
        return f"operator confirmation missing: set {CONFIRM_ENV}=1 or pass --confirm-live"
    shown = printable(given[:SHOWN_CHARS]) + ("…" if len(given) > SHOWN_CHARS else "")
    return (
        f"operator confirmation not given: {CONFIRM_ENV} is '{shown}', it must be 1 "
        "(or pass --confirm-live)"
    )


def key_file_problem(credentials: Credentials) -> str | None:
    """Why the key file may not serve LIVE (readable by group or others, CFG-2), or None.
    `run` and `adopt` both refuse on it."""
    if credentials.key_file is not None and key_file_too_open(credentials.key_file):
        return f"key file {credentials.key_file} is readable by group or others: chmod 600 it"
    return None
