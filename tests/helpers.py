"""Helpers shared by tests: component checks, signing in, reading what a page shows, the test clock, and the
factories behind the `make_*` and `org` fixtures (plain functions, so data can also be built once per session)."""

from __future__ import annotations

import html as html_module
import itertools
import os
import re
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from coordinator.auth.models import User
from coordinator.auth.roles import Role
from coordinator.auth.services import UserData, create_user
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, Job
from coordinator.hiring.services import CandidateData, JobData, create_candidate, create_job

IS_CI = os.environ.get("CI", "").lower() == "true"
TEST_PASSWORD = "correct horse battery"


def require_component(name: str, reason: str) -> None:
    """Skip outside CI, fail under CI: a missing component must never pass silently there."""
    message = f"{name} is not available: {reason}"
    if IS_CI:
        pytest.fail(message + " (required when CI=true)", pytrace=False)
    print(f"\nSKIP: {message}")
    pytest.skip(message)


def login(client: FlaskClient, user: User, password: str = TEST_PASSWORD) -> FlaskClient:
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def text_of(response) -> str:
    """The visible text of a response, tags removed, whitespace folded, for assertions on what users read."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", html))).strip()


class Clock:
    """The tests' one clock, frozen until the test moves it; the `clock` fixture makes `timeutil.now_utc()` answer
    from it, so the app, the services, the models' defaults and the pages' `now_utc` all read the same time."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> datetime:
        """Stand still at `now` (timezone-aware: the app never sees a naive datetime)."""
        if now.tzinfo is None:
            raise ValueError(f"the clock needs a timezone-aware time, not {now!r}")
        self.now = now
        return now

    def advance(self, **delta: float) -> datetime:
        """Move on by `timedelta(**delta)`, e.g. `clock.advance(minutes=16)`."""
        self.now += timedelta(**delta)
        return self.now


# --- factories: each commits, inside an app context -----------------------------------------------------------

_counter = itertools.count(1)


def new_user(*roles: Role, name: str | None = None, email: str | None = None, timezone: str = "Europe/Berlin",
             job_title: str = "Engineer", password: str | None = TEST_PASSWORD,
             working_hours: dict[int, tuple[time, time]] | None = None) -> User:
    n = next(_counter)
    user = create_user(
        UserData(email=email or f"user{n}@example.com", name=name or f"Test User {n}", job_title=job_title,
                 timezone=timezone, roles=frozenset(roles or {Role.INTERVIEWER})),
        password=password, working_hours=working_hours,
    )
    db.session.commit()
    return user


def new_job(title: str = "Senior Data Engineer", department: str = "Data Platform",
            hiring_manager: User | None = None, recruiter: User | None = None) -> Job:
    job = create_job(JobData(
        title=title, department=department,
        hiring_manager_id=(hiring_manager or new_user(Role.HIRING_MANAGER)).id,
        recruiter_id=(recruiter or new_user(Role.RECRUITER)).id,
    ))
    db.session.commit()
    return job


def new_candidate(name: str = "Ada Lovelace", job: Job | None = None, timezone: str = "Europe/London",
                  email: str | None = None, **fields: Any) -> Candidate:
    candidate = create_candidate(CandidateData(
        name=name, email=email or f"cand{next(_counter)}@example.org", timezone=timezone,
        job_id=(job or new_job()).id, **fields,
    ))
    db.session.commit()
    return candidate


def new_org() -> dict[str, Any]:
    """A small organisation: one person per role, a job with a candidate, and an unrelated job."""
    admin = new_user(Role.ADMIN, name="Alex Admin")
    recruiter = new_user(Role.RECRUITER, name="Rita Recruiter")
    manager = new_user(Role.HIRING_MANAGER, Role.INTERVIEWER, name="Hannah Manager")
    interviewer = new_user(Role.INTERVIEWER, name="Ian Interviewer", timezone="Asia/Kolkata")
    other_recruiter = new_user(Role.RECRUITER, name="Oscar Otherrecruiter")
    job = new_job(hiring_manager=manager, recruiter=recruiter)
    other_job = new_job(title="Office Manager", department="Operations", recruiter=other_recruiter)
    candidate = new_candidate(job=job, first_interview_emphasis="Kafka pipelines", probe_further="On-call")
    other_candidate = new_candidate(name="Grace Hopper", job=other_job)
    return {"admin": admin, "recruiter": recruiter, "manager": manager, "interviewer": interviewer,
            "other_recruiter": other_recruiter, "job": job, "other_job": other_job, "candidate": candidate,
            "other_candidate": other_candidate}
