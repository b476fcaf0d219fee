"""Self-booking of the whole loop: the engine's options, one transaction, refused cleanly when a time was taken,
one reschedule up to 24 hours before (on an injected clock)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.hiring.models import CandidateStage
from coordinator.loops import services as loops
from coordinator.loops.models import Loop, LoopEvent, SessionInterviewer
from coordinator.portal import services
from coordinator.portal.models import CandidatePortal
from tests.helpers import text_of


def offered(page) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="option" value="([^"]+)"', page.get_data(as_text=True))]


def booked_rows(loop_id: int) -> list[SessionInterviewer]:
    loop = db.session.get(Loop, loop_id)
    return [p for s in loop.sessions for p in s.participants if p.is_active]


@pytest.fixture
def bookable(team, make_loop, link_for):
    loop = make_loop()
    return loop, link_for(loop, allow_self_booking=True)


def test_the_candidate_books_the_whole_loop_in_one_step(app, bookable, anon, team):
    loop, token = bookable
    page = anon.get(f"/c/{token}/book?tz=Asia/Kolkata")
    assert page.status_code == 200
    options = offered(page)
    assert 1 <= len(options) <= 5
    text = text_of(page)
    assert "IST" in text and "Hiring manager conversation" in text and "Jonas Weber (Staff Engineer)" in text
    assert "@" not in text
    chosen = services.read_option(loop, options[0])

    response = anon.post(f"/c/{token}/book", data={"option": options[0], "tz": "Asia/Kolkata"})
    assert response.status_code == 302, text_of(response)
    loop = loops.load_loop(loop.id)
    assert loop.status == "scheduled" and all(s.is_booked for s in loop.sessions)
    assert {(s.id, s.start_dt) for s in loop.sessions} == {(p.session_id, p.start) for p in chosen}
    assert loop.candidate.stage == CandidateStage.SCHEDULED.value
    assert loop.candidate.timezone == "Asia/Kolkata"
    event = db.session.scalar(select(LoopEvent).where(LoopEvent.action == "booked"))
    assert event.actor_id is None and event.actor_name == "Candidate"
    home = text_of(anon.get(response.headers["Location"]))
    assert "You are all set" in home and "Your interviews are booked." in home


def test_without_permission_the_candidate_cannot_book(app, team, make_loop, link_for, anon):
    loop = make_loop()
    token = link_for(loop)  # self-booking off
    page = text_of(anon.get(f"/c/{token}/book"))
    assert "Your recruiter will propose the times." in page
    home = text_of(anon.get(f"/c/{token}"))
    assert "Tell us when you can interview" in home and "See the times" not in home
    with app.test_request_context():
        signed = services.offered_options(loops.load_loop(loop.id))[0].signed
    response = anon.post(f"/c/{token}/book", data={"option": signed})
    assert response.status_code == 400 and "Your recruiter will propose the times." in text_of(response)
    assert booked_rows(loop.id) == []


@pytest.mark.parametrize("option", ["", "garbage", "eyJsb29wIjoxfQ.bad.sig"])
def test_a_forged_or_empty_option_is_a_400_and_books_nothing(app, bookable, anon, option):
    loop, token = bookable
    response = anon.post(f"/c/{token}/book", data={"option": option})
    assert response.status_code == 400
    assert "Choose one of the times" in text_of(response) or "could not be read" in text_of(response)
    assert booked_rows(loop.id) == []


def test_an_option_signed_for_another_loop_is_refused(app, team, make_loop, link_for, anon, make_candidate):
    loop = make_loop()
    token = link_for(loop, allow_self_booking=True)
    other = make_loop(candidate=make_candidate(name="Grace Other", job=team["job"]))
    with app.test_request_context():
        foreign = services.offered_options(loops.load_loop(other.id))[0].signed
    response = anon.post(f"/c/{token}/book", data={"option": foreign})
    assert response.status_code == 400 and "could not be read" in text_of(response)
    assert booked_rows(loop.id) == [] and booked_rows(other.id) == []


def test_a_stale_option_is_refused_with_fresh_ones(app, bookable, anon, monkeypatch):
    loop, token = bookable
    option = offered(anon.get(f"/c/{token}/book"))[0]
    monkeypatch.setattr(services, "OPTION_MAX_AGE_S", -1)
    response = anon.post(f"/c/{token}/book", data={"option": option})
    assert response.status_code == 409
    assert "offered over an hour ago" in text_of(response) and offered(response)
    assert booked_rows(loop.id) == []


def test_a_time_taken_meanwhile_is_a_clean_409_with_fresh_options(app, bookable, anon, team, make_loop,
                                                                  make_candidate):
    loop, token = bookable
    option = offered(anon.get(f"/c/{token}/book"))[0]
    first = min(services.read_option(loop, option), key=lambda p: p.start)
    # Meanwhile a recruiter books the hiring manager at that very time for someone else.
    other = make_loop(candidate=make_candidate(name="Grace Other", job=team["job"]),
                      sessions=[{"title": "Chat", "kind": "one_on_one", "duration_min": 45,
                                 "interviewer_ids": (team["manager"].id,)}])
    with write_transaction():
        loops.book(other, [loops.Placement(other.sessions[0].id, first.start, (team["manager"].id,))],
                   team["recruiter"])
        db.session.commit()

    response = anon.post(f"/c/{token}/book", data={"option": option, "tz": "Europe/London"})
    assert response.status_code == 409
    page = text_of(response)
    assert "That time was just taken." in page and "nothing was booked" in page
    assert "Your interviews" in page  # the candidate's own layout, not the staff error page
    fresh = offered(response)
    assert fresh and option not in fresh
    assert booked_rows(loop.id) == []
    assert anon.post(f"/c/{token}/book", data={"option": fresh[0]}).status_code == 302
    assert len(booked_rows(loop.id)) == 3


def test_changed_sessions_make_old_options_stale(app, bookable, anon, team):
    loop, token = bookable
    option = offered(anon.get(f"/c/{token}/book"))[0]
    loops.add_session(loops.load_loop(loop.id), loops.SessionData(
        title="Team lunch", kind="one_on_one", duration_min=30, interviewer_ids=(team["interviewer"].id,)),
        team["recruiter"])
    db.session.commit()
    response = anon.post(f"/c/{token}/book", data={"option": option})
    assert response.status_code == 409 and "changed since these times were offered" in text_of(response)
    assert booked_rows(loop.id) == []


def test_the_candidate_can_move_the_loop_once_up_to_24_hours_before(app, bookable, anon, clock):
    loop, token = bookable
    first_option = offered(anon.get(f"/c/{token}/book"))[0]
    assert anon.post(f"/c/{token}/book", data={"option": first_option}).status_code == 302
    start = loops.load_loop(loop.id).start_dt
    clock.set(start - timedelta(hours=25))

    home = text_of(anon.get(f"/c/{token}"))
    assert "Choose a different time" in home and "move your interviews once" in home
    page = anon.get(f"/c/{token}/book")
    assert "Choose a different time" in text_of(page)
    options = offered(page)
    assert options and first_option not in options
    current = {(s.id, s.start_dt) for s in loops.load_loop(loop.id).sessions}
    for signed in options:  # the current times are not offered again
        assert {(p.session_id, p.start) for p in services.read_option(loop, signed)} != current
    moved = anon.post(f"/c/{token}/book", data={"option": options[0]})
    assert moved.status_code == 302
    loop_now = loops.load_loop(loop.id)
    assert {(s.id, s.start_dt) for s in loop_now.sessions} != current
    assert db.session.get(CandidatePortal, loop.id).reschedules_used == 1
    assert db.session.scalar(select(LoopEvent).where(LoopEvent.action == "rescheduled")).actor_name == "Candidate"

    # Once only.
    clock.set(loop_now.start_dt - timedelta(days=3))
    again = anon.post(f"/c/{token}/book", data={"option": options[-1]})
    assert again.status_code == 400 and "already moved your interviews once" in text_of(again)
    assert "already moved your interviews once" in text_of(anon.get(f"/c/{token}/book"))


def test_no_moving_within_24_hours(app, bookable, anon, clock):
    loop, token = bookable
    assert anon.post(f"/c/{token}/book", data={"option": offered(anon.get(f"/c/{token}/book"))[0]}).status_code == 302
    start = loops.load_loop(loop.id).start_dt
    clock.set(start - timedelta(hours=23, minutes=59))
    page = text_of(anon.get(f"/c/{token}/book"))
    assert "less than 24 hours" in page
    assert "Choose a different time" not in text_of(anon.get(f"/c/{token}"))
    with app.test_request_context():
        signed = services.sign_option(loop, *_first_option(loop))
    response = anon.post(f"/c/{token}/book", data={"option": signed})
    assert response.status_code == 400 and "less than 24 hours" in text_of(response)
    assert loops.load_loop(loop.id).start_dt == start


def _first_option(loop):
    result, sessions = loops.find_times(loops.load_loop(loop.id))
    return sessions, result.options[-1]


def test_a_loop_the_recruiter_booked_in_part_is_not_self_booked(app, bookable, anon, team):
    loop, token = bookable
    loop = loops.load_loop(loop.id)
    result, sessions = loops.find_times(loop)
    placement = loops.option_placements(sessions, result.options[0])[0]
    with write_transaction():
        loops.book(loop, [placement], team["recruiter"])
        db.session.commit()
    assert "Your recruiter is arranging the times with you." in text_of(anon.get(f"/c/{token}/book"))


def test_self_booking_waits_while_focus_areas_are_uncovered(app, team, make_loop, link_for, anon):
    """The recruiter books such a loop only with a reason; the candidate cannot give one."""
    from coordinator.focus import services as fs
    from coordinator.focus.rating import Rating

    area = fs.create_focus_area(fs.FocusAreaData(
        name="System design", description="Designing systems.",
        guidance={r: f"{r.value} evidence." for r in (Rating.STRONG_YES, Rating.YES, Rating.NO, Rating.STRONG_NO)}))
    fs.set_job_focus_areas(team["job"], [area.id])
    db.session.commit()
    loop = make_loop()
    token = link_for(loop, allow_self_booking=True)
    assert "still preparing the interviews" in text_of(anon.get(f"/c/{token}/book"))
    assert "See the times" not in text_of(anon.get(f"/c/{token}"))
    with app.test_request_context():
        signed = services.offered_options(loops.load_loop(loop.id))[0].signed
    response = anon.post(f"/c/{token}/book", data={"option": signed})
    assert response.status_code == 400 and "still preparing the interviews" in text_of(response)
    assert booked_rows(loop.id) == []


def test_self_booking_sends_the_same_invites_as_the_recruiters_booking(app, bookable, anon):
    from coordinator.invites.models import OutboxMessage

    loop, token = bookable
    option = offered(anon.get(f"/c/{token}/book"))[0]
    assert anon.post(f"/c/{token}/book", data={"option": option}).status_code == 302
    kinds = sorted(m.kind for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.loop_id == loop.id)))
    assert kinds.count("interviewer_invite") == 3  # Hannah; Jonas and Priya on the panel
    assert "candidate_invite" in kinds
    ics = anon.get(f"/c/{token}/calendar.ics").get_data(as_text=True)
    candidate_mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "candidate_invite"))
    assert candidate_mail.ical_uid in ics  # the download and the invite are the same calendar event
