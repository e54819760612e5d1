"""OPS-5, ST-3: `trader status` (daemon down) reads the state file only after the start's
own checks, read-only: an unusable file is exit 5 and one line; none is exit 1."""

from __future__ import annotations

import json

import pytest

from tests.support.state_files import EXPECTED, UNUSABLE, make_unusable, snapshot, sound


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("kind", UNUSABLE)
def test_ops5_status_of_an_unusable_state_file_is_exit_5_and_one_line(daemon_dir, kind, as_json):
    state = daemon_dir.data / "trader.db"
    make_unusable(state, kind)
    before = snapshot(daemon_dir.data)
    result = daemon_dir.cli("status", *(["--json"] if as_json else []))
    assert result.returncode == 5, result.stdout
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and EXPECTED[kind] in lines[0] and str(state) in lines[0]
    assert snapshot(daemon_dir.data) == before


def test_ops5_status_without_a_state_file_is_exit_1_and_creates_none(daemon_dir):
    result = daemon_dir.cli("status")
    assert result.returncode == 1 and "no state yet" in result.stderr
    assert not daemon_dir.data.exists()


def test_ops5_status_of_a_sound_state_file_reads_it(daemon_dir):
    sound(daemon_dir.data / "trader.db")
    result = daemon_dir.cli("status", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["source"] == "database" and document["state"] == "ACTIVE"
