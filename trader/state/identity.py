"""The state file's identity (ST-3): never a silent fresh start, never a silent loss.

- At open, a file that exists must be a sound SQLite database: an empty (truncated) file, a
  foreign header or a damaged page is a `StateFileError` — one line naming the file, what
  is wrong and what to do; the daemon exits with its own code (5) that systemd does not
  restart.
- Beside the state file, `<state file>.installation` records the installation's order
  namespace (whose tag starts every client order id). It outlives the state file: a start
  that finds the marker but no state knows this installation traded before, keeps its
  namespace (its orders at the venue stay recognisable) and flags the state as needing
  adoption (`trader adopt`) before anything is sent.
- While running, the daemon compares the file at its path with the one it opened (device,
  inode, size): a file deleted, replaced or truncated under it is noticed within a second.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import orjson

from trader.state.schema import LATEST_VERSION

SQLITE_HEADER = b"SQLite format 3\x00"
NAMESPACE_KEY = "order_namespace"  # the installation's order namespace, in `meta`
ADOPTION_KEY = "adoption_required"
MARKER_SUFFIX = ".installation"


class StateFileError(Exception):
    """The state file cannot be used as it is; the message says what to do."""


class NoStateFile(Exception):
    """There is no state file yet, and the caller must not create one."""


@dataclass(frozen=True, slots=True)
class FileIdentity:
    device: int
    inode: int


@dataclass(frozen=True, slots=True)
class StateOpening:
    """What opening the state found: a fresh file (created now), and why it may not trade
    before the operator adopts the venue's state (None: nothing to adopt)."""

    fresh: bool
    namespace: uuid.UUID
    adoption_reason: str | None
    identity: FileIdentity


def marker_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + MARKER_SUFFIX)


def identity_of(path: Path) -> FileIdentity:
    info = path.stat()
    return FileIdentity(info.st_dev, info.st_ino)


@dataclass(frozen=True, slots=True)
class FileProblem:
    """What happened to the state file: `deleted`, `replaced`, `truncated` (the file at the
    path is still the one opened) or `unreadable`."""

    kind: str
    text: str


def identity_problem(path: Path, opened: FileIdentity, links: int = 1) -> FileProblem | None:
    """Why the file at `path` is no longer the state file the daemon opened, or None.
    `links`: the opened file's link count (0 once it was deleted; the daemon keeps it
    open, so its inode cannot be reused by a new file at the path)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return FileProblem("deleted", f"state file {path} was deleted while the daemon ran")
    except OSError as exc:
        return FileProblem("unreadable", f"state file {path} cannot be checked: {exc}")
    if links == 0 or (info.st_dev, info.st_ino) != (opened.device, opened.inode):
        return FileProblem(
            "replaced", f"state file {path} was replaced by another file while the daemon ran"
        )
    if info.st_size < len(SQLITE_HEADER):
        return FileProblem(
            "truncated",
            f"state file {path} was truncated to {info.st_size} bytes while the daemon ran",
        )
    return None


def check_before_open(path: Path, now: float) -> bool:
    """True when `path` exists and looks like a database; False when there is none yet
    (a write-ahead log left by a lost file is moved aside, its name stamped with `now`:
    replayed into a new file it would corrupt it). An empty or foreign file is refused (a
    truncated state must not become a fresh one)."""
    existed = check_file(path)
    if not existed:
        _set_aside_leftovers(path, now)
    return existed


def check_file(path: Path) -> bool:
    """`check_before_open` without moving anything: False when there is no file at `path`
    (a link to a file that does not exist is refused: the state it pointed at is lost)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise StateFileError(
                f"state file {path} is a link to {os.readlink(path)}, which does not exist: "
                "restore the file it points to, or remove the link for a first run"
            ) from None
        return False
    if not stat.S_ISREG(info.st_mode):
        raise StateFileError(
            f"state file {path} is not a regular file ({_file_kind(info.st_mode)}): move it "
            "away, restore the state file from a backup, or run `trader adopt`"
        )
    size = info.st_size
    if size == 0:
        raise StateFileError(
            f"state file {path} is empty (0 bytes): it was truncated. Restore it from a "
            f"backup (or a {path.name}.recovered-* copy), or remove it and run `trader adopt`"
        )
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StateFileError(f"state file {path} cannot be read: {exc.strerror or exc}") from exc
    if header != SQLITE_HEADER:
        raise StateFileError(
            f"state file {path} is not a SQLite database (its header is damaged or it is "
            "another file). Restore it from a backup, or move it away and run `trader adopt`"
        )
    return True


