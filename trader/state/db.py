"""SQLite state store (ST-1): WAL mode, one dedicated thread, short transactions.

All access from the event loop goes through `Database.run`, which executes a function on
the store's own thread, so the loop never waits on disk. Command-line tools (status,
resume) open their own short-lived connection with `connect`; WAL lets them read and write
while the daemon runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from trader.state.schema import migrate

T = TypeVar("T")


def connect(path: Path, *, read_only: bool = False, durable: bool = True) -> sqlite3.Connection:
    """Open the state database with the settings every connection must share. Only a
    backtest's scratch database is opened with `durable=False` (no fsync per commit)."""
    if read_only:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    else:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed intent survives power loss, not only kill -9 (X-1, ST-2).
        conn.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=OFF")
        conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def open_and_migrate(path: Path, *, durable: bool = True) -> sqlite3.Connection:
    conn = connect(path, durable=durable)
    try:
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


class Database:
    """The daemon's connection, owned by a single worker thread."""

    def __init__(self, path: Path, conn: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self.path = path
        self._conn = conn
        self._executor = executor
        self._closed = False

    @classmethod
    async def open(cls, path: Path, *, durable: bool = True) -> Database:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trader-sqlite")
        loop = asyncio.get_running_loop()
        try:
            conn = await loop.run_in_executor(
                executor, lambda: open_and_migrate(path, durable=durable)
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(path, conn, executor)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(conn)` on the database thread and return its result."""
        if self._closed:
            raise RuntimeError(f"database {self.path} is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, work, self._conn)

    async def close(self) -> None:
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._checkpoint_and_close)
        self._closed = True
        self._executor.shutdown(wait=True)

    def _checkpoint_and_close(self) -> None:
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()
