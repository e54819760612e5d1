"""Wire encoding primitives shared by REST and WebSocket (SIM-1).

Money is `Decimal` inside the venue and a plain decimal string on the wire ("0.002186",
"65083.67", "0"): never exponent notation, never a float.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from trader.core.types import Candle

ZERO_TIME = "0001-01-01T00:00:00Z"


def time_json(now: float) -> dict[str, str]:
    """`GET /time`'s answer for `now` (epoch seconds)."""
    return {"iso": rfc3339(now), "epochSeconds": str(int(now)), "epochMillis": str(int(now * 1000))}


def dec(value: Decimal) -> str:
    """Decimal as Coinbase writes it: plain notation, no trailing zeros."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def parse_decimal(text: object, field: str) -> Decimal:
    """A wire decimal string as `Decimal` (numbers are refused, as the real API's string
    fields refuse them); ValueError names the field."""
    if not isinstance(text, str):
        raise ValueError(f"{field} must be a decimal string, got {type(text).__name__}")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{field} is not a decimal: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"{field} is not a finite decimal: {text!r}")
    return value


def rfc3339(ts: float) -> str:
    """Epoch seconds as RFC3339 UTC with microseconds (`2026-08-09T21:05:42.514318Z`)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rfc3339_ns(ns: int) -> str:
    """Epoch nanoseconds as RFC3339 UTC with 9 fractional digits (WS envelope)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{frac:09d}Z"


def go_time_ns(ns: int, uptime_s: float) -> str:
    """Heartbeat `current_time` in Go's format (`2026-08-09 21:05:48.854840045 +0000 UTC m=+1`)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{base}.{frac:09d} +0000 UTC m=+{uptime_s:.9f}"


def parse_rfc3339(text: str, field: str) -> float:
    """RFC3339 timestamp (`Z` or offset) as epoch seconds; ValueError names the field."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"{field} must be an RFC3339 timestamp")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    value = _trim_fraction(value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{field} is not an RFC3339 timestamp: {text!r}") from exc
    if parsed.tzinfo is None:
        raise ValueError(f"{field} has no time zone: {text!r}")
    return parsed.timestamp()


def _trim_fraction(value: str) -> str:
    """Cut a fractional second to 6 digits (Python parses at most microseconds)."""
    dot = value.find(".")
    if dot < 0:
        return value
    end = dot + 1
    while end < len(value) and value[end].isdigit():
        end += 1
    digits = value[dot + 1 : end][:6]
    return value[: dot + 1] + digits + value[end:]


def candle_json(candle: Candle) -> dict[str, str]:
    """REST candle row: every value a string, `start` in epoch seconds."""
    return {
        "start": str(candle.start),
        "low": dec(candle.low),
        "high": dec(candle.high),
        "open": dec(candle.open),
        "close": dec(candle.close),
        "volume": dec(candle.volume),
    }


def ws_candle_json(candle: Candle) -> dict[str, str]:
    """WS `candles` row (field order as recorded, with `product_id`)."""
    return {
        "start": str(candle.start),
        "high": dec(candle.high),
        "low": dec(candle.low),
        "open": dec(candle.open),
        "close": dec(candle.close),
        "volume": dec(candle.volume),
        "product_id": candle.product_id,
    }
