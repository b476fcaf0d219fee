"""Each user's private calendar feed: an unguessable token kept only as a hash, regenerated from the profile page,
listing the user's interviews (cancelled ones as cancelled); wrong or revoked tokens are a plain 404."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import vobject
from sqlalchemy import select

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.invites import feeds
from coordinator.invites import services as invites
from coordinator.invites.models import CalendarFeed
from coordinator.loops.models import Loop, LoopSession, SessionInterviewer, SessionStatus
from tests.helpers import text_of
from tests.invites.outbox_support import add_session, at, new_loop, next_weekday, place

BERLIN = "Europe/Berlin"


@pytest.fixture
def team(org, make_user):
    jonas = make_user(Role.INTERVIEWER, name="Jonas Weber", email="jonas@corp.example", timezone=BERLIN,
                      job_title="Staff Engineer")
    priya = make_user(Role.INTERVIEWER, name="Priya Nair", email="priya@corp.example", timezone="Asia/Kolkata")
    return {**org, "jonas": jonas, "priya": priya}


def feed_link(client) -> str:
    """Ask for a feed link on the profile page, as a person would, and read it off the page."""
    response = client.post("/profile/calendar-feed")
    assert response.status_code == 200
    match = re.search(r'value="(http://localhost/feed/[A-Za-z0-9_-]+\.ics)"', response.get_data(as_text=True))
    assert match, text_of(response)
    assert "shown only once" in text_of(response)
    return match.group(1).removeprefix("http://localhost")


def events(response) -> dict:
    cal = icalendar.Calendar.from_ical(response.data)
    vcal = vobject.readOne(response.data.decode())
    assert "METHOD" not in cal
    parsed = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(parsed) == {e.uid.value for e in getattr(vcal, "vevent_list", [])}
    return parsed


def test_the_feed_lists_my_interviews_and_drops_cancelled_ones(app, team, client_for):
    recruiter = client_for(team["recruiter"])
    loop_url = new_loop(recruiter, team["candidate"])
    mine = add_session(recruiter, loop_url, title="Pairing", interviewer_ids=[str(team["jonas"].id)])
    theirs = add_session(recruiter, loop_url, title="Hiring manager", interviewer_ids=[str(team["manager"].id)])
    gone = add_session(recruiter, loop_url, title="Architecture", interviewer_ids=[str(team["jonas"].id)])
    day = next_weekday(2)
    place(recruiter, loop_url, mine, at(day, 10), [team["jonas"].id], BERLIN)
    place(recruiter, loop_url, theirs, at(day, 11), [team["manager"].id], BERLIN)
    place(recruiter, loop_url, gone, at(day, 14), [team["jonas"].id], BERLIN)
    assert recruiter.post(f"{loop_url}/sessions/{gone.id}/cancel", data={"reason": "Not needed"}).status_code == 302

    jonas = client_for(team["jonas"])
    profile = text_of(jonas.get("/profile"))
    assert "Get my calendar feed link" in profile
    link = feed_link(jonas)
    anonymous = app.test_client()
    response = anonymous.get(link)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    got = events(response)
    assert set(got) == {invites.session_uid(mine.id).replace("@", "-feed@"),
                        invites.session_uid(gone.id).replace("@", "-feed@")}
    pairing = got[invites.session_uid(mine.id).replace("@", "-feed@")]
    assert pairing.decoded("DTSTART").astimezone(UTC) == at(day, 10) and str(pairing["STATUS"]) == "CONFIRMED"
    assert "Loop" in str(pairing["DESCRIPTION"]) or "kit" in str(pairing["DESCRIPTION"]).lower()
    cancelled = got[invites.session_uid(gone.id).replace("@", "-feed@")]
    assert str(cancelled["STATUS"]) == "CANCELLED"

    row = db.session.get(CalendarFeed, team["jonas"].id)
    assert row.last_used_dt is not None
    assert "last read by a calendar" in text_of(jonas.get("/profile"))

    # a change shows on the next poll (feed events are cached by their content, never served stale)
    place(recruiter, loop_url, mine, at(day, 15), [team["jonas"].id], BERLIN)
    moved = events(anonymous.get(link))[invites.session_uid(mine.id).replace("@", "-feed@")]
    assert moved.decoded("DTSTART").astimezone(UTC) == at(day, 15) and int(moved["SEQUENCE"]) == 1


def test_the_token_is_stored_hashed_and_a_new_one_revokes_the_old(app, team, client_for):
    jonas = client_for(team["jonas"])
    first = feed_link(jonas)
    token = first.removeprefix("/feed/").removesuffix(".ics")
    assert len(token) >= 40
    row = db.session.get(CalendarFeed, team["jonas"].id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    assert app.test_client().get(first).status_code == 200

    second = feed_link(jonas)
    assert second != first
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200
    assert "Make a new link" in text_of(jonas.get("/profile"))

    response = jonas.post("/profile/calendar-feed/stop")
    assert response.status_code == 302
    assert app.test_client().get(second).status_code == 404
    assert db.session.get(CalendarFeed, team["jonas"].id) is None
    assert jonas.post("/profile/calendar-feed", csrf=False).status_code == 400


@pytest.mark.parametrize("token", ["x", "A" * 43, "../../etc/passwd", "%00", "a" * 500, "Zm9v.YmFy"])
def test_wrong_tokens_are_a_plain_404(app, team, client_for, token):
    feed_link(client_for(team["jonas"]))
    response = app.test_client().get(f"/feed/{token}.ics")
    assert response.status_code == 404
    body = text_of(response)
    assert "This page does not exist" in body and "Jonas" not in body and "token" not in body.lower()


def test_a_disabled_users_feed_stops(app, team, client_for):
    link = feed_link(client_for(team["jonas"]))
    team["jonas"].is_enabled = False
    db.session.commit()
    assert app.test_client().get(link).status_code == 404


def test_an_empty_feed_is_still_a_calendar(app, team, client_for):
    response = app.test_client().get(feed_link(client_for(team["priya"])))
    assert response.status_code == 200 and events(response) == {}
    assert b"X-WR-CALNAME:Interviews \xe2\x80\x94 Priya Nair" in response.data


def test_a_feed_of_500_upcoming_sessions_is_served_whole_and_again_from_the_cache(
        app, team, client_for, make_candidate):
    """500 upcoming sessions in one user's feed: every event on the first fetch and the same body when a calendar
    polls again (served from the event cache). Its speed is measured in bench/, not here."""
    jonas, priya = team["jonas"], team["priya"]
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    candidates = [make_candidate(name=f"Candidate {n}", job=team["job"]) for n in range(100)]
    for n, candidate in enumerate(candidates):
        loop = Loop(candidate=candidate, recruiter_id=team["recruiter"].id, status="scheduled")
        db.session.add(loop)
        for k in range(5):
            begins = start + timedelta(days=n, hours=k)
            session = LoopSession(title=f"Session {k}", kind="panel", duration_min=45, position=k,
                                  status=SessionStatus.BOOKED.value, start_dt=begins,
                                  end_dt=begins + timedelta(minutes=45), location="HQ")
            loop.sessions.append(session)
            for user in (jonas, priya):
                session.participants.append(SessionInterviewer(user_id=user.id, is_active=True, start_dt=begins,
                                                               end_dt=begins + timedelta(minutes=45)))
    db.session.commit()
    client = client_for(jonas)
    link = feed_link(client)
    anonymous = app.test_client()
    feeds.FEED_EVENT_CACHE.clear()
    first = anonymous.get(link)  # the first fetch builds every event
    assert len(events(first)) == 500
    assert len(feeds.FEED_EVENT_CACHE) > 0
    for _ in range(2):  # a calendar polling the feed again gets the same calendar
        response = anonymous.get(link)
        assert response.status_code == 200
        assert response.data == first.data
    assert db.session.scalar(select(CalendarFeed.last_used_dt)) is not None
