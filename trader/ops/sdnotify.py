"""systemd notify protocol (OPS-8) without a dependency: datagrams to `$NOTIFY_SOCKET`."""

from __future__ import annotations

import os
import socket


class SystemdNotifier:
    """Sends READY=1 / WATCHDOG=1 / STOPPING=1 when run under `Type=notify`; no-op otherwise."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = dict(os.environ) if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):
            address = "\0" + address[1:]
        self._address = address
        watchdog_usec = env.get("WATCHDOG_USEC", "")
        self.watchdog_interval_s = int(watchdog_usec) / 2e6 if watchdog_usec.isdigit() else None

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def notify(self, message: str) -> None:
        if not self._address:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.sendto(message.encode("utf-8"), self._address)
