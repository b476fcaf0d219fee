"""The scheduler process: `flask --app coordinator scheduler` really starts, delivers a pending outbox message to
a real SMTP server, and stops cleanly on SIGTERM. Its job list, the guard around each job, and `send-outbox`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from apscheduler.schedulers.blocking import BlockingScheduler
from flask_migrate import upgrade

from coordinator import create_app
from coordinator.extensions import db
from coordinator.invites.models import OutboxMessage
from coordinator.jobs import scheduler as scheduler_module
from coordinator.jobs.scheduler import JOBS, JobSpec, register_jobs
from coordinator.timeutil import now_utc
from tests.invites.outbox_support import Recorder, smtp_server, use_smtp  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent.parent


def _message(n: int = 1) -> OutboxMessage:
    msg = EmailMessage()
    msg["From"] = "invites@coordinator.test"
    msg["To"] = "jonas@corp.example"
    msg["Subject"] = f"Invitation {n}"
    msg.set_content("Hello")
    now = now_utc()
    return OutboxMessage(kind="interviewer_invite", recipient="jonas@corp.example", subject=f"Invitation {n}",
                         message=msg.as_bytes(), status="pending", next_attempt_dt=now, created_dt=now)


def test_the_scheduler_process_delivers_and_stops_on_sigterm(tmp_path, smtp_server):  # noqa: F811
    handler = Recorder()
    port = smtp_server(handler)
    db_url = f"sqlite:///{tmp_path / 'scheduler.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "test"})
    with app.app_context():
        upgrade()
        db.session.add(_message())
        db.session.commit()
        db.engine.dispose()

    env = {**os.environ, "COORDINATOR_DATABASE_URL": db_url, "COORDINATOR_SECRET_KEY": "test",
           "COORDINATOR_SMTP_HOST": "127.0.0.1", "COORDINATOR_SMTP_PORT": str(port),
           "COORDINATOR_SMTP_SECURITY": "none", "COORDINATOR_MAIL_FROM": "invites@coordinator.test",
           "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "scheduler.log"
    flask = str(Path(sys.executable).parent / "flask")
    with open(log, "wb") as out:
        proc = subprocess.Popen([flask, "--app", "coordinator", "scheduler", "--outbox-interval", "1"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not handler.envelopes:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "nothing delivered in 30 s:\n" + log.read_text()
            time.sleep(0.1)
        with app.app_context():
            deadline = time.monotonic() + 10
            while db.session.scalar(db.select(OutboxMessage.status)) != "sent":
                assert time.monotonic() < deadline, log.read_text()
                db.session.rollback()
                time.sleep(0.1)
            db.engine.dispose()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    output = log.read_text()
    assert "job deliver_outbox every 1s" in output
    assert "sent message 1 to jonas@corp.example" in output
    assert "SIGTERM received" in output and "scheduler: stopped" in output
    assert len(handler.envelopes) == 1


def test_every_job_is_coalesced_single_instance_and_has_a_grace_time(app):
    scheduler = BlockingScheduler()
    register_jobs(scheduler, app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {spec.id for spec in JOBS}
    assert {"deliver_outbox", "send_reminders", "sync_reminders"} <= set(jobs)
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time >= 30
    assert jobs["deliver_outbox"].trigger.interval == timedelta(seconds=30)
    assert jobs["send_reminders"].trigger.interval == timedelta(seconds=30)
    assert jobs["sync_reminders"].trigger.interval == timedelta(minutes=10)
    app.config["OUTBOX_INTERVAL_SECONDS"] = 5
    app.config["REMINDER_INTERVAL_SECONDS"] = 2
    other = BlockingScheduler()
    register_jobs(other, app)
    intervals = {j.id: j.trigger.interval for j in other.get_jobs()}
    assert intervals["deliver_outbox"] == timedelta(seconds=5)
    assert intervals["send_reminders"] == timedelta(seconds=2)


def test_a_failing_job_is_logged_and_the_scheduler_goes_on(app, monkeypatch):
    calls = []

    def broken(app_):
        calls.append(1)
        raise RuntimeError("boom")

    run = scheduler_module._guarded(app, JobSpec(id="broken", name="Broken", run=broken, seconds=lambda a: 1))
    run()  # does not raise
    run()
    assert calls == [1, 1]


def test_send_outbox_delivers_once(app, smtp_server):  # noqa: F811
    handler = Recorder()
    use_smtp(app, smtp_server(handler))
    db.session.add(_message(1))
    db.session.add(_message(2))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-outbox"])
    assert result.exit_code == 0, result.output
    assert "Outbox: claimed 2, sent 2, retrying 0, failed 0, held 0." in result.output
    assert len(handler.envelopes) == 2
    again = app.test_cli_runner().invoke(args=["send-outbox"])
    assert "claimed 0, sent 0" in again.output


def test_send_outbox_without_a_mail_server_holds(app):
    db.session.add(_message())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-outbox"])
    assert result.exit_code == 0 and "held 1" in result.output
    assert db.session.scalar(db.select(OutboxMessage.status)) == "held"


@pytest.mark.parametrize("value", ["0", "abc"])
@pytest.mark.parametrize("option", ["--outbox-interval", "--reminder-interval"])
def test_scheduler_refuses_a_bad_interval(app, value, option):
    result = app.test_cli_runner().invoke(args=["scheduler", option, value])
    assert result.exit_code == 2 and option.lstrip("-") in result.output


def test_a_backwards_clock_jump_makes_every_job_due_at_once():
    """APScheduler plans in wall time: after the clock goes back an hour it would wait an hour. The watch notices
    the jump against the monotonic clock and runs every job now (they read what is due from the database)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    wall, mono = [1_000_000.0], [50.0]
    watch = scheduler_module.ClockWatch(wall=lambda: wall[0], mono=lambda: mono[0])
    wall[0] += 5
    mono[0] += 5
    assert watch.jumped() == 0.0  # time passing is no jump
    wall[0] += 1.5
    assert watch.jumped() == 0.0  # within the tolerance (NTP slewing)
    wall[0] -= 3600
    assert watch.jumped() == -3600.0
    wall[0] += 7200
    assert watch.jumped() == 7200.0

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(lambda: None, "interval", hours=1, id="job")
    scheduler.start(paused=True)
    try:
        assert scheduler.get_job("job").next_run_time > datetime.now(UTC) + timedelta(minutes=59)
        wall[0] -= 3600
        assert watch.check(scheduler) == -3600.0
        assert scheduler.get_job("job").next_run_time <= datetime.now(UTC)
        assert watch.check(scheduler) == 0.0
    finally:
        scheduler.shutdown(wait=False)
