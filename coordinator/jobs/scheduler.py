"""The scheduler process: a BlockingScheduler that runs every job in `JOBS`, stopped cleanly by SIGTERM or SIGINT.

Every job runs inside an app context, must not raise (each is wrapped so an error is logged and the next run
happens as planned), commits its own work, and is coalesced (a backlog of missed runs runs once) with at most one
instance at a time.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

log = logging.getLogger("coordinator.scheduler")


@dataclass(frozen=True)
class JobSpec:
    """One periodic job: `run(app)` every `seconds(app)` seconds."""

    id: str
    name: str
    run: Callable[[Flask], Any]
    seconds: Callable[[Flask], float]
    #: how late a run may start and still run (a busy or suspended machine), in seconds
    misfire_grace_time: int = 60


def _deliver_outbox(app: Flask) -> Any:
    from coordinator.invites.jobs import deliver_outbox

    return deliver_outbox(app)


def _outbox_interval(app: Flask) -> float:
    return float(app.config.get("OUTBOX_INTERVAL_SECONDS") or 30)


def _erase_expired_candidates(app: Flask) -> Any:
    from coordinator.privacy.jobs import erase_expired

    erased = erase_expired()  # commits per candidate
    return f"erased {erased} candidates past the retention period" if erased else None


def _purge_outbox(app: Flask) -> Any:
    from coordinator.invites.jobs import purge_outbox

    return purge_outbox(app)


def _send_reminders(app: Flask) -> Any:
    from coordinator.reminders.jobs import poll

    return poll(app)


def _reminder_interval(app: Flask) -> float:
    return float(app.config.get("REMINDER_INTERVAL_SECONDS") or 30)


def _sync_reminders(app: Flask) -> Any:
    from coordinator.reminders.jobs import reconcile

    return reconcile(app)


def _read_replies(app: Flask) -> Any:
    from coordinator.invites.jobs import replies_job

    return replies_job(app)


def _send_notices(app: Flask) -> Any:
    from coordinator.invites.jobs import send_notices

    return send_notices(app)


def _sync_interval(app: Flask) -> float:
    return float(app.config.get("REMINDER_SYNC_INTERVAL_SECONDS") or 600)


def _sync_calendars(app: Flask) -> Any:
    from coordinator.availability.jobs import sync_calendars

    return sync_calendars(app)


def _write_calendars(app: Flask) -> Any:
    from coordinator.availability.jobs import write_calendars

    return write_calendars(app)


def _calendar_poll(app: Flask) -> float:
    """Connections are synced when due (COORDINATOR_CALENDAR_SYNC_MINUTES after the last, later after failures);
    the job looks for due ones every minute, or more often when the interval is shorter."""
    return min(60.0, float(app.config.get("CALENDAR_SYNC_MINUTES") or 10) * 60)


def _settle_loops(app: Flask) -> Any:
    from coordinator.extensions import db
    from coordinator.loops.state import settle_due

    n = settle_due()
    db.session.commit()
    return f"{n} candidate{'s' if n != 1 else ''} brought up to date" if n else None


def _deliver_webhooks(app: Flask) -> Any:
    from coordinator.api.jobs import deliver_webhooks

    return deliver_webhooks(app)


def _purge_webhooks(app: Flask) -> Any:
    from coordinator.api.jobs import purge_webhooks

    return purge_webhooks(app)


#: Every periodic job. Retention jobs go here too, beside the outbox and the reminders.
JOBS: list[JobSpec] = [
    JobSpec(id="deliver_outbox", name="Deliver due outbox e-mails", run=_deliver_outbox, seconds=_outbox_interval),
    JobSpec(id="send_reminders", name="Send due reminders into the outbox", run=_send_reminders,
            seconds=_reminder_interval),
    JobSpec(id="sync_reminders", name="Bring every loop's reminders up to date", run=_sync_reminders,
            seconds=_sync_interval, misfire_grace_time=300),
    JobSpec(id="sync_calendars", name="Read busy times from the connected calendars", run=_sync_calendars,
            seconds=_calendar_poll, misfire_grace_time=300),
    JobSpec(id="write_calendars", name="Write booked interviews into the chosen calendars", run=_write_calendars,
            seconds=lambda app: 30.0),
    JobSpec(id="erase_expired_candidates", name="Erase candidates past the retention period",
            run=_erase_expired_candidates, seconds=lambda app: 24 * 3600, misfire_grace_time=6 * 3600),
    JobSpec(id="read_replies", name="Read calendar replies the listener stored", run=_read_replies,
            seconds=lambda app: 60),
    JobSpec(id="send_notices", name="E-mail recruiters what their candidates did (batched)", run=_send_notices,
            seconds=lambda app: 60),
    JobSpec(id="settle_loops", name="Complete loops whose interviews are over; candidates' stages follow",
            run=_settle_loops, seconds=lambda app: 300),
    JobSpec(id="purge_outbox", name="Delete outbox e-mails sent or failed long ago", run=_purge_outbox,
            seconds=lambda app: 24 * 3600, misfire_grace_time=6 * 3600),
    JobSpec(id="deliver_webhooks", name="Send due webhook deliveries", run=_deliver_webhooks,
            seconds=lambda app: float(app.config.get("WEBHOOK_INTERVAL_SECONDS") or 15)),
    JobSpec(id="purge_webhooks", name="Delete webhook deliveries older than 30 days", run=_purge_webhooks,
            seconds=lambda app: 24 * 3600, misfire_grace_time=6 * 3600),
]


def _guarded(app: Flask, spec: JobSpec) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                result = spec.run(app)
            except Exception:  # noqa: BLE001 - a failing run is logged; the next one happens as planned
                log.exception("job %s failed", spec.id)
                from coordinator.extensions import db

                db.session.rollback()
                return
            finally:
                from coordinator.extensions import db

                db.session.remove()
            if result:
                log.info("job %s: %s", spec.id, result)

    run.__name__ = f"job_{spec.id}"
    return run


def register_jobs(scheduler: BaseScheduler, app: Flask, jobs: list[JobSpec] | None = None) -> None:
    """Add every job to `scheduler`; the first run of each is right away."""
    start = datetime.now(UTC)
    for spec in jobs if jobs is not None else JOBS:
        interval = max(1.0, spec.seconds(app))
        scheduler.add_job(
            _guarded(app, spec), "interval", seconds=interval, id=spec.id, name=spec.name, coalesce=True,
            max_instances=1, misfire_grace_time=spec.misfire_grace_time, next_run_time=start + timedelta(seconds=1),
            replace_existing=True,
        )
        log.info("job %s every %ss: %s", spec.id, int(interval), spec.name)


def _listener(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run time %s", event.job_id, event.scheduled_run_time)
    elif event.exception is not None:  # pragma: no cover - _guarded catches everything
        log.error("job %s raised %r", event.job_id, event.exception)


class ClockWatch:
    """Notices when the system clock jumps (a manual change, an NTP step, a VM resumed): APScheduler plans in wall
    time, so after a jump backwards it would sleep until the old next run time came round again. On a jump every
    job is due at once; the jobs read what is due from the database, so nothing runs twice."""

    def __init__(self, tolerance: float = 2.0, wall: Callable[[], float] = time.time,
                 mono: Callable[[], float] = time.monotonic) -> None:
        self.tolerance, self._wall, self._mono = tolerance, wall, mono
        self._base = wall() - mono()

    def jumped(self) -> float:
        """Seconds the wall clock moved against the monotonic clock since the last check (0 within the
        tolerance)."""
        offset = self._wall() - self._mono()
        drift, self._base = offset - self._base, offset
        return drift if abs(drift) > self.tolerance else 0.0

    def check(self, scheduler: BaseScheduler) -> float:
        drift = self.jumped()
        if drift:
            log.warning("scheduler: the system clock jumped by %+.0f s; running every job now", drift)
            for job in scheduler.get_jobs():
                job.modify(next_run_time=datetime.now(UTC))
            scheduler.wakeup()
        return drift


def _watch_clock(scheduler: BaseScheduler, stopped: threading.Event, every: float = 5.0) -> None:
    watch = ClockWatch()
    while not stopped.wait(every):
        try:
            watch.check(scheduler)
        except Exception:  # noqa: BLE001 - the watch must never take the scheduler down  # pragma: no cover
            log.exception("scheduler: clock watch failed")


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_listener(_listener, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    register_jobs(scheduler, app)
    return scheduler


def run_scheduler(app: Flask) -> None:
    """Run until SIGTERM or SIGINT; the job running at that moment is allowed to finish. On SQLite only one
    scheduler acts per database: a second one waits for the first one's lock file and takes over when it stops."""
    from coordinator.extensions import db
    from coordinator.jobs.leader import SchedulerFileLock

    stopping = threading.Event()
    started: list[BlockingScheduler] = []

    def stop(signum: int, frame: Any) -> None:
        log.info("scheduler: %s received, stopping after the running job", signal.Signals(signum).name)
        stopping.set()
        for scheduler in started:
            # shutdown(wait=True) waits for running jobs; from a thread so the handler returns at once.
            threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    with app.app_context():
        file_lock = SchedulerFileLock.for_engine(db.engine)
    try:
        if file_lock is not None and not _wait_for_file_lock(file_lock, stopping):
            return
        scheduler = build_scheduler(app)
        started.append(scheduler)
        stopped = threading.Event()
        threading.Thread(target=_watch_clock, args=(scheduler, stopped), name="clock-watch", daemon=True).start()
        log.info("scheduler: started (pid %s); one per host at most (on SQLite, one per installation)", os.getpid())
        try:
            if not stopping.is_set():
                scheduler.start()
        finally:
            stopped.set()
    finally:
        if file_lock is not None:
            file_lock.release()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("scheduler: stopped")


def _wait_for_file_lock(lock: Any, stopping: threading.Event, every: float = 1.0) -> bool:
    """Take the SQLite scheduler lock, waiting while another scheduler holds it; False when stopped meanwhile."""
    if lock.try_acquire():
        return True
    log.warning("scheduler: another scheduler (pid %s) runs on this SQLite database (lock file %s); this one waits "
                "and takes over when it stops", lock.holder(), lock.path)
    while not lock.try_acquire():
        if stopping.wait(every):
            return False
    log.info("scheduler: the other scheduler stopped; this one acts now (it holds %s)", lock.path)
    return True
