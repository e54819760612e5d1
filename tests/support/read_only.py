"""A directory made read-only for real, even for root (the tests run as root, who passes
every permission bit): the immutable attribute (`chattr +i`) — nothing can be created,
renamed or removed in it; the files already there can still be written."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """`directory` immutable inside the block; the test is skipped, saying why, where the
    machine cannot do it (no chattr, a filesystem without the attribute)."""
    try:
        made = subprocess.run(
            ["chattr", "+i", str(directory)], capture_output=True, text=True, timeout=10
        )
    except FileNotFoundError:
        pytest.skip("chattr is not installed: no way to make a directory read-only for root")
    if made.returncode != 0:
        pytest.skip(f"cannot make {directory} read-only here: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True, timeout=10)
