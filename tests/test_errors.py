"""Error pages look like the rest of the site and never leak a traceback."""

from __future__ import annotations

from coordinator.auth.roles import Role
from tests.helpers import text_of


def test_404_page_in_layout(app):
    response = app.test_client().get("/no/such/page")
    assert response.status_code == 404
    page = text_of(response)
    assert "This page does not exist" in page and "Back to the home page" in page


def test_405_is_a_page_not_a_crash(app, make_user, client_for):
    client = client_for(make_user(Role.ADMIN))
    response = client.post("/jobs")
    assert response.status_code == 405 and "not available here" in text_of(response)


def test_upload_over_the_limit_is_413(app, make_user, client_for):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    client = client_for(make_user(Role.ADMIN))
    response = client.post("/users/new", data={"name": "x" * 5000})
    assert response.status_code == 413 and "too large" in text_of(response)


def test_security_headers_on_pages(app, make_user, client_for):
    response = client_for(make_user(Role.ADMIN)).get("/users")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_ids_too_large_for_the_database_are_404(app, make_user, client_for):
    client = client_for(make_user(Role.ADMIN))
    for url in ("/candidates/99999999999999999999", "/jobs/2147483648", "/users/99999999999999999999/edit",
                "/loops/10000000000000000000000"):
        assert client.get(url).status_code == 404, url


def test_healthz_is_plain_and_needs_no_login(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"


def test_query_count_header_only_when_asked(app, sqlite_template, tmp_path, make_user, client_for):
    assert "X-Query-Count" not in client_for(make_user(Role.ADMIN)).get("/users").headers
    import shutil

    from coordinator import create_app

    path = tmp_path / "counted.sqlite3"
    shutil.copy(sqlite_template, path)
    counted = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                          "INSTANCE_PATH": str(tmp_path), "QUERY_COUNT_HEADER": True})
    response = counted.test_client().get("/login")
    assert response.headers["X-Query-Count"] == "0"
