"""Write-back against a real Radicale: booking puts the session in the interviewer's chosen calendar under the
invite's UID, a reschedule updates it, a cancellation removes it; the written event never counts as busy; and with
two schedulers on one PostgreSQL database only the one holding the lock syncs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from coordinator.auth.models import User
from coordinator.availability import calendar_sync
from coordinator.availability import jobs as calendar_jobs
from coordinator.availability.models import BusyBlock, CalendarConnection, CalendarWrite
from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.invites.services import session_uid
from coordinator.jobs.leader import Leadership
from coordinator.loops import services as loops
from tests.availability.caldav_support import event
from tests.availability.test_caldav_sync import PASSWORD, radicale  # noqa: F401 - the fixture
from tests.reminders.support import at, monday, new_loop, world


def _connect_with_write_calendar(user: User, server) -> None:
    admin = server.admin("alice")
    admin.make_calendar("work", "Work")
    admin.make_calendar("interviews", "Interviews")
    with write_transaction():
        conn = calendar_sync.connect(db.session.get(User, user.id), server.url, "alice", PASSWORD)
        target = next(c.id for c in conn.calendars if c.name == "Interviews")
        calendar_sync.choose_calendars(db.session.get(User, user.id), [c.id for c in conn.calendars], target)
        db.session.commit()


def _book(w, loop_id, day, hour: int) -> None:
    with write_transaction():
        loop = loops.load_loop(loop_id)
        s = loop.sessions[0]
        loops.book(loop, [loops.Placement(s.id, at(day, hour), tuple(u.id for u in s.interviewers))],
                   db.session.get(User, w.recruiter.id), override_reason="Agreed with all")
        db.session.commit()


def test_booking_rescheduling_and_cancelling_follow_into_the_chosen_calendar(app, radicale):  # noqa: F811
    w = world()
    _connect_with_write_calendar(w.jonas, radicale)
    loop_id = new_loop(w, [("System design", 60, [w.jonas], [])])
    day = monday()
    admin = radicale.admin("alice")

    _book(w, loop_id, day, 10)
    session_id = loops.load_loop(loop_id).sessions[0].id
    uid = session_uid(session_id)
    assert db.session.scalar(select(func.count(CalendarWrite.id))) == 1  # queued with the booking, not sent yet
    report = calendar_jobs.write_all()
    assert report.written == 1
    stored = admin.get("interviews", uid)
    assert stored is not None and f"UID:{uid}" in stored and "METHOD" not in stored
    assert "System design" in stored and at(day, 10).strftime("%Y%m%dT") in stored
    assert admin.get("work", uid) is None  # only the chosen calendar

    # the written event (and the accepted invite, same UID) is read back but never counts as busy twice
    admin.put("work", "dentist", event("dentist", (at(day, 15)).strftime("%Y%m%dT%H%M%SZ"),
                                       (at(day, 16)).strftime("%Y%m%dT%H%M%SZ"), "Dentist"))
    assert calendar_jobs.sync_all().failed == 0
    busy = db.session.execute(select(BusyBlock.start_dt).where(BusyBlock.user_id == w.jonas.id)).scalars().all()
    assert busy == [at(day, 15)]

    _book(w, loop_id, day, 13)  # moved
    assert calendar_jobs.write_all().written == 1
    moved = admin.get("interviews", uid)
    assert at(day, 13).astimezone(at(day, 13).tzinfo).strftime("%Y%m%dT") in moved and moved != stored
    assert len(admin.uids("interviews")) == 1  # updated in place, not a second event

    with write_transaction():
        session = loops.load_loop(loop_id).sessions[0]
        loops.cancel_session(session, db.session.get(User, w.recruiter.id), "Candidate withdrew")
        db.session.commit()
    assert calendar_jobs.write_all().removed == 1
    assert admin.get("interviews", uid) is None
    assert calendar_jobs.write_all().written == 0  # nothing left in the queue


def test_a_write_to_a_server_that_is_down_is_retried_later(app, radicale):  # noqa: F811
    w = world()
    _connect_with_write_calendar(w.jonas, radicale)
    loop_id = new_loop(w, [("System design", 60, [w.jonas], [])])
    _book(w, loop_id, monday(), 10)
    radicale.stop()
    report = calendar_jobs.write_all()
    assert report.retrying == 1 and report.written == 0
    row = db.session.scalar(select(CalendarWrite))
    assert row.done_dt is None and row.attempts == 1 and "did not answer" in row.last_error
    radicale.start()
    from coordinator import timeutil

    later = timeutil.now_utc() + timedelta(minutes=5)
    assert calendar_jobs.write_all(now=later).written == 1
    uid = session_uid(loops.load_loop(loop_id).sessions[0].id)
    assert radicale.admin("alice").get("interviews", uid) is not None


def test_people_without_a_write_calendar_queue_nothing(app, radicale):  # noqa: F811
    w = world()
    loop_id = new_loop(w, [("System design", 60, [w.jonas], [])])
    _book(w, loop_id, monday(), 10)
    assert db.session.scalar(select(func.count(CalendarWrite.id))) == 0


def test_only_the_scheduler_holding_the_lock_syncs(pg_app, radicale):  # noqa: F811
    """Two scheduler processes: the other one (its own lock on its own connection, as another process holds
    it) leads, so this one's job does nothing; when it goes, this one takes over at its next run."""
    w = world()
    radicale.admin("alice").make_calendar("work", "Work")
    radicale.admin("alice").put("work", "a", event("a", "20990310T100000Z", "20990310T110000Z"))
    with write_transaction():
        calendar_sync.connect(db.session.get(User, w.jonas.id), radicale.url, "alice", PASSWORD)
        db.session.commit()
    other = Leadership("calendars")
    assert other.is_leader(db.engine)
    try:
        calendar_jobs.leadership.release()
        assert calendar_jobs.sync_calendars(pg_app) is None
        assert db.session.scalar(select(CalendarConnection.last_attempt_dt)) is None  # not even tried
    finally:
        other.release()
    assert calendar_jobs.sync_calendars(pg_app) is not None
    db.session.expire_all()
    assert db.session.scalar(select(CalendarConnection.last_ok_dt)) is not None
    calendar_jobs.leadership.release()
