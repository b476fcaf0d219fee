"""Helpers for the API tests: keys made the way an admin makes them, and clients that send them."""

from __future__ import annotations

from coordinator.api import services
from coordinator.auth.permissions import api_scope_names
from coordinator.extensions import db


def make_key(admin, scopes: list[str] | None = None, name: str = "Greenhouse sync") -> str:
    new = services.create_key(name, scopes if scopes is not None else api_scope_names(), admin)
    db.session.commit()
    return new.token


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}
