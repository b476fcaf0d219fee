"""Replacing an interviewer: everyone is offered, best first, each with what speaks against them (#22). Before,
the page offered only the free pool and otherwise said "Nobody qualified is free" with no way on, and it ranked
a trainee and someone already meeting the candidate that day like anyone else."""

from __future__ import annotations

import html
import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from coordinator.auth.roles import Role
from coordinator.availability.models import BusyBlock
from coordinator.extensions import db
from coordinator.focus import services as fs
from coordinator.loops.models import LoopEvent, LoopSession
from coordinator.timeutil import local_to_utc
from tests.focus.support import make_loop, next_weekday, setup_interviewing
from tests.helpers import text_of


@pytest.fixture
def world(org, make_user):
    world = setup_interviewing(org, make_user)
    nadia = make_user(Role.INTERVIEWER, name="Nadia Qualified")
    nina = make_user(Role.INTERVIEWER, name="Nina Busy")
    for person in (nadia, nina):
        fs.set_qualifications(person, {world["design"].id: fs.QUALIFIED})
    db.session.commit()
    return {**world, "nadia": nadia, "nina": nina}


def _place(client, loop, session, user, hour):
    data = {"day": next_weekday(1).isoformat(), "start": hour, "interviewer_ids": [str(user.id)],
            "override_reason": "Kits follow"}
    assert client.post(f"/loops/{loop.id}/sessions/{session.id}/place", data=data).status_code == 302


@pytest.fixture
def booked(world, client_for):
    loop = make_loop(world, [{"title": "Manager chat", "interviewer_ids": [world["manager"]]},
                             {"title": "System design", "duration_min": 60, "interviewer_ids": [world["jonas"]]}])
    client = client_for(world["recruiter"])
    chat, design = sorted(loop.sessions, key=lambda s: s.position)
    assert client.post(f"/loops/{loop.id}/sessions/{design.id}/kits/{world['jonas'].id}/edit",
                       data={"area_ids": [str(world["design"].id)]}).status_code == 302
    _place(client, loop, chat, world["manager"], "09:00")
    _place(client, loop, design, world["jonas"], "10:00")
    start = local_to_utc(next_weekday(1), time(10), "Europe/Berlin")
    db.session.add(BusyBlock(user_id=world["nina"].id, start_dt=start, end_dt=start + timedelta(hours=1),
                             summary="Offsite"))
    db.session.commit()
    return loop, design, client


def _rows(page) -> list[str]:
    """Each offered colleague's row text, in the page's order."""
    body = page.get_data(as_text=True)
    return [text_of_fragment(r) for r in re.findall(r'<tr data-person="\d+">(.*?)</tr>', body, re.S)]


def text_of_fragment(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_everyone_is_offered_best_first_with_their_problems_stated(world, booked):
    loop, design, client = booked
    page = client.get(f"/loops/{loop.id}/sessions/{design.id}/replace/{world['jonas'].id}")
    assert page.status_code == 200
    rows = _rows(page)
    assert rows[0].startswith("Nadia Qualified") and "Nothing" in rows[0]  # qualified, free, nobody's load
    tom = next(r for r in rows if r.startswith("Tom Becker"))
    assert "Only shadowing System design (a trainee)." in tom
    hannah = next(r for r in rows if r.startswith("Hannah Manager"))
    assert "Already meets Ada Lovelace that day ('Manager chat')." in hannah
    assert rows.index(tom) > 0 and rows.index(hannah) > rows.index(tom)  # two problems rank below one
    priya = next(r for r in rows if r.startswith("Priya Nair"))
    assert "Not qualified for System design." in priya
    text = text_of(page)
    assert "Nobody qualified is free" not in text
    assert "Busy then (1): cannot take it" in text and "Nina Busy: Busy then with 'Offsite'" in text
    assert not any(r.startswith("Nina Busy") for r in rows)


def test_a_colleague_with_a_problem_needs_a_reason_which_the_history_keeps(world, booked):
    loop, design, client = booked
    url = f"/loops/{loop.id}/sessions/{design.id}/replace/{world['jonas'].id}"
    response = client.post(url, data={"joining_id": world["tom"].id})
    assert response.status_code == 400
    assert "Tom Becker: Only shadowing System design (a trainee)." in text_of(response)
    assert [u.name for u in db.session.get(LoopSession, design.id).interviewers] == ["Jonas Weber"]
    response = client.post(url, data={"joining_id": world["tom"].id, "reason": "Tom is ready; Jonas is ill"})
    assert response.status_code == 302
    assert [u.name for u in db.session.get(LoopSession, design.id).interviewers] == ["Tom Becker"]
    event = db.session.scalar(select(LoopEvent).where(LoopEvent.action == "replaced"))
    assert event.reason == "Tom is ready; Jonas is ill"


def test_a_busy_colleague_cannot_be_swapped_in(world, booked):
    loop, design, client = booked
    response = client.post(f"/loops/{loop.id}/sessions/{design.id}/replace/{world['jonas'].id}",
                           data={"joining_id": world["nina"].id, "reason": "Please"})
    assert response.status_code == 409 and "Nina Busy: Busy then with 'Offsite'" in text_of(response)


def test_a_free_qualified_colleague_swaps_in_with_one_click(world, booked):
    loop, design, client = booked
    response = client.post(f"/loops/{loop.id}/sessions/{design.id}/replace/{world['jonas'].id}",
                           data={"joining_id": world["nadia"].id})
    assert response.status_code == 302
    assert [u.name for u in db.session.get(LoopSession, design.id).interviewers] == ["Nadia Qualified"]
