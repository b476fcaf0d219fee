"""The scheduler's reminder jobs: `poll` (every REMINDER_INTERVAL_SECONDS) sends what is due into the outbox;
`reconcile` (every REMINDER_SYNC_INTERVAL_SECONDS, and at start) brings every loop's reminders up to date.

The services only add and flush; the transactions end here: `process_batch` commits each batch of claimed
reminders together with their outbox rows (BATCH_SIZE a transaction), `sweep` commits each chunk of loops.

Both act only in the scheduler that holds the scheduler lock (`coordinator.jobs.leader`; on SQLite there is one
scheduler). When the database cannot be reached they log it once, wait for their next run and carry on when it
answers again: nothing is lost, because the rows are the record and a poll sends whatever is due, however late.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from flask import Flask, current_app
from sqlalchemy.exc import DBAPIError, OperationalError

from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.jobs.leader import Leadership
from coordinator.reminders.sending import SendReport, send_batch
from coordinator.reminders.services import SyncReport, chunks, loops_to_sweep, sync_loops
from coordinator.timeutil import now_utc

log = logging.getLogger("coordinator.reminders")
T = TypeVar("T")

#: while the database stays unreachable, say so again this often
OUTAGE_LOG_EVERY = 300.0
#: reminders claimed, built and committed per transaction
BATCH_SIZE = 500
#: at most this many batches per poll (the next poll goes on)
MAX_BATCHES = 40


def process_batch(now: datetime, limit: int = BATCH_SIZE, report: SendReport | None = None) -> int:
    """Send up to `limit` due reminders into the outbox in ONE transaction: their outbox rows and their "sent"
    marks are committed together, or (on any error) neither. Returns how many were claimed."""
    report = report if report is not None else SendReport()
    with write_transaction():
        try:
            claimed = send_batch(now, limit, report)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return claimed


def process_due(*, now: datetime | None = None, limit: int | None = None, max_batches: int = MAX_BATCHES) -> SendReport:
    """Send every due reminder, batch after batch (each its own transaction), until none is left or `max_batches`
    were done (the next poll continues). Database errors propagate: the caller (the poll job) logs and waits."""
    now = now or now_utc()
    limit = limit or int(current_app.config.get("REMINDER_BATCH_SIZE") or BATCH_SIZE)
    report = SendReport()
    db.session.commit()
    for _ in range(max(1, max_batches)):
        if process_batch(now, limit, report) < limit:
            break
    return report


def sweep(*, now: datetime | None = None) -> SyncReport:
    """Reconcile every loop that may need reminders, a chunk per transaction. Catches what no page announced:
    loops booked before reminders existed, scorecards submitted and decisions recorded elsewhere."""
    now = now or now_utc()
    total = SyncReport()
    db.session.commit()
    ids = loops_to_sweep(now)
    db.session.commit()
    for chunk in chunks(ids):
        with write_transaction():
            total.add(sync_loops(chunk, now=now))
            db.session.commit()
    return total


class DatabaseHealth:
    """Logs an outage once when it starts (and every OUTAGE_LOG_EVERY seconds), and once when it ends."""

    def __init__(self) -> None:
        self.down_since: float | None = None
        self._last_said = 0.0

    def failed(self, job: str, exc: BaseException) -> None:
        now = time.monotonic()
        first_line = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        if self.down_since is None:
            self.down_since = self._last_said = now
            log.warning("%s: the database cannot be reached (%s); waiting for the next run", job, first_line[:300])
        elif now - self._last_said >= OUTAGE_LOG_EVERY:
            self._last_said = now
            log.warning("%s: the database is still unreachable after %.0f s (%s)", job, now - self.down_since,
                        first_line[:300])

    def ok(self, job: str) -> None:
        if self.down_since is not None:
            log.info("%s: the database answers again after %.0f s; carrying on", job,
                     time.monotonic() - self.down_since)
            self.down_since = None


leadership = Leadership("reminders")
health = DatabaseHealth()


def _database_failed(job: str, exc: BaseException) -> None:
    health.failed(job, exc)
    try:
        db.session.rollback()
    except Exception as rollback_error:  # noqa: BLE001 - the connection is gone; the session is thrown away below
        log.debug("rollback after a lost connection failed: %r", rollback_error)
    db.session.remove()


def _as_leader(job: str, run: Callable[[], T]) -> T | None:
    """`run()` when this scheduler holds the lock, else None. An unreachable database is logged (once) and
    waited out: the next run carries on where this one could not."""
    try:
        if not leadership.is_leader(db.engine):
            return None
        result = run()
    except (OperationalError, DBAPIError) as exc:
        if not _is_unreachable(exc):
            raise
        _database_failed(job, exc)
        return None
    health.ok(job)
    return result


def poll(app: Flask) -> str | None:
    """Send the due reminders into the outbox; a summary when something happened (the scheduler logs it)."""
    report = _as_leader("send_reminders", lambda: process_due(now=now_utc()))
    return str(report) if report is not None and report.acted else None


def reconcile(app: Flask) -> str | None:
    """Bring every active loop's reminders up to date with the loop (a safety net beside the pages' hook)."""
    report = _as_leader("sync_reminders", lambda: sweep(now=now_utc()))
    return str(report) if report is not None and report.changed else None


def _is_unreachable(exc: DBAPIError) -> bool:
    """A lost or refused connection (retry later), as opposed to a bug in a statement (let it be logged loudly)."""
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return True
    name = type(getattr(exc, "orig", None)).__name__
    return name in {"InterfaceError", "OperationalError", "AdminShutdown", "ConnectionException"}
