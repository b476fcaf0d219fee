"""What a crafted request, a double-click and a race did to booking (issue 16), through the pages and over real
HTTP: only interviewers are booked, the day view shows only people the viewer may see, the same option twice
changes nothing, two bookings of one loop at once give one booking and a 409 (never a 500), and concurrent
reschedules never reuse a SEQUENCE."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coordinator.auth.roles import Role
from coordinator.errors import LOOP_CHANGED
from coordinator.extensions import db
from coordinator.invites.models import OutboxMessage
from coordinator.loops import services
from coordinator.loops.models import Loop, LoopEvent, LoopSession
from coordinator.portal import services as portal
from tests.helpers import login, new_candidate, new_job, new_user, text_of
from tests.live_http import Browser, at_once, serving


def next_monday(at_least_days: int = 7) -> date:
    day = datetime.now(UTC).date() + timedelta(days=at_least_days)
    return day + timedelta(days=(0 - day.weekday()) % 7)


def build_world() -> dict:
    """A recruiter's loop for a Berlin candidate: one hour with Jonas, to be found over next week."""
    people = {
        "recruiter": new_user(Role.RECRUITER, name="Rita Recruiter"),
        "admin": new_user(Role.ADMIN, name="Alex Admin"),
        "manager": new_user(Role.HIRING_MANAGER, name="Hannah Manager"),
        "jonas": new_user(Role.INTERVIEWER, name="Jonas Weber"),
        "priya": new_user(Role.INTERVIEWER, name="Priya Nair"),
    }
    for person in (people["jonas"], people["priya"]):
        person.max_interviews_per_day, person.max_interviews_per_week = 8, 25
    job = new_job(hiring_manager=people["manager"], recruiter=people["recruiter"])
    candidate = new_candidate(name="Sofia García", job=job, timezone="Europe/Berlin")
    loop = services.create_loop(candidate, people["recruiter"])
    services.add_session(loop, services.SessionData(title="System design", kind="one_on_one", duration_min=60,
                                                    interviewer_ids=(people["jonas"].id,)), people["recruiter"])
    first = next_monday()
    services.update_settings(loop, services.LoopSettings(
        arrangement="back_to_back", buffer_min=10, candidate_grouping="session", window_first_day=first,
        window_last_day=first + timedelta(days=4)), people["recruiter"])
    db.session.commit()
    return {**people, "loop_id": loop.id, "session_id": loop.sessions[0].id, "first": first}


def engine_options(loop_id: int) -> list[str]:
    """The options the find page offers now, as the page carries them."""
    result, sessions = services.find_times(services.load_loop(loop_id))
    db.session.rollback()
    return [json.dumps(services.encode_option(sessions, o)) for o in result.options]


def loop_version(loop_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(select(Loop.version).where(Loop.id == loop_id))


def booked_events(loop_id: int) -> int:
    db.session.rollback()  # read what the requests committed, not an older snapshot
    return db.session.scalar(select(func.count()).select_from(LoopEvent).where(
        LoopEvent.loop_id == loop_id, LoopEvent.action.in_(["booked", "rescheduled"])))


def invites(loop_id: int, recipient: str) -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.loop_id == loop_id, OutboxMessage.recipient == recipient, OutboxMessage.ical_uid != "")
        .order_by(OutboxMessage.id)))


def session_row(session_id: int) -> LoopSession:
    db.session.rollback()
    return db.session.get(LoopSession, session_id)


# --- access: only interviewers are booked, the day view shows only people the viewer may see -------------------------

@pytest.mark.parametrize("who", ["recruiter", "admin"])
def test_a_crafted_option_naming_a_non_interviewer_is_refused(app, who):
    world = build_world()
    client = login(app.test_client(), world["recruiter"])
    option = json.loads(engine_options(world["loop_id"])[0])
    option[0]["i"] = [world[who].id]
    response = client.post(f"/loops/{world['loop_id']}/book", data={"option": json.dumps(option)})
    assert response.status_code == 400
    assert f"{world[who].name} cannot interview (no interviewer role)." in text_of(response)
    assert session_row(world["session_id"]).status == "planned"
    assert booked_events(world["loop_id"]) == 0


