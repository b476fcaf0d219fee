"""The reminder pages and the dashboard: who sees what, and what it says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.loops import services as loops
from tests.helpers import text_of
from tests.reminders.support import at, book, monday, new_loop, world


@pytest.fixture
def booked(app, make_user):
    w = world()
    day = monday()
    loop_id = new_loop(w, [("System design", 60, [w.jonas], [w.priya])], decision_due_on=day + timedelta(days=3))
    start = at(day, 10)
    book(loop_id, {0: start}, w.recruiter, now=start - timedelta(days=3))
    from coordinator.dblock import write_transaction
    from coordinator.reminders import services as reminders

    with write_transaction():
        reminders.sync_loops([loop_id])
        db.session.commit()
    return w, loop_id, start


def _client(app, user):
    from tests.helpers import login

    return login(app.test_client(), user)


def test_my_reminders_lists_what_is_coming_in_my_zone(app, booked):
    w, loop_id, start = booked
    page = _client(app, w.priya).get("/reminders")
    assert page.status_code == 200
    text = text_of(page)
    assert "Prepare: interview tomorrow" in text and "Interview in 1 hour" in text
    assert "IST" in text  # Priya's zone
    assert "Decision due" not in text  # the team's, not hers


def test_a_loops_reminders_for_the_hiring_team_only(app, booked, make_user):
    w, loop_id, start = booked
    url = f"/loops/{loop_id}/reminders"
    for user in (w.recruiter, w.manager):
        page = _client(app, user).get(url)
        assert page.status_code == 200, user.name
        text = text_of(page)
        assert "Ada Lovelace (candidate)" in text and "Candidate: your interviews tomorrow" in text
        assert "Jonas Weber" in text and "Priya Nair" in text and "Decision due today" in text
    assert _client(app, w.jonas).get(url).status_code == 403  # on the loop, not on the hiring team
    other = make_user(Role.RECRUITER, name="Oscar Other")
    assert _client(app, other).get(url, follow_redirects=False).status_code == 403
    admin = make_user(Role.ADMIN, name="Alex Admin")
    assert _client(app, admin).get(url).status_code == 200
    assert _client(app, w.recruiter).get("/loops/999999/reminders").status_code == 404
    assert app.test_client().get(url).status_code == 302  # sign in first


def test_the_loop_page_shows_the_next_reminder_to_the_team(app, booked):
    w, loop_id, start = booked
    text = text_of(_client(app, w.recruiter).get(f"/loops/{loop_id}"))
    assert "Reminders" in text and "scheduled; the next:" in text and "All reminders of this loop" in text
    assert "All reminders of this loop" not in text_of(_client(app, w.jonas).get(f"/loops/{loop_id}"))


def test_cancelled_reminders_say_why(app, booked):
    w, loop_id, start = booked
    from coordinator.dblock import write_transaction
    from coordinator.reminders import services as reminders

    with write_transaction():
        change = loops.cancel_loop(loops.load_loop(loop_id), db.session.get(type(w.recruiter), w.recruiter.id),
                                   "Withdrew")
        reminders.after_loop_change(change)
        db.session.commit()
    text = text_of(_client(app, w.recruiter).get(f"/loops/{loop_id}/reminders"))
    assert "Cancelled" in text and "The loop was cancelled." in text


def test_the_dashboard_for_a_recruiter(app, booked):
    w, loop_id, start = booked
    from coordinator.hiring.services import CandidateData, create_candidate

    create_candidate(CandidateData(name="Grace Hopper", email="grace@example.org", timezone="America/New_York",
                                   job_id=w.job.id))
    planning = new_loop(w, [("Pairing", 60, [w.emily], [])])
    db.session.commit()
    page = _client(app, w.recruiter).get("/dashboard")
    assert page.status_code == 200
    text = text_of(page)
    assert "Needs action" in text
    assert "Not scheduled" in text and "0 of 1" in text and "Find times" in text
    assert "Candidates without a loop" in text and "Grace Hopper" in text
    assert "My next interviews" not in text  # a recruiter does not interview
    home = text_of(_client(app, w.recruiter).get("/"))
    assert "Needs action" in home and "1 loop not scheduled" in home and "1 candidate without a loop" in home
    assert f"/loops/{planning}" in page.get_data(as_text=True)


def test_the_dashboard_for_an_interviewer(app, booked):
    w, loop_id, start = booked
    assert "your next interviews, the scorecards you owe" in text_of(_client(app, w.jonas).get("/"))
    page = _client(app, w.jonas).get("/dashboard")
    text = text_of(page)
    assert "My next interviews" in text and "System design" in text and "My kit" in text
    assert "My scorecards due" in text
    assert "Not scheduled" not in text and "Candidates without a loop" not in text
    assert "Prepare: interview tomorrow" in text  # my next reminders


def test_a_decision_due_soon_is_on_the_dashboard(app, booked, clock):
    w, loop_id, start = booked
    loop = loops.load_loop(loop_id)
    clock.set(at(loop.decision_due_on - timedelta(days=2), 12))
    text = text_of(_client(app, w.manager).get("/dashboard"))
    assert "Decisions due" in text and "due in 2 days" in text
    clock.set(at(loop.decision_due_on + timedelta(days=1), 12))
    text = text_of(_client(app, w.manager).get("/dashboard"))
    assert "overdue by 1 day" in text


def test_the_dashboard_runs_the_same_number_of_queries_for_1_or_20_loops(app, booked):
    w, loop_id, start = booked
    client = _client(app, w.recruiter)

    def queries() -> int:
        count = [0]

        def listener(*args, **kwargs):
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/dashboard").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return count[0]

    new_loop(w, [("Pairing", 60, [w.emily], [])], decision_due_on=start.date())
    few = queries()
    for n in range(20):
        new_loop(w, [(f"Pairing {n}", 60, [w.emily], [])], decision_due_on=start.date())
    db.session.commit()
    assert queries() == few


def test_a_reminder_past_its_time_says_the_scheduler_has_not_sent_it(app, booked, clock):
    w, loop_id, start = booked
    assert "waiting for the scheduler" not in text_of(_client(app, w.jonas).get("/reminders"))
    clock.set(start - timedelta(hours=20))  # the day-before reminder was due 4 hours ago and is still pending
    text = text_of(_client(app, w.jonas).get("/reminders"))
    assert "waiting for the scheduler" in text


def test_the_home_page_counts_everything_the_dashboard_lists_even_beyond_its_page(app, booked, monkeypatch, clock):
    from coordinator.reminders import dashboard

    w, loop_id, start = booked
    monkeypatch.setattr(dashboard, "LIMIT", 3)  # the dashboard lists 3 of each; the home page counts them all
    for n in range(5):
        new_loop(w, [(f"Pairing {n}", 60, [w.emily], [])])
    db.session.commit()
    counts = dashboard.team_counts(w.recruiter)
    full = dashboard.team_dashboard(w.recruiter)
    assert counts.not_scheduled == 5 and len(full.not_scheduled) == 3
    home = text_of(_client(app, w.recruiter).get("/"))
    assert "5 loops not scheduled" in home
    board = text_of(_client(app, w.recruiter).get("/dashboard"))
    assert "5 not scheduled" in board and "Showing 3 of 5, longest waiting first." in board
    # a scorecard past its deadline: counted on the home page as on the dashboard
    clock.set(start + timedelta(days=3))
    counts = dashboard.team_counts(w.recruiter)
    full = dashboard.team_dashboard(w.recruiter)
    assert counts.scorecards_overdue == full.overdue_count == 1
    assert "1 scorecard overdue" in text_of(_client(app, w.recruiter).get("/"))
