"""Argument types of `trader sim` (SIM-1): each refuses what the venue cannot use, at parse
time, with one line naming the value (exit 2). Imports nothing but the standard library, so
building the command line stays cheap."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path

KEY_FILE_NAME = "cdp_api_key.json"  # trader.sim.server.credentials.KEY_FILE_NAME
MAX_PRODUCTS = 1000
TICK_RANGE_S = (0.001, 60.0)
MAX_TRADES_PER_MINUTE = 60_000.0  # 1,000 trades a second per product
MAX_SPEED = 1_000_000.0  # replay: a year of data in about 30 s


def host(text: str) -> str:
    """A bind address: a name or an IP address, no spaces, no scheme, no port."""
    if not text or text != text.strip() or any(c in text for c in "/ \t"):
        raise argparse.ArgumentTypeError(f"not a host name or address: {text!r}")
    return text


def port(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    value = _integer(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0..65535 (0 = any free port), got {text}")
    return value


def products(text: str) -> int:
    value = _integer(text)
    if not 1 <= value <= MAX_PRODUCTS:
        raise argparse.ArgumentTypeError(f"must be 1..{MAX_PRODUCTS}, got {text}")
    return value


def seed(text: str) -> int:
    return _integer(text)


def positive_float(upper: float) -> Callable[[str], float]:
    """A finite number above 0 and at most `upper` (NaN and infinities refused)."""

    def parse(text: str) -> float:
        value = _finite(text)
        if not 0 < value <= upper:
            raise argparse.ArgumentTypeError(f"must be above 0 and at most {upper:g}, got {text}")
        return value

    return parse


def tick(text: str) -> float:
    low, high = TICK_RANGE_S
    value = _finite(text)
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be {low:g}..{high:g} seconds, got {text}")
    return value


def replay_dir(text: str) -> Path:
    """An existing, readable directory of recorded data."""
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text!r} is not readable")
    return path


def credentials_dir(text: str) -> Path:
    """A directory the key file can be written to: existing, or creatable under a writable
    one; a file in the way is refused (and left untouched)."""
    path = Path(text)
    if not text or (path.exists() and not path.is_dir()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory")
    if (path / KEY_FILE_NAME).is_dir():
        raise argparse.ArgumentTypeError(f"{str(path / KEY_FILE_NAME)!r} is a directory")
    existing = next(p for p in (path, *path.absolute().parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text!r} cannot be written ({existing} is not writable)")
    return path


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value
