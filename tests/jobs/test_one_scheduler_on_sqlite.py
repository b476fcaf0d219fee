"""Two scheduler processes on one SQLite database (issue 16): the second waits for the first one's lock file
(`<database>.scheduler.lock`) and acts only once the first has stopped, even when it was killed with SIGKILL.
Real processes, a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.invites.models import OutboxMessage, OutboxStatus
from tests.invites.outbox_support import Recorder, smtp_server  # noqa: F401 - fixture
from tests.reminders.process_support import Scheduler, wait_until


def _queue(subject: str) -> int:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "invites@coordinator.test", "jonas@example.com", subject
    msg.set_content("Hello")
    now = datetime.now(UTC)
    row = OutboxMessage(kind="interviewer_reminder", recipient="jonas@example.com", subject=subject, method="",
                        message=msg.as_bytes(), status=OutboxStatus.PENDING.value, created_dt=now,
                        next_attempt_dt=now)
    db.session.add(row)
    db.session.commit()
    return row.id


def _sent(message_id: int) -> bool:
    db.session.rollback()
    return db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id)) == "sent"


def test_a_second_scheduler_on_sqlite_waits_and_takes_over_when_the_first_dies(app, tmp_path, smtp_server):  # noqa: F811
    handler = Recorder()
    env = {"COORDINATOR_SMTP_HOST": "127.0.0.1", "COORDINATOR_SMTP_PORT": str(smtp_server(handler)),
           "COORDINATOR_SMTP_SECURITY": "none", "COORDINATOR_MAIL_FROM": "Coordinator <invites@coordinator.test>"}
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    lock_file = Path(url.removeprefix("sqlite:///") + ".scheduler.lock")
    first = Scheduler(url, tmp_path / "first.log", env=env)
    second = None
    try:
        first.wait_for("scheduler: started")
        second = Scheduler(url, tmp_path / "second.log", env=env)
        second.wait_for("runs on this SQLite database")
        assert f"another scheduler (pid {first.proc.pid}) runs on this SQLite database (lock file {lock_file})" \
            in second.output()
        early = _queue("First")
        wait_until(lambda: _sent(early), 30, "the first scheduler delivers", first.output)
        assert "scheduler: started" not in second.output() and "job deliver_outbox" not in second.output()
        assert second.alive()

        first.kill9()
        second.wait_for("this one acts now")
        late = _queue("Second")
        wait_until(lambda: _sent(late), 30, "the second scheduler delivers", second.output)
        assert "job deliver_outbox" in second.output()
        assert second.stop() == 0
    finally:
        for process in (first, second):
            if process is not None and process.alive():
                process.stop()
    subjects = sorted(message_from_bytes(content)["Subject"] for _, _, content in handler.envelopes)
    assert subjects == ["First", "Second"]  # each e-mail once
