"""Sign-in safety: throttling shared through the database, the second factor, the audit log, headers."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from coordinator.audit.models import AuditEvent, RolePolicy
from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.timeutil import now_utc
from tests.helpers import TEST_PASSWORD, login, text_of


def _try(client, email, password="wrong password"):
    return client.post("/login", data={"email": email, "password": password})


def test_repeated_failures_are_slowed_then_refused_with_429(app, make_user, clock):
    user = make_user()
    client = app.test_client()
    for _ in range(3):
        assert _try(client, user.email).status_code == 400
    slowed = _try(client, user.email)
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) >= 1
    assert "wait" in text_of(slowed)
    # Waiting as long as told lets the next try through; the waits grow (2, 4, 8 ... seconds).
    failures, waits = 3, []
    while failures < 10:
        response = _try(client, user.email)
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            clock.advance(seconds=waits[-1])
        else:
            assert response.status_code == 400
            failures += 1
    assert waits == sorted(waits) and waits[-1] > waits[0]
    locked = _try(client, user.email, TEST_PASSWORD)  # even the right password, once locked
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 60
    clock.advance(minutes=16)
    assert _try(client, user.email, TEST_PASSWORD).status_code == 302


def test_a_good_sign_in_clears_the_failures(app, make_user, clock):
    user = make_user()
    client = app.test_client()
    for _ in range(3):
        _try(client, user.email)
    clock.advance(seconds=3)
    assert _try(client, user.email, TEST_PASSWORD).status_code == 302
    other = app.test_client()
    for _ in range(3):
        assert _try(other, user.email).status_code == 400


def test_one_address_trying_many_accounts_is_refused(app, clock):
    client = app.test_client()
    for i in range(30):
        clock.advance(seconds=1)
        assert _try(client, f"someone{i}@example.com").status_code == 400
    assert _try(client, "another@example.com").status_code == 429


def _enable_totp(client) -> str:
    page = client.get("/profile/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="copy-field">([A-Z2-7]+)</code>', page).group(1)
    assert 'src="data:image/svg+xml' in page  # the QR code
    wrong = client.post("/profile/two-factor", data={"code": "000000"})
    assert wrong.status_code == 400 and "not right" in text_of(wrong)
    response = client.post("/profile/two-factor", data={"code": pyotp.TOTP(secret).at(now_utc())})
    assert response.status_code == 302
    return secret


def test_authenticator_app_second_factor(app, make_user, client_for, clock):
    user = make_user(Role.RECRUITER)
    client = client_for(user)
    secret = _enable_totp(client)
    client.post("/logout")
    clock.advance(seconds=30)  # the next code: the one used to switch it on cannot be used again

    step_one = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert step_one.headers["Location"] == "/login/verify"
    assert client.get("/jobs").status_code == 302  # not signed in yet
    assert client.post("/login/verify", data={"code": "123456"}).status_code == 400
    code = pyotp.TOTP(secret).at(clock.now)
    assert client.post("/login/verify", data={"code": code}).status_code == 302
    assert client.get("/jobs").status_code == 200
    # the same code cannot be used again
    client.post("/logout")
    client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert client.post("/login/verify", data={"code": code}).status_code == 400


def test_admin_can_require_the_second_factor_for_a_role(app, make_user, client_for):
    admin = client_for(make_user(Role.ADMIN))
    assert admin.post("/admin/security", data={"requires_totp": ["recruiter"]}).status_code == 302
    assert db.session.get(RolePolicy, "recruiter").requires_totp
    assert admin.post("/admin/security", data={"requires_totp": ["emperor"]}).status_code == 400

    recruiter = login(app.test_client(), make_user(Role.RECRUITER))
    blocked = recruiter.get("/candidates")
    assert blocked.status_code == 302 and blocked.headers["Location"] == "/profile/two-factor"
    _enable_totp(recruiter)
    assert recruiter.get("/candidates").status_code == 200
    # a required factor cannot be switched off
    assert recruiter.post("/profile/two-factor", data={"code": "000000"}).status_code == 403


def test_audit_log_records_sign_ins_and_refusals_without_secrets(app, make_user, client_for):
    user = make_user(Role.INTERVIEWER, email="ian@example.com")
    client = app.test_client()
    _try(client, "ian@example.com\r\nforged: entry", "s3cret-password")
    login(client, user)
    assert client.get("/users").status_code == 403
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [e.action for e in events]
    assert actions[:3] == ["auth.login_failed", "auth.login", "access.denied"]
    for e in events:
        assert "s3cret-password" not in f"{e.actor_label} {e.detail}"
        assert "\n" not in e.actor_label + e.detail and "\r" not in e.actor_label + e.detail
    assert events[2].detail == "GET /users" and events[2].actor_id == user.id

    admin = client_for(make_user(Role.ADMIN))
    page = text_of(admin.get("/audit"))
    assert "auth.login_failed" in page and "access.denied" in page
    rows = text_of(admin.get("/audit?action=access")).split("Detail", 1)[1]
    assert "access.denied" in rows and "auth.login_failed" not in rows


def test_user_changes_are_audited(app, make_user, client_for):
    admin_user = make_user(Role.ADMIN)
    admin = client_for(admin_user)
    target = make_user(Role.INTERVIEWER, name="Tom Becker")
    admin.post(f"/users/{target.id}/edit", data={"name": "Tom Becker", "email": target.email, "job_title": "",
                                                 "timezone": "Europe/Berlin", "roles": ["interviewer", "recruiter"],
                                                 "is_enabled": "y"})
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated"))
    assert event.target_id == target.id and "recruiter" in event.detail and event.actor_id == admin_user.id


def test_security_headers(app, make_user, client_for):
    response = app.test_client().get("/login")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "Strict-Transport-Security" not in response.headers
    secure = app.test_client().get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_only_admins_see_the_audit_log(app, make_user, client_for):
    for role in (Role.RECRUITER, Role.HIRING_MANAGER, Role.INTERVIEWER):
        client = client_for(make_user(role))
        assert client.get("/audit").status_code == 403
        assert client.get("/admin/security").status_code == 403
