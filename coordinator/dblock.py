"""Transactions that write take SQLite's write lock up front.

SQLite lets many readers in but one writer at a time. A transaction that starts reading and later writes can be
refused at once with "database is locked" when another writer got there first, whatever the busy timeout. So
every transaction that will write begins with BEGIN IMMEDIATE: it waits (busy_timeout) for the lock, then reads
and writes knowing nobody else writes in between. That is what makes "check for overlaps, then book" atomic on
SQLite; on PostgreSQL the exclusion constraint does that job and this module does nothing.

A transaction writes when it runs in a POST/PUT/PATCH/DELETE request, or inside `write_transaction()` (CLI
commands, the scheduler, tests).

Erased data must not stay readable in the file: every connection sets `secure_delete` (deleted and overwritten
content is zeroed in its page), and `checkpoint_after_commit()` asks for a `wal_checkpoint(TRUNCATE)` once the
current transaction has committed, which copies the zeroed pages into the database file and empties the
write-ahead log that still held the old ones.
"""

from __future__ import annotations

import contextvars
import logging
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

#: how long a statement waits for SQLite's lock
BUSY_TIMEOUT_MS = 15000
#: how long the checkpoint after an erasure waits for readers of older snapshots before leaving it to the next one
CHECKPOINT_WAIT_MS = 3000

_force_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("coordinator_write_tx", default=False)
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def install(engine: Engine) -> None:
    """Take over SQLite's transaction control (pysqlite's own begins too late for this)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, nor it them
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are zeroed, not left in free space
        cursor.close()
        dbapi_connection.create_function(TEXT_KEY_FUNCTION, 1, text_key, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


#: the SQL name of `text_key` on SQLite connections
TEXT_KEY_FUNCTION = "coordinator_text_key"


def text_key(text: str | None) -> str | None:
    """Text as a search compares it: accents taken off, other non-ASCII letters dropped, case-folded ("García" and
    "GARCIA" both give "garcia"). Registered as an SQL function on SQLite, whose LIKE ignores only ASCII case."""
    if text is None:
        return None
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").casefold()


def _wants_write_lock() -> bool:
    if _force_immediate.get():
        return True
    return has_request_context() and request.method in _WRITE_METHODS


@contextmanager
def write_transaction() -> Iterator[None]:
    """Transactions begun inside this block take the write lock first (SQLite)."""
    token = _force_immediate.set(True)
    try:
        yield
    finally:
        _force_immediate.reset(token)


_CHECKPOINT = "coordinator_wal_checkpoint"


def checkpoint_after_commit(session: Session) -> None:
    """After this session's transaction commits, fold the write-ahead log into the database file and empty it
    (SQLite; nothing on PostgreSQL). Used by erasure, so erased text is gone from the files, not only the tables."""
    session.info[_CHECKPOINT] = True


@event.listens_for(Session, "after_commit")
def _checkpoint(session: Session) -> None:
    if not session.info.pop(_CHECKPOINT, False):
        return
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
        try:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # waits for readers of older snapshots to finish
            busy, _frames, _copied = cursor.fetchone()
        finally:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.close()
        if busy:
            log.warning("wal_checkpoint: a reader held an older snapshot; erased pages stay in the log until later")
    except Exception:  # noqa: BLE001 - the erasure is committed; a failed checkpoint must not turn it into a 500
        log.exception("wal_checkpoint after commit failed")
    finally:
        raw.close()


@event.listens_for(Session, "after_rollback")
def _forget_checkpoint(session: Session) -> None:
    session.info.pop(_CHECKPOINT, None)
