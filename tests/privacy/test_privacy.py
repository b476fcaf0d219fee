"""GDPR: export everything about a candidate, erase it so nothing mentions them, and the retention job."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from coordinator.audit.models import AuditEvent
from coordinator.auth.roles import Role
from coordinator.availability.models import CandidateWindow
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.loops import services as loops
from coordinator.privacy import jobs, services
from coordinator.timeutil import now_utc


@pytest.fixture
def booked(org, make_user):
    """Ada has a booked loop, a window, and messages about her loop in the outbox."""
    jonas = make_user(Role.INTERVIEWER, name="Jonas Weber")
    candidate = org["candidate"]
    loop = loops.create_loop(candidate, org["recruiter"])
    loops.add_session(loop, loops.SessionData(title="Hiring manager", kind="one_on_one", duration_min=45,
                                              interviewer_ids=(jonas.id,)), org["recruiter"])
    start = now_utc().replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
    db.session.add(CandidateWindow(candidate_id=candidate.id, start_dt=start, end_dt=start + timedelta(hours=3)))
    change = loops.book(loop, [loops.Placement(loop.sessions[0].id, start, (jonas.id,))], org["recruiter"],
                        override_reason="test: outside hours is fine")
    try:
        from coordinator.invites import services as invites

        invites.queue_for_change(change)
    except ImportError:  # pragma: no cover - invites not installed
        pass
    db.session.commit()
    return {**org, "loop": loop, "jonas": jonas}


def test_admin_exports_everything_stored_about_the_candidate(app, booked, client_for):
    admin = client_for(booked["admin"])
    response = admin.get(f"/candidates/{booked['candidate'].id}/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="ada-lovelace-data.json"')
    document = json.loads(response.get_data(as_text=True))
    data = document["data"]
    assert data["candidates"][0]["email"] == booked["candidate"].email
    assert data["loops"] and data["loop_sessions"] and data["candidate_windows"]
    assert "users" not in data and "audit_events" not in data
    text = response.get_data(as_text=True)
    assert "password_hash" not in text and "token_hash" not in text
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.exported")) is not None


def test_erasing_leaves_no_mention_of_the_candidate(app, booked, client_for):
    candidate = booked["candidate"]
    name, email, other_id, cid = candidate.name, candidate.email, booked["other_candidate"].id, candidate.id
    assert services.mentions(name, email)  # before: the candidate is everywhere
    admin = client_for(booked["admin"])
    page = admin.get(f"/candidates/{candidate.id}/erase")
    assert page.status_code == 200 and "cannot be undone" in page.get_data(as_text=True)
    wrong = admin.post(f"/candidates/{candidate.id}/erase", data={"reason": "asked", "confirm_name": "Ada"})
    assert wrong.status_code == 400 and db.session.get(Candidate, candidate.id) is not None

    db.session.commit()  # no snapshot left open for the checkpoint after erasure to wait for
    done = admin.post(f"/candidates/{cid}/erase",
                      data={"reason": "Ada Lovelace asked to be forgotten", "confirm_name": name})
    assert done.status_code == 302
    assert db.session.get(Candidate, cid) is None
    assert services.mentions(name, email) == []
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.erased"))
    assert name not in entry.detail and "Lovelace" not in entry.detail and "[candidate] asked" in entry.detail
    # the other candidate and the staff are untouched
    assert db.session.get(Candidate, other_id) is not None
    assert booked["jonas"].id is not None and admin.get("/users").status_code == 200
    # Jonas is free again: his booking went with the loop
    assert loops.upcoming_interviews(booked["jonas"]) == []


def test_only_admins_export_or_erase(app, booked, client_for):
    cid = booked["candidate"].id
    for who in ("recruiter", "manager", "interviewer"):
        client = client_for(booked[who])
        assert client.get(f"/candidates/{cid}/export").status_code == 403
        assert client.post(f"/candidates/{cid}/erase", data={"reason": "x", "confirm_name": "Ada Lovelace"}
                           ).status_code == 403
        assert client.get("/admin/retention").status_code == 403
    assert db.session.get(Candidate, cid) is not None
    assert client_for(booked["admin"]).get("/candidates/999999/export").status_code == 404


def test_retention_erases_not_hired_candidates_after_the_period(app, org, make_candidate, client_for):
    admin = client_for(org["admin"])
    assert admin.post("/admin/retention", data={"not_hired_days": "0"}).status_code == 400
    assert admin.post("/admin/retention", data={"not_hired_days": "abc"}).status_code == 400
    assert admin.post("/admin/retention", data={"not_hired_days": "180"}).status_code == 302
    old = make_candidate(name="Old Rejected", job=org["job"], stage="not_hired")
    recent = make_candidate(name="Recent Rejected", job=org["job"], stage="not_hired")
    hired = make_candidate(name="Long Hired", job=org["job"], stage="hired")
    for c, days in ((old, 200), (recent, 10), (hired, 400)):
        db.session.execute(Candidate.__table__.update().where(Candidate.id == c.id)
                           .values(updated_dt=now_utc() - timedelta(days=days)))
    db.session.commit()
    assert "Old Rejected" in admin.get("/admin/retention").get_data(as_text=True)
    assert jobs.erase_expired() == 1
    names = set(db.session.scalars(select(Candidate.name)))
    assert "Old Rejected" not in names and {"Recent Rejected", "Long Hired"} <= names
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.erased_by_retention"))
    assert entry is not None and "Old Rejected" not in entry.detail and entry.actor_id is None


def test_retention_job_runs_in_the_scheduler():
    from coordinator.jobs.scheduler import JOBS

    assert any(spec.id == "erase_expired_candidates" for spec in JOBS)
