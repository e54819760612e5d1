"""Field readers for REST payloads: each failure names the endpoint and the field (EX-1)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from trader.core.candle_check import MAX_EXPONENT
from trader.exchange.errors import ExchangeProtocolError


class Reader:
    """Reads typed fields of one JSON object returned by `endpoint`."""

    __slots__ = ("data", "endpoint", "where")

    def __init__(self, endpoint: str, data: Any, where: str = "") -> None:
        if not isinstance(data, dict):
            raise ExchangeProtocolError(endpoint, where or "<body>", "is not an object")
        self.endpoint = endpoint
        self.data = data
        self.where = where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _fail(self, key: str, problem: str) -> ExchangeProtocolError:
        return ExchangeProtocolError(self.endpoint, self._name(key), problem)

    def obj(self, key: str) -> Reader:
        return Reader(self.endpoint, self.data.get(key), self._name(key))

    def array(self, key: str, *, optional: bool = False) -> list[Any]:
        value = self.data.get(key)
        if value is None and optional:
            return []
        if not isinstance(value, list):
            raise self._fail(key, "is not a list")
        return value

    def items(self, key: str, *, optional: bool = False) -> list[Reader]:
        return [
            Reader(self.endpoint, item, f"{self._name(key)}[{i}]")
            for i, item in enumerate(self.array(key, optional=optional))
        ]

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key)
        if value is None and default is not None:
            return default
        if not isinstance(value, str):
            raise self._fail(key, "is not a string")
        return value

    def flag(self, key: str, default: bool | None = None) -> bool:
        value = self.data.get(key)
        if value is None and default is not None:
            return default
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise self._fail(key, "is not a boolean")
        return value

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.data.get(key)
        if (value is None or value == "") and default is not None:
            return default
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise self._fail(key, f"is not an integer: {value!r}") from None

    def dec(self, key: str) -> Decimal:
        return to_decimal(self.data.get(key), self.endpoint, self._name(key))

    def positive(self, key: str) -> Decimal:
        """A price or a trade size: a decimal above zero (`amount_problem`)."""
        return self._checked(key, self.dec(key), positive=True)

    def quantity(self, key: str) -> Decimal:
        """A balance or a fee: a decimal, zero or above (`amount_problem`)."""
        return self._checked(key, self.dec(key), positive=False)

    def _checked(self, key: str, value: Decimal, *, positive: bool) -> Decimal:
        problem = amount_problem(value, positive=positive)
        if problem is not None:
            raise self._fail(key, f"{problem}: {str(value)!r}")
        return value

    def dec_or(self, key: str, default: Decimal | None) -> Decimal | None:
        value = self.data.get(key)
        if value is None or value == "":
            return default
        return to_decimal(value, self.endpoint, self._name(key))

    def time(self, key: str, default: float | None = None) -> float:
        value = self.data.get(key)
        if (value is None or value == "") and default is not None:
            return default
        return parse_time(value, self.endpoint, self._name(key))


def to_decimal(value: Any, endpoint: str, name: str) -> Decimal:
    """A wire decimal (a string; an int is tolerated, a float never) as Decimal."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ExchangeProtocolError(endpoint, name, f"is not a decimal string: {value!r}")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ExchangeProtocolError(endpoint, name, f"is not a decimal: {value!r}") from None
    if not result.is_finite():
        raise ExchangeProtocolError(endpoint, name, f"is not finite: {value!r}")
    return result


def amount_problem(value: Decimal, *, positive: bool) -> str | None:
    """What is wrong with a money figure, or None: the one rule the REST parser and the
    WebSocket decoder share. Finite, not negative, within 10^±20; zero only where
    `positive` is False (balances, fees, book and order quantities)."""
    if not value.is_finite():
        return "is not finite"
    if value < 0 or (positive and not value):
        return "is not positive" if positive else "is negative"
    if value and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        return "is out of range"
    return None


def parse_time(value: Any, endpoint: str, name: str) -> float:
    """RFC3339 (`Z` or offset, up to 9 fractional digits) as epoch seconds."""
    if not isinstance(value, str) or not value:
        raise ExchangeProtocolError(endpoint, name, f"is not an RFC3339 time: {value!r}")
    text = value[:-1] + "+00:00" if value[-1] in "Zz" else value
    dot = text.find(".")
    if dot >= 0:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        text = text[: dot + 1] + text[dot + 1 : end][:6].ljust(6, "0") + text[end:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ExchangeProtocolError(endpoint, name, f"is not an RFC3339 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise ExchangeProtocolError(endpoint, name, f"has no time zone: {value!r}")
    return parsed.timestamp()
