"""Settings from the environment: safe defaults for development, refusals for unsafe production."""

from __future__ import annotations

import pytest

from coordinator import create_app
from coordinator.config import ConfigError


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("COORDINATOR_ENV", "production")
    monkeypatch.delenv("COORDINATOR_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="COORDINATOR_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("COORDINATOR_ENV", raising=False)
    monkeypatch.delenv("COORDINATOR_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'coordinator.sqlite3'}"


def test_production_cookies_are_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("COORDINATOR_ENV", "production")
    monkeypatch.setenv("COORDINATOR_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("COORDINATOR_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
