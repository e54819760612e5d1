"""Single instance (OPS-1): an exclusive `fcntl.flock` on the PID file for the process's life.

The lock is taken before the PID is written, so there is no check-then-write race; the
kernel releases it on any death, `kill -9` included, so a stale file never blocks a start.

The PID file holds the PID alone. Once the daemon listens, the metrics port it bound (the
one the OS chose, for `metrics.port: 0`) is noted beside it, in `<pid file>.port` as
`PID PORT`: `trader status` finds the running daemon there. The holder removes the note
when it takes the lock and before it releases it; a note whose PID is not the holder's is
another process's, and is not read.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class AlreadyRunning(Exception):
    def __init__(self, path: Path, holder_pid: int | None) -> None:
        holder = f"PID {holder_pid}" if holder_pid else "another process (PID unknown)"
        super().__init__(f"another trader holds {path}: {holder}")
        self.holder_pid = holder_pid


def read_holder(path: Path) -> int | None:
    """The PID written in the lock file, if it parses."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def port_note(path: Path) -> Path:
    """Where the holder of the lock `path` notes its metrics port."""
    return path.with_name(path.name + ".port")


def read_port(path: Path, holder_pid: int) -> int | None:
    """The metrics port noted by `holder_pid`, the process holding the lock `path`."""
    try:
        fields = port_note(path).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return None
    if len(fields) != 2 or not all(f.isdigit() for f in fields) or int(fields[0]) != holder_pid:
        return None
    port = int(fields[1])
    return port if 0 < port < 65536 else None


def lock_is_held(path: Path) -> bool:
    """True when some process holds the lock now (probes without keeping it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


class PidLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(self.path, read_holder(self.path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        os.fsync(fd)
        self._fd = fd
        self._forget_port()  # a note left by a process that died holding the lock

    def note_port(self, port: int) -> None:
        """Note the metrics port bound, beside the lock (written whole, then renamed)."""
        note = port_note(self.path)
        draft = note.with_name(note.name + ".tmp")
        try:
            draft.write_text(f"{os.getpid()} {port}\n", encoding="ascii")
            os.replace(draft, note)
        except OSError:
            with contextlib.suppress(OSError):
                draft.unlink()
            raise

    def _forget_port(self) -> None:
        """Remove the note; one that cannot be removed names a PID that no longer holds the
        lock, and `read_port` does not read it."""
        with contextlib.suppress(OSError):
            port_note(self.path).unlink()

    def release(self) -> None:
        """Empty the file and drop the lock (the file stays: removing it would race)."""
        if self._fd is None:
            return
        self._forget_port()
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
