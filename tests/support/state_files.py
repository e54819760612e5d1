"""Real state files, sound or unusable in each way the start refuses (ST-3), made with the
project's own `open_state` and plain SQLite, and another process holding one's lock:
nothing is faked."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from trader.core.clock import wall_clock
from trader.state.db import open_state
from trader.state.identity import marker_path
from trader.state.schema import LATEST_VERSION

UNUSABLE = (
    "empty",
    "fifo",
    "device",
    "link_to_nowhere",
    "not_a_database",
    "damaged",
    "another_program",
    "another_installation",
    "newer_release",
    "version_not_a_number",
    "version_a_blob",
    "version_a_fraction",
    "versions_missing",
)
# a sound file's `schema_version` damaged: each statement applied to its rows
VERSION_DAMAGE = {
    "version_not_a_number": "INSERT INTO schema_version (version) VALUES ('x')",
    "version_a_blob": "INSERT INTO schema_version (version) VALUES (x'00')",
    "version_a_fraction": "INSERT INTO schema_version (version) VALUES (2.5)",
    "versions_missing": "DELETE FROM schema_version",
}


def sound(path: Path, rows: int = 0) -> None:
    """A trader state file (and its installation marker), with `rows` audit rows of 500
    bytes so that it spans many pages."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn, _ = open_state(path, wall_clock)
    try:
        conn.executemany(
            "INSERT INTO audit_events (at, kind, actor, payload) VALUES (?, 'x', 'test', ?)",
            [(i, "p" * 500) for i in range(rows)],
        )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def damage(path: Path) -> None:
    """A sound state file with a leaf page in its middle overwritten with 0xAB after its
    8-byte header: `PRAGMA quick_check` reports several problems, over several lines
    ("On tree page 187 cell 6: Offset 43947 out of range ...")."""
    sound(path, rows=2000)
    with sqlite3.connect(path) as conn:  # a leaf page of the table (not its root, not inner)
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        leaves = [
            row[0]
            for row in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'audit_events' AND pagetype = 'leaf' "
                "ORDER BY pageno"
            )
        ]
    conn.close()
    start = (leaves[len(leaves) // 2] - 1) * size
    raw = bytearray(path.read_bytes())
    raw[start + 8 : start + size] = b"\xab" * (size - 8)
    path.write_bytes(bytes(raw))


def make_unusable(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "link_to_nowhere":  # a new file made at its target would be in `snapshot`
        path.symlink_to(path.with_name("moved-away.db"))
    elif kind == "not_a_database":
        path.write_bytes(b"hello\n")
    elif kind == "damaged":
        damage(path)
    elif kind == "another_program":
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
            conn.execute("INSERT INTO customers (name) VALUES ('Ada')")
        conn.close()
    elif kind == "another_installation":
        sound(path)
        other = {"namespace": str(uuid.uuid4()), "created_at": 1.0, "state_file": path.name}
        marker_path(path).write_bytes(orjson.dumps(other))
    elif kind == "newer_release":
        sound(path)
        with sqlite3.connect(path) as conn:
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (LATEST_VERSION + 1,))
        conn.close()
    elif kind in VERSION_DAMAGE:
        sound(path)
        with sqlite3.connect(path) as conn:
            conn.execute(VERSION_DAMAGE[kind])
        conn.close()
    else:
        raise ValueError(kind)


EXPECTED = {
    "empty": "is empty (0 bytes)",
    "fifo": "is not a regular file (a FIFO)",
    "device": "is not a regular file (a character device)",
    "link_to_nowhere": "which does not exist",
    "not_a_database": "is not a SQLite database",
    "damaged": "is damaged",
    "another_program": "is not a trader state file",
    "another_installation": "the state file was replaced",
    "newer_release": "written by a newer release",
    **dict.fromkeys(VERSION_DAMAGE, "is damaged"),
}


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file in `directory` with its bytes (to prove nothing was created or changed)."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def assert_refused_untouched(
    daemon_dir: Any, kind: str, args: tuple[str, ...], prefix: str, code: int = 5
) -> None:
    """`trader ARGS` on a state file made unusable as `kind`: exit `code`, exactly one
    stderr line starting `prefix` that names the file and its problem, no traceback, and the
    data directory left exactly as found."""
    state = daemon_dir.data / "trader.db"
    make_unusable(state, kind)
    before = snapshot(daemon_dir.data)
    result = daemon_dir.cli(*args)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), result.stderr
    assert EXPECTED[kind] in lines[0] and str(state) in lines[0]
    assert snapshot(daemon_dir.data) == before  # nothing added, nothing changed


# another program holding the state file's lock: a write transaction left open (readers go
# on, WAL), or SQLite's exclusive locking mode after a write (nobody else reads either)
HOLDERS = {
    "write_transaction": "",
    "exclusive_mode": "conn.execute('PRAGMA locking_mode=EXCLUSIVE')",
}
_HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
{setup}
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO audit_events (at, kind, actor, payload) VALUES (0, 'x', 'other', '')")
print("held", flush=True)
time.sleep(120)
"""


@contextmanager
def lock_held(path: Path, holder: str) -> Iterator[None]:
    """Another process holds `path`'s lock as `holder` (one of HOLDERS) while in the block."""
    code = _HOLD.format(setup=HOLDERS[holder])
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "held\n"
        yield
    finally:
        process.kill()
        process.wait(timeout=10)
