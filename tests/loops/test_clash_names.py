"""A refusal names the session that actually clashes and what the person is busy with (#22)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from coordinator.auth.roles import Role
from coordinator.availability.models import BusyBlock
from coordinator.extensions import db
from coordinator.loops.models import LoopSession
from coordinator.timeutil import local_to_utc
from tests.helpers import text_of
from tests.loops.test_loops import add_session, new_loop, next_weekday

BERLIN = "Europe/Berlin"


@pytest.fixture
def team(org, make_user):
    return {**org, "jonas": make_user(Role.INTERVIEWER, name="Jonas Weber", timezone=BERLIN)}


@pytest.fixture
def recruiter(team, client_for):
    return client_for(team["recruiter"])


def _place(client, loop_url, session, day, start, person):
    return client.post(f"{loop_url}/sessions/{session.id}/place",
                       data={"day": day.isoformat(), "start": start, "interviewer_ids": [str(person.id)]})


def test_a_clash_names_the_session_moved_and_the_interview_it_clashes_with(app, team, recruiter, make_candidate):
    day = next_weekday(1)
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, title="Hiring manager conversation", interviewer_ids=[str(team["manager"].id)])
    add_session(recruiter, loop_url, title="System design", duration_min="60",
                interviewer_ids=[str(team["jonas"].id)])
    conversation, design = db.session.scalars(select(LoopSession).order_by(LoopSession.position)).all()
    assert _place(recruiter, loop_url, conversation, day, "09:00", team["manager"]).status_code == 302
    assert _place(recruiter, loop_url, design, day, "10:00", team["jonas"]).status_code == 302

    # Hannah's calendar later puts a meeting on her booked conversation: that is not what a move of
    # 'System design' clashes with, and must neither refuse it nor be named.
    start = local_to_utc(day, time(9), BERLIN)
    db.session.add(BusyBlock(user_id=team["manager"].id, start_dt=start, end_dt=start + timedelta(minutes=30),
                             summary="Budget review"))
    # Jonas interviews someone else at 14:00 in another loop.
    other_url = new_loop(recruiter, make_candidate(name="Kwame Mensah", job=team["job"]))
    add_session(recruiter, other_url, title="Coding exercise", duration_min="60",
                interviewer_ids=[str(team["jonas"].id)])
    coding = db.session.scalar(select(LoopSession).where(LoopSession.title == "Coding exercise"))
    assert _place(recruiter, other_url, coding, day, "14:00", team["jonas"]).status_code == 302

    response = _place(recruiter, loop_url, design, day, "14:00", team["jonas"])
    assert response.status_code == 409
    refusal = text_of(response).split("Refused:")[1].split(" Day Start ")[0]  # the message, not the form
    assert "Jonas Weber is already busy with another interview, 'Coding exercise'" in refusal
    assert "which clashes with 'System design'" in refusal
    assert "Hiring manager conversation" not in refusal and "Hannah" not in refusal

    # a free time: the move goes through although Hannah's conversation now overlaps her meeting
    assert _place(recruiter, loop_url, design, day, "11:00", team["jonas"]).status_code == 302
    assert db.session.get(LoopSession, design.id).start_dt == local_to_utc(day, time(11), BERLIN)


def test_a_calendar_event_is_named_by_its_summary(app, team, recruiter):
    day = next_weekday(2)
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, title="System design", interviewer_ids=[str(team["jonas"].id)])
    design = db.session.scalar(select(LoopSession))
    start = local_to_utc(day, time(10), BERLIN)
    db.session.add(BusyBlock(user_id=team["jonas"].id, start_dt=start, end_dt=start + timedelta(hours=1),
                             summary="Dentist"))
    db.session.commit()
    text = text_of(_place(recruiter, loop_url, design, day, "10:15", team["jonas"]))
    assert "Jonas Weber is already busy with 'Dentist' from" in text and "which clashes with 'System design'" in text
