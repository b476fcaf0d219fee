"""Transactions that write take SQLite's write lock up front.

SQLite lets many readers in but one writer at a time. A transaction that starts reading and later writes can be
refused at once with "database is locked" when another writer got there first, whatever the busy timeout. So
every transaction that will write begins with BEGIN IMMEDIATE: it waits (busy_timeout) for the lock, then reads
and writes knowing nobody else writes in between. That is what makes "check for overlaps, then book" atomic on
SQLite; on PostgreSQL the exclusion constraint does that job and this module does nothing.

A transaction writes when it runs in a POST/PUT/PATCH/DELETE request, or inside `write_transaction()` (CLI
commands, the scheduler, tests).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

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
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, nor it them
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


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
