"""What is at a data path (`--data`, and each data file in it): named in one line when it
cannot be read as such, never waited on."""

from __future__ import annotations

import errno
import stat
from pathlib import Path

from trader.config.files import NotRegular, read_regular


class DataError(ValueError):
    """The folder holds no recorded set we can read; the message says what was expected."""


def data_path_kind(path: Path) -> str:
    """The kind of `path`: "file" (a daemon state file, *.db) or "folder"; else DataError
    naming the path and what is there instead: nothing, a symlink loop, another file, a
    FIFO or a device, a name the system refuses (too long)."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(f"{path}: no such data folder") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataError(f"{path}: no such data folder: a symlink loop") from None
        raise DataError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISREG(mode) and path.suffix == ".db":
        return "file"
    if stat.S_ISREG(mode):
        raise DataError(f"{path}: not a data folder: a file (a daemon state file ends in .db)")
    raise DataError(f"{path}: not a data folder: a FIFO, socket or device")


def read_data_file(path: Path) -> bytes:
    """The file's bytes, or DataError naming it (a folder, a broken link, unreadable, a
    FIFO or a device: opened without blocking and refused before a byte is read)."""
    try:
        return read_regular(path)
    except NotRegular:
        raise DataError(f"{path}: cannot read a data file: is not a regular file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read a data file: {exc.strerror or exc}") from exc
