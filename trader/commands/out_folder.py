"""Is an output folder (`--out`) usable? Asked before a run, so that a folder that cannot
be written is one line and exit 2 up front, not a traceback after the whole run."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path


def out_folder_problem(out: Path, outputs: Iterable[str]) -> str | None:
    """Why `out` cannot take the files named `outputs`, or None. A usable folder is made
    when missing; an unusable one leaves nothing behind (the folders made are removed)."""
    if out.exists() and not out.is_dir():
        return "exists and is not a folder"
    made = [p for p in (out, *out.parents) if not p.exists() and not p.is_symlink()]
    try:
        out.mkdir(parents=True, exist_ok=True)
        taken = next((why for name in outputs if (why := _not_writable_file(out / name))), None)
        if taken:
            return taken
        probe = out / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        for folder in made:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
        return f"cannot write there: {exc.strerror or exc}"
    return None


def _not_writable_file(path: Path) -> str | None:
    """Why a run cannot write its file at `path` (replacing an earlier run's), or None:
    a folder, a FIFO (a write would wait for a reader for ever), a device or socket, a
    symlink loop or a link to nowhere."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if not path.is_symlink():
            return None
        return f"{path} is a link to {os.readlink(path)}, which does not exist: remove the link"
    except OSError as exc:
        return f"{path} cannot be written: {exc.strerror or exc}: remove it"
    if stat.S_ISDIR(mode):
        return f"{path} is a folder, not a file this run can write: move it away"
    if not stat.S_ISREG(mode):
        return f"{path} is not a regular file (a FIFO, socket or device): move it away"
    return None