def check_state(path: Path) -> None:
    """The start's checks of an existing state file (`db.open_state`) for status and
    doctor: nothing is written, nothing created (`NoStateFile` when there is none yet). Not
    a `mode=ro` connection: that one leaves a `-wal` and a `-shm` file behind."""
    if not check_file(path):
        raise NoStateFile(f"no state file at {path}")
    try:
        conn = sqlite3.connect(reading_uri(path, "rw"), uri=True)
        try:
            check_existing(conn, path)
            check_installation(conn, path, read_marker(marker_path(path)))
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if is_locked(exc):
            raise StateFileError(unusable(path, exc)) from exc
        raise StateFileError(f"state file {path} cannot be read: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise StateFileError(damaged(path, exc)) from exc


def reading_uri(path: Path, mode: str) -> str:
    """The URI a reader opens the state file by (`mode`: rw, for reading without leaving a
    `-wal` and `-shm` file behind, or ro). In a directory this process cannot write (a
    read-only mount, an immutable directory, another user's) with no write-ahead log beside
    the file, SQLite cannot make the shared-memory file a reader needs: the file is read as
    immutable — nothing can write it either, as a writer needs its log there."""
    uri = f"file:{quote(str(path))}?mode={mode}"
    log = path.with_name(path.name + "-wal")
    if not os.access(path.parent, os.W_OK) and not log.exists():
        return f"file:{quote(str(path))}?mode=ro&immutable=1"
    return uri


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _file_kind(mode: int) -> str:
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a file")


def is_locked(exc: sqlite3.Error) -> bool:
    """SQLite refused for now: another process holds the file's lock."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def unusable(path: Path, exc: sqlite3.Error) -> str:
    """One line for an SQLite error met opening or checking the state file: locked by
    another process (the file is sound as far as anyone knows), not writable, or damaged."""
    if is_locked(exc):
        return (
            f"state file {path} is locked by another process ({exc}); it was left as it is. "
            "End the program holding it (an open sqlite3 shell, a backup) and try again"
        )
    if isinstance(exc, sqlite3.OperationalError):
        return f"state file {path} cannot be written: {exc}"
    return damaged(path, exc)


def damaged(path: Path, why: object) -> str:
    """One line (a multi-line report is summarized: its first problem, and how many more)."""
    problems = [line.strip() for line in str(why).splitlines() if line.strip()]
    first = problems[0][:200] if problems else "no detail"
    more = f", and {len(problems) - 1} more problem(s)" if len(problems) > 1 else ""
    return (
        f"state file {path} is damaged ({first}{more}). Restore it from a backup, or move "
        "it away and run `trader adopt`"
    )


def _set_aside_leftovers(path: Path, now: float) -> None:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    for suffix in ("-wal", "-shm"):
        leftover = path.with_name(path.name + suffix)
        if leftover.exists():
            leftover.rename(leftover.with_name(f"{leftover.name}.orphaned-{stamp}"))


def check_existing(conn: sqlite3.Connection, path: Path) -> None:
    """An existing file's content, before anything is written to it: sound, and this
    program's (a database without tables is an unfinished first start: it is set up)."""
    check_integrity(conn, path)
    check_ours(conn, path)


def check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    """`PRAGMA quick_check`: every page readable and well-formed."""
    try:
        rows = [row[0] for row in conn.execute("PRAGMA quick_check(20)")]
    except sqlite3.DatabaseError as exc:
        raise StateFileError(unusable(path, exc)) from exc
    if rows != ["ok"]:
        lines = "\n".join(str(r) for r in rows).splitlines()
        raise StateFileError(damaged(path, "\n".join(x for x in lines if not x.startswith("***"))))


def check_ours(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse another program's database: tables, but not this program's schema."""
    try:
        names = {str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise StateFileError(unusable(path, exc)) from exc
    tables = sorted(name for name in names if not name.startswith("sqlite_"))
    if tables and "schema_version" not in tables:
        shown = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
        raise StateFileError(
            f"state file {path} is not a trader state file (another program's database: "
            f"tables {shown}). Point paths.data_dir elsewhere, or move it away and run "
            "`trader adopt`"
        )
    if "schema_version" in tables:
        check_version(conn, path, others=len(tables) > 1)


def check_version(conn: sqlite3.Connection, path: Path, *, others: bool = False) -> None:
    """Refuse a state file a newer release wrote (this one would misread its rows), and one
    whose version record is damaged: a version that is not a whole number, or none at all
    beside tables (its migrations would run again over them). `others`: the file holds
    tables besides `schema_version`."""
    odd = conn.execute(
        "SELECT version FROM schema_version WHERE typeof(version) != 'integer' LIMIT 1"
    ).fetchone()
    if odd is not None:
        raise StateFileError(damaged(path, f"schema_version holds {odd[0]!r}, not a version"))
    rows, highest = conn.execute("SELECT COUNT(*), MAX(version) FROM schema_version").fetchone()
    if rows == 0 and others:
        raise StateFileError(damaged(path, "schema_version is empty beside its tables"))
    version = int(highest) if highest is not None else 0
    if version > LATEST_VERSION:
        raise StateFileError(
            f"state file {path} was written by a newer release of trader (schema version "
            f"{version}; this release reads up to {LATEST_VERSION}): run that release, or "
            "restore a copy this one wrote"
        )


@dataclass(frozen=True, slots=True)
class Marker:
    namespace: uuid.UUID
    created_at: float


def read_marker(path: Path) -> Marker | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(f"installation marker {path} cannot be read: {exc}") from exc
    try:
        data = orjson.loads(raw)
        return Marker(uuid.UUID(str(data["namespace"])), float(data["created_at"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise StateFileError(
            f"installation marker {path} is damaged ({type(exc).__name__}); restore it or "
            "remove it (the state file then defines the installation)"
        ) from exc


def write_marker(path: Path, namespace: uuid.UUID, created_at: float) -> None:
    """Atomically: a crash leaves the old marker or the new one, never half of one."""
    payload = orjson.dumps(
        {"namespace": str(namespace), "created_at": created_at, "state_file": path.name},
        option=orjson.OPT_INDENT_2,
    )
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as tmp:
        tmp.write(payload + b"\n")
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)


def settle_identity(
    conn: sqlite3.Connection, db_path: Path, fresh: bool, now: float
) -> StateOpening:
    """Reconcile the database's namespace with the marker beside it (after migrations)."""
    marker_file = marker_path(db_path)
    marker = read_marker(marker_file)
    stored = check_installation(conn, db_path, marker)
    namespace = stored or (marker.namespace if marker else None) or uuid.uuid4()
    reason = None
    if stored is None:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (NAMESPACE_KEY, str(namespace)))
    if stored is None and marker is not None:
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(marker.created_at))
        reason = (
            f"the state file was lost: installation {namespace.hex[:8]} has used this data "
            f"directory since {since}"
        )
        flag_adoption(conn, reason)
    if marker is None:
        write_marker(marker_file, namespace, now)
    return StateOpening(fresh, namespace, reason or adoption_reason(conn), identity_of(db_path))


def check_installation(
    conn: sqlite3.Connection, db_path: Path, marker: Marker | None
) -> uuid.UUID | None:
    """The namespace stored in the state file (None: none yet), refused when the marker
    beside it names another installation."""
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    row = None
    if has_meta:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (NAMESPACE_KEY,)).fetchone()
    stored = uuid.UUID(row[0]) if row else None
    marked = marker.namespace if marker else None
    if stored is not None and marked is not None and stored != marked:
        raise StateFileError(
            f"state file {db_path} belongs to installation {stored.hex[:8]} but "
            f"{marker_path(db_path).name} names {marked.hex[:8]}: the state file was replaced. "
            "Restore the right one, or remove the marker if this state file is meant to be used"
        )
    return stored


def flag_adoption(conn: sqlite3.Connection, reason: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
        "value = excluded.value",
        (ADOPTION_KEY, reason),
    )


def clear_adoption(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM meta WHERE key = ?", (ADOPTION_KEY,))


def adoption_reason(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (ADOPTION_KEY,)).fetchone()
    return None if row is None else str(row[0])