def test_a_crafted_option_naming_a_non_interviewer_as_shadow_is_refused(app):
    world = build_world()
    client = login(app.test_client(), world["recruiter"])
    option = json.loads(engine_options(world["loop_id"])[0])
    option[0]["sh"] = [world["admin"].id]
    response = client.post(f"/loops/{world['loop_id']}/book", data={"option": json.dumps(option)})
    assert response.status_code == 400 and "Alex Admin cannot interview" in text_of(response)
    assert session_row(world["session_id"]).status == "planned"


def test_replacing_an_interviewer_with_a_non_interviewer_is_refused(app):
    world = build_world()
    client = login(app.test_client(), world["recruiter"])
    assert client.post(f"/loops/{world['loop_id']}/book",
                       data={"option": engine_options(world["loop_id"])[0]}).status_code == 302
    url = f"/loops/{world['loop_id']}/sessions/{world['session_id']}/replace/{world['jonas'].id}"
    for who in ("recruiter", "admin"):
        response = client.post(url, data={"joining_id": world[who].id, "reason": "Jonas is ill"})
        assert response.status_code == 400
        assert f"{world[who].name} cannot interview (no interviewer role)." in text_of(response)
    assert [u.name for u in session_row(world["session_id"]).interviewers] == ["Jonas Weber"]
    # an interviewer may still take over
    response = client.post(url, data={"joining_id": world["priya"].id, "reason": "Jonas is ill"})
    assert response.status_code == 302
    assert [u.name for u in session_row(world["session_id"]).interviewers] == ["Priya Nair"]


def test_the_day_view_shows_nobody_whose_availability_the_viewer_may_not_open(app):
    world = build_world()
    client = login(app.test_client(), world["recruiter"])
    option = json.loads(engine_options(world["loop_id"])[0])
    url = f"/loops/{world['loop_id']}/day"
    for who in ("admin", "manager"):  # a recruiter opens interviewers' availability only
        crafted = [{**option[0], "i": [world[who].id]}]
        response = client.get(url, query_string={"option": json.dumps(crafted)})
        assert response.status_code == 403
        assert world[who].name not in text_of(response)
    # an interviewer not on the loop: the recruiter may open their availability, so the day view shows them
    response = client.get(url, query_string={"option": json.dumps([{**option[0], "i": [world["priya"].id]}])})
    assert response.status_code == 200 and "Priya Nair" in text_of(response)
    # an admin opens everyone's availability
    admin = login(app.test_client(), world["admin"])
    crafted = [{**option[0], "i": [world["manager"].id]}]
    response = admin.get(url, query_string={"option": json.dumps(crafted)})
    assert response.status_code == 200 and "Hannah Manager" in text_of(response)


# --- the same option twice ------------------------------------------------------------------------------------------

def test_booking_the_same_option_again_changes_nothing_and_sends_nothing(any_db_app):
    world = build_world()
    client = login(any_db_app.test_client(), world["recruiter"])
    option, version = engine_options(world["loop_id"])[0], loop_version(world["loop_id"])
    url = f"/loops/{world['loop_id']}/book"
    assert client.post(url, data={"option": option, "version": version}).status_code == 302
    jonas_mail = world["jonas"].email
    first_invites = [(m.method, m.ical_sequence) for m in invites(world["loop_id"], jonas_mail)]
    assert first_invites == [("REQUEST", 0)]
    outbox_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))

    for data in ({"option": option, "version": version}, {"option": option}):  # the old page, and without version
        again = client.post(url, data=data, follow_redirects=True)
        assert again.status_code == 200
        assert "Already booked at these times; nothing changed." in text_of(again)
    assert booked_events(world["loop_id"]) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == outbox_before
    assert session_row(world["session_id"]).ical_sequence == 0


# --- races over real HTTP -------------------------------------------------------------------------------------------

def _offered(page_text: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="option" value="([^"]+)"', page_text)]


