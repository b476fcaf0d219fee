"""Helpers shared by tests: component checks, signing in, reading what a page shows."""

from __future__ import annotations

import html as html_module
import os
import re

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
