"""Exchange adapter errors (EX-1). Messages name the endpoint and field; never a secret."""

from __future__ import annotations


class ExchangeError(Exception):
    """Base class for everything the exchange adapter raises."""


class ReadOnlyError(ExchangeError):
    """An order endpoint was called on a read-only adapter (OPS-2 defense in depth)."""


class AuthKeyError(ExchangeError):
    """The API key cannot be loaded or used; names the key, never shows it."""


class ExchangeProtocolError(ExchangeError):
    """A response or frame did not match the documented wire format."""

    def __init__(self, endpoint: str, field: str, problem: str) -> None:
        super().__init__(f"{endpoint}: field {field!r} {problem}")
        self.endpoint = endpoint
        self.field = field


class ExchangeHttpError(ExchangeError):
    """A definite HTTP error answer (after retries, for reads)."""

    def __init__(self, endpoint: str, status: int, code: str, message: str) -> None:
        super().__init__(f"{endpoint}: HTTP {status} {code}: {message}")
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.message = message


class ExchangeUnavailableError(ExchangeError):
    """No definite answer: network errors, timeouts or 5xx/429 past the retry budget."""

    def __init__(self, endpoint: str, cause: str, retry_after_s: float | None = None) -> None:
        """`retry_after_s`: how long the venue asked to wait (its `Retry-After`), if it did."""
        super().__init__(f"{endpoint}: unavailable ({cause})")
        self.endpoint = endpoint
        self.cause = cause
        self.retry_after_s = retry_after_s
