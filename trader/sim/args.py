"""Argument types of `trader sim` (SIM-1): each refuses what the venue cannot use, at parse
time, with one line naming the value (exit 2). Imports nothing but the standard library, so
building the command line stays cheap."""

from __future__ import annotations

import argparse
import errno
import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from trader.commands.arg_types import number, whole

KEY_FILE_NAME = "cdp_api_key.json"  # trader.sim.server.credentials.KEY_FILE_NAME
MAX_PRODUCTS = 1000
TICK_RANGE_S = (0.001, 60.0)
MAX_TRADES_PER_MINUTE = 60_000.0  # 1,000 trades a second per product
MAX_SPEED = 1_000_000.0  # replay: a year of data in about 30 s
MAX_RATE_PER_S = 1000.0  # as the daemon's own exchange.rate_limits


def host(text: str) -> str:
    """A bind address: a name or an IP address, no spaces, no scheme, no port."""
    if not text or text != text.strip() or any(c in text for c in "/ \t"):
        raise argparse.ArgumentTypeError(f"not a host name or address: {text!r}")
    return text


port = whole(0, 65535)  # 0: any free port
products = whole(1, MAX_PRODUCTS)
seed = whole(-(2**63), 2**63 - 1)
speed = number(0.0, MAX_SPEED, above=True)
trades_per_minute = number(0.0, MAX_TRADES_PER_MINUTE, above=True)
tick = number(*TICK_RANGE_S, unit=" seconds")
rate = number(0.0, MAX_RATE_PER_S, above=True)  # requests per second before a 429


CURRENCY = re.compile(r"[A-Z0-9]{1,12}")


def balance(text: str) -> tuple[str, Decimal]:
    """`CUR=AMOUNT`: an account's starting balance, a currency code and a finite amount
    of at least 0."""
    currency, _, amount = text.partition("=")
    if not CURRENCY.fullmatch(currency):
        raise argparse.ArgumentTypeError(f"not CURRENCY=AMOUNT (e.g. DOGE=1000): {text!r}")
    try:
        value = Decimal(amount)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"not an amount of at least 0: {text!r}")
    return currency, value


def _unseen(text: str, path: Path) -> str | None:
    """Why what is at `path` cannot even be looked at (a symlink loop, a name too long),
    or None (there may be nothing there, or a file in the way)."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{text!r} is a symlink loop"
        return f"{text!r}: {exc.strerror or exc}"
    return None


def replay_dir(text: str) -> Path:
    """An existing, readable directory of recorded data."""
    path = Path(text)
    unseen = _unseen(text, path)
    if unseen is not None:
        raise argparse.ArgumentTypeError(unseen)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text!r} is not readable")
    return path


def credentials_dir(text: str) -> Path:
    """A directory the key file can be written to: existing, or creatable under a writable
    one; a file in the way is refused (and left untouched)."""
    path = Path(text)
    unseen = _unseen(text, path) if text else None
    if unseen is not None:
        raise argparse.ArgumentTypeError(unseen)
    if not text or (os.path.lexists(path) and not path.is_dir()):  # a link to nowhere too
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory")
    if (path / KEY_FILE_NAME).is_dir():
        raise argparse.ArgumentTypeError(f"{str(path / KEY_FILE_NAME)!r} is a directory")
    existing = next(p for p in (path, *path.absolute().parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text!r} cannot be written ({existing} is not writable)")
    return path
