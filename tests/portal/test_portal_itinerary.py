"""The itinerary and timeline: what the candidate sees once booked, what they never see, the .ics, thank-you notes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.loops.models import Loop
from coordinator.portal import services
from coordinator.portal.models import CandidateNote
from tests.helpers import text_of

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def book_first_option(loop: Loop, actor) -> Loop:
    loop = loops.load_loop(loop.id)
    result, sessions = loops.find_times(loop)
    with write_transaction():
        loops.book(loop, loops.option_placements(sessions, result.options[0]), actor)
        db.session.commit()
    return loops.load_loop(loop.id)


@pytest.fixture
def booked(team, make_loop, link_for):
    loop = make_loop()
    token = link_for(loop)
    return book_first_option(loop, team["recruiter"]), token


def test_the_itinerary_shows_times_formats_people_and_practical_details(app, booked, anon, team):
    loop, token = booked
    response = anon.get(f"/c/{token}?tz=Asia/Kolkata")
    page = text_of(response).replace(" ,", ",")
    assert "Your itinerary" in page and "You are all set" in page
    assert "IST" in page
    for expected in ("Hiring manager conversation", "One-on-one", "A conversation with one interviewer.",
                     "System design", "Panel", "Two or more interviewers talk with you together.",
                     "Hannah Manager, Engineer", "Jonas Weber, Staff Engineer", "Priya Nair, Senior Backend Engineer",
                     "Berlin office, Torstraße 1", "Join the video call", "Think about a data pipeline you built.",
                     "What to expect in a second interview", "STAR", "What happens when"):
        assert expected in page, expected
    assert "https://meet.example.com/abc" in response.get_data(as_text=True)
    decision = loop.decision_due_on
    assert f"We will get back to you by {decision.strftime('%A')} {decision.day} {decision.strftime('%B %Y')}" in page


def test_the_page_never_shows_an_address_or_internal_notes(app, booked, anon, team):
    loop, token = booked
    for path in ("", "/book", "/availability"):
        raw = anon.get(f"/c/{token}{path}").get_data(as_text=True)
        assert EMAIL.findall(raw) == [], path
        for secret in ("Kafka pipelines", "On-call", team["candidate"].email, "jonas.weber"):
            assert secret not in raw, (path, secret)


def test_the_calendar_download_is_for_the_candidate(app, booked, anon, team):
    loop, token = booked
    response = anon.get(f"/c/{token}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    calendar = Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2
    assert "Jonas Weber" in body and "Staff Engineer" in body
    for address in ("jonas.weber@example.com", "priya.nair@example.com", team["manager"].email):
        assert address not in body
    assert "Kafka pipelines" not in body


def test_nothing_to_download_before_booking(app, team, make_loop, link_for, anon):
    token = link_for(make_loop())
    response = anon.get(f"/c/{token}/calendar.ics")
    assert response.status_code == 400 and "Nothing is booked yet" in text_of(response)


def test_before_booking_the_plan_is_shown_without_people(app, team, make_loop, link_for, anon):
    token = link_for(make_loop())
    page = text_of(anon.get(f"/c/{token}"))
    assert "What the interviews look like" in page and "System design" in page and "60 min" in page
    assert "Jonas Weber" not in page and "Being arranged" in page


def test_the_recruiters_what_to_expect_replaces_the_default(app, team, make_loop, link_for, anon):
    loop = make_loop()
    token = link_for(loop)
    services.update_settings(loop, team["recruiter"], False, "Bring a laptop.\n\nWe will offer coffee.")
    db.session.commit()
    page = text_of(anon.get(f"/c/{token}"))
    assert "Bring a laptop." in page and "We will offer coffee." in page and "STAR" not in page


def test_a_cancelled_loop_says_so(app, booked, anon, team, client_for):
    loop, token = booked
    client_for(team["recruiter"]).post(f"/loops/{loop.id}/cancel", data={"reason": "Role on hold"})
    page = text_of(anon.get(f"/c/{token}"))
    assert "These interviews were cancelled" in page and "Role on hold" not in page


def test_after_the_loop_the_candidate_sees_whom_they_met_and_thanks_them_through_the_recruiter(
        app, booked, anon, team, client_for, clock):
    loop, token = booked
    during = loop.start_dt + timedelta(minutes=50)  # the first session is over, the panel is not
    clock.set(during)
    assert "The people you met" not in text_of(anon.get(f"/c/{token}"))
    response = anon.post(f"/c/{token}/notes", data={"to_user_id": team["manager"].id, "body": "Thanks!"})
    assert response.status_code == 400 and "once your interviews are over" in text_of(response)

    end = max(s.end_dt for s in loop.sessions)
    clock.set(end + timedelta(hours=1))
    page = text_of(anon.get(f"/c/{token}")).replace(" ,", ",")
    assert "Thank you for coming" in page and "The people you met" in page
    assert "Hannah Manager, Engineer" in page and "Priya Nair, Senior Backend Engineer" in page

    response = anon.post(f"/c/{token}/notes", data={"to_user_id": team["jonas"].id,
                                                    "body": "Thank you for the\nsystem design talk."})
    assert response.status_code == 302
    assert "Your recruiter will pass your note on to Jonas Weber." in text_of(anon.get(response.headers["Location"]))
    note = db.session.scalar(select(CandidateNote))
    assert note.body == "Thank you for the\nsystem design talk."

    for bad, message in [({"to_user_id": team["interviewer"].id, "body": "Hi"}, "Choose one of the people you met"),
                         ({"to_user_id": team["jonas"].id, "body": "   "}, "Write your note first"),
                         ({"to_user_id": team["jonas"].id, "body": "x" * 2001}, "2000"),
                         ({"to_user_id": "nobody", "body": "Hi"}, "")]:
        response = anon.post(f"/c/{token}/notes", data=bad)
        assert response.status_code == 400 and message in text_of(response), bad
    assert db.session.scalar(select(db.func.count(CandidateNote.id))) == 1

    recruiter = client_for(team["recruiter"])
    panel = text_of(recruiter.get(f"/loops/{loop.id}"))
    assert "Thank-you notes to pass on" in panel and "For Jonas Weber" in panel and "system design talk" in panel
    passed = recruiter.post(f"/loops/{loop.id}/candidate-page/notes/{note.id}/passed-on")
    assert passed.status_code == 302
    db.session.refresh(note)
    assert note.passed_on_dt is not None
    assert client_for(team["other_recruiter"]).post(
        f"/loops/{loop.id}/candidate-page/notes/{note.id}/passed-on").status_code == 403
