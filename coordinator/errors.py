"""Error pages in the site's layout; no request ever ends in a bare traceback."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from coordinator.extensions import db

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


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _render(400, "The form expired or was sent from elsewhere. Reload the page and submit it again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code == 403:
            from flask import request

            from coordinator.audit.services import record_now

            record_now("access.denied", detail=f"{request.method} {request.path}")
        return _render(exc.code, exc.description if exc.code in (409,) and exc.description else None)

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError):
        db.session.rollback()
        return _render(500)


def _render(code: int, detail: str | None = None):
    title, hint = MESSAGES.get(code, ("Something went wrong", "Try again."))
    return render_template("errors/error.html", code=code, title=title, hint=detail or hint), code
