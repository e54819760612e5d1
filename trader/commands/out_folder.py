"""Is an output folder (`--out`) usable? Asked before a run, so that a folder that cannot
be written is one line and exit 2 up front, not a traceback after the whole run."""

from __future__ import annotations

import contextlib
import os
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
        taken = [name for name in outputs if (out / name).is_dir()]
        if taken:
            return f"{out / taken[0]} is a folder, not a file this run can write"
        probe = out / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        for folder in made:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
        return f"cannot write there: {exc.strerror or exc}"
    return None
