"""Helpers shared by tests: component checks, signing in, reading what a page shows."""

from __future__ import annotations

import html as html_module
import os
import re
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient

from coordinator.auth.models import User

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
