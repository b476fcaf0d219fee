"""Admins manage accounts: roles, time zones, working hours, set-password links."""

from __future__ import annotations

import re
from datetime import time

from sqlalchemy import select

from coordinator.auth.models import User
from coordinator.auth.roles import Role
from coordinator.extensions import db
from tests.helpers import text_of

HOURS_9_TO_5 = {f"working_hours-{d}-start": "09:00" for d in range(5)} | {
    f"working_hours-{d}-end": "17:00" for d in range(5)
}


def _user_form(**overrides):
    data = {"name": "Priya Nair", "email": "priya@example.com", "job_title": "Senior Backend Engineer",
            "timezone": "Asia/Kolkata", "roles": ["interviewer"], "is_enabled": "y", **HOURS_9_TO_5}
    data.update(overrides)
    return data


def test_admin_creates_an_interviewer_with_hours_in_their_zone(app, make_user, client_for):
    client = client_for(make_user(Role.ADMIN))
    data = _user_form(password="a-good-password", **{"working_hours-5-start": "10:00", "working_hours-5-end": "12:00"})
    response = client.post("/users/new", data=data)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "priya@example.com"))
    assert user.timezone == "Asia/Kolkata" and user.roles == {Role.INTERVIEWER}
    hours = {wh.weekday: (wh.start_time, wh.end_time) for wh in user.working_hours}
    assert hours[0] == (time(9), time(17)) and hours[5] == (time(10), time(12)) and 6 not in hours
    listing = text_of(client.get("/users"))
    assert "Priya Nair" in listing and "Asia/Kolkata".replace("_", " ") in listing


def test_admin_without_password_gets_a_one_time_set_password_link(app, make_user, client_for):
    client = client_for(make_user(Role.ADMIN))
    response = client.post("/users/new", data=_user_form())
    assert response.status_code == 200
    link = re.search(r'value="(http://localhost/set-password/[^"]+)"', response.get_data(as_text=True)).group(1)
    path = link.removeprefix("http://localhost")
    visitor = app.test_client()
    assert visitor.get(path).status_code == 200
    short = visitor.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "at least 8" in text_of(short)
    done = visitor.post(path, data={"password": "a" * 128, "confirm": "a" * 128})
    assert done.status_code == 302
    assert visitor.post("/login", data={"email": "priya@example.com", "password": "a" * 128}).status_code == 302
    assert app.test_client().get(path).status_code == 404  # the link works once


def test_password_over_128_characters_is_refused(app, make_user, client_for):
    client = client_for(make_user(Role.ADMIN))
    response = client.post("/users/new", data=_user_form(password="a" * 129))
    assert response.status_code == 400 and "at most 128" in text_of(response)
    assert db.session.scalar(select(User).where(User.email == "priya@example.com")) is None


def test_field_errors_for_bad_user_input(app, make_user, client_for):
    existing = make_user(email="taken@example.com")
    client = client_for(make_user(Role.ADMIN))
    cases = [
        (_user_form(email="not-an-email"), "Invalid email address"),
        (_user_form(email=existing.email), "Another user already has this email address."),
        (_user_form(timezone="Mars/Olympus_Mons"), "Choose a time zone from the list."),
        (_user_form(roles=[]), "Give the user at least one role."),
        (_user_form(roles=["superuser"]), "'superuser' is not a valid choice"),
        (_user_form(**{"working_hours-0-start": "17:00", "working_hours-0-end": "09:00"}),
         "The day must end after it starts."),
        (_user_form(**{"working_hours-0-start": "09:00", "working_hours-0-end": ""}),
         "Give both times, or neither for a day off."),
        (_user_form(name="Line\nbreak"), "Use a single line"),
    ]
    for data, message in cases:
        response = client.post("/users/new", data=data)
        assert response.status_code == 400, message
        assert message in text_of(response), message
    assert db.session.scalar(select(User).where(User.email == "priya@example.com")) is None


def test_only_admins_manage_users(app, make_user, client_for):
    for role in (Role.RECRUITER, Role.HIRING_MANAGER, Role.INTERVIEWER):
        client = client_for(make_user(role))
        assert client.get("/users").status_code == 403
        assert client.post("/users/new", data=_user_form()).status_code == 403
    assert db.session.scalar(select(User).where(User.email == "priya@example.com")) is None


def test_unknown_user_id_is_404(app, make_user, client_for):
    client = client_for(make_user(Role.ADMIN))
    assert client.get("/users/999999/edit").status_code == 404
    assert client.get("/users/abc/edit").status_code == 404


def test_admin_cannot_lock_themselves_out(app, make_user, client_for):
    admin = make_user(Role.ADMIN, name="Alex Admin")
    client = client_for(admin)
    response = client.post(f"/users/{admin.id}/edit", data=_user_form(
        name="Alex Admin", email=admin.email, roles=["recruiter"]))
    assert response.status_code == 400
    assert "cannot remove your own admin role" in text_of(response)
    db.session.refresh(admin)
    assert Role.ADMIN in admin.roles


def test_user_edits_own_profile_and_times_follow_their_zone(app, make_user, client_for):
    user = make_user(Role.RECRUITER, timezone="Europe/Berlin")
    client = client_for(user)
    response = client.post("/profile", data={"name": "New Name", "job_title": "Lead", "timezone": "America/New_York",
                                             **HOURS_9_TO_5})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.timezone == "America/New_York" and user.name == "New Name"
    assert "America/New York" in text_of(client.get("/"))
