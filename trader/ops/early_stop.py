"""A stop asked for while `trader run` starts (OPS-3): SIGTERM and SIGINT are heard from
the command's first line, before its slow imports, the configuration, the lock and the
state file. The handler only notes the signal; each step of the start looks at the note
and, once it is there, the start ends cleanly: one `daemon_stopped` line (`during`:
`start-up`), exit 0, the PID lock released, nothing half-written. A second signal before
the daemon's own handlers take over exits at once with code 1, as it does later.

SIGHUP, SIGUSR1 and SIGUSR2 are heard from the same line: their default action would end
the process. They are only noted (`later`); the daemon applies them once it has started
(trader/daemon/signals.py), or logs that it did not when the start was stopped.

Standard library only: importing it must cost nothing before the handlers are in place.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# what the running daemon acts on (reload, kill switch, nothing): noted while it starts
LATER_SIGNALS = (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


class EarlyStop:
    """The first stop signal heard while the daemon starts (`signal`), or None; the other
    signals heard meanwhile, each once, in the order they came (`later`)."""

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None
        self.later: list[signal.Signals] = []

    @classmethod
    def install(cls) -> EarlyStop:
        early = cls()
        early.listen()
        return early

    def listen(self) -> None:
        """Hear SIGTERM, SIGINT and the `LATER_SIGNALS` from now on (again, once the event
        loop's handlers are gone: a signal during the last steps of a stop is not the
        default action). The stop signals last: once they are heard, all are."""
        for sig in LATER_SIGNALS:
            signal.signal(sig, self._noted)
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._heard)

    def take_later(self) -> list[signal.Signals]:
        """The `later` signals noted so far, no longer noted here."""
        taken, self.later = self.later, []
        return taken

    @property
    def requested(self) -> bool:
        return self.signal is not None

    def _heard(self, signum: int, _frame: FrameType | None) -> None:
        # runs between two bytecodes of whatever the start is doing: note it, nothing more
        # (no buffered stream may be written here); a second signal ends the process now
        if self.signal is not None:
            os.write(2, b"second stop signal during start-up: exiting now (code 1)\n")
            os._exit(1)
        self.signal = signal.Signals(signum)

    def _noted(self, signum: int, _frame: FrameType | None) -> None:
        sig = signal.Signals(signum)
        if sig not in self.later:  # the same signal twice asks for the same thing once
            self.later.append(sig)
