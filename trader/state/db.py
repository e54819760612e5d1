"""SQLite state store (ST-1): WAL mode, one dedicated thread, short transactions.

All access from the event loop goes through `Database.run`, which executes a function on
the store's own thread, so the loop never waits on disk. A backtest's scratch state is the
one exception (`Database.open_scratch`): its loop runs on a simulated clock with nothing
else waiting on it, so its SQL runs inline on that thread — same schema, same API, no
thread hop per statement — on a database held in memory (no file write per commit) that
is written whole to its file when closed. Command-line tools (status,
resume) open their own short-lived connection with `connect`; WAL lets them read and write
while the daemon runs.

Transient lock errors (another process holding the write lock) follow one policy: a write
waits up to the busy timeout, then fails fast as `StateUnavailableError`; `health` says
since when the store has been unwritable, and the owner of the work retries it (the next
cycle, the next state-sync tick, the next reconcile). Reads go on meanwhile (WAL).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final, TypeVar
from urllib.parse import quote

from trader.core.clock import Clock
from trader.state.identity import (
    FileProblem,
    NoStateFile,
    StateFileError,
    StateOpening,
    check_before_open,
    check_existing,
    check_file,
    damaged,
    identity_problem,
    is_locked,
    reading_uri,
    settle_identity,
    unusable,
)
from trader.state.schema import migrate

T = TypeVar("T")


BUSY_TIMEOUT_MS = 5000  # command-line tools wait this long for the daemon's write lock
DAEMON_BUSY_TIMEOUT_MS = 1000  # the daemon fails fast and retries (see the module text)
# the daemon's state file is checkpointed after this many writing calls (each a few pages:
# about SQLite's own cadence of 1000 pages), by `Database` itself (`_checkpoint_if_ours`)
CHECKPOINT_EVERY_WRITES = 200
IN_MEMORY = Path(":memory:")  # SQLite's name for a database held in memory, not a file


class StateUnavailableError(Exception):
    """The state file cannot be written now: another process holds its write lock."""

    def __init__(self, path: Path, error: sqlite3.OperationalError) -> None:
        super().__init__(f"state file {path}: {error}")
        self.why = unusable(path, error)  # one line for the operator


@dataclass
class StoreHealth:
    """Whether the daemon's writes reach the state file (OPS-5: `/status`, a metric)."""

    writable: bool = True
    since: float | None = None
    error: str | None = None
    failures: int = 0

    def failed(self, error: str, now: float) -> None:
        if self.writable:
            self.since = now
        self.writable = False
        self.error = error
        self.failures += 1

    def wrote(self) -> None:
        self.writable, self.since, self.error = True, None, None


def is_lock_error(exc: sqlite3.OperationalError) -> bool:
    """A write refused for now: another process's lock (`is_locked`), or a full disk (both
    pass)."""
    return is_locked(exc) or "is full" in str(exc).lower()


