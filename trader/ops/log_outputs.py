"""A log output that stops working is said once, not once per line (OPS-6).

A write to a log output can fail while the daemon runs: the reader of its stdout went away
(`trader run | tee`, a log shipper restarted: a closed pipe), or the disk under the log
file filled. The logging module's answer is a traceback on stderr for every line, for as
long as the daemon runs. Each output here says it once instead — one plain line on stderr
and a `log_output_failed` line through the other outputs — drops its lines while it fails,
and when a write works again says how many were dropped (`log_output_resumed`). Trading
goes on: a lost log output is no reason to stop managing orders.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

import structlog

log = structlog.get_logger("trader.ops")


class FailureNotes(logging.Handler):
    """For a log handler: failed writes noted once, counted, and their end noted."""

    output = "log output"
    _dropped = 0
    _failed_now = False

    def handle(self, record: logging.LogRecord) -> bool:
        self._failed_now = False
        try:
            handled = super().handle(record)
        except Exception:  # noqa: BLE001 -- outside emit's own guard (a reopen, a rotation):
            self.handleError(record)  # raised here it would end the writing thread, every
            handled = False  # output's lines lost with it
        if self._dropped and not self._failed_now:
            dropped, self._dropped = self._dropped, 0
            say_on_stderr(f"trader: {self.output} works again after {dropped} dropped line(s)")
            log.warning("log_output_resumed", output=self.output, dropped=dropped)
        return bool(handled)

    def handleError(self, record: logging.LogRecord) -> None:
        self._failed_now = True
        if self._dropped == 0:
            failure = sys.exc_info()[1]
            dropping = "its lines are dropped until it works"
            say_on_stderr(f"trader: {self.output} failed ({failure}); {dropping}")
            log.warning("log_output_failed", output=self.output, error=str(failure))
        self._dropped += 1


class StdoutHandler(FailureNotes, logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines to the process's stdout (journald under systemd)."""

    output = "stdout"

    def __init__(self) -> None:
        super().__init__(sys.stdout)


def say_on_stderr(line: str) -> None:
    """One plain line on stderr, written past any buffer; nothing if stderr is gone too."""
    with contextlib.suppress(OSError):
        os.write(2, (line + "\n").encode())
