"""Query and body parsing with clear 400 errors (SIM-1).

Lists are repeated keys (`product_ids=A&product_ids=B`; `product_ids[]=` is accepted too),
bools are parsed case-insensitively (`True`, `false`), and a JSON body `{}` on a GET is
tolerated.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from trader.sim.server.encode import parse_rfc3339
from trader.sim.server.responses import invalid_argument


def query_list(request: web.Request, name: str) -> list[str]:
    """Every value of a repeated key (also `name[]`), empty strings dropped."""
    values = request.query.getall(name, []) + request.query.getall(f"{name}[]", [])
    return [v for v in values if v != ""]


def query_bool(request: web.Request, name: str, default: bool) -> bool:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise invalid_argument(f"{name} must be true or false, got {raw!r}")


def query_int(
    request: web.Request, name: str, default: int | None, *, low: int = 0, high: int | None = None
) -> int | None:
    """An integer query parameter within [low, high]; 400 when malformed or out of range."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise invalid_argument(f"{name} must be an integer, got {raw!r}") from exc
    if value < low or (high is not None and value > high):
        raise invalid_argument(f"{name} must be between {low} and {high}, got {value}")
    return value


def query_time(request: web.Request, name: str) -> float | None:
    """An RFC3339 query timestamp as epoch seconds, or None when absent."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_rfc3339(raw, name)
    except ValueError as exc:
        raise invalid_argument(str(exc)) from exc


def query_epoch(request: web.Request, name: str) -> int | None:
    """A UNIX-seconds query parameter (candles, ticker), or None when absent."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(float(raw))
    except ValueError as exc:
        raise invalid_argument(f"{name} must be UNIX seconds, got {raw!r}") from exc


def query_cursor(request: web.Request) -> int:
    """Offset cursor (the venue's cursors are decimal offsets); 400 when malformed."""
    raw = request.query.get("cursor", "")
    if raw == "":
        return 0
    if not raw.isdigit():
        raise invalid_argument(f"cursor is invalid: {raw!r}")
    return int(raw)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; 400 INVALID_ARGUMENT when missing or malformed."""
    raw = await request.read()
    if not raw.strip():
        raise invalid_argument("request body is empty")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid_argument(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise invalid_argument("request body must be a JSON object")
    return body