def connect(
    path: Path,
    *,
    read_only: bool = False,
    durable: bool = True,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> sqlite3.Connection:
    """Open the state database with the settings every connection must share. Only a
    backtest's scratch database is opened with `durable=False` (no fsync per commit)."""
    conn = _open(path, read_only=read_only, create=True, busy_timeout_ms=busy_timeout_ms)
    if not read_only:
        _configure(conn, durable=durable)
    return conn


def _open(path: Path, *, read_only: bool, create: bool, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection that has not touched the file yet. `create=False`: a missing file is
    an error, never created."""
    if read_only or not create:
        target = reading_uri(path, "ro") if read_only else f"file:{quote(str(path))}?mode=rw"
        conn = sqlite3.connect(target, uri=True, isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")  # first: WAL needs the lock
    conn.row_factory = sqlite3.Row
    return conn


def _configure(conn: sqlite3.Connection, *, durable: bool) -> None:
    if not durable:  # a scratch file has one connection: no lock calls per statement
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed intent survives power loss, not only kill -9 (X-1, ST-2).
    conn.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=OFF")
    conn.execute("PRAGMA foreign_keys=ON")


def transaction(conn: sqlite3.Connection) -> Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception. Inside another transaction
    it is a savepoint of that one: its writes are undone alone when it fails, and
    committed only with the outer transaction."""
    return Transaction(conn, savepoint=True)


def one_write(conn: sqlite3.Connection) -> Transaction:
    """For a write of a single statement (reads may come before it): BEGIN IMMEDIATE …
    COMMIT when alone, as `transaction`; inside another transaction nothing is added.
    SQLite itself undoes a failing statement's own changes and leaves the transaction it
    ran in as it was, so a savepoint around one statement would cost two more statements
    and undo nothing more (an own-order event writes four such rows in one transaction)."""
    return Transaction(conn, savepoint=False)


# what `__enter__` opened
_TOP: Final = 0
_SAVEPOINT: Final = 1
_WITHIN: Final = 2


class Transaction:
    """`transaction(conn)`'s and `one_write(conn)`'s context (a class, not a generator: the
    state file's every write opens one, and a compiled class costs a fraction of
    contextlib's machinery)."""

    __slots__ = ("_conn", "_opened", "_savepoint")

    def __init__(self, conn: sqlite3.Connection, *, savepoint: bool) -> None:
        self._conn = conn
        self._savepoint = savepoint  # inside another transaction: a savepoint, or nothing
        self._opened = _TOP

    def __enter__(self) -> sqlite3.Connection:
        conn = self._conn
        if not conn.in_transaction:
            self._opened = _TOP
            conn.execute("BEGIN IMMEDIATE")
        elif self._savepoint:
            self._opened = _SAVEPOINT
            conn.execute("SAVEPOINT nested")
        else:
            self._opened = _WITHIN
        return conn

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:  # an exception goes on after the rollback
        conn = self._conn
        opened = self._opened
        if opened == _TOP:
            conn.execute("COMMIT" if kind is None else "ROLLBACK")
        elif opened == _SAVEPOINT:
            if kind is not None:
                conn.execute("ROLLBACK TO nested")
            conn.execute("RELEASE nested")


def open_and_migrate(
    path: Path, *, durable: bool = True, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> sqlite3.Connection:
    conn = connect(path, durable=durable, busy_timeout_ms=busy_timeout_ms)
    try:
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def open_state(
    path: Path, clock: Clock, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, create: bool = True
) -> tuple[sqlite3.Connection, StateOpening]:
    """Open the daemon's state file with its identity checks (ST-3): an existing file must
    be a sound database of this program and installation; the installation marker beside
    it keeps the order namespace. `create=False` (the operator's commands): no file is
    `NoStateFile`, and nothing is created."""
    now = clock()
    existed = check_before_open(path, now) if create else check_file(path)
    if not existed and not create:
        raise NoStateFile(f"no state file at {path}")
    try:
        conn = _open(path, read_only=False, create=create, busy_timeout_ms=busy_timeout_ms)
    except sqlite3.DatabaseError as exc:
        raise StateFileError(unusable(path, exc)) from exc
    try:
        if existed:  # before anything is written to it (WAL mode, migrations)
            check_existing(conn, path)
        _configure(conn, durable=True)
        migrate(conn)
        opening = settle_identity(conn, path, fresh=not existed, now=now)
        conn.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints: `Database`, checked first
    except sqlite3.OperationalError as exc:  # locked, full disk, read-only: not damage
        conn.close()
        raise StateFileError(unusable(path, exc)) from exc
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StateFileError(damaged(path, exc)) from exc
    except BaseException:
        conn.close()
        raise
    return conn, opening


class Database:
    """The daemon's connection, owned by a single worker thread."""

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        executor: ThreadPoolExecutor | None,
        clock: Clock,
        opening: StateOpening | None = None,
        *,
        write_at_close: bool = False,
    ) -> None:
        """`write_at_close`: `conn` is a scratch database in memory, copied whole to `path`
        by `close`."""
        self.path = path
        self._clock = clock
        self._conn = conn
        self._executor = executor
        self._closed = False
        self.opening = opening
        self.health = StoreHealth()
        # calls of `run` that changed the file, audit-only ones aside (readers cache
        # against it: the backtest's state pair, the order manager's working intents)
        self.writes = 0
        self._write_at_close = write_at_close
        # the state file held open: its inode stays ours, so a new file at the path differs
        self._pinned = os.open(path, os.O_RDONLY) if opening is not None else None
        self._writes_unchecked = 0  # writing calls since the last checkpoint (state file)

    @classmethod
    async def open(cls, path: Path, clock: Clock, *, durable: bool = True) -> Database:
        """A database without identity checks (tests, tools, a backtest's scratch file)."""
        return await cls._open(path, clock, lambda: (open_and_migrate(path, durable=durable), None))

    @classmethod
    def open_scratch(cls, path: Path, clock: Clock) -> Database:
        """A backtest's scratch database, worked inline on the calling thread (see the
        module text) and held in memory; `close` writes it whole to `path` (SQLite's
        online backup through a temporary name: the file holds a whole state, never half
        of one). The empty state is written at once, so a path that cannot be written
        fails here, not after the run."""
        conn = open_and_migrate(IN_MEMORY, durable=False)
        try:
            _copy_to(conn, path)
        except BaseException:
            conn.close()
            raise
        return cls(path, conn, None, clock, write_at_close=True)

    @classmethod
    async def open_state(cls, path: Path, clock: Clock) -> Database:
        """The daemon's state file: identity checked (ST-3), fail-fast lock waits."""
        return await cls._open(
            path, clock, lambda: open_state(path, clock, busy_timeout_ms=DAEMON_BUSY_TIMEOUT_MS)
        )

    @classmethod
    async def _open(
        cls,
        path: Path,
        clock: Clock,
        opener: Callable[[], tuple[sqlite3.Connection, StateOpening | None]],
    ) -> Database:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trader-sqlite")
        loop = asyncio.get_running_loop()
        try:
            conn, opening = await loop.run_in_executor(executor, opener)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(path, conn, executor, clock, opening)

    async def run(self, work: Callable[[sqlite3.Connection], T], *, audit: bool = False) -> T:
        """Run `work(conn)` on the database thread and return its result. A lock held by
        another process raises `StateUnavailableError` (and marks `health`). `audit`: the
        work only adds audit rows (a step's record) that no cached read holds, so it does
        not count in `writes`; any failure still does."""
        if self._closed:
            raise RuntimeError(f"database {self.path} is closed")
        try:
            if self._executor is None:
                result, wrote = _tracked(work, self._conn)
            else:
                loop = asyncio.get_running_loop()
                result, wrote = await loop.run_in_executor(self._executor, self._on_writer, work)
        except BaseException as exc:
            self.writes += 1  # it may have written before it failed: readers read again
            if not (isinstance(exc, sqlite3.OperationalError) and is_lock_error(exc)):
                raise
            self.health.failed(str(exc), self._clock())
            raise StateUnavailableError(self.path, exc) from exc
        if wrote:
            if not audit:
                self.writes += 1
            self.health.wrote()
        return result

    def _on_writer(self, work: Callable[[sqlite3.Connection], T]) -> tuple[T, bool]:
        """`work` on the writer thread, then the state file's checkpoint when due."""
        result, wrote = _tracked(work, self._conn)
        if wrote and self._pinned is not None:
            self._writes_unchecked += 1
            if self._writes_unchecked >= CHECKPOINT_EVERY_WRITES:
                self._checkpoint_if_ours()
        return result, wrote

    def _checkpoint_if_ours(self) -> None:
        """The write-ahead log written back into the state file — SQLite's automatic
        checkpoint, switched off for this connection — only while the file at the path is
        still the one opened: written into a file truncated under the daemon, it would give
        that file back a size and a valid header, and the truncation would go unseen
        (ST-3). A failed checkpoint loses nothing (the log keeps the writes); it is tried
        again after as many writes."""
        self._writes_unchecked = 0
        if self.identity_problem() is not None:
            return
        try:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            self.health.failed(f"checkpoint: {exc}", self._clock())

    def identity_problem(self) -> FileProblem | None:
        """Why the file at our path is no longer the one we opened (ST-3), or None."""
        if self.opening is None or self._pinned is None:
            return None
        links = os.fstat(self._pinned).st_nlink
        return identity_problem(self.path, self.opening.identity, links)

    async def save_copy(self, target: Path) -> None:
        """Copy what this connection holds to `target` (SQLite's online backup), for a
        state file deleted or replaced under the running daemon."""

        await self.run(lambda conn: _copy_to(conn, target))

    async def close(self) -> None:
        if self._closed:
            return
        if self._executor is None:
            self._checkpoint_and_close()
        else:
            await asyncio.get_running_loop().run_in_executor(
                self._executor, self._checkpoint_and_close
            )
            self._executor.shutdown(wait=True)
        self._closed = True
        if self._pinned is not None:
            os.close(self._pinned)
            self._pinned = None

    def _checkpoint_and_close(self) -> None:
        if self._write_at_close:
            try:
                _copy_to(self._conn, self.path)
            finally:
                self._conn.close()
            return
        with contextlib.suppress(sqlite3.Error):  # locked: the WAL replays at open
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()


def _copy_to(conn: sqlite3.Connection, target: Path) -> None:
    """What `conn` holds, copied to `target` whole (SQLite's online backup) through a
    temporary name, so `target` is never half written."""
    partial = target.with_name(f".{target.name}.partial")  # never matched as a copy
    destination = sqlite3.connect(partial)
    try:
        conn.backup(destination)
    finally:
        destination.close()
    os.replace(partial, target)


def _tracked(work: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> tuple[T, bool]:
    """`work(conn)` and whether it changed anything (a write that reached the file)."""
    before = conn.total_changes
    result = work(conn)
    return result, conn.total_changes != before
