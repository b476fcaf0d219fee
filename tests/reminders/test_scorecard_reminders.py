"""Reminders that follow the scorecards: a submitted scorecard stops its reminders; the last one in makes the
debrief ready; a missing one is escalated naming who and since when; a recorded decision stops the decision
reminders; the dashboard shows what is overdue and what is due. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.loops.models import Loop
from coordinator.reminders import jobs as reminder_jobs
from coordinator.reminders import services as reminders
from coordinator.scorecards.models import LoopDecision, Scorecard
from tests.helpers import login, text_of
from tests.reminders.support import at, book, kinds, monday, new_loop, outbox_reminders, parse, rows, world


def _loop():
    w = world()
    day = monday()
    loop_id = new_loop(w, [("System design", 60, [w.jonas], []), ("Hiring manager", 45, [w.manager], [])],
                       decision_due_on=day + timedelta(days=4))
    start = at(day, 10)
    book(loop_id, {0: start, 1: start + timedelta(hours=1, minutes=15)}, w.recruiter, now=start - timedelta(days=3))
    loop = db.session.get(Loop, loop_id)
    return w, loop_id, start, [s.id for s in sorted(loop.sessions, key=lambda s: s.position)]


def _submit(loop_id: int, session_id: int, user, when) -> None:
    with write_transaction():
        db.session.add(Scorecard(loop_id=loop_id, session_id=session_id, interviewer_id=user.id, status="submitted",
                                 recommendation="hire", created_dt=when, updated_dt=when, submitted_dt=when,
                                 revision=1))
        reminders.after_loop_change(loop_id, now=when)
        db.session.commit()


def test_a_submitted_scorecard_stops_its_reminders(any_db_app):
    w, loop_id, start, (design, manager) = _loop()
    _submit(loop_id, design, w.jonas, start + timedelta(hours=1, minutes=30))
    jonas = [r for r in rows(loop_id) if r.session_id == design and r.kind.startswith("scorecard")]
    assert jonas and all(r.status == "cancelled" and r.reason == "The scorecard was submitted." for r in jonas)
    assert {r.kind for r in rows(loop_id, status="pending") if r.session_id == manager} >= {"scorecard_due"}
    assert not rows(loop_id, kind="debrief_ready")


def test_the_last_scorecard_makes_the_debrief_ready_for_recruiter_and_manager(any_db_app):
    w, loop_id, start, (design, manager) = _loop()
    _submit(loop_id, design, w.jonas, start + timedelta(hours=2))
    last = start + timedelta(hours=4)  # 14:00 Berlin; 08:00 in New York: Hannah hears at 09:00 hers
    _submit(loop_id, manager, w.manager, last)
    ready = rows(loop_id, kind="debrief_ready")
    assert {r.user_id for r in ready} == {w.recruiter.id, w.manager.id}
    report = reminder_jobs.process_due(now=last + timedelta(hours=2))
    assert report.sent >= 2
    sent = {m.recipient: m for m in outbox_reminders() if m.subject.startswith("Debrief ready")}
    assert set(sent) == {w.recruiter.email, w.manager.email}
    text = parse(sent[w.recruiter.email])[1]
    assert "all 2 scorecards are submitted" in text and "/debrief" in text


def test_a_missing_scorecard_is_escalated_naming_who_and_since_when(any_db_app):
    w, loop_id, start, (design, manager) = _loop()
    _submit(loop_id, manager, w.manager, start + timedelta(hours=3))
    due = start + timedelta(hours=25)  # the design session ends 11:00; due 24 hours later
    reminder_jobs.process_due(now=due + timedelta(hours=2, minutes=1))
    overdue = [m for m in outbox_reminders() if m.subject.startswith("Overdue scorecard")]
    assert {m.recipient for m in overdue} == {w.recruiter.email}  # 13:00 in Berlin is 07:00 in New York
    reminder_jobs.process_due(now=due + timedelta(hours=4, minutes=1))  # 09:00 there
    overdue = [m for m in outbox_reminders() if m.subject.startswith("Overdue scorecard")]
    assert {m.recipient for m in overdue} == {w.recruiter.email, w.manager.email}
    text = parse(next(m for m in overdue if m.recipient == w.recruiter.email))[1]
    assert "Jonas Weber's scorecard for Ada Lovelace (System design) has been overdue since" in text
    assert "(2 hours)" in text
    last_call = [m for m in outbox_reminders() if m.subject.startswith("Last call")]
    assert [m.recipient for m in last_call] == [w.jonas.email]


def test_a_recorded_decision_stops_the_decision_reminders(any_db_app):
    w, loop_id, start, _ = _loop()
    assert len(rows(loop_id, kind="decision_today")) == 2
    with write_transaction():
        db.session.add(LoopDecision(loop_id=loop_id, outcome="hire", rationale="Strong", decided_by_id=w.manager.id,
                                    decided_dt=start + timedelta(days=1)))
        reminders.after_loop_change(loop_id, now=start + timedelta(days=1))
        db.session.commit()
    decision = [r for r in rows(loop_id) if r.kind.startswith("decision")]
    assert all(r.status == "cancelled" and r.reason == "A decision was recorded." for r in decision)


def test_the_dashboard_shows_overdue_scorecards_and_what_i_owe(app, clock):
    w, loop_id, start, (design, manager) = _loop()
    clock.set(start + timedelta(days=2))
    recruiter = login(app.test_client(), w.recruiter)
    text = text_of(recruiter.get("/dashboard"))
    assert "Scorecards overdue" in text and "Jonas Weber" in text and "Hannah Manager" in text
    assert "2 scorecards overdue" in text_of(recruiter.get("/"))
    mine = text_of(login(app.test_client(), w.jonas).get("/dashboard"))
    assert "My scorecards due" in mine and "System design" in mine and "Write" in mine
    _submit(loop_id, design, w.jonas, start + timedelta(days=2))
    _submit(loop_id, manager, w.manager, start + timedelta(days=2))
    text = text_of(recruiter.get("/dashboard"))
    assert "Ready to decide" in text and "all 2 in" in text and "Scorecards overdue" not in text
    assert kinds(rows(loop_id, kind="debrief_ready")) == ["debrief_ready", "debrief_ready"]


def test_the_scorecard_and_decision_pages_call_the_hook(app):
    """Through the pages: Ian submits his scorecard (his reminders stop); the hiring manager records the decision
    (the decision reminders stop)."""
    from tests.scorecards.support import build_world, form_data

    sw = build_world()
    with write_transaction():
        reminders.sync_loops([sw.loop.id])
        db.session.commit()
    mine = [r for r in rows(sw.loop.id, status="pending") if r.user_id == sw.ian.id]
    assert {r.kind for r in mine} == {"scorecard_hour", "scorecard_due"}  # late, but still worth sending
    assert len(rows(sw.loop.id, kind="decision_today", status="pending")) == 2
    ian = login(app.test_client(), sw.ian)
    areas = [sw.areas["Problem solving"], sw.areas["System design"]]
    response = ian.post(f"/scorecards/session/{sw.panel.id}", data=form_data(areas, action="submit"))
    assert response.status_code == 302, text_of(response)
    mine = [r for r in rows(sw.loop.id) if r.user_id == sw.ian.id]
    assert all(r.status == "cancelled" and r.reason == "The scorecard was submitted." for r in mine)
    manager = login(app.test_client(), sw.manager)
    response = manager.post(f"/loops/{sw.loop.id}/debrief/decision", data={
        "outcome": "hire", "rationale": "Strong design, clear communication.", "accept_missing": "y"})
    assert response.status_code == 302, text_of(response)
    decision = [r for r in rows(sw.loop.id) if r.kind.startswith("decision")]
    assert decision and all(r.status == "cancelled" and r.reason == "A decision was recorded." for r in decision)


def test_a_new_scorecard_deadline_on_the_job_moves_the_scorecard_reminders(app):
    w, loop_id, start, (design, manager) = _loop()
    before = {r.session_id: r.event_dt for r in rows(loop_id, kind="scorecard_due", status="pending")}
    client = login(app.test_client(), w.recruiter)
    response = client.post(f"/jobs/{w.job.id}/edit", data={
        "title": w.job.title, "department": w.job.department, "hiring_manager_id": str(w.manager.id),
        "recruiter_id": str(w.recruiter.id), "status": "open", "feedback_due_hours": "48"})
    assert response.status_code == 302, text_of(response)
    after = {r.session_id: r.event_dt for r in rows(loop_id, kind="scorecard_due", status="pending")}
    assert {sid: after[sid] - before[sid] for sid in before} == {design: timedelta(hours=24),
                                                                 manager: timedelta(hours=24)}
    moved = rows(loop_id, kind="scorecard_due", status="cancelled")
    assert {r.reason for r in moved} == {"The scorecard's due time changed."}
