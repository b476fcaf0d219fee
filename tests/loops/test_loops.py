"""Planning, finding times, booking and changing a loop, through the pages a recruiter uses."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.loops.models import Loop, LoopSession, PlanSession, SessionInterviewer
from coordinator.timeutil import local_to_utc
from tests.helpers import text_of


def next_weekday(weekday: int = 0, at_least_days: int = 3) -> date:
    """A future date on the given weekday, far enough ahead to be bookable."""
    day = datetime.now(UTC).date() + timedelta(days=at_least_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def team(org, make_user):
    jonas = make_user(Role.INTERVIEWER, name="Jonas Weber", timezone="Europe/Berlin", job_title="Staff Engineer")
    priya = make_user(Role.INTERVIEWER, name="Priya Nair", timezone="Asia/Kolkata")
    emily = make_user(Role.INTERVIEWER, name="Emily Johnson", timezone="America/New_York")
    return {**org, "jonas": jonas, "priya": priya, "emily": emily}


@pytest.fixture
def recruiter(team, client_for):
    return client_for(team["recruiter"])


def new_loop(client, candidate) -> str:
    response = client.post(f"/candidates/{candidate.id}/loops")
    assert response.status_code == 302
    return response.headers["Location"]


def add_session(client, loop_url, **fields) -> None:
    data = {"title": "Hiring manager", "kind": "one_on_one", "duration_min": "45", **fields}
    response = client.post(loop_url + "/sessions/new", data=data)
    assert response.status_code == 302, text_of(response)


def options_on(page) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="option" value="([^"]+)"', page.get_data(as_text=True))]


def test_a_new_loop_copies_the_jobs_interview_plan(app, team, recruiter):
    db.session.add(PlanSession(job_id=team["job"].id, position=0, title="System design", kind="panel",
                               duration_min=60, interviewer_count=2))
    db.session.commit()
    step = db.session.scalar(select(PlanSession))
    step.pool = [team["jonas"], team["priya"], team["emily"]]
    db.session.commit()
    loop_url = new_loop(recruiter, team["candidate"])
    page = text_of(recruiter.get(loop_url))
    assert "System design" in page and "+ 2 from" in page and "Loop created for Ada Lovelace from the" in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "panel", "interviewer_ids": ["{jonas}"]}, "A panel needs at least two interviewers."),
    ({"duration_min": "0"}, "A session lasts 1 minute to 8 hours."),
    ({"duration_min": "481"}, "A session lasts 1 minute to 8 hours."),
    ({"interviewer_ids": ["{jonas}", "{priya}"]}, "A one-on-one has exactly one interviewer"),
    ({"title": ""}, "This field is required."),
    ({"interviewer_ids": ["999999"]}, "is not a valid choice"),
    ({"interviewer_ids": ["{jonas}"], "shadow_ids": ["{jonas}"]}, "they cannot also interview"),
    ({"interviewer_ids": ["{jonas}"], "video_url": "javascript:alert(1)"}, "Use a link starting with https://"),
])
def test_bad_sessions_get_a_message_and_nothing_is_saved(app, team, recruiter, fields, message):
    loop_url = new_loop(recruiter, team["candidate"])
    data = {"title": "Hiring manager", "kind": "one_on_one", "duration_min": "45"}
    for key, value in fields.items():
        data[key] = [v.format(**{k: getattr(u, "id", "") for k, u in team.items()}) for v in value] \
            if isinstance(value, list) else value
    response = recruiter.post(loop_url + "/sessions/new", data=data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert db.session.scalar(select(LoopSession)) is None


def test_find_times_and_book_the_first_option(app, team, recruiter):
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, interviewer_ids=[str(team["manager"].id)])
    add_session(recruiter, loop_url, title="Panel", kind="panel", duration_min="60",
                interviewer_ids=[str(team["jonas"].id), str(team["priya"].id)])
    find = recruiter.get(loop_url + "/find")
    assert find.status_code == 200
    options = options_on(find)
    assert 1 <= len(options) <= 5
    assert "Option 1" in text_of(find)

    booked = recruiter.post(loop_url + "/book", data={"option": options[0]})
    assert booked.status_code == 302
    page = text_of(recruiter.get(loop_url))
    assert "Scheduled" in page and page.count("Booked") >= 2
    loop = db.session.scalar(select(Loop))
    assert loop.candidate.stage == "scheduled"
    first, second = loop.sessions
    assert second.start_dt == first.end_dt + timedelta(minutes=10)  # back-to-back with the buffer
    assert all(p.is_active for s in loop.sessions for p in s.participants)


def test_nothing_fits_explains_why(app, team, recruiter):
    loop_url = new_loop(recruiter, team["candidate"])
    # Jonas works 09-10 only, and the session is 2 hours long.
    from coordinator.auth.services import set_working_hours

    set_working_hours(team["jonas"], {d: (time(9), time(10)) for d in range(5)})
    db.session.commit()
    add_session(recruiter, loop_url, title="Deep dive", duration_min="120", interviewer_ids=[str(team["jonas"].id)])
    page = recruiter.get(loop_url + "/find")
    text = text_of(page)
    assert "Nothing fits between these days." in text
    assert "Jonas Weber" in text
    assert options_on(page) == []


def test_a_double_booking_is_refused_with_409(app, team, recruiter, make_candidate):
    loop_a = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_a, interviewer_ids=[str(team["jonas"].id)])
    option = options_on(recruiter.get(loop_a + "/find"))[0]

    other = make_candidate(name="Kwame Mensah", job=team["job"])
    loop_b = new_loop(recruiter, other)
    add_session(recruiter, loop_b, interviewer_ids=[str(team["jonas"].id)])
    loop_b_session = db.session.scalar(select(LoopSession).join(Loop).where(Loop.candidate_id == other.id))
    # Loop B books Jonas at exactly the time of loop A's first option ...
    taken = json.loads(option)[0]
    assert recruiter.post(loop_b + "/book", data={"option": json.dumps(
        [{"s": loop_b_session.id, "t": taken["t"], "i": [team["jonas"].id]}])}).status_code == 302
    # ... so booking loop A's option now is a conflict, not a double booking.
    response = recruiter.post(loop_a + "/book", data={"option": option})
    assert response.status_code == 409
    assert "Jonas Weber is already busy" in text_of(response) and "Nothing was booked." in text_of(response)
    active = db.session.scalars(select(SessionInterviewer).where(
        SessionInterviewer.user_id == team["jonas"].id, SessionInterviewer.is_active)).all()
    assert len(active) == 1


def test_placing_by_hand_outside_working_hours_needs_a_reason(app, team, recruiter):
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, interviewer_ids=[str(team["jonas"].id)])
    session = db.session.scalar(select(LoopSession))
    day = next_weekday(2)
    place_url = f"{loop_url}/sessions/{session.id}/place"
    data = {"day": day.isoformat(), "start": "20:00", "interviewer_ids": [str(team["jonas"].id)]}
    response = recruiter.post(place_url, data=data)
    assert response.status_code == 400
    assert "outside Jonas Weber's working hours" in text_of(response)
    assert db.session.get(LoopSession, session.id).start_dt is None  # nothing booked

    response = recruiter.post(place_url, data={**data, "override_reason": "Jonas offered to stay late"})
    assert response.status_code == 302
    booked = db.session.get(LoopSession, session.id)
    assert booked.start_dt == local_to_utc(day, time(20), "Europe/Berlin")  # the recruiter's zone
    assert booked.override_reason == "Jonas offered to stay late"
    assert "Jonas offered to stay late" in text_of(recruiter.get(loop_url))


def test_reschedule_moves_the_session_bumps_the_invite_sequence_and_keeps_history(app, team, recruiter):
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, interviewer_ids=[str(team["jonas"].id)])
    session = db.session.scalar(select(LoopSession))
    day = next_weekday(1)
    place_url = f"{loop_url}/sessions/{session.id}/place"
    assert recruiter.post(place_url, data={"day": day.isoformat(), "start": "10:00",
                                           "interviewer_ids": [str(team["jonas"].id)]}).status_code == 302
    assert recruiter.post(place_url, data={"day": day.isoformat(), "start": "14:00",
                                           "interviewer_ids": [str(team["jonas"].id)]}).status_code == 302
    moved = db.session.get(LoopSession, session.id)
    assert moved.start_dt == local_to_utc(day, time(14), "Europe/Berlin")
    assert moved.ical_sequence == 1
    history = text_of(recruiter.get(loop_url))
    assert "Moved 'Hiring manager' to" in history and "14:00–14:45" in history


def test_cancel_a_session_frees_the_interviewer(app, team, recruiter, make_candidate):
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, interviewer_ids=[str(team["jonas"].id)])
    session = db.session.scalar(select(LoopSession))
    day = next_weekday(3)
    recruiter.post(f"{loop_url}/sessions/{session.id}/place",
                   data={"day": day.isoformat(), "start": "11:00", "interviewer_ids": [str(team["jonas"].id)]})
    no_reason = recruiter.post(f"{loop_url}/sessions/{session.id}/cancel", data={"reason": ""})
    assert no_reason.status_code == 400
    assert recruiter.post(f"{loop_url}/sessions/{session.id}/cancel",
                          data={"reason": "Candidate asked to drop it"}).status_code == 302
    assert not any(p.is_active for p in db.session.get(LoopSession, session.id).participants)
    page = text_of(recruiter.get(loop_url))
    assert "Cancelled 'Hiring manager'." in page and "Candidate asked to drop it" in page
    # Jonas is free again at that time for another loop
    other_url = new_loop(recruiter, make_candidate(name="Mei Chen", job=team["job"]))
    add_session(recruiter, other_url, interviewer_ids=[str(team["jonas"].id)])
    other = db.session.scalars(select(LoopSession).order_by(LoopSession.id.desc())).first()
    assert recruiter.post(f"{other_url}/sessions/{other.id}/place", data={
        "day": day.isoformat(), "start": "11:00", "interviewer_ids": [str(team["jonas"].id)]}).status_code == 302


def test_replace_an_interviewer_with_a_free_colleague(app, team, recruiter):
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, interviewer_ids=[str(team["jonas"].id)])
    session = db.session.scalar(select(LoopSession))
    day = next_weekday(0)
    recruiter.post(f"{loop_url}/sessions/{session.id}/place",
                   data={"day": day.isoformat(), "start": "10:00", "interviewer_ids": [str(team["jonas"].id)]})
    page = recruiter.get(f"{loop_url}/sessions/{session.id}/replace/{team['jonas'].id}")
    text = text_of(page)
    assert "Priya Nair" in text  # 14:30 in Kolkata: inside her hours
    # 04:00 in New York: outside hers, so offered lower, with the reason
    assert text.index("Emily Johnson") > text.index("Priya Nair")
    assert "Outside their working hours" in text.split("Emily Johnson")[1]
    response = recruiter.post(f"{loop_url}/sessions/{session.id}/replace/{team['jonas'].id}",
                              data={"joining_id": team["priya"].id})
    assert response.status_code == 302
    swapped = db.session.get(LoopSession, session.id)
    assert [u.name for u in swapped.interviewers] == ["Priya Nair"]
    assert swapped.participants[0].is_active and swapped.ical_sequence == 1
    assert "Priya Nair replaces Jonas Weber" in text_of(recruiter.get(loop_url))


def test_cancel_the_whole_loop(app, team, recruiter):
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, interviewer_ids=[str(team["jonas"].id)])
    assert recruiter.post(loop_url + "/cancel", data={"reason": "Candidate withdrew"}).status_code == 302
    page = text_of(recruiter.get(loop_url))
    assert "Cancelled" in page and "Candidate withdrew" in page and "Find times" not in page
    # a cancelled loop cannot be changed
    assert recruiter.post(loop_url + "/sessions/new", data={"title": "X", "kind": "one_on_one",
                                                             "duration_min": "30",
                                                             "interviewer_ids": [str(team["jonas"].id)]}
                          ).status_code == 400


def test_day_view_shows_everyone_in_the_viewers_zone(app, team, recruiter):
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, title="Panel", kind="panel", duration_min="60",
                interviewer_ids=[str(team["jonas"].id), str(team["priya"].id)])
    option = options_on(recruiter.get(loop_url + "/find"))[0]
    page = recruiter.get(loop_url + "/day", query_string={"option": option})
    text = text_of(page)
    assert page.status_code == 200
    assert "Jonas Weber" in text and "Priya Nair" in text and "Ada Lovelace" in text
    assert 'title="Proposed: Panel' in page.get_data(as_text=True) and "Asia/Kolkata" in text
    assert 'class="seg working"' in page.get_data(as_text=True)
    assert recruiter.get(loop_url + "/day?date=2026-13-45").status_code == 400
    assert recruiter.get(loop_url + "/day?option=not-json").status_code == 400


def test_tampered_or_malformed_options_are_400_not_500(app, team, recruiter):
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, interviewer_ids=[str(team["jonas"].id)])
    for bad in ("", "[]", "{}", "[{\"s\": 1}]", "[{\"s\": \"x\", \"t\": \"2026-01-01T10:00\", \"i\": []}]",
                "[{\"s\": 999999, \"t\": \"2030-01-07T10:00:00+00:00\", \"i\": [1]}]"):
        response = recruiter.post(loop_url + "/book", data={"option": bad})
        assert response.status_code == 400, bad
    assert db.session.scalar(select(SessionInterviewer).where(SessionInterviewer.is_active)) is None


def test_who_may_see_and_change_a_loop(app, team, recruiter, client_for, make_user):
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, interviewer_ids=[str(team["jonas"].id)])
    manager = client_for(team["manager"])
    assert manager.get(loop_url).status_code == 200
    assert manager.get(loop_url + "/find").status_code == 403
    jonas = client_for(team["jonas"])
    assert jonas.get(loop_url).status_code == 200  # he is on the loop
    assert jonas.post(loop_url + "/cancel", data={"reason": "x"}).status_code == 403
    stranger = client_for(make_user(Role.INTERVIEWER))
    assert stranger.get(loop_url).status_code == 403
    assert "Ada Lovelace" not in text_of(stranger.get("/loops"))
    other_recruiter = client_for(team["other_recruiter"])
    assert other_recruiter.get(loop_url).status_code == 403
    assert other_recruiter.post(f"/candidates/{team['candidate'].id}/loops").status_code == 403
    assert recruiter.get("/loops/999999").status_code == 404
    assert recruiter.get(loop_url + "/sessions/999999/edit").status_code == 404


def test_a_loop_with_no_sessions_says_so(app, team, recruiter):
    loop_url = new_loop(recruiter, team["candidate"])
    assert "This loop has no sessions yet." in text_of(recruiter.get(loop_url))
    find = recruiter.get(loop_url + "/find")
    assert "no sessions yet" in text_of(find)
