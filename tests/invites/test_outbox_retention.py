"""The outbox keeps sent and failed e-mails for COORDINATOR_OUTBOX_KEEP_DAYS, then the daily job deletes them;
messages still waiting or held are never deleted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.invites.jobs import purge_outbox
from coordinator.invites.models import OutboxKind, OutboxMessage, OutboxStatus
from coordinator.invites.services import enqueue_emails, outbox_values
from coordinator.jobs.scheduler import JOBS
from coordinator.timeutil import now_utc


def _message(subject: str, status: OutboxStatus, age_days: int) -> None:
    now = now_utc()
    row = outbox_values(kind=OutboxKind.CANDIDATE_LINK, loop_id=None, recipient="ada@example.org",
                        recipient_name="Ada", subject=subject, message=b"Subject: x\r\n\r\nbody", now=now)
    row.update(status=status.value, created_dt=now - timedelta(days=age_days),
               sent_dt=now - timedelta(days=age_days) if status is OutboxStatus.SENT else None)
    enqueue_emails([row])


def _subjects() -> set[str]:
    return set(db.session.scalars(select(OutboxMessage.subject)))


def test_old_sent_and_failed_mail_is_deleted_and_waiting_mail_is_kept(app):
    _message("sent long ago", OutboxStatus.SENT, 91)
    _message("failed long ago", OutboxStatus.FAILED, 120)
    _message("sent last week", OutboxStatus.SENT, 7)
    _message("held for months (no mail server)", OutboxStatus.HELD, 200)
    _message("waiting", OutboxStatus.PENDING, 100)
    db.session.commit()
    assert app.config["OUTBOX_KEEP_DAYS"] == 90
    assert purge_outbox(app) == "deleted 2 old outbox e-mails"
    db.session.expire_all()
    assert _subjects() == {"sent last week", "held for months (no mail server)", "waiting"}
    assert purge_outbox(app) is None  # nothing more to do


def test_keep_days_0_keeps_everything(app):
    app.config["OUTBOX_KEEP_DAYS"] = 0
    _message("sent long ago", OutboxStatus.SENT, 400)
    db.session.commit()
    assert purge_outbox(app) is None
    assert _subjects() == {"sent long ago"}


def test_the_scheduler_runs_it_daily():
    (spec,) = [s for s in JOBS if s.id == "purge_outbox"]
    assert spec.seconds(None) == 24 * 3600
