"""The scheduler's reminder jobs: `poll` (every REMINDER_INTERVAL_SECONDS) sends what is due into the outbox;
`reconcile` (every REMINDER_SYNC_INTERVAL_SECONDS, and at start) brings every loop's reminders up to date.

Both act only in the scheduler that holds the scheduler lock (`coordinator.jobs.leader`; on SQLite there is one
scheduler). When the database cannot be reached they log it once, wait for their next run and carry on when it
answers again: nothing is lost, because the rows are the record and a poll sends whatever is due, however late.
"""

from __future__ import annotations

import logging
import time

from flask import Flask
from sqlalchemy.exc import DBAPIError, OperationalError

from coordinator.extensions import db
from coordinator.jobs.leader import Leadership
from coordinator.reminders import services

log = logging.getLogger("coordinator.reminders")

#: while the database stays unreachable, say so again this often
OUTAGE_LOG_EVERY = 300.0


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


def poll(app: Flask) -> str | None:
    """Send the due reminders into the outbox; a summary when something happened (the scheduler logs it)."""
    try:
        if not leadership.is_leader(db.engine):
            return None
        report = services.process_due(now=services.clock())
    except (OperationalError, DBAPIError) as exc:
        if not _is_unreachable(exc):
            raise
        _database_failed("send_reminders", exc)
        return None
    health.ok("send_reminders")
    return str(report) if report.acted else None


def reconcile(app: Flask) -> str | None:
    """Bring every active loop's reminders up to date with the loop (a safety net beside the pages' hook)."""
    try:
        if not leadership.is_leader(db.engine):
            return None
        report = services.sweep(now=services.clock())
    except (OperationalError, DBAPIError) as exc:
        if not _is_unreachable(exc):
            raise
        _database_failed("sync_reminders", exc)
        return None
    health.ok("sync_reminders")
    return str(report) if report.changed else None


def _is_unreachable(exc: DBAPIError) -> bool:
    """A lost or refused connection (retry later), as opposed to a bug in a statement (let it be logged loudly)."""
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return True
    name = type(getattr(exc, "orig", None)).__name__
    return name in {"InterfaceError", "OperationalError", "AdminShutdown", "ConnectionException"}
