"""The rotating log file that survives its directory being removed (OPS-6).

`RotatingFileHandler` keeps writing into the file it opened: once `logs/` is removed (an
operator's `rm -rf`, a clean-up job) every later line goes into a deleted file and nobody
is told, and the next rotation fails with a traceback on stderr. `ReopeningFileHandler`
looks at its path at most once a second (on the listener thread, never the event loop):
when the file there is gone or is another file, it creates the directory again, opens the
path afresh and writes one `log_file_reopened` line into it. When the directory cannot be
created, one line says so on stderr and the file is tried again a second later.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import orjson

from trader.ops.log_outputs import FailureNotes, say_on_stderr

CHECK_EVERY_S = 1.0


class ReopeningFileHandler(FailureNotes, logging.handlers.RotatingFileHandler):
    """A `RotatingFileHandler` that opens its path again when the file there is lost, and
    says once when its writes fail (`log_outputs.py`)."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self.output = f"log file {path}"
        self._next_check = time.monotonic() + CHECK_EVERY_S
        self._said_unwritable = False
        self._identity = self._open_identity()

    def _open_identity(self) -> tuple[int, int] | None:
        stream = self.stream
        if stream is None:
            return None
        status = os.fstat(stream.fileno())
        return status.st_dev, status.st_ino

    def emit(self, record: logging.LogRecord) -> None:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + CHECK_EVERY_S
            self._reopen_if_lost()
        super().emit(record)

    def doRollover(self) -> None:
        self._reopen_if_lost()
        super().doRollover()
        self._identity = self._open_identity()

    def _reopen_if_lost(self) -> None:
        try:
            status = os.stat(self.baseFilename)
            if (status.st_dev, status.st_ino) == self._identity:
                return
        except OSError:
            pass
        try:
            Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
            stream = self._open()
        except OSError as exc:
            if not self._said_unwritable:
                self._said_unwritable = True
                say_on_stderr(f"trader: log file {self.baseFilename} cannot be opened: {exc}")
            return
        if self.stream is not None:
            with contextlib.suppress(OSError):  # its last lines cannot be written: dropped
                self.stream.close()
        self.stream = stream
        self._identity = self._open_identity()
        self._said_unwritable = False
        self._say_reopened(stream)

    def _say_reopened(self, stream: TextIO) -> None:
        line = {
            "event": "log_file_reopened",
            "level": "warning",
            "logger": "trader.ops",
            "path": self.baseFilename,
            "problem": "the log file or its directory was removed or replaced; opened again",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        stream.write(orjson.dumps(line).decode() + self.terminator)
