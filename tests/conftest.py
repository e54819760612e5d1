"""Suite-wide fixtures. Recorded market data lives in ../shared/data beside the checkout."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from tests.support.daemon import DaemonDir
from tests.support.watchdog import install as install_watchdog

if TYPE_CHECKING:
    from xdist.remote import Producer
    from xdist.scheduler import Scheduling

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"

# no time limit per generated example: hypothesis's default (200 ms) failed property tests
# that write files whenever the machine was busy; speed is measured in scripts/bench
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


def pytest_configure(config: pytest.Config) -> None:
    install_watchdog(config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> Scheduling | None:
    """`--dist loadfile` with the long files first (tests/support/schedule.py)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.support.schedule import LongestFirstScheduling  # xdist is loaded by now

    return LongestFirstScheduling(config, log)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data`; CI always provides it, so its absence is a failure, not a skip."""
    data = SHARED_DIR / "data"
    if not data.is_dir():
        pytest.fail(
            f"recorded market data not found at {data} (expected ../shared beside the repo)"
        )
    return data


@pytest.fixture
def daemon_dir(tmp_path: Path):
    """A fresh operator working directory (app.yaml + config/) for a real daemon process."""
    root = tmp_path / "work"
    root.mkdir()
    home = DaemonDir(root)
    yield home
    home.cleanup()
