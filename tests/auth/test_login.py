"""Signing in and out: what a user sees, and what an attacker cannot do."""

from __future__ import annotations

from coordinator.auth.roles import Role
from coordinator.extensions import db
from tests.helpers import TEST_PASSWORD, login, text_of


def test_sign_in_lands_on_home_with_the_users_name(app, make_user):
    user = make_user(Role.RECRUITER, name="Rita Okafor")
    client = app.test_client()
    response = client.post("/login", data={"email": "  " + user.email.upper(), "password": TEST_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert "Good to see you, Rita" in text_of(home)


def test_wrong_password_and_unknown_email_get_the_same_message(app, make_user):
    user = make_user()
    client = app.test_client()
    wrong = client.post("/login", data={"email": user.email, "password": "not the password"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 400
    assert "Wrong email or password." in text_of(wrong)
    assert "Wrong email or password." in text_of(unknown)
    assert text_of(wrong).replace(user.email, "") == text_of(unknown).replace("nobody@example.com", "")


def test_disabled_user_cannot_sign_in(app, make_user):
    user = make_user()
    user.is_enabled = False
    db.session.commit()
    response = app.test_client().post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "Wrong email or password." in text_of(response)


def test_disabling_a_user_ends_their_open_session(app, make_user, client_for):
    admin = make_user(Role.ADMIN)
    victim = make_user(Role.RECRUITER, name="Vic Tim")
    victim_client = client_for(victim)
    assert victim_client.get("/jobs").status_code == 200
    admin_client = client_for(admin)
    response = admin_client.post(f"/users/{victim.id}/edit", data={
        "name": "Vic Tim", "email": victim.email, "job_title": "", "timezone": "Europe/Berlin",
        "roles": ["recruiter"],  # is_enabled unchecked
    })
    assert response.status_code == 302
    after = victim_client.get("/jobs")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")


def test_session_is_renewed_at_sign_in(app, make_user):
    user = make_user()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    login(client, user)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.permanent


def test_session_cookie_is_httponly_and_samesite_lax(app, make_user):
    user = make_user()
    response = app.test_client().post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_out_needs_a_post_and_ends_the_session(app, make_user, client_for):
    client = client_for(make_user())
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/jobs").status_code == 302
    assert "You are signed out." in text_of(client.get("/login"))


def test_post_without_csrf_token_is_refused_with_400(app, make_user):
    user = make_user()
    response = app.test_client().post("/login", data={"email": user.email, "password": TEST_PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "The form expired" in text_of(response)


def test_login_does_not_redirect_to_other_sites(app, make_user):
    user = make_user()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = app.test_client().post(f"/login?next={target}",
                                          data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302
        assert "evil" not in response.headers["Location"]
    response = app.test_client().post("/login?next=/candidates", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/candidates"


def test_signed_out_visitor_is_sent_to_sign_in(app):
    response = app.test_client().get("/candidates")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_overlong_password_is_a_field_error_not_a_crash(app, make_user):
    user = make_user()
    response = app.test_client().post("/login", data={"email": user.email, "password": "x" * 10_000})
    assert response.status_code == 400
    assert "Field cannot be longer than 128 characters." in text_of(response)
