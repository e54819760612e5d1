"""The suite's hang watchdog (tests/support/watchdog.py): a test that never returns ends
the run within the limit, naming the test and the `await` it is stuck on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HANGING_TEST = """
import asyncio

async def never_set():
    await asyncio.Event().wait()

async def test_hangs():
    await asyncio.create_task(never_set(), name="stuck-task")
"""
CONFTEST = """
from tests.support.watchdog import install


def pytest_configure(config):
    install(config)
"""
INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


def run_pytest(
    directory: Path, repo_root: Path, test_source: str, limit: str
) -> subprocess.CompletedProcess[str]:
    (directory / "pytest.ini").write_text(INI)
    (directory / "conftest.py").write_text(CONFTEST)
    (directory / "test_stuck.py").write_text(test_source)
    env = {**os.environ, "TRADER_TEST_LIMIT_S": limit, "PYTHONPATH": str(repo_root)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(directory)],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_hung_test_ends_the_run_with_its_task_stacks(tmp_path: Path, repo_root: Path):
    done = run_pytest(tmp_path, repo_root, HANGING_TEST, limit="1")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "HUNG: test_stuck.py::test_hangs still running after 1 s" in done.stderr
    assert "-- stuck-task" in done.stderr
    assert "test_stuck.py:5 in never_set" in done.stderr


def test_a_quick_test_is_untouched_and_a_bad_limit_is_named(tmp_path: Path, repo_root: Path):
    quick = "def test_ok():\n    pass\n"
    assert run_pytest(tmp_path, repo_root, quick, limit="5").returncode == 0
    done = run_pytest(tmp_path, repo_root, quick, limit="soon")
    assert done.returncode != 0
    assert "TRADER_TEST_LIMIT_S='soon' is not a number of seconds" in done.stderr + done.stdout
