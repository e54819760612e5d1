"""The one error every recorded-data reader raises on malformed input."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

_ZERO: Final = Decimal(0)


class RecordedDataError(ValueError):
    """Malformed recorded data; the message names the file and the line (1-based)."""

    def __init__(self, path: Path | str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = str(path)
        self.line = line
        self.reason = reason


def ohlcv_problem(o: Decimal, h: Decimal, lo: Decimal, c: Decimal, v: Decimal) -> str | None:
    """Why a bar cannot be real (low above open/close, high below them, negative volume)."""
    # lo <= min(o, c) <= max(o, c) <= h, compared pairwise (no min/max calls per bar)
    if not (lo <= o <= h and lo <= c <= h) or v < _ZERO:
        return "inconsistent OHLCV (low/high/volume)"
    return None


def parse_decimal(text: object, path: Path | str, line: int, field: str) -> Decimal:
    """Parse one recorded number as an exact Decimal (from its text, never through float)."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation as exc:
        raise RecordedDataError(path, line, f"{field} is not a number: {text!r}") from exc
    if not value.is_finite():
        raise RecordedDataError(path, line, f"{field} is not finite: {text!r}")
    return value
