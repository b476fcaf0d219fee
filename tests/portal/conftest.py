"""Fixtures for the candidate page: a planned loop with real interviewers, a private link, and an anonymous client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.loops.models import Loop
from coordinator.portal import services as portal_services


def next_monday(at_least_days: int = 7) -> date:
    day = datetime.now(UTC).date() + timedelta(days=at_least_days)
    return day + timedelta(days=(0 - day.weekday()) % 7)


@pytest.fixture
def team(org, make_user) -> dict[str, Any]:
    jonas = make_user(Role.INTERVIEWER, name="Jonas Weber", timezone="Europe/Berlin", job_title="Staff Engineer",
                      email="jonas.weber@example.com")
    priya = make_user(Role.INTERVIEWER, name="Priya Nair", timezone="Asia/Kolkata",
                      job_title="Senior Backend Engineer", email="priya.nair@example.com")
    for person in (jonas, priya, org["manager"]):
        person.max_interviews_per_day, person.max_interviews_per_week = 8, 25
    db.session.commit()
    return {**org, "jonas": jonas, "priya": priya}


@pytest.fixture
def make_loop(team) -> Callable[..., Loop]:
    """A planned loop for the org's candidate (London): a one-on-one with the manager and a panel with Jonas and
    Priya, back-to-back, searched over one week starting next Monday."""

    def factory(candidate=None, sessions: list[dict] | None = None, first: date | None = None, days: int = 5,
                arrangement: str = "back_to_back", decision: date | None = None, **settings: Any) -> Loop:
        candidate = candidate or team["candidate"]
        recruiter = team["recruiter"]
        loop = loops.create_loop(candidate, recruiter)
        for data in sessions if sessions is not None else [
            {"title": "Hiring manager conversation", "kind": "one_on_one", "duration_min": 45,
             "interviewer_ids": (team["manager"].id,)},
            {"title": "System design", "kind": "panel", "duration_min": 60,
             "interviewer_ids": (team["jonas"].id, team["priya"].id),
             "prep_instructions": "Think about a data pipeline you built."},
        ]:
            loops.add_session(loop, loops.SessionData(**data), recruiter)
        first = first or next_monday()
        loops.update_settings(loop, loops.LoopSettings(
            arrangement=arrangement, buffer_min=10, candidate_grouping="session",
            location=settings.get("location", "Berlin office, Torstraße 1"),
            video_url=settings.get("video_url", "https://meet.example.com/abc"),
            window_first_day=first, window_last_day=first + timedelta(days=days - 1),
            decision_due_on=decision or first + timedelta(days=14),
        ), recruiter)
        db.session.commit()
        return loop
    return factory


@pytest.fixture
def link_for(team) -> Callable[..., str]:
    """A working private link to the loop's page; returns the token."""

    def factory(loop: Loop, days: int = 14, allow_self_booking: bool = False) -> str:
        if allow_self_booking:
            portal_services.update_settings(loop, team["recruiter"], True, "")
        _link, token = portal_services.create_link(loop, team["recruiter"], days)
        db.session.commit()
        return token
    return factory


@pytest.fixture
def anon(app: Flask):
    """A browser with no account (the candidate)."""
    return app.test_client()
