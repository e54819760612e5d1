"""OPS-7, ST-3: `trader doctor` checks the state file as the start does, read-only."""

from __future__ import annotations

import pytest

from tests.support.state_files import EXPECTED, UNUSABLE, make_unusable, snapshot, sound


def _state_line(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if " state_file: " in line)


@pytest.mark.parametrize("kind", UNUSABLE)
def test_ops7_doctor_fails_its_state_file_check_for_an_unusable_file(daemon_dir, kind):
    state = daemon_dir.data / "trader.db"
    make_unusable(state, kind)
    before = snapshot(daemon_dir.data)
    result = daemon_dir.cli("doctor")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = _state_line(result.stdout)
    assert line.startswith("FAIL") and EXPECTED[kind] in line and str(state) in line
    assert snapshot(daemon_dir.data) == before


def test_ops7_doctor_passes_a_sound_state_file_and_a_missing_one(daemon_dir):
    missing = daemon_dir.cli("doctor")
    assert missing.returncode == 0, missing.stdout
    assert _state_line(missing.stdout).startswith("OK") and "none yet" in missing.stdout
    assert not daemon_dir.data.exists()  # doctor creates nothing
    sound(daemon_dir.data / "trader.db")
    present = daemon_dir.cli("doctor")
    assert present.returncode == 0, present.stdout
    assert _state_line(present.stdout).startswith("OK   state_file: ")
