"""`trader sim` as a user runs it: a real subprocess from the repository root."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT


def run_sim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader", "sim", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
