"""CFG-2, ST-3, X-4: `trader adopt` refuses what `run` refuses before it touches anything — a key
file group or others may read (the same line and exit code as `run`) — and where the
daemon never ran (no state file, no installation marker) says there is nothing to adopt
without creating anything. A key the venue refuses is one line, exit 1, and the lost state
is still adopted afterwards with a key that works. A fill contradicting its own order is
not stored, as in the daemon."""

from __future__ import annotations

import json
import re
import sqlite3
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


FILLS = "/api/v3/brokerage/orders/historical/fills"
TAG = "5eed0adf"
REFUSED = re.compile(
    r"^adopt failed: the venue reports a fill that contradicts its order: "
    r"fill (\S+) of order (\S+) "
)


def _stored(state: Path, query: str) -> list[tuple]:
    with sqlite3.connect(state) as conn:
        return conn.execute(query).fetchall()


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("side", "SELL", "side SELL, the order is a BUY"),
        ("product_id", "ETH-USD", "product ETH-USD, the order is for BTC-USD"),
        ("size", "1e9", "of an order for"),
    ],
    ids=["side", "product", "size"],
)
def test_x4_adopt_does_not_store_a_fill_contradicting_its_order(
    daemon_dir, tmp_path, field, value, problem
):
    """ST-3 with X-4: the booking check of the daemon. A fill the venue reports against
    its own order (another side or product, more than ordered) is not stored: one line
    naming the fill and its order, exit 1, the adoption not finished; what it stored is
    kept, and adopt run again once the venue reports the fill right finishes it."""
    venue = start_venue(tmp_path, seed=5, products=2)
    try:
        venue.market_buys("BTC-USD", "0.001", [f"{TAG}-{n}" for n in range(3)])
        daemon_dir.write_app({"mode": "LIVE", "exchange": venue.exchange_section(read_only=False)})
        daemon_dir.data.mkdir()  # the state file lost, its installation marker kept
        state = daemon_dir.data / "trader.db"
        write_marker(marker_path(state), uuid.uuid4(), time.time())
        env = {"CB_API_KEY_FILE": str(venue.key_file)}
        args = ("adopt", "--installation", TAG)
        edit = {"kind": "row_edit", "path_prefix": FILLS, "rows": "fills"}
        rule = venue.call("POST", "/faults", {**edit, "field": field, "value": value})
        refused = daemon_dir.cli(*args, env=env, timeout=60)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
        lines = refused.stderr.splitlines()
        named = REFUSED.match(lines[0])
        assert len(lines) == 1 and named and problem in lines[0], lines
        trade_id, order_id = named.groups()
        assert "the adoption is not finished" in lines[0]
        at_venue = {f["trade_id"] for f in venue.call("GET", "/fills")["fills"]}
        fills = _stored(state, "SELECT trade_id, side, product_id FROM fills")
        assert {row[0] for row in fills} == at_venue - {trade_id}, fills
        assert all(row[1:] == ("BUY", "BTC-USD") for row in fills), fills
        assert order_id in {row[0] for row in _stored(state, "SELECT order_id FROM orders")}
        venue.call("DELETE", f"/faults/{rule['id']}")
        adopted = daemon_dir.cli(*args, env=env, timeout=60)
        assert adopted.returncode == 0, adopted.stderr
        assert '"fills": 1' in adopted.stdout  # the ones stored before are kept, not redone
        assert {row[0] for row in _stored(state, "SELECT trade_id FROM fills")} == at_venue
    finally:
        venue.stop()
