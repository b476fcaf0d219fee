"""The people picker: each person's facts on hand-made data, a constant number of queries however many people, and
the forms it sits on still submitting the plain lists without JavaScript."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, select

from coordinator.auth.roles import Role
from coordinator.availability.models import BusyBlock
from coordinator.extensions import db
from coordinator.focus.models import FocusArea, Qualification
from coordinator.loops import picker
from coordinator.loops import services as loops
from coordinator.loops.models import LoopSession, PlanSession, SessionInterviewer
from coordinator.scheduling import window_from_dates
from coordinator.timeutil import local_to_utc
from tests.helpers import text_of

#: a Wednesday; its ISO week runs Mon 8 to Sun 14 March 2027 (US clocks go forward on the Sunday)
NOW = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)
THURSDAY = date(2027, 3, 11)


@pytest.fixture
def now(clock):
    clock.set(NOW)
    return NOW


def area(name: str) -> FocusArea:
    found = FocusArea(name=name)
    db.session.add(found)
    db.session.flush()
    return found


def qualify(user, focus_area: FocusArea, shadowing: bool = False) -> None:
    db.session.add(Qualification(user_id=user.id, focus_area_id=focus_area.id, is_shadowing=shadowing))


def interview(loop, user, start: datetime, minutes: int = 60, active: bool = True) -> None:
    """A booked (or, inactive, a cancelled) interview of `user` at `start`, made by hand."""
    session = LoopSession(loop=loop, title="Earlier interview", kind="one_on_one", duration_min=minutes,
                          status="booked" if active else "cancelled", start_dt=start,
                          end_dt=start + timedelta(minutes=minutes))
    db.session.add(session)
    db.session.add(SessionInterviewer(session=session, user_id=user.id, is_active=active,
                                      start_dt=start if active else None,
                                      end_dt=start + timedelta(minutes=minutes) if active else None))
    db.session.flush()


def thursday_window(loop_id: int | None = None) -> picker.Window:
    start, end = window_from_dates(THURSDAY, THURSDAY, "Europe/London")
    return picker.Window(start, end, 60, loop_id, "Europe/London")


def test_each_persons_facts(now, org, make_user):
    ana = make_user(Role.INTERVIEWER, name="Ana Lima", timezone="Europe/Berlin", job_title="Staff Engineer")
    ben = make_user(Role.INTERVIEWER, name="Ben Ortiz", timezone="America/Los_Angeles")
    carl = make_user(Role.INTERVIEWER, name="Carl Berg", timezone="Europe/Berlin")
    dana = make_user(Role.INTERVIEWER, name="Dana Fox", timezone="Europe/Berlin")
    ana.max_interviews_per_week, carl.max_interviews_per_week = 3, 1
    design, coding = area("System design"), area("Coding")
    qualify(ana, design)
    qualify(ana, coding, shadowing=True)
    qualify(ben, coding)
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    other = loops.create_loop(org["other_candidate"], org["other_recruiter"])
    # Ana: two this week, one the week before, one the week after, one cancelled; busy all Thursday
    interview(other, ana, local_to_utc(date(2027, 3, 8), time(9), "Europe/Berlin"))
    interview(other, ana, local_to_utc(date(2027, 3, 12), time(14), "Europe/Berlin"))
    interview(other, ana, local_to_utc(date(2027, 3, 5), time(9), "Europe/Berlin"))
    interview(other, ana, local_to_utc(date(2027, 3, 15), time(9), "Europe/Berlin"))
    interview(other, ana, local_to_utc(date(2027, 3, 9), time(9), "Europe/Berlin"), active=False)
    db.session.add(BusyBlock(user_id=ana.id, start_dt=local_to_utc(THURSDAY, time(8), "Europe/Berlin"),
                             end_dt=local_to_utc(THURSDAY, time(18), "Europe/Berlin")))
    # Ben: Sunday 22:00 in Los Angeles is already Monday in UTC: still his week
    interview(other, ben, local_to_utc(date(2027, 3, 14), time(22), "America/Los_Angeles"))
    # Carl: his one interview this week reaches his limit of one, so he is not free although his day is empty
    interview(other, carl, local_to_utc(date(2027, 3, 9), time(10), "Europe/Berlin"))
    # Dana: her only Thursday interview is in this very loop, which is being placed again
    interview(loop, dana, local_to_utc(THURSDAY, time(9), "Europe/London"), minutes=480)
    db.session.commit()

    facts = picker.people_facts([ana, ben, carl, dana], window=thursday_window(loop.id),
                                relevant_area_ids=[coding.id], viewer_tz="Europe/London")

    a, b, c, d = (facts[u.id] for u in (ana, ben, carl, dana))
    assert a.zone == "Europe/Berlin (CET, UTC+01:00)"
    assert [(x.name, x.shadowing, x.relevant) for x in a.areas] == [("Coding", True, True),
                                                                     ("System design", False, False)]
    assert (a.week_count, a.week_limit, a.at_limit) == (2, 3, False)
    assert a.week_text == "2 of 3 interviews this week"
    assert (a.free, a.free_text) == (False, "Not free on Thu 11 Mar")
    assert "staff engineer" in a.search_text and "coding" in a.search_text

    assert b.zone.startswith("America/Los Angeles (PST, UTC-08:00)")
    assert b.week_count == 1
    # his Wednesday runs to 17:00 in Los Angeles: midnight in London, when the candidate's Thursday begins
    assert (b.free, b.free_text) == (True, "Free from Thu 11 Mar, 00:00 GMT")
    assert [x.name for x in b.areas] == ["Coding"]

    assert (c.week_count, c.week_limit, c.at_limit) == (1, 1, True)
    assert c.free is False and c.areas == ()

    assert d.week_count == 1  # this loop's interview counts towards her week ...
    assert (d.free, d.free_text) == (True, "Free from Thu 11 Mar, 08:00 GMT")  # ... but does not make her busy


def fortnight_window() -> picker.Window:
    """Mon 15 to Fri 26 March, whole days in London: longer than the first look (FIRST_LOOK_DAYS)."""
    start, end = window_from_dates(date(2027, 3, 15), date(2027, 3, 26), "Europe/London")
    return picker.Window(start, end, 60, None, "Europe/London")


def busy(user, start: datetime, end: datetime) -> None:
    db.session.add(BusyBlock(user_id=user.id, start_dt=start, end_dt=end))


def test_free_later_in_a_long_window_and_across_the_first_looks_end(now, make_user):
    eve = make_user(Role.INTERVIEWER, name="Eve Stone", timezone="Europe/Berlin")
    kai = make_user(Role.INTERVIEWER, name="Kai Akana", timezone="Pacific/Honolulu")  # 09-17 there: 19-03 GMT
    window = fortnight_window()
    busy(eve, window.start, datetime(2027, 3, 18, tzinfo=UTC))
    # Kai's one free hour runs over the first look's end (midnight GMT going into Thursday)
    busy(kai, window.start, datetime(2027, 3, 17, 23, 30, tzinfo=UTC))
    busy(kai, datetime(2027, 3, 18, 0, 30, tzinfo=UTC), window.end)
    db.session.commit()
    assert picker.FIRST_LOOK_DAYS == 3
    facts = picker.people_facts([eve, kai], window=window, viewer_tz="Europe/London")
    assert facts[eve.id].free_text == "Free from Thu 18 Mar, 08:00 GMT"
    assert facts[kai.id].free_text == "Free from Wed 17 Mar, 23:30 GMT"


def test_without_a_window_it_does_not_say_who_is_free(now, make_user):
    ana = make_user(Role.INTERVIEWER, name="Ana Lima")
    facts = picker.people_facts([ana])
    assert facts[ana.id].free is None and facts[ana.id].free_text == ""
    assert picker.people_facts([]) == {}


def _team(n: int, loop, areas) -> list:
    from tests.helpers import new_user

    people = []
    for k in range(n):
        user = new_user(Role.INTERVIEWER, name=f"Person {k:03d}", timezone=("Europe/Berlin", "Asia/Kolkata")[k % 2])
        qualify(user, areas[k % len(areas)], shadowing=k % 3 == 0)
        interview(loop, user, local_to_utc(date(2027, 3, 9), time(10), user.timezone))
        db.session.add(BusyBlock(user_id=user.id, start_dt=local_to_utc(THURSDAY, time(9), user.timezone),
                                 end_dt=local_to_utc(THURSDAY, time(10), user.timezone)))
        if k % 2:  # busy through the first look: the picker looks at them again over the whole window
            busy(user, datetime(2027, 3, 14, tzinfo=UTC), datetime(2027, 3, 18, 12, tzinfo=UTC))
        people.append(user)
    db.session.commit()
    return people


def _queries(people, window) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    db.session.expire_all()
    people = list(db.session.scalars(select(type(people[0])).where(type(people[0]).id.in_([u.id for u in people]))))
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        facts = picker.people_facts(people, window=window)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(facts) == len(people)
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_the_people(now, org):
    other = loops.create_loop(org["other_candidate"], org["other_recruiter"])
    areas = [area("System design"), area("Coding"), area("Communication")]
    people = _team(24, other, areas)
    window = fortnight_window()
    few, many = _queries(people[:12], window), _queries(people, window)
    assert few == many
    # qualifications, this week's interviews, then twice the engine's loader (people, hours, busy, interviews)
    assert many == 10


# --- the forms, without JavaScript --------------------------------------------------------------------------------

def test_the_session_form_still_submits_the_plain_lists(now, org, make_user, client_for):
    ana = make_user(Role.INTERVIEWER, name="Ana Lima", job_title="Staff Engineer")
    ben = make_user(Role.INTERVIEWER, name="Ben Ortiz")
    cleo = make_user(Role.INTERVIEWER, name="Cleo Park")
    recruiter = client_for(org["recruiter"])
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    db.session.commit()

    page = recruiter.get(f"/loops/{loop.id}/sessions/new")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    # the native lists are there, with their names, as the no-JavaScript form; the picker's facts ride along
    for name in ("interviewer_ids", "pool_ids", "shadow_ids"):
        assert re.search(rf'<select[^>]*multiple[^>]*name="{name}"', body), name
    assert 'data-picker-facts="people-facts"' in body and '<template id="people-facts">' in body
    assert "0 of 5 interviews this week" in body
    assert '<script src="/static/picker.js" defer></script>' in body

    response = recruiter.post(f"/loops/{loop.id}/sessions/new", data={
        "title": "System design", "kind": "panel", "duration_min": "60",
        "interviewer_ids": [str(ana.id), str(ben.id)], "shadow_ids": [str(cleo.id)],
    })
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    session = db.session.scalar(select(LoopSession).where(LoopSession.loop_id == loop.id))
    assert sorted((p.user.name, p.role) for p in session.participants) == [
        ("Ana Lima", "interviewer"), ("Ben Ortiz", "interviewer"), ("Cleo Park", "shadow")]

    # the edit page shows them chosen in the plain list
    body = recruiter.get(f"/loops/{loop.id}/sessions/{session.id}/edit").get_data(as_text=True)
    assert re.search(rf'<option selected value="{ana.id}">Ana Lima', body)
    assert re.search(rf'<option selected value="{cleo.id}">Cleo Park', body)


def test_a_refused_session_form_keeps_the_picks_and_says_why(now, org, make_user, client_for):
    ana = make_user(Role.INTERVIEWER, name="Ana Lima")
    recruiter = client_for(org["recruiter"])
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    db.session.commit()
    response = recruiter.post(f"/loops/{loop.id}/sessions/new", data={
        "title": "Panel", "kind": "panel", "duration_min": "60", "interviewer_ids": [str(ana.id)]})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "A panel needs at least two interviewers." in text_of(response)
    assert re.search(rf'<option selected value="{ana.id}">Ana Lima', body)


def test_the_plan_step_pool_still_submits_its_checkboxes(now, org, make_user, client_for):
    ana = make_user(Role.INTERVIEWER, name="Ana Lima")
    ben = make_user(Role.INTERVIEWER, name="Ben Ortiz")
    manager = client_for(org["recruiter"])
    job = org["job"]
    page = manager.get(f"/jobs/{job.id}/plan/new")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert re.search(rf'<input[^>]*name="pool_ids"[^>]*type="checkbox"[^>]*value="{ana.id}"', body) \
        or re.search(rf'<input[^>]*type="checkbox"[^>]*name="pool_ids"[^>]*value="{ana.id}"', body)
    assert 'data-picker-name="pool_ids"' in body
    response = manager.post(f"/jobs/{job.id}/plan/new", data={
        "title": "System design", "kind": "one_on_one", "duration_min": "60", "interviewer_count": "1",
        "pool_ids": [str(ana.id), str(ben.id)]})
    assert response.status_code == 302, text_of(response)
    step = db.session.scalar(select(PlanSession).where(PlanSession.job_id == job.id))
    assert sorted(u.name for u in step.pool) == ["Ana Lima", "Ben Ortiz"]
