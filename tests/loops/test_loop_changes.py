"""One hook for "a loop changed": the loop services announce every change, and invites and reminders follow it
without any page calling them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coordinator.auth.models import User
from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.invites.models import OutboxMessage
from coordinator.loops import changes
from coordinator.loops import services as loops
from coordinator.loops.models import LoopSession
from coordinator.reminders.models import Reminder
from tests.reminders.support import at, monday, new_loop, world


def _outbox(loop_id: int) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.loop_id == loop_id)))


def _reminders(loop_id: int) -> int:
    return db.session.scalar(select(func.count(Reminder.id)).where(Reminder.loop_id == loop_id)) or 0


def _booked_loop():
    w = world()
    loop_id = new_loop(w, [("Hiring manager", 45, [w.manager], []), ("System design", 60, [w.jonas], [])])
    day = monday()
    return w, loop_id, day


def _book(w, loop_id, day) -> loops.Change:
    loop = loops.load_loop(loop_id)
    placements = [loops.Placement(s.id, at(day, 10 + 2 * i), tuple(u.id for u in s.interviewers))
                  for i, s in enumerate(loop.sessions)]
    return loops.book(loop, placements, db.session.get(User, w.recruiter.id), override_reason="Agreed with all")


def test_booking_through_the_service_alone_queues_the_invites_and_schedules_the_reminders(app):
    w, loop_id, day = _booked_loop()
    with write_transaction():
        change = _book(w, loop_id, day)
        db.session.commit()
    kinds = {m.kind for m in _outbox(loop_id)}
    assert any(k.startswith("candidate") for k in kinds) and any(k.startswith("interviewer") for k in kinds)
    assert change.results["invites"].messages
    assert _reminders(loop_id) > 0


def test_settings_and_session_edits_queue_updates_only_for_what_moved(app):
    w, loop_id, day = _booked_loop()
    with write_transaction():
        _book(w, loop_id, day)
        db.session.commit()
    before = len(_outbox(loop_id))
    recruiter = db.session.get(User, w.recruiter.id)
    with write_transaction():
        loop = loops.load_loop(loop_id)
        change = loops.update_settings(loop, loops.LoopSettings(
            arrangement=loop.arrangement, buffer_min=loop.buffer_min, candidate_grouping=loop.candidate_grouping,
            location="Room 4.12"), recruiter)
        db.session.commit()
    assert change.kind is changes.ChangeKind.SETTINGS and change.places_before
    assert len(_outbox(loop_id)) > before  # every session took the loop's place: they all get an update
    settled = len(_outbox(loop_id))
    with write_transaction():
        loop = loops.load_loop(loop_id)
        session = loop.sessions[0]
        loops.update_session(session, loops.SessionData(
            title="Hiring manager chat", kind=session.kind, duration_min=session.duration_min,
            interviewer_ids=tuple(u.id for u in session.interviewers)), recruiter)
        db.session.commit()
    assert len(_outbox(loop_id)) > settled  # the edited session's attendees get an update


def test_a_follower_that_fails_rolls_the_whole_change_back(app, monkeypatch, client_for):
    w, loop_id, day = _booked_loop()

    def broken(change: changes.Change) -> None:
        raise RuntimeError("calendar write-back is down")

    monkeypatch.setitem(changes._followers, "broken", broken)
    session_id = loops.load_loop(loop_id).sessions[0].id
    db.session.commit()  # end the test's own transaction (SQLite: new_loop's left the write lock taken)
    client = client_for(db.session.get(User, w.recruiter.id))
    place = {"day": day.isoformat(), "start": "10:00", "interviewer_ids": str(w.manager.id),
             "override_reason": "Agreed with all"}
    with pytest.raises(RuntimeError, match="write-back"):
        client.post(f"/loops/{loop_id}/sessions/{session_id}/place", data=place)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(LoopSession, session_id).start_dt is None
    assert _outbox(loop_id) == [] and _reminders(loop_id) == 0

    monkeypatch.delitem(changes._followers, "broken")
    assert client.post(f"/loops/{loop_id}/sessions/{session_id}/place", data=place).status_code == 302
    db.session.expire_all()
    assert db.session.get(LoopSession, session_id).start_dt == at(day, 10)
    assert _outbox(loop_id)
