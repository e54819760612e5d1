"""What the sim's content faults do to an answer (SIM-1): the REST row edit, row drops and
time skew, and the WebSocket frame edit. Each returns the bytes to send — the answer
unchanged when it has nothing the rule names. The rules themselves: `faults.py`."""

from __future__ import annotations

import orjson

from trader.sim.server.encode import time_json
from trader.sim.server.faults import FaultRule


def edit_first_row(body: bytes, rule: FaultRule) -> bytes:
    """A JSON answer with the first row of its `rule.rows` list carrying `rule.value` at
    `rule.field`; an answer without such a row is returned unchanged."""
    data = orjson.loads(body)
    listing = data.get(rule.rows) if isinstance(data, dict) else None
    if not isinstance(listing, list) or not listing:
        return body
    target = listing[0]
    *parents, last = rule.field.split(".")
    for key in parents:
        target = target.get(key) if isinstance(target, dict) else None
    if not isinstance(target, dict):
        return body
    target[last] = rule.value
    return orjson.dumps(data)


def drop_rows(body: bytes, rule: FaultRule) -> bytes:
    """A JSON answer without the rows of its `rule.rows` list whose `rule.field` holds
    `rule.value`; an answer without such a list is returned unchanged."""
    data = orjson.loads(body)
    listing = data.get(rule.rows) if isinstance(data, dict) else None
    if not isinstance(listing, list):
        return body
    data[rule.rows] = [
        row for row in listing if not (isinstance(row, dict) and row.get(rule.field) == rule.value)
    ]
    return orjson.dumps(data)


def drop_rows_between(body: bytes, rule: FaultRule) -> bytes:
    """A JSON answer without the rows of its `rule.rows` list whose `rule.field` holds a
    number (or a string of one) in [rule.low, rule.high); other answers unchanged."""
    data = orjson.loads(body)
    listing = data.get(rule.rows) if isinstance(data, dict) else None
    if not isinstance(listing, list):
        return body
    data[rule.rows] = [row for row in listing if not _between(row, rule)]
    return orjson.dumps(data)


def _between(row: object, rule: FaultRule) -> bool:
    value = row.get(rule.field) if isinstance(row, dict) else None
    try:
        return rule.low <= float(value) < rule.high  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def skew_time_answer(body: bytes, skew_s: float) -> bytes:
    """A `/time` answer moved by `skew_s` seconds."""
    data = orjson.loads(body)
    now = int(data["epochMillis"]) / 1000 + skew_s
    return orjson.dumps(time_json(now))


def edit_first_event_row(events_json: bytes, rule: FaultRule) -> bytes:
    """A WS frame's `events` with the first row of the first event's `rule.rows` list set
    to `rule.value` at `rule.field` (when a field is named) and repeated `rule.repeat`
    times, a `trade_id` numbered per copy; a frame without such a row is unchanged."""
    events = orjson.loads(events_json)
    event = events[0] if isinstance(events, list) and events else None
    if not isinstance(event, dict):
        return events_json
    listing = event.get(rule.rows)
    if not isinstance(listing, list) or not listing or not isinstance(listing[0], dict):
        return events_json
    row = listing[0]
    if rule.field:
        row[rule.field] = rule.value
    copies = [
        {**row, "trade_id": f"{row['trade_id']}-{n}"} if "trade_id" in row and n else row
        for n in range(rule.repeat)
    ]
    event[rule.rows] = copies + listing[1:]
    return orjson.dumps(events)
