"""Which scheduler process acts, when several run against one PostgreSQL database (one per host, for failover).

A job that should act in one place at a time asks `Leadership.is_leader(engine)` before it acts. On PostgreSQL the
answer is a session-level advisory lock held by a dedicated connection: the first process to take it keeps it for
as long as it lives; when that process dies (kill -9, a crash, a lost network) PostgreSQL ends its session and frees
the lock, and the next poll of another process takes it over. On SQLite there is one scheduler per installation
and the answer is always yes.

Exactly once does not rest on this lock: work is claimed row by row (`FOR UPDATE SKIP LOCKED`) and marked done in
the transaction that does it, so two processes acting at once still cannot do anything twice. The lock keeps the
work in one place, the load off the standby and the logs readable.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("coordinator.scheduler")


def lock_key(name: str, database: str, schema: str) -> int:
    """A signed 64-bit advisory-lock key for `name` in one database and schema (installations sharing a server,
    or test runs in their own schemas, do not block each other)."""
    digest = hashlib.sha256(f"{name}:{database}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Leadership:
    """Holds (or waits for) the advisory lock named `name`, on a connection of its own."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._conn: Connection | None = None
        self._key: int | None = None
        self._said: bool | None = None  # what was last logged, so a change is logged once
        self._lock = threading.Lock()  # the scheduler runs jobs in threads: one asks at a time

    @property
    def holds_lock(self) -> bool:
        return self._conn is not None

    def is_leader(self, engine: Engine) -> bool:
        """True when this process may act now. Raises the database's error when it cannot be reached (the
        caller logs and waits)."""
        if engine.dialect.name != "postgresql":
            return True
        with self._lock:
            return self._check(engine)

    def _check(self, engine: Engine) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except Exception:  # noqa: BLE001 - any failure means the lock's session may be gone
                log.warning("%s: lost the connection that held the scheduler lock; taking it again when the "
                            "database answers", self.name)
                self._drop(quiet=True)
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if self._key is None:
                database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
                self._key = lock_key(self.name, database, schema or "")
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar())
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        if got:
            self._conn = conn
        else:
            conn.close()
        if got != self._said:
            if got:
                log.info("%s: this scheduler acts (it holds the scheduler lock)", self.name)
            else:
                log.info("%s: another scheduler holds the lock; this one stands by and takes over if it stops",
                         self.name)
            self._said = got
        return got

    def release(self) -> None:
        """Give the lock up (closing its connection ends the session, which frees it in any case)."""
        with self._lock:
            self._drop(quiet=False)

    def _drop(self, *, quiet: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if not quiet and self._key is not None:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        except Exception as exc:  # noqa: BLE001 - the session is going away anyway  # pragma: no cover
            log.debug("%s: unlock failed: %r", self.name, exc)
        finally:
            try:
                if quiet:
                    conn.invalidate()
                conn.close()
            except Exception as exc:  # noqa: BLE001  # pragma: no cover
                log.debug("%s: closing the lock connection failed: %r", self.name, exc)
        if quiet:
            self._said = None


class SchedulerFileLock:
    """One scheduler per SQLite database: an exclusive `flock` on `<database file>.scheduler.lock`, held for as long
    as the scheduler process lives. The kernel frees it when the process ends however it ends (kill -9 too), so a
    second scheduler started meanwhile waits (`try_acquire` again and again) and takes over. PostgreSQL needs no
    file: `Leadership` does that job there."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @classmethod
    def for_engine(cls, engine: Engine) -> SchedulerFileLock | None:
        """The lock for this engine's database file; None for PostgreSQL and an in-memory SQLite database."""
        if engine.dialect.name != "sqlite":
            return None
        database = engine.url.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return cls(Path(database).resolve().with_name(Path(database).name + ".scheduler.lock"))

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True while this process holds it."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        """The process id written by whoever holds the lock (for the log), or '?'."""
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
