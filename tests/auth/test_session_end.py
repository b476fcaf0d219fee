"""Ending a session ends it on the server: a copy of the session cookie, replayed from another browser after
sign-out, a password change, disabling or a new two-factor requirement, opens nothing."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from coordinator.auth.roles import Role
from tests.helpers import login, text_of


def _copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie (what a thief replays)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _signed_out(client: FlaskClient, path: str = "/jobs") -> bool:
    response = client.get(path)
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def _edit(user, **changes) -> dict:
    data = {
        "name": user.name,
        "email": user.email,
        "job_title": "",
        "timezone": user.timezone,
        "roles": [r.value for r in user.roles],
        "is_enabled": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_copied_cookie_is_refused_after_sign_out(app, make_user, client_for):
    user = make_user(Role.RECRUITER)
    client = client_for(user)
    thief = _copy_of(app, client)
    assert thief.get("/jobs").status_code == 200  # the copy works while the session lives
    assert client.post("/logout").status_code == 302
    assert _signed_out(thief)
    # signing in again works, and the old copy stays dead
    login(client, user)
    assert client.get("/jobs").status_code == 200
    assert _signed_out(thief)


def test_signing_out_ends_the_users_other_sessions_too(app, make_user, client_for):
    user = make_user(Role.RECRUITER)
    laptop, phone = client_for(user), client_for(user)
    laptop.post("/logout")
    assert _signed_out(phone)


def test_an_admin_setting_a_password_ends_that_persons_sessions(app, make_user, client_for):
    admin = client_for(make_user(Role.ADMIN))
    person = make_user(Role.RECRUITER)
    theirs = client_for(person)
    thief = _copy_of(app, theirs)
    response = admin.post(f"/users/{person.id}/edit", data=_edit(person, password="a brand new passphrase"))
    assert response.status_code == 302, text_of(response)
    assert _signed_out(theirs) and _signed_out(thief)
    assert admin.get("/users").status_code == 200  # the admin's own session is untouched
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": person.email, "password": "a brand new passphrase"}).status_code == 302


def test_an_admin_changing_their_own_password_stays_signed_in_here_only(app, make_user, client_for):
    admin_user = make_user(Role.ADMIN)
    here, elsewhere = client_for(admin_user), client_for(admin_user)
    copy = _copy_of(app, here)
    response = here.post(f"/users/{admin_user.id}/edit", data=_edit(admin_user, password="another long passphrase"))
    assert response.status_code == 302, text_of(response)
    assert here.get("/users").status_code == 200
    assert _signed_out(elsewhere) and _signed_out(copy)


def test_a_password_set_through_a_link_ends_the_old_sessions(app, make_user, client_for):
    person = make_user(Role.INTERVIEWER)
    theirs = client_for(person)
    admin = client_for(make_user(Role.ADMIN))
    page = admin.post(f"/users/{person.id}/password-link").get_data(as_text=True)
    link = page.split("/set-password/", 1)[1].split('"', 1)[0].split("<", 1)[0]
    anonymous = app.test_client()
    response = anonymous.post(
        f"/set-password/{link}", data={"password": "the third passphrase", "confirm": "the third passphrase"}
    )
    assert response.status_code == 302, text_of(response)
    assert _signed_out(theirs, "/availability")


def test_disabling_ends_every_session_and_a_copy(app, make_user, client_for):
    admin = client_for(make_user(Role.ADMIN))
    person = make_user(Role.RECRUITER)
    theirs = client_for(person)
    thief = _copy_of(app, theirs)
    assert admin.post(f"/users/{person.id}/edit", data=_edit(person, is_enabled=None)).status_code == 302
    assert _signed_out(theirs) and _signed_out(thief)


def test_a_new_two_factor_requirement_ends_the_role_holders_sessions(app, make_user, client_for):
    admin_user = make_user(Role.ADMIN)
    admin = client_for(admin_user)
    recruiter = make_user(Role.RECRUITER)
    interviewer = make_user(Role.INTERVIEWER)
    recruiter_client, interviewer_client = client_for(recruiter), client_for(interviewer)
    thief = _copy_of(app, recruiter_client)
    response = admin.post("/admin/security", data={"requires_totp": ["recruiter"]})
    assert response.status_code == 302
    assert "1 person holding a newly required role must sign in again" in text_of(admin.get("/admin/security"))
    assert _signed_out(recruiter_client) and _signed_out(thief)
    assert interviewer_client.get("/availability").status_code == 200  # other roles are not affected
    # signing in again leads to setting up the factor before anything else
    login(recruiter_client, recruiter)
    blocked = recruiter_client.get("/jobs")
    assert blocked.status_code == 302 and blocked.headers["Location"] == "/profile/two-factor"
    # saving the same policy again is not a new requirement: nobody is signed out
    login(thief, recruiter)
    admin.post("/admin/security", data={"requires_totp": ["recruiter"]})
    assert thief.get("/profile/two-factor").status_code == 200


def test_requiring_the_factor_for_the_admins_own_role_keeps_them_here_but_asks_for_it(app, make_user, client_for):
    admin_user = make_user(Role.ADMIN)
    here, elsewhere = client_for(admin_user), client_for(admin_user)
    assert here.post("/admin/security", data={"requires_totp": ["admin"]}).status_code == 302
    assert _signed_out(elsewhere, "/users")
    enrol = here.get("/users")
    assert enrol.status_code == 302 and enrol.headers["Location"] == "/profile/two-factor"
    assert here.get("/profile/two-factor").status_code == 200
