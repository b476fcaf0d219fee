"""The scheduler killed mid-delivery (issue 16): its claimed e-mails are due again within one claim (25 s), not ten
minutes, so the next delivery round sends them within a minute; a live deliverer keeps renewing its claim while a
slow mail server takes its time, so nobody sends its e-mails a second time. A real scheduler process, killed with
SIGKILL, and real SMTP servers, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.invites import delivery
from coordinator.invites.jobs import deliver_due
from coordinator.invites.models import OutboxMessage, OutboxStatus
from tests.invites.outbox_support import Recorder, smtp_server, use_smtp  # noqa: F401 - fixture
from tests.reminders.process_support import Scheduler, wait_until
from tests.reminders.test_scheduler_process import _db_url


def _queue(subject: str) -> int:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Coordinator <invites@coordinator.test>", "jonas@example.com", subject
    msg.set_content("Your interview moved.")
    now = datetime.now(UTC)
    row = OutboxMessage(kind="interviewer_reminder", recipient="jonas@example.com", recipient_name="Jonas Weber",
                        subject=subject, method="", message=msg.as_bytes(), status=OutboxStatus.PENDING.value,
                        attempts=0, created_dt=now, next_attempt_dt=now)
    db.session.add(row)
    db.session.commit()
    return row.id


def _row(message_id: int) -> OutboxMessage:
    db.session.rollback()  # what the other process committed
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def _smtp_env(port: int, **extra: str) -> dict[str, str]:
    return {"COORDINATOR_SMTP_HOST": "127.0.0.1", "COORDINATOR_SMTP_PORT": str(port),
            "COORDINATOR_SMTP_SECURITY": "none", "COORDINATOR_SMTP_TIMEOUT": "120",
            "COORDINATOR_MAIL_FROM": "Coordinator <invites@coordinator.test>", **extra}


def test_a_scheduler_killed_mid_delivery_leaves_its_emails_due_again_within_one_claim(any_db_app, tmp_path,
                                                                                        smtp_server):  # noqa: F811
    stalled = Recorder(stall=300)  # takes the message and never answers: the scheduler is mid-delivery
    message_id = _queue("Interview moved")
    scheduler = Scheduler(_db_url(any_db_app), tmp_path / "scheduler.log", env=_smtp_env(smtp_server(stalled)))
    try:
        wait_until(lambda: _row(message_id).status == OutboxStatus.SENDING.value, 60, "the claim",
                   scheduler.output)
        time.sleep(0.5)  # talking to the mail server now
        scheduler.kill9()
    finally:
        if scheduler.alive():
            scheduler.kill9()
    killed_at = datetime.now(UTC)
    row = _row(message_id)
    assert row.status == OutboxStatus.SENDING.value and row.attempts == 1 and not stalled.envelopes
    expires = row.next_attempt_dt
    assert expires <= killed_at + delivery.CLAIM_LEASE  # due again at most one claim after the kill ...
    round_every = timedelta(seconds=any_db_app.config.get("OUTBOX_INTERVAL_SECONDS") or 30)
    assert expires + round_every < killed_at + timedelta(minutes=1)  # ... so sent within a minute of it

    working = Recorder()
    use_smtp(any_db_app, smtp_server(working))
    # while the claim lasts nobody takes the message (its deliverer might still be talking to the server) ...
    assert deliver_due(now=expires - timedelta(seconds=1)).claimed == 0
    # ... and the first round after it ends sends it: with rounds every 30 s, within a minute of the kill
    report = deliver_due(now=expires + timedelta(seconds=1))
    assert (report.claimed, report.sent) == (1, 1)
    assert [message_from_bytes(content)["Subject"] for _, _, content in working.envelopes] == ["Interview moved"]
    row = _row(message_id)
    assert row.status == OutboxStatus.SENT.value and row.attempts == 2


def test_a_live_deliverer_on_a_slow_server_keeps_its_claim_and_nobody_sends_twice(any_db_app, tmp_path,
                                                                                  smtp_server):  # noqa: F811
    slow = Recorder(stall=10)  # over three claims long: without renewal another deliverer would take over
    port = smtp_server(slow)
    message_id = _queue("Interview tomorrow")
    use_smtp(any_db_app, port)
    scheduler = Scheduler(_db_url(any_db_app), tmp_path / "scheduler.log",
                          env=_smtp_env(port, COORDINATOR_OUTBOX_CLAIM_SECONDS="3"))
    claimed_here = 0
    claims_seen: set[datetime] = set()
    try:
        wait_until(lambda: _row(message_id).status == OutboxStatus.SENDING.value, 60, "the claim",
                   scheduler.output)
        while _row(message_id).status == OutboxStatus.SENDING.value:  # another deliverer tries all along
            claims_seen.add(_row(message_id).next_attempt_dt)
            claimed_here += deliver_due().claimed
            assert scheduler.alive(), scheduler.output()
            time.sleep(0.5)
        wait_until(lambda: _row(message_id).status == OutboxStatus.SENT.value, 30, "the delivery",
                   scheduler.output)
    finally:
        scheduler.stop()
    assert claimed_here == 0
    assert len(claims_seen) >= 3  # the claim was renewed while the server took its time
    assert len(slow.envelopes) == 1
    assert db.session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == message_id)) == 1