def test_a_double_click_on_book_books_once(any_db_app):
    world = build_world()
    option, version = engine_options(world["loop_id"])[0], loop_version(world["loop_id"])
    url = f"/loops/{world['loop_id']}/book"
    with serving(any_db_app) as base:
        tabs = [Browser(base).sign_in(world["recruiter"]) for _ in range(2)]
        responses = at_once(*(lambda tab=tab: tab.submit(url, {"option": option, "version": version})
                              for tab in tabs))
    codes = sorted(r.status_code for r in responses)
    assert 500 not in codes and codes[0] == 302, codes
    assert set(codes) <= {302, 409}
    assert booked_events(world["loop_id"]) == 1
    assert [(m.method, m.ical_sequence) for m in invites(world["loop_id"], world["jonas"].email)] == [("REQUEST", 0)]
    session = session_row(world["session_id"])
    assert session.status == "booked" and session.ical_sequence == 0


def test_the_candidate_and_the_recruiter_booking_at_once_one_wins_one_is_shown_the_loop(any_db_app):
    world = build_world()
    loop = services.load_loop(world["loop_id"])
    portal.update_settings(loop, world["recruiter"], True, "")
    _link, token = portal.create_link(loop, world["recruiter"], 14)
    db.session.commit()
    recruiter_options = engine_options(world["loop_id"])
    version = loop_version(world["loop_id"])
    with serving(any_db_app) as base:
        recruiter = Browser(base).sign_in(world["recruiter"])
        candidate = Browser(base)
        candidate_options = _offered(candidate.page(f"/c/{token}/book").text)
        assert candidate_options and len(recruiter_options) >= 2
        recruiter_pick = json.loads(recruiter_options[1])[0]["t"]
        assert recruiter_pick not in {p.start.isoformat() for p in portal.read_option(loop, candidate_options[0])}
        mine, theirs = at_once(
            lambda: recruiter.submit(f"/loops/{world['loop_id']}/book",
                                     {"option": recruiter_options[1], "version": version}),
            lambda: candidate.submit(f"/c/{token}/book", {"option": candidate_options[0]}),
        )
    codes = sorted((mine.status_code, theirs.status_code))
    assert codes == [302, 409], codes  # one booked, the other told; never a 500, never both
    if mine.status_code == 409:
        page = html.unescape(mine.text)
        assert LOOP_CHANGED in page and "Sofia García" in page  # the loop page, as it is now
    else:
        page = html.unescape(theirs.text)
        assert "Your interviews were changed a moment ago, so nothing was booked." in page
    assert booked_events(world["loop_id"]) == 1
    booked_at = session_row(world["session_id"]).start_dt.isoformat()
    assert (booked_at == recruiter_pick) == (mine.status_code == 302)


def test_concurrent_reschedules_never_reuse_a_sequence(any_db_app):
    world = build_world()
    client = login(any_db_app.test_client(), world["recruiter"])
    assert client.post(f"/loops/{world['loop_id']}/book",
                       data={"option": engine_options(world["loop_id"])[0]}).status_code == 302
    url = f"/loops/{world['loop_id']}/sessions/{world['session_id']}/place"
    day, jonas_id = world["first"] + timedelta(days=1), world["jonas"].id
    with serving(any_db_app) as base:
        tabs = [Browser(base).sign_in(world["recruiter"]) for _ in range(3)]
        for tab in tabs:
            tab.page(url)
        responses = at_once(*(lambda tab=tab, hour=hour: tab.submit(url, {
            "day": day.isoformat(), "start": f"{hour:02d}:00", "interviewer_ids": jonas_id})
            for tab, hour in zip(tabs, (10, 12, 14), strict=True)))
    assert not [r for r in responses if isinstance(r, Exception)], responses
    codes = [r.status_code for r in responses]
    assert 500 not in codes and set(codes) <= {302, 409} and 302 in codes, codes
    session = session_row(world["session_id"])
    assert session.ical_sequence == codes.count(302)  # every winner's change counted once
    sequences = [m.ical_sequence for m in invites(world["loop_id"], world["jonas"].email)]
    assert sequences == sorted(set(sequences)), sequences  # each update higher than the last one sent
    assert sequences[-1] == session.ical_sequence
    assert booked_events(world["loop_id"]) == 1 + codes.count(302)
