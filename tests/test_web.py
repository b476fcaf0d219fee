"""One transaction per request (coordinator.web.App): a response under 400 commits, anything else rolls back;
the few writes that must outlast an error page go through web.persist_apart."""

from __future__ import annotations

from sqlalchemy import func, select

from coordinator.audit.models import AuditEvent
from coordinator.audit.services import record
from coordinator.auth.models import User
from coordinator.errors import ServiceError
from coordinator.extensions import db
from coordinator.web import discard_changes, persist_apart
from tests.helpers import text_of


def _events(action: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action)) or 0


def _route(app, path: str, view) -> None:
    app.add_url_rule(path, path.strip("/"), view, methods=["GET"])


def test_a_successful_response_commits_and_an_error_status_rolls_back(app):
    def ok():
        record("test.ok")
        return "ok"

    def form_again():
        record("test.refused")
        return "not like this", 400

    def conflict():
        record("test.conflict")
        return "taken", 409

    _route(app, "/t/ok", ok)
    _route(app, "/t/form", form_again)
    _route(app, "/t/conflict", conflict)
    client = app.test_client()
    assert client.get("/t/ok").status_code == 200
    assert client.get("/t/form").status_code == 400
    assert client.get("/t/conflict").status_code == 409
    assert (_events("test.ok"), _events("test.refused"), _events("test.conflict")) == (1, 0, 0)


def test_an_uncaught_service_error_is_a_400_page_with_its_message_and_nothing_is_kept(app):
    def refuse():
        record("test.half_done")
        raise ServiceError("The last day must not be before the first.")

    _route(app, "/t/refuse", refuse)
    response = app.test_client().get("/t/refuse")
    assert response.status_code == 400 and "The last day must not be before the first." in text_of(response)
    assert _events("test.half_done") == 0


def test_a_redirect_after_a_refusal_keeps_nothing(app):
    def refused_then_redirect():
        record("test.discarded")
        discard_changes()
        return "", 303, {"Location": "/"}

    _route(app, "/t/discard", refused_then_redirect)
    assert app.test_client().get("/t/discard").status_code == 303
    assert _events("test.discarded") == 0


def test_persist_apart_outlasts_the_error_page_and_drops_the_rest(app):
    def counted():
        record("test.dropped")
        persist_apart(lambda: record("test.counted"))
        record("test.dropped_too")
        return "wait", 429

    _route(app, "/t/counted", counted)
    assert app.test_client().get("/t/counted").status_code == 429
    assert (_events("test.counted"), _events("test.dropped"), _events("test.dropped_too")) == (1, 0, 0)


def test_a_conflict_at_commit_time_is_the_409_page_not_a_traceback(app, make_user):
    taken = make_user().email

    def duplicate():
        db.session.add(User(email=taken, name="Twin", job_title="", timezone="UTC"))
        return "saved"

    _route(app, "/t/duplicate", duplicate)
    response = app.test_client().get("/t/duplicate")
    assert response.status_code == 409 and "Someone changed this at the same time" in text_of(response)
    assert db.session.scalar(select(func.count(User.id)).where(User.email == taken)) == 1
