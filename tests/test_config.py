"""Settings from the environment: safe defaults for development, refusals for unsafe production."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coordinator import create_app, timeutil
from coordinator.config import ConfigError, load_config


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


def test_no_setting_moves_the_clock(tmp_path, monkeypatch):
    """Time is faked only by the tests' clock (timeutil.set_clock), never by a setting a production host could carry:
    the old COORDINATOR_TEST_CLOCK_OFFSET_SECONDS is ignored."""
    monkeypatch.setenv("COORDINATOR_TEST_CLOCK_OFFSET_SECONDS", "86400")
    settings = load_config(str(tmp_path))
    assert not [name for name in settings if "CLOCK" in name or "OFFSET" in name]
    assert abs((timeutil.now_utc() - datetime.now(UTC)).total_seconds()) < 60


def test_the_password_hash_cost_is_a_setting_and_nonsense_is_refused(tmp_path, monkeypatch):
    from coordinator.auth import passwords

    assert load_config(str(tmp_path))["ARGON2_MEMORY_KIB"] is None  # unset: argon2-cffi's own defaults
    for name in ("_hasher", "_DUMMY_HASH"):  # the suite's cheap hasher comes back after this test
        monkeypatch.setattr(passwords, name, getattr(passwords, name))
    monkeypatch.setenv("COORDINATOR_ARGON2_TIME_COST", "2")
    monkeypatch.setenv("COORDINATOR_ARGON2_MEMORY_KIB", "16384")
    monkeypatch.setenv("COORDINATOR_ARGON2_PARALLELISM", "1")
    create_app({"INSTANCE_PATH": str(tmp_path)})
    made = passwords.hash_password("correct horse battery")
    assert made.startswith("$argon2id$v=19$m=16384,t=2,p=1$")
    assert passwords.verify_password(made, "correct horse battery")
    monkeypatch.setenv("COORDINATOR_ARGON2_MEMORY_KIB", "lots")
    with pytest.raises(ConfigError, match="COORDINATOR_ARGON2_MEMORY_KIB must be a whole number"):
        load_config(str(tmp_path))
