"""Every form, fed valid input with one or two fields mutated into hostile values (hypothesis: 500 examples each
under CI=true, fewer on a developer's run, see the profiles in tests/conftest.py): never a 500, every 400 names a
field, and a rejected submission changes nothing that was stored."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from coordinator.auth.roles import Role
from coordinator.auth.services import make_password_token
from coordinator.extensions import db
from coordinator.loops import services as loop_services
from tests.helpers import login

VOLATILE_TABLES = {"audit_events", "login_attempts", "alembic_version"}

HOSTILE = st.one_of(
    st.sampled_from([
        "", " ", "x" * 100_000, "-1", "0", "1e309", "NaN", "99999999999999999999", "0x10", "😀" * 60,
        "\x00", "a\r\nInjected: header", "'; DROP TABLE users; --", "<script>alert(1)</script>", "../../etc/passwd",
        "%00", "2026-13-45", "25:99", "9999-12-31", "0001-01-01", "Mars/Olympus_Mons", "javascript:alert(1)",
        "\u202e\u2028", "null", "true", "[]", "{}",
    ]),
    st.text(max_size=300),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.lists(st.text(max_size=20), min_size=2, max_size=3),
)


@dataclass
class FormCase:
    name: str
    who: str  # a key of the org, or "anonymous"
    url: Callable[[dict], str]
    valid: Callable[[dict], dict]


def _future(days: int = 10) -> str:
    day = datetime.now(UTC).date() + timedelta(days=days)
    return (day + timedelta(days=(2 - day.weekday()) % 7)).isoformat()


HOURS = {**{f"working_hours-{d}-start": "09:00" for d in range(5)},
         **{f"working_hours-{d}-end": "17:00" for d in range(5)}}

CASES = [
    FormCase("login", "anonymous", lambda o: "/login",
             lambda o: {"email": o["recruiter"].email, "password": "correct horse battery"}),
    FormCase("add user", "admin", lambda o: "/users/new",
             lambda o: {"name": "Priya Nair", "email": "priya@example.com", "job_title": "Engineer",
                        "timezone": "Asia/Kolkata", "roles": ["interviewer"], "is_enabled": "y", **HOURS}),
    FormCase("edit user", "admin", lambda o: f"/users/{o['interviewer'].id}/edit",
             lambda o: {"name": "Ian Interviewer", "email": o["interviewer"].email, "job_title": "Engineer",
                        "timezone": "Asia/Kolkata", "roles": ["interviewer"], "is_enabled": "y", **HOURS}),
    FormCase("profile", "interviewer", lambda o: "/profile",
             lambda o: {"name": "Ian Interviewer", "job_title": "Engineer", "timezone": "Asia/Kolkata", **HOURS}),
    FormCase("add job", "recruiter", lambda o: "/jobs/new",
             lambda o: {"title": "Platform Engineer", "department": "Infra", "status": "open",
                        "hiring_manager_id": str(o["manager"].id), "recruiter_id": str(o["recruiter"].id)}),
    FormCase("edit job", "recruiter", lambda o: f"/jobs/{o['job'].id}/edit",
             lambda o: {"title": "Senior Data Engineer", "department": "Data", "status": "open",
                        "hiring_manager_id": str(o["manager"].id), "recruiter_id": str(o["recruiter"].id)}),
    FormCase("add candidate", "recruiter", lambda o: "/candidates/new",
             lambda o: {"name": "Rohan Gupta", "email": "rohan@example.org", "timezone": "Asia/Kolkata",
                        "job_id": str(o["job"].id), "stage": "to_schedule", "first_interview_emphasis": "UPI",
                        "probe_further": "Concurrency"}),
    FormCase("edit candidate", "recruiter", lambda o: f"/candidates/{o['candidate'].id}/edit",
             lambda o: {"name": "Ada Lovelace", "email": o["candidate"].email, "timezone": "Europe/London",
                        "job_id": str(o["job"].id), "stage": "to_schedule", "first_interview_emphasis": "Kafka",
                        "probe_further": "On-call"}),
    FormCase("loop settings", "recruiter", lambda o: f"/loops/{o['loop'].id}/settings",
             lambda o: {"arrangement": "back_to_back", "buffer_min": "10", "candidate_grouping": "session",
                        "window_first_day": _future(3), "window_last_day": _future(12),
                        "decision_due_on": _future(20), "location": "Room 4", "video_url": "https://meet.example/x"}),
    FormCase("add session", "recruiter", lambda o: f"/loops/{o['loop'].id}/sessions/new",
             lambda o: {"title": "Panel", "kind": "panel", "duration_min": "60",
                        "interviewer_ids": [str(o["interviewer"].id), str(o["manager"].id)], "pool_count": "0",
                        "prep_min": "0"}),
    FormCase("place session", "recruiter",
             lambda o: f"/loops/{o['loop'].id}/sessions/{o['session'].id}/place",
             lambda o: {"day": _future(), "start": "10:00", "interviewer_ids": [str(o["manager"].id)],
                        "override_reason": ""}),
    FormCase("load limits", "recruiter", lambda o: f"/availability/{o['interviewer'].id}/limits",
             lambda o: {"max_per_day": "2", "max_per_week": "5", "buffer_before_min": "0", "buffer_after_min": "10"}),
    FormCase("busy time", "interviewer", lambda o: f"/availability/{o['interviewer'].id}/busy",
             lambda o: {"day": _future(), "start": "12:00", "end": "13:00", "summary": "Lunch"}),
    FormCase("candidate window", "recruiter", lambda o: f"/candidates/{o['candidate'].id}/windows",
             lambda o: {"day": _future(), "start": "09:00", "end": "12:00"}),
    FormCase("set password", "anonymous", lambda o: f"/set-password/{o['password_token']}",
             lambda o: {"password": "a-long-new-password", "confirm": "a-long-new-password"}),
    FormCase("two-factor code", "interviewer", lambda o: "/profile/two-factor", lambda o: {"code": "123456"}),
]


def _snapshot() -> tuple:
    """Every stored row except the logs, to prove a rejected submission changed nothing."""
    rows = []
    for table in db.metadata.sorted_tables:
        if table.name in VOLATILE_TABLES:
            continue
        rows.append((table.name, tuple(map(tuple, db.session.execute(select(table)).all()))))
    db.session.rollback()
    return tuple(rows)


def _names_a_field(html: str) -> bool:
    return bool(re.search(r'class="field-error"|aria-invalid="true"|class="flash flash-error"', html))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forms_survive_hostile_input(app, org, case):
    loop = loop_services.create_loop(org["candidate"], org["recruiter"])
    session = loop_services.add_session(loop, loop_services.SessionData(
        title="Hiring manager", kind="one_on_one", duration_min=45, interviewer_ids=(org["manager"].id,)),
        org["recruiter"])
    db.session.commit()
    unset = db.session.get(type(org["interviewer"]), org["interviewer"].id)
    ctx = {**org, "loop": loop, "session": session,
           "password_token": make_password_token(unset, app.config["SECRET_KEY"])}
    client = app.test_client() if case.who == "anonymous" else login(app.test_client(), ctx[case.who])
    valid = case.valid(ctx)
    url = case.url(ctx)
    assert Role.ADMIN  # org has every role

    @settings(deadline=None, derandomize=True,  # max_examples: from the profile
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(fields=st.lists(st.sampled_from(sorted(valid)), min_size=1, max_size=2, unique=True),
           values=st.lists(HOSTILE, min_size=2, max_size=2))
    def run(fields, values):
        data = dict(valid)
        for field, value in zip(fields, values, strict=False):
            data[field] = value
        before = stored[0]
        try:
            response = client.post(url, data=data)
        finally:
            # Only the request runs between two examples, so what is stored after one is what the next starts
            # from: one snapshot per example instead of two.
            stored[0] = _snapshot()
        assert response.status_code < 500, (case.name, data, response.status_code)
        if response.status_code == 400:
            assert _names_a_field(response.get_data(as_text=True)), (case.name, fields)
        if response.status_code >= 400:
            assert stored[0] == before, (case.name, fields, response.status_code)

    stored = [_snapshot()]
    run()
    db.session.execute(text("SELECT 1"))
