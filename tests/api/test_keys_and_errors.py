"""API keys as an admin makes and revokes them, bearer authentication without cookies or CSRF, problem+json for
every error under /api/, the audit log and the rate limit per key."""

from __future__ import annotations

import re

from sqlalchemy import select

from coordinator.api.models import ApiKey
from coordinator.audit.models import AuditEvent
from coordinator.auth.models import User
from coordinator.extensions import db
from tests.api.support import bearer, make_key
from tests.helpers import text_of

PROBLEM = "application/problem+json"


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(app, org, client_for):
    admin = client_for(org["admin"])
    assert admin.get("/settings/api").status_code == 200
    page = admin.post("/settings/api/keys/new", data={"name": "Greenhouse sync",
                                                      "scopes": ["loops:read", "candidates:write"]})
    assert page.status_code == 200
    token = re.search(r'value="(crd_[^"]+)"', page.get_data(as_text=True)).group(1)
    assert "shown only this once" in text_of(page)
    key = db.session.scalar(select(ApiKey))
    assert key.key_hash != token and token not in key.key_hash and key.scopes == ["candidates:write", "loops:read"]
    assert key.user.is_service and token[:12] in admin.get("/settings/api").get_data(as_text=True)
    assert token not in admin.get("/settings/api").get_data(as_text=True)  # never shown again
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/loops", headers=bearer(token)).status_code == 200
    revoked = admin.post(f"/settings/api/keys/{key.id}/revoke", follow_redirects=True)
    assert "is revoked" in text_of(revoked)
    answer = anonymous.get("/api/v1/loops", headers=bearer(token))
    assert answer.status_code == 401 and answer.mimetype == PROBLEM


def test_service_users_are_not_listed_with_people_and_cannot_sign_in(app, org, client_for):
    make_key(org["admin"])
    service = db.session.scalar(select(User).where(User.is_service))
    users_page = client_for(org["admin"]).get("/users").get_data(as_text=True)
    assert service.name not in users_page
    assert client_for(org["admin"]).get(f"/users/{service.id}/edit").status_code == 404


def test_only_admins_reach_the_key_pages(org, client_for):
    for who in ("recruiter", "manager", "interviewer"):
        assert client_for(org[who]).get("/settings/api").status_code == 403


def test_no_key_a_wrong_key_and_a_cookie_are_all_401_problems(app, org, client_for):
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer crd_nope"}, {"Authorization": "Basic abc"}):
        answer = client.get("/api/v1/jobs", headers=headers)
        assert answer.status_code == 401 and answer.mimetype == PROBLEM
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert answer.get_json()["status"] == 401 and answer.get_json()["instance"] == "/api/v1/jobs"
    # a signed-in person's cookie opens nothing under /api/: the API takes keys only
    assert client_for(org["admin"]).get("/api/v1/jobs").status_code == 401


def test_a_key_needs_no_csrf_token_and_gets_no_cookie(app, org):
    token = make_key(org["admin"])
    answer = app.test_client().post("/api/v1/loops", json={"candidate_id": org["candidate"].id},
                                    headers=bearer(token))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert "Set-Cookie" not in answer.headers and answer.headers["Cache-Control"] == "no-store"


def test_every_error_under_the_api_is_a_problem(app, org):
    token = make_key(org["admin"])
    client = app.test_client()
    not_found = client.get("/api/v1/nothing-here", headers=bearer(token))
    assert not_found.status_code == 404 and not_found.mimetype == PROBLEM
    assert not_found.get_json()["title"] == "Not Found"
    missing_row = client.get("/api/v1/jobs/999999", headers=bearer(token))
    assert missing_row.status_code == 404 and missing_row.mimetype == PROBLEM
    wrong_method = client.delete("/api/v1/jobs", headers=bearer(token))
    assert wrong_method.status_code == 405 and wrong_method.mimetype == PROBLEM
    assert "GET" in wrong_method.headers["Allow"]
    invalid = client.post("/api/v1/jobs", json={"title": ""}, headers=bearer(token))
    assert invalid.status_code == 422 and invalid.mimetype == PROBLEM
    errors = invalid.get_json()["errors"]["json"]
    assert "department" in errors and "title" in errors
    not_json = client.post("/api/v1/jobs", data="{nope", content_type="application/json", headers=bearer(token))
    assert not_json.status_code in (400, 422) and not_json.mimetype == PROBLEM
    bad_query = client.get("/api/v1/loops?limit=0&updated_since=yesterday", headers=bearer(token))
    assert bad_query.status_code == 422 and set(bad_query.get_json()["errors"]["query"]) == {"limit", "updated_since"}
    bad_cursor = client.get("/api/v1/loops?cursor=xyz", headers=bearer(token))
    assert bad_cursor.status_code == 400 and bad_cursor.mimetype == PROBLEM
    # the rest of the site keeps its pages
    assert "text/html" in client.get("/no-such-page").content_type


def test_scopes_gate_each_resource(app, org):
    token = make_key(org["admin"], ["loops:read"])
    client = app.test_client()
    assert client.get("/api/v1/loops", headers=bearer(token)).status_code == 200
    for path in ("/api/v1/jobs", "/api/v1/candidates", "/api/v1/scorecards", "/api/v1/decisions",
                 "/api/v1/focus-areas"):
        answer = client.get(path, headers=bearer(token))
        assert answer.status_code == 403 and "scope" in answer.get_json()["detail"], path
    refused = client.post("/api/v1/loops", json={"candidate_id": org["candidate"].id}, headers=bearer(token))
    assert refused.status_code == 403 and "loops:write" in refused.get_json()["detail"]


def test_every_call_is_in_the_audit_log(app, org):
    token = make_key(org["admin"], ["jobs:read"])
    client = app.test_client()
    client.get("/api/v1/jobs", headers=bearer(token))
    client.get("/api/v1/candidates", headers=bearer(token))  # refused: no scope
    client.get("/api/v1/jobs", headers={"Authorization": "Bearer crd_wrong"})
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("api.%"))
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.detail) for e in events] == [
        ("api.call", "GET /api/v1/jobs -> 200"), ("api.call", "GET /api/v1/candidates -> 403"),
        ("api.unauthorized", "GET /api/v1/jobs -> 401")]
    assert events[0].actor.is_service and events[0].target_type == "api_key"


def test_rate_limit_per_key_answers_429_with_retry_after(app, org):
    app.config["API_RATE_PER_MINUTE"] = 3
    token, other = make_key(org["admin"]), make_key(org["admin"], name="Lever")
    client = app.test_client()
    assert [client.get("/api/v1/jobs", headers=bearer(token)).status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/jobs", headers=bearer(token))
    assert limited.status_code == 429 and limited.mimetype == PROBLEM
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/jobs", headers=bearer(other)).status_code == 200  # per key


def test_docs_and_description_need_no_key(app):
    client = app.test_client()
    assert client.get("/api/v1/openapi.json").get_json()["openapi"] == "3.1.0"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "GET /api/v1/loops" in text_of(page)
    assert "<script" not in page.get_data(as_text=True).split("</head>")[1] or "cdn" not in page.get_data(as_text=True)
