"""The demo organisation includes a loop with scorecards: the debrief and the independence rule show on it."""

from __future__ import annotations

from sqlalchemy import select

from coordinator.auth.models import User
from coordinator.demo import DEMO_PASSWORD, seed_demo
from coordinator.extensions import db
from coordinator.loops.models import Loop
from tests.helpers import text_of


def _client(app, local):
    client = app.test_client()
    response = client.post("/login", data={"email": f"{local}@demo.coordinator.test", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def test_the_demo_has_a_debrief_waiting_for_one_scorecard(app):
    seed_demo()
    db.session.commit()
    loop = db.session.scalar(select(Loop))
    debrief = text_of(_client(app, "hannah").get(f"/loops/{loop.id}/debrief"))
    assert "Debrief · Sofia García" in debrief and "4 of 5 submitted" in debrief
    assert "Jonas Weber" in debrief and "Overdue" in debrief
    jonas = _client(app, "jonas")
    assert "Overdue" in text_of(jonas.get("/scorecards"))
    tobias = db.session.scalar(select(User).where(User.name == "Tobias Schmidt"))
    panel = loop.sessions[1]
    assert jonas.get(f"/loops/{loop.id}/sessions/{panel.id}/scorecards/{tobias.id}").status_code == 403
