"""HTTP response helpers in Coinbase's shapes (SIM-1, coinbase-protocol.md §4).

Errors are `{"error","error_details","message"}` JSON, except 401 which is the plain text
`Unauthorized`. Bodies are encoded with orjson.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

RATE_LIMIT_HTML = (
    "<html><head><title>429 Too Many Requests</title></head>"
    "<body><center><h1>429 Too Many Requests</h1></center><hr><center>cloudflare</center>"
    "</body></html>\n"
)


class ApiError(Exception):
    """An error the venue answers with `{"error","error_details","message"}`."""

    def __init__(self, status: int, error: str, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.details = message if details is None else details

    def response(self) -> web.Response:
        return error_response(self.status, self.error, self.message, self.details)


def invalid_argument(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", message)


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(data),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def error_response(
    status: int, error: str, message: str, details: str | None = None
) -> web.Response:
    body = {
        "error": error,
        "error_details": message if details is None else details,
        "message": message,
    }
    return json_response(body, status=status)


def unauthorized() -> web.Response:
    return web.Response(status=401, text="Unauthorized\n", content_type="text/plain")


def too_many_requests(html: bool, limit: int, reset_s: int) -> web.Response:
    headers = {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(reset_s),
    }
    if html:
        return web.Response(
            status=429, text=RATE_LIMIT_HTML, content_type="text/html", headers=headers
        )
    body = {
        "error": "RATE_LIMIT_EXCEEDED",
        "error_details": "Too many requests",
        "message": "Too many requests",
    }
    return json_response(body, status=429, headers=headers)


def server_error(status: int) -> web.Response:
    names = {500: "INTERNAL", 502: "BAD_GATEWAY", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
    error = names.get(status, "INTERNAL")
    return error_response(status, error, f"simulated {status} fault")
