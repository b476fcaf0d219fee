"""COORDINATOR_PROXY_HOPS: which forwarded headers the app believes. With 0 (the default: nothing in front of the
app) a client's own X-Forwarded-For changes nothing; with 1 (deploy/: nginx) the address nginx appended is the
client, and whatever the client wrote before it is ignored. The real nginx in front of real gunicorn is tested in
test_proxy_limits.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from coordinator import create_app
from coordinator.audit.models import AuditEvent
from coordinator.auth.roles import Role
from coordinator.config import ConfigError
from coordinator.extensions import db
from tests.helpers import TEST_PASSWORD, new_user


@pytest.fixture
def sqlite_source(sqlite_template: Path) -> Path:
    """These tests need no route-walk world: the empty migrated schema."""
    return sqlite_template


def _app_with_hops(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, hops: str | None) -> Flask:
    if hops is None:
        monkeypatch.delenv("COORDINATOR_PROXY_HOPS", raising=False)
    else:
        monkeypatch.setenv("COORDINATOR_PROXY_HOPS", hops)
    return request.getfixturevalue("app")


def _failed_sign_in_address(client, **headers: str) -> str:
    client.post("/login", data={"email": "nobody@example.com", "password": "wrong password"}, headers=headers)
    return db.session.scalars(select(AuditEvent.ip).order_by(AuditEvent.id.desc()).limit(1)).one()


def test_by_default_x_forwarded_for_is_ignored(request, monkeypatch):
    app = _app_with_hops(request, monkeypatch, None)
    assert app.config["PROXY_HOPS"] == 0
    client = app.test_client()
    assert _failed_sign_in_address(client, **{"X-Forwarded-For": "203.0.113.7"}) == "127.0.0.1"
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers  # not believed to be HTTPS either


def test_with_zero_hops_a_client_cannot_escape_the_address_limit_by_forging_the_header(request, monkeypatch):
    app = _app_with_hops(request, monkeypatch, "0")
    client = app.test_client()
    for i in range(30):
        response = client.post(
            "/login",
            data={"email": f"someone{i}@example.com", "password": "wrong"},
            headers={"X-Forwarded-For": f"198.51.100.{i}"},
        )
        assert response.status_code == 400
    forged = client.post(
        "/login",
        data={"email": "another@example.com", "password": "wrong"},
        headers={"X-Forwarded-For": "198.51.100.250"},
    )
    assert forged.status_code == 429


def test_with_one_hop_the_address_the_proxy_appended_is_the_client(request, monkeypatch):
    app = _app_with_hops(request, monkeypatch, "1")
    assert app.config["PROXY_HOPS"] == 1
    client = app.test_client()
    assert _failed_sign_in_address(client, **{"X-Forwarded-For": "203.0.113.7"}) == "203.0.113.7"
    # what the client wrote itself comes first; the proxy appends the address it saw, and only that counts
    assert _failed_sign_in_address(client, **{"X-Forwarded-For": "10.0.0.1, 203.0.113.8"}) == "203.0.113.8"
    response = client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_with_one_hop_one_client_does_not_lock_out_another(request, monkeypatch):
    app = _app_with_hops(request, monkeypatch, "1")
    assert app.config["PROXY_HOPS"] == 1
    user = new_user(Role.RECRUITER)
    attacker, colleague = app.test_client(), app.test_client()
    for i in range(30):
        response = attacker.post(
            "/login",
            data={"email": f"someone{i}@example.com", "password": "wrong"},
            headers={"X-Forwarded-For": "203.0.113.66"},
        )
        assert response.status_code == 400
    locked = attacker.post(
        "/login",
        data={"email": "another@example.com", "password": "wrong"},
        headers={"X-Forwarded-For": "203.0.113.66"},
    )
    assert locked.status_code == 429
    signed_in = colleague.post(
        "/login", data={"email": user.email, "password": TEST_PASSWORD}, headers={"X-Forwarded-For": "198.51.100.20"}
    )
    assert signed_in.status_code == 302


@pytest.mark.parametrize("value", ["-1", "one", "9"])
def test_a_wrong_hop_count_refuses_to_start(tmp_path, monkeypatch, value):
    monkeypatch.setenv("COORDINATOR_PROXY_HOPS", value)
    with pytest.raises(ConfigError, match="COORDINATOR_PROXY_HOPS"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
