"""The real scheduler process (`flask --app coordinator scheduler`), killed and restarted, stopped for a long time,
run twice against PostgreSQL, cut off from its database: every due reminder reaches the outbox exactly once.

Time is injected, not slept through: the scheduler is started through a test launcher that sets the one test clock
in its process (tests/reminders/clocked_scheduler.py), so it believes hours have passed."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy

import pytest
from sqlalchemy import func, select, text

from coordinator.extensions import db
from coordinator.invites.models import OutboxMessage
from coordinator.reminders.models import Reminder
from tests.invites.outbox_support import Recorder, smtp_server  # noqa: F401 - fixture
from tests.reminders.process_support import Scheduler, TCPProxy, wait_until
from tests.reminders.support import bulk_loops

#: sessions start about this far ahead of the real clock
AHEAD = timedelta(days=3)


def _start() -> datetime:
    """A start time 3 days ahead, on the hour, at noon-ish in Europe (no quiet hours in the way)."""
    day = (datetime.now(UTC) + AHEAD).date()
    return datetime(day.year, day.month, day.day, 11, 0, tzinfo=UTC)


def _due_offset(start: datetime) -> float:
    """Seconds a scheduler's clock runs ahead so that it believes it is 23 hours before `start`: the day-before
    reminders are due and still worth sending. Measured from `start` (not a fixed AHEAD - 23 h), because `start` is
    pinned to 11:00 UTC: a fixed offset put the scheduler before the due time whenever the suite ran before 10:00."""
    return (start - timedelta(hours=23) - datetime.now(UTC)).total_seconds()


def _counts() -> dict[str, int]:
    db.session.commit()
    return dict(db.session.execute(select(Reminder.status, func.count()).group_by(Reminder.status)).all())


def _due_count(offset: float) -> int:
    db.session.commit()
    clock = datetime.now(UTC) + timedelta(seconds=offset)
    return db.session.scalar(select(func.count()).select_from(Reminder).where(Reminder.due_dt <= clock))


def _assert_exactly_once() -> int:
    """Every sent reminder has its own outbox message, and every reminder message in the outbox belongs to one sent
    reminder (its Message-ID names it)."""
    db.session.commit()
    sent = db.session.execute(select(Reminder.id, Reminder.outbox_message_id).where(Reminder.status == "sent")).all()
    messages = db.session.execute(select(OutboxMessage.id, OutboxMessage.message)
                                  .where(OutboxMessage.kind.like("%_reminder"))).all()
    assert all(outbox_id is not None for _, outbox_id in sent)
    assert len({outbox_id for _, outbox_id in sent}) == len(sent) == len(messages)
    assert {outbox_id for _, outbox_id in sent} == {m.id for m in messages}
    named = Counter(message_from_bytes(bytes(m.message))["Message-ID"].split(".")[1] for m in messages)
    assert set(named.values()) == {1}
    assert {int(k) for k in named} == {rid for rid, _ in sent}
    return len(sent)


def _pg_url(app) -> str:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    schema = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"].split("=", 1)[1].split(",")[0]
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _db_url(app) -> str:
    return _pg_url(app) if db.engine.dialect.name == "postgresql" else app.config["SQLALCHEMY_DATABASE_URI"]


def test_kill_9_while_sending_then_restart_every_due_reminder_is_in_the_outbox_once(any_db_app, tmp_path):
    app = any_db_app
    start = _start()
    offset = _due_offset(start)
    bulk_loops(600, start, now=datetime.now(UTC))
    total = _due_count(offset)
    assert total == 1200  # each loop: the interviewer's day-before reminder and the candidate's
    first = Scheduler(_db_url(app), tmp_path / "first.log", offset=offset, batch=10)
    try:
        wait_until(lambda: _counts().get("sent", 0) >= 30, 60, "the first batches", first.output)
        first.kill9()
    finally:
        if first.alive():
            first.kill9()
    after_kill = _counts()
    assert 0 < after_kill.get("sent", 0) < total, after_kill  # killed in the middle of the work
    _assert_exactly_once()
    second = Scheduler(_db_url(app), tmp_path / "second.log", offset=offset, batch=200)
    try:
        wait_until(lambda: _counts().get("sent", 0) == total, 90, "every due reminder sent", second.output)
        time.sleep(1.5)  # a few more polls: nothing more may appear
        assert second.stop() == 0
    finally:
        second.stop()
    assert _assert_exactly_once() == total
    assert "job send_reminders: claimed" in second.output()


def test_a_scheduler_that_was_down_for_two_days_sends_what_fell_due_meanwhile(app, tmp_path, smtp_server):  # noqa: F811
    handler = Recorder()
    port = smtp_server(handler)
    start = _start()
    offset = _due_offset(start)
    bulk_loops(5, start, now=datetime.now(UTC))
    smtp = {"COORDINATOR_SMTP_HOST": "127.0.0.1", "COORDINATOR_SMTP_PORT": str(port),
            "COORDINATOR_SMTP_SECURITY": "none", "COORDINATOR_MAIL_FROM": "Coordinator <coordinator@corp.example>"}
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    before = Scheduler(url, tmp_path / "before.log", env=smtp)
    try:
        before.wait_for("job send_reminders every 1s")
        time.sleep(2.5)  # polls run; nothing is due yet
        assert before.stop() == 0
    finally:
        before.stop()
    assert _counts() == {"pending": _counts()["pending"]} and not handler.envelopes
    # It comes back 36 to 60 hours later (by the time of day): far past the poll interval and APScheduler's misfire
    # grace time.
    after = Scheduler(url, tmp_path / "after.log", offset=offset, env=smtp)
    try:
        wait_until(lambda: _counts().get("sent", 0) == 10, 40, "the overdue reminders", after.output)
        wait_until(lambda: len(handler.envelopes) == 10, 40, "delivery to the SMTP server", after.output)
    finally:
        after.stop()
    assert f"the clock is {offset:+.0f} s off the system clock" in after.output()
    _assert_exactly_once()
    subjects = sorted(str(message_from_bytes(content, policy=email_policy.default)["Subject"])
                      for _, _, content in handler.envelopes)
    assert len([s for s in subjects if s.startswith("Prepare: interview with Ada Lovelace")]) == 5
    assert len([s for s in subjects if s.startswith("Reminder: your interviews for Senior Data Engineer")]) == 5


def test_two_schedulers_on_postgresql_one_acts_the_other_takes_over_when_it_dies(pg_app, tmp_path):
    app = pg_app
    start = _start()
    offset = _due_offset(start)
    bulk_loops(200, start, now=datetime.now(UTC))
    url = _pg_url(app)
    a = Scheduler(url, tmp_path / "a.log", offset=offset, batch=20)
    b = Scheduler(url, tmp_path / "b.log", offset=offset, batch=20)
    try:
        wait_until(lambda: _counts().get("sent", 0) == 400, 90, "every due reminder sent",
                   lambda: a.output() + b.output())
        wait_until(lambda: "reminders: another scheduler holds the lock" in a.output() + b.output(), 20,
                   "the standby says so", lambda: a.output() + b.output())
        _assert_exactly_once()
        leader, standby = (a, b) if "reminders: this scheduler acts" in a.output() else (b, a)
        assert "reminders: this scheduler acts" not in standby.output()
        leader.kill9()
        bulk_loops(50, start + timedelta(hours=1), now=datetime.now(UTC))  # more work arrives
        wait_until(lambda: _counts().get("sent", 0) == 500, 60, "the standby took over", standby.output)
        assert "reminders: this scheduler acts" in standby.output()
    finally:
        for s in (a, b):
            if s.alive():
                s.stop()
    assert _assert_exactly_once() == 500


def test_the_database_unreachable_for_a_while_the_scheduler_waits_and_carries_on(pg_app, tmp_path):
    app = pg_app
    pg = db.engine.url
    proxy = TCPProxy((pg.host or "127.0.0.1", pg.port or 5432))
    url = _pg_url(app).replace(f"@{pg.host}:{pg.port}/", f"@127.0.0.1:{proxy.port}/")
    if f"127.0.0.1:{proxy.port}" not in url:
        pytest.skip(f"cannot route {pg!r} through the proxy")
    start = _start()
    offset = _due_offset(start)
    scheduler = Scheduler(url, tmp_path / "outage.log", offset=offset)
    try:
        scheduler.wait_for("reminders: this scheduler acts")
        proxy.cut()
        bulk_loops(20, start, now=datetime.now(UTC))  # due reminders arrive while it cannot reach the database
        scheduler.wait_for("the database cannot be reached")
        time.sleep(3)  # several polls fail
        assert scheduler.alive()
        assert _counts().get("sent", 0) == 0
        proxy.restore()
        wait_until(lambda: _counts().get("sent", 0) == 40, 60, "sent after the database came back",
                   scheduler.output)
        scheduler.wait_for("the database answers again")
        assert scheduler.output().count("the database cannot be reached") <= 2  # once per job, not every poll
        assert scheduler.stop() == 0
    finally:
        scheduler.stop()
        proxy.close()
    assert _assert_exactly_once() == 40


def test_the_lock_is_per_database_schema(pg_app):
    from coordinator.jobs.leader import Leadership, lock_key

    assert lock_key("reminders", "test", "a") != lock_key("reminders", "test", "b")
    first, second = Leadership("reminders"), Leadership("reminders")
    try:
        assert first.is_leader(db.engine) and first.is_leader(db.engine)
        assert not second.is_leader(db.engine)
        # the holder's session dies (as when its process is killed): the other takes over
        pid = first._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        deadline = time.monotonic() + 10
        while not second.is_leader(db.engine):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert not first.is_leader(db.engine)  # it notices it lost the lock and stands by
    finally:
        first.release()
        second.release()
