"""Scheduling: booking a loop schedules its reminders; moving, replacing, cancelling and deciding move or cancel
them; scheduling twice changes nothing; a reminder already sent is never touched. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.reminders import services as reminders
from coordinator.reminders.models import Reminder
from tests.reminders.support import at, book, kinds, monday, new_loop, rows, world


def _setup(**loop_kw):
    w = world()
    day = monday()
    loop_id = new_loop(w, [("System design", 60, [w.jonas, w.priya], [w.emily]),
                           ("Hiring manager", 45, [w.manager], [])], **loop_kw)
    return w, day, loop_id


def test_booking_schedules_every_reminder_of_the_loop(any_db_app):
    w, day, loop_id = _setup()
    start = at(day, 10)
    book(loop_id, {0: start, 1: start + timedelta(hours=1, minutes=10)}, w.recruiter, now=start - timedelta(days=3))
    scheduled = rows(loop_id)
    assert all(r.status == "pending" for r in scheduled)
    # 4 people x (day + hour before); 3 scoring seats x (1 h after + last call) + escalations (Hannah interviews: the
    # recruiter only for her seat); the candidate once (one day)
    assert kinds(scheduled) == sorted(
        ["prep_day"] * 4 + ["prep_hour"] * 4 + ["scorecard_hour"] * 3 + ["scorecard_due"] * 3
        + ["scorecard_overdue"] * 5 + ["candidate_day"])
    candidate = [r for r in scheduled if r.kind == "candidate_day"][0]
    assert candidate.candidate_id == w.candidate.id and candidate.user_id is None
    assert candidate.due_dt == start - timedelta(hours=24)
    jonas_day = [r for r in scheduled if r.kind == "prep_day" and r.user_id == w.jonas.id][0]
    assert jonas_day.due_dt == start - timedelta(hours=24) and jonas_day.event_dt == start


def test_scheduling_twice_changes_nothing(any_db_app):
    w, day, loop_id = _setup()
    now = at(day, 10) - timedelta(days=3)
    book(loop_id, {0: at(day, 10), 1: at(day, 11, 30)}, w.recruiter, now=now)
    before = [(r.id, r.key, r.due_dt, r.status) for r in rows(loop_id)]
    with write_transaction():
        report = reminders.sync_loops([loop_id], now=now)
        db.session.commit()
    assert not report.changed
    assert [(r.id, r.key, r.due_dt, r.status) for r in rows(loop_id)] == before


def test_booked_less_than_a_day_ahead_no_day_before_reminder(any_db_app):
    w, day, loop_id = _setup()
    start = at(day, 10)
    book(loop_id, {0: start, 1: start + timedelta(hours=2)}, w.recruiter, now=start - timedelta(hours=20))
    scheduled = rows(loop_id)
    assert not [r for r in scheduled if r.kind in ("prep_day", "candidate_day")]
    assert len([r for r in scheduled if r.kind == "prep_hour"]) == 4


def test_moving_a_session_moves_its_reminders(any_db_app):
    w, day, loop_id = _setup()
    now = at(day, 10) - timedelta(days=3)
    book(loop_id, {0: at(day, 10), 1: at(day, 11, 30)}, w.recruiter, now=now)
    old = {r.key: r for r in rows(loop_id)}
    book(loop_id, {0: at(day + timedelta(days=1), 14)}, w.recruiter, now=now)
    after = rows(loop_id)
    cancelled = [r for r in after if r.status == "cancelled"]
    pending = [r for r in after if r.status == "pending"]
    moved_session = db.session.get(loops.LoopSession, old[next(k for k in old if k.startswith("prep_day"))].session_id)
    assert cancelled and all(r.session_id == moved_session.id or r.kind == "candidate_day" for r in cancelled)
    assert {r.reason for r in cancelled} <= {"The session moved.", "The interview times changed.",
                                              "The scorecard's due time changed."}
    new_day = [r for r in pending if r.kind == "prep_day" and r.session_id == moved_session.id]
    assert {r.event_dt for r in new_day} == {at(day + timedelta(days=1), 14)}
    assert len(new_day) == 3
    # the other session's reminders stayed as they were
    untouched = [r for r in pending if r.session_id != moved_session.id and r.session_id is not None]
    assert untouched and all(old[r.key].id == r.id for r in untouched)
    # the candidate now has two interview days
    assert len([r for r in pending if r.kind == "candidate_day"]) == 2


def test_replacing_an_interviewer_moves_their_reminders_to_the_new_one(any_db_app):
    w, day, loop_id = _setup()
    now = at(day, 10) - timedelta(days=3)
    book(loop_id, {0: at(day, 10), 1: at(day, 11, 30)}, w.recruiter, now=now)
    loop = loops.load_loop(loop_id)
    other = loop.sessions[1]
    with write_transaction():
        change = loops.replace_interviewer(other, w.manager.id, w.jonas.id, db.session.get(type(w.recruiter),
                                                                                          w.recruiter.id), "ill")
        reminders.after_loop_change(change, now=now)
        db.session.commit()
    mine = [r for r in rows(loop_id) if r.session_id == other.id]
    assert {r.user_id for r in mine if r.status == "pending" and r.kind == "prep_day"} == {w.jonas.id}
    gone = [r for r in mine if r.user_id == w.manager.id and r.kind.startswith("prep")]
    assert gone and all(r.status == "cancelled" and r.reason == "No longer on this session." for r in gone)


def test_cancelling_the_loop_cancels_every_pending_reminder_and_keeps_the_sent_ones(any_db_app):
    w, day, loop_id = _setup()
    now = at(day, 10) - timedelta(days=3)
    book(loop_id, {0: at(day, 10), 1: at(day, 11, 30)}, w.recruiter, now=now)
    first = rows(loop_id)[0]
    db.session.execute(update(Reminder).where(Reminder.id == first.id).values(status="sent", sent_dt=now))
    db.session.commit()
    with write_transaction():
        loop = loops.load_loop(loop_id)
        change = loops.cancel_loop(loop, db.session.get(type(w.recruiter), w.recruiter.id), "Candidate withdrew")
        reminders.after_loop_change(change, now=now)
        db.session.commit()
    after = rows(loop_id)
    assert [r.status for r in after if r.id == first.id] == ["sent"]
    assert all(r.status == "cancelled" and r.reason == "The loop was cancelled." for r in after if r.id != first.id)


def test_a_decision_date_schedules_decision_reminders_and_moving_it_moves_them(any_db_app):
    w, day, loop_id = _setup()
    now = at(day, 10) - timedelta(days=3)
    with write_transaction():
        loop = loops.load_loop(loop_id)
        loop.decision_due_on = day + timedelta(days=7)
        reminders.after_loop_change(loop, now=now)
        db.session.commit()
    due = rows(loop_id, status="pending")
    assert kinds(due) == ["decision_soon", "decision_soon", "decision_today", "decision_today"]
    assert {r.user_id for r in due} == {w.recruiter.id, w.manager.id}
    with write_transaction():
        loop = loops.load_loop(loop_id)
        loop.decision_due_on = day + timedelta(days=8)
        reminders.after_loop_change(loop, now=now)
        db.session.commit()
    after = rows(loop_id)
    assert len([r for r in after if r.status == "cancelled" and r.reason == "The decision date changed."]) == 4
    assert len([r for r in after if r.status == "pending"]) == 4


def test_the_settings_page_and_the_booking_pages_call_the_hook(app, org, make_user, client_for):
    """Through the pages a recruiter uses: settings (decision date), place by hand, cancel."""
    from tests.invites.outbox_support import add_session, place
    from tests.invites.outbox_support import new_loop as page_loop

    jonas = make_user(name="Jonas Weber")
    client = client_for(org["recruiter"])
    loop_url = page_loop(client, org["candidate"])
    session = add_session(client, loop_url, interviewer_ids=[str(jonas.id)])
    day = monday()
    place(client, loop_url, session, at(day, 10), [jonas.id], "Europe/Berlin")
    loop_id = int(loop_url.rsplit("/", 1)[1])
    assert "prep_day" in kinds(rows(loop_id, status="pending"))
    response = client.post(f"{loop_url}/settings", data={
        "arrangement": "back_to_back", "buffer_min": "10", "candidate_grouping": "session",
        "decision_due_on": (day + timedelta(days=5)).isoformat()})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "decision_today" in kinds(rows(loop_id, status="pending"))
    response = client.post(f"{loop_url}/cancel", data={"reason": "Withdrew"})
    assert response.status_code == 302
    assert not rows(loop_id, status="pending")
