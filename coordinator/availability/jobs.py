"""The scheduler's live-calendar jobs: `sync_calendars` reads every due connection's changes, `write_calendars`
works the write-back queue. Both act only in the scheduler that holds the lock (`coordinator.jobs.leader`; on
SQLite there is one scheduler), and commit here: one transaction per connection synced, one per write.

A sync fetches in a small thread pool (COORDINATOR_CALENDAR_SYNC_WORKERS; the waiting is on the servers, and
the parsing releases nothing, so more threads than a few do not help on two cores) while this thread alone
writes to the database, as each connection's answer comes in.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime

from flask import Flask, current_app

from coordinator.availability import calendar_sync, calendar_writeback
from coordinator.availability.calendar_sync import SyncReport
from coordinator.availability.calendar_writeback import WriteReport
from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.jobs.leader import Leadership
from coordinator.timeutil import now_utc

log = logging.getLogger("coordinator.calendars")

leadership = Leadership("calendars")
#: connections with no change recorded per statement
QUIET_BATCH = 200


def sync_all(*, now: datetime | None = None, workers: int | None = None) -> SyncReport:
    """Sync every connection that is due, committing each as its answer arrives."""
    now = now or now_utc()
    workers = max(1, workers or int(current_app.config.get("CALENDAR_SYNC_WORKERS") or 4))
    report = SyncReport()
    plans = calendar_sync.plans_due(now)
    db.session.commit()  # end the reading transaction before the network
    if not plans:
        return report
    quiet: list[calendar_sync.ConnectionOutcome] = []

    def record_quiet() -> None:
        with write_transaction():
            try:
                calendar_sync.mark_quiet(quiet, now, report)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
        quiet.clear()

    with ThreadPoolExecutor(max_workers=min(workers, len(plans)), thread_name_prefix="calendar-sync") as pool:
        futures = [pool.submit(calendar_sync.fetch, plan) for plan in plans]
        for future in as_completed(futures):
            outcome = future.result()
            if calendar_sync.is_quiet(outcome):  # nothing changed: recorded in bulk, QUIET_BATCH at a time
                quiet.append(outcome)
                if len(quiet) >= QUIET_BATCH:
                    record_quiet()
                continue
            with write_transaction():
                try:
                    calendar_sync.apply(outcome, now, report)
                    db.session.commit()
                except BaseException:
                    db.session.rollback()
                    raise
    if quiet:
        record_quiet()
    return report


def write_all(*, now: datetime | None = None) -> WriteReport:
    """Work the write-back queue: every due (person, session) once, each in its own transaction."""
    now = now or now_utc()
    report = WriteReport()
    pairs = calendar_writeback.due_writes(now)
    db.session.commit()
    for user_id, session_id in pairs:
        with write_transaction():
            try:
                calendar_writeback.write_one(user_id, session_id, now, report)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
    return report


def sync_calendars(app: Flask) -> str | None:
    """The scheduler job: sync due connections when this scheduler leads; a summary when something happened."""
    if not leadership.is_leader(db.engine):
        return None
    report = sync_all()
    for error in report.errors[:20]:
        log.warning("calendar sync: %s", error)
    return str(report) if report.connections else None


def write_calendars(app: Flask) -> str | None:
    """The scheduler job: write booked interviews into the chosen calendars when this scheduler leads."""
    if not leadership.is_leader(db.engine):
        return None
    report = write_all()
    for error in report.errors[:20]:
        log.warning("calendar write-back: %s", error)
    return str(report) if report.acted else None
