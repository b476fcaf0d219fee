"""Error pages in the site's layout; no request ever ends in a bare traceback. `ServiceError` is what every
service raises when it refuses: its message and status become the page when no view shows it on a form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from coordinator.extensions import db


class ServiceError(ValueError):
    """A rule was broken: `message` says what to do instead, `field` names the form field to show it on (None:
    above the form), `status` is the page's status when a view lets it through (errors.py)."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConcurrentChange(ServiceError):
    """Another request changed the same row (its version moved) between this request's read and its write:
    nothing of this request is kept, and the page says so (409) with a link to the thing as it is now."""

    status = 409


#: what a request that lost a race on a loop is told
LOOP_CHANGED = "Someone else changed this loop; here it is as it is now."

MESSAGES = {
    400: ("Something in the request was not right", "Go back, check the form and try again."),
    403: ("You do not have access to this page", "Ask a recruiter or an admin if you think you should."),
    404: ("This page does not exist", "The link may be old, or the item was removed."),
    405: ("That action is not available here", "Use the buttons on the page instead of typing the address."),
    409: ("Someone changed this at the same time", "Reload the page to see the latest version, then try again."),
    413: ("The upload is too large", "Choose a smaller file."),
    429: ("Too many attempts", "Wait a few minutes before trying again."),
    500: ("Something went wrong on our side", "The error has been logged. Try again in a moment."),
}


#: (path prefix, renderer(code, detail, exc)) for parts of the site that answer in another format than pages: the
#: API's problem+json (api.http); registered at app start
_renderers: list[tuple[str, Callable[[int, str | None, BaseException | None], Any]]] = []


def render_under(prefix: str, renderer: Callable[[int, str | None, BaseException | None], Any]) -> None:
    """Errors of requests whose path starts with `prefix` are rendered by `renderer` instead of the error page."""
    _renderers[:] = [(p, r) for p, r in _renderers if p != prefix] + [(prefix, renderer)]


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _render(400, "The form expired or was sent from elsewhere. Reload the page and submit it again.", exc)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code == 403:
            from flask import request

            from coordinator.audit.services import record_now

            record_now("access.denied", detail=f"{request.method} {request.path}")
        # a description the view gave (abort(400, description=...)) says what to do; werkzeug's default does not
        own = exc.description if exc.description != type(exc).description else None
        return _render(exc.code, own if exc.code in (400, 409) else None, exc)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        return _render(exc.status, exc.message, exc)

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):
        """Two requests wrote the same thing at once (a unique key, an overlap): the later one sees a 409."""
        db.session.rollback()
        return _render(409, None, exc)

    @app.errorhandler(OperationalError)
    def operational_error(exc: OperationalError):
        db.session.rollback()
        return _render(500, None, exc)

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError):
        db.session.rollback()
        return _render(500, None, exc)


def _render(code: int, detail: str | None = None, exc: BaseException | None = None):
    if _renderers:
        from flask import request

        for prefix, renderer in _renderers:
            if request.path.startswith(prefix):
                return renderer(code, detail, exc)
    title, hint = MESSAGES.get(code, ("Something went wrong", "Try again."))
    again = _current_state_url() if code == 409 else None
    return render_template("errors/error.html", code=code, title=title, hint=detail or hint, again=again), code


def _current_state_url() -> str | None:
    """For a conflict under a loop's pages: the loop page, which shows it as it is now."""
    from flask import request, url_for

    loop_id = (request.view_args or {}).get("loop_id")
    if loop_id is None or not (request.blueprint or "").startswith(("loops", "scorecards", "kits")):
        return None
    return url_for("loops.show", loop_id=loop_id)
