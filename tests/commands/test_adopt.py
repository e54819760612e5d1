"""CFG-2, ST-3: `trader adopt` refuses what `run` refuses before it touches anything — a key
file group or others may read (the same line and exit code as `run`) — and where the
daemon never ran (no state file, no installation marker) says there is nothing to adopt
without creating anything. A key the venue refuses is one line, exit 1, and the lost state
is still adopted afterwards with a key that works."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from tests.support.state_files import snapshot, sound
from tests.support.venue import start_venue, throwaway_key_pem
from trader.state.identity import marker_path, write_marker

LIVE = {"mode": "LIVE", "exchange": {"venue": "coinbase", "read_only": False}}


def _key_file(directory: Path, mode: int) -> Path:
    key = directory / "cdp_api_key.json"
    pem = throwaway_key_pem().decode()
    key.write_text(json.dumps({"name": "organizations/o/apiKeys/k", "privateKey": pem}))
    key.chmod(mode)
    return key


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644], ids=oct)
def test_cfg2_adopt_refuses_a_key_file_others_may_read_exactly_as_run(daemon_dir, tmp_path, mode):
    daemon_dir.write_app(LIVE)
    sound(daemon_dir.data / "trader.db")
    before = snapshot(daemon_dir.data)
    env = {"CB_API_KEY_FILE": str(_key_file(tmp_path, mode)), "TRADER_CONFIRM_LIVE": "1"}
    adopted = daemon_dir.cli("adopt", env=env)
    started = daemon_dir.cli("run", env=env)
    assert adopted.returncode == started.returncode == 4, adopted.stderr
    lines = adopted.stderr.splitlines()
    assert len(lines) == 1 and "readable by group or others" in lines[0]
    assert adopted.stderr == started.stderr and adopted.stdout == ""
    assert snapshot(daemon_dir.data) == before  # no lock file, no state opened


@pytest.mark.parametrize("data_dir", ["absent", "empty"])
def test_st3_adopt_where_the_daemon_never_ran_creates_nothing_exit_1(
    daemon_dir, tmp_path, data_dir
):
    daemon_dir.write_app(LIVE)
    if data_dir == "empty":
        daemon_dir.data.mkdir()
    env = {"CB_API_KEY_FILE": str(_key_file(tmp_path, 0o600))}
    result = daemon_dir.cli("adopt", env=env)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    state = daemon_dir.data / "trader.db"
    assert len(lines) == 1 and lines[0].startswith(f"adopt refused: no state database at {state}")
    assert "never run here" in lines[0] and result.stdout == ""
    if data_dir == "empty":
        assert list(daemon_dir.data.iterdir()) == []
    else:
        assert not daemon_dir.data.exists()


def test_st3_adopt_with_a_key_the_venue_refuses_is_one_line_exit_1(daemon_dir, tmp_path):
    venue = start_venue(tmp_path, seed=4, products=2)
    try:
        daemon_dir.write_app({"mode": "LIVE", "exchange": venue.exchange_section(read_only=False)})
        daemon_dir.data.mkdir()  # the state file lost, its installation marker kept
        write_marker(marker_path(daemon_dir.data / "trader.db"), uuid.uuid4(), time.time())
        refused = venue.refused_key_file(tmp_path)
        result = daemon_dir.cli("adopt", env={"CB_API_KEY_FILE": str(refused)}, timeout=60)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("adopt failed: the venue answered")
        assert "401" in lines[0]
        good = daemon_dir.cli("adopt", env={"CB_API_KEY_FILE": str(venue.key_file)}, timeout=60)
        assert good.returncode == 0, good.stderr
        assert "adopted; start the daemon again" in good.stdout
    finally:
        venue.stop()
