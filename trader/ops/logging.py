"""Structured logs (OPS-6): JSON lines to stdout (journald) and to a rotating file in `logs/`.

File and stream writes happen on a listener thread (QueueHandler), never on the event loop.
A redaction processor replaces every known secret value, and the values of secret-looking
keys, before anything is rendered, so no private key can reach a log line.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
import re
import sys
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any

import orjson
import structlog

from trader.config.app import LoggingConfig
from trader.ops.log_file import ReopeningFileHandler
from trader.ops.log_outputs import StdoutHandler

REDACTED = "[REDACTED]"
SECRET_FIELD = re.compile(
    r"(secret|private[_-]?key|passphrase|password|jwt|token|authorization)", re.I
)
PEM_BLOCK = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
)


class Redactor:
    """structlog processor: scrub secret values anywhere in an event (OPS-6, SEC)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        fresh = {s for s in secrets if s and len(s) >= 8}
        self._secrets = sorted(set(self._secrets) | fresh, key=len, reverse=True)

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            text = PEM_BLOCK.sub(REDACTED, value)
            for secret in self._secrets:
                if secret in text:
                    text = text.replace(secret, REDACTED)
            return text
        if isinstance(value, dict):
            return {
                k: REDACTED if SECRET_FIELD.search(str(k)) else self.scrub(v)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.scrub(item) for item in value]
        return value

    def __call__(
        self, _logger: Any, _name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key in list(event):
            event[key] = REDACTED if SECRET_FIELD.search(key) else self.scrub(event[key])
        return event


class _InProcessQueueHandler(logging.handlers.QueueHandler):
    """Hands the record over untouched: structlog's event dict is rendered by the listener."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def _orjson_dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default or str).decode()


class LogSetup:
    """Owns the handlers so they can be flushed and closed at shutdown."""

    def __init__(self, listener: logging.handlers.QueueListener | None, redactor: Redactor) -> None:
        self._listener = listener
        self.redactor = redactor

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            for handler in self._listener.handlers:
                handler.close()
            self._listener = None


def shared_processors(redactor: Redactor) -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redactor,
    ]


def _formatter(renderer: Any, redactor: Redactor) -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        processor=renderer, foreign_pre_chain=shared_processors(redactor)
    )


def configure_logging(config: LoggingConfig, log_file: Path | None, redactor: Redactor) -> LogSetup:
    """Route structlog through stdlib logging to stdout and the rotating file (JSON lines;
    stdout in the human console format on a terminal, or when `logging.format` says so)."""
    json_lines = _formatter(structlog.processors.JSONRenderer(serializer=_orjson_dumps), redactor)
    handlers: list[logging.Handler] = []
    if config.stdout:
        console = config.format == "console" or (config.format == "auto" and sys.stdout.isatty())
        stdout = StdoutHandler()
        stdout.setFormatter(
            _formatter(structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty()), redactor)
            if console
            else json_lines
        )
        handlers.append(stdout)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = ReopeningFileHandler(
            log_file, max_bytes=config.max_bytes, backups=config.backups
        )
        file_handler.setFormatter(json_lines)
        handlers.append(file_handler)
    log_queue: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(log_queue, *handlers, respect_handler_level=False)
    root = logging.getLogger()
    root.handlers.clear()
    root.addHandler(_InProcessQueueHandler(log_queue))
    root.setLevel(config.level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            *shared_processors(redactor),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    listener.start()
    return LogSetup(listener, redactor)
