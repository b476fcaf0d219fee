"""The board's tests: a team, a loop of two sessions (one from a pool), and the requests the board page makes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.loops.models import LoopSession
from coordinator.timeutil import local_to_utc
from tests.loops.test_loops import add_session, new_loop

HX = {"HX-Request": "true"}


def next_monday() -> date:
    day = datetime.now(UTC).date() + timedelta(days=3)
    return day + timedelta(days=(0 - day.weekday()) % 7)


@pytest.fixture(autouse=True)
def _as_installed(app):
    """The settings a new installation has: invites wait for the recruiter's Send, changes coalesce."""
    app.config.update(SEND_INVITES_AT_ONCE=False, INVITE_COALESCE_MINUTES=3)


@pytest.fixture
def team(org, make_user):
    jonas = make_user(Role.INTERVIEWER, name="Jonas Weber", timezone="Europe/Berlin", job_title="Staff Engineer")
    priya = make_user(Role.INTERVIEWER, name="Priya Nair", timezone="Asia/Kolkata")
    emily = make_user(Role.INTERVIEWER, name="Emily Johnson", timezone="Europe/Berlin")
    return {**org, "jonas": jonas, "priya": priya, "emily": emily}


@pytest.fixture
def recruiter(team, client_for):
    return client_for(team["recruiter"])


@pytest.fixture
def loop_url(team, recruiter):
    url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, url, title="Hiring manager", interviewer_ids=[str(team["manager"].id)], location="Room 4")
    add_session(
        recruiter,
        url,
        title="System design",
        duration_min="60",
        location="Room 4",
        pool_ids=[str(team["jonas"].id), str(team["emily"].id)],
        pool_count="1",
    )
    return url


def sessions() -> list[LoopSession]:
    return list(db.session.scalars(select(LoopSession).order_by(LoopSession.position)))


def at(hour: int, minute: int = 0, tz: str = "Europe/Berlin") -> str:
    return local_to_utc(next_monday(), time(hour, minute), tz).isoformat()


def place(client, loop_url, session, start, **extra):
    data = {"session_id": str(session.id), "start": start, "day": next_monday().isoformat(), "mode": "day", **extra}
    return client.post(loop_url + "/board/place", data=data, headers=HX)
