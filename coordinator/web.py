"""Request-wide plumbing: the one place a request commits or rolls back, the login loader, SQLite pragmas,
template helpers and security headers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, Response, abort, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.routing import IntegerConverter

from coordinator import dblock, timeutil
from coordinator.errors import LOOP_CHANGED, MESSAGES, ConcurrentChange
from coordinator.extensions import db, login_manager
from coordinator.forms import apply_service_error
from coordinator.timeutil import DATETIME_FORMAT, format_instant, format_range

T = TypeVar("T")


class App(Flask):
    """Flask with one transaction per request (as Indico's `RH.process`): views call services, which add and
    flush; the view's response decides. Below 400 the request commits, otherwise (an exception, a form shown
    again with its errors, a conflict page) everything it wrote is rolled back. A failure at commit time goes
    through the error handlers like any other exception (errors.py: 409 or 500 pages)."""

    def dispatch_request(self) -> Response:
        try:
            response = self.make_response(super().dispatch_request())
            if response.status_code < 400 and not g.get("_discard_changes"):
                db.session.commit()
            else:
                db.session.rollback()
        except StaleDataError as exc:
            # A versioned row (a loop, a scorecard) changed under this request: a 409, never a 500.
            db.session.rollback()
            raise concurrent_change(exc) from exc
        except BaseException:
            db.session.rollback()
            raise
        return response


def allowed(rule: Callable[[Any], bool]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view for a signed-in user whom `rule` (`can_...(user)`) allows: `login_required` (a visitor is sent to
    sign in), then a 403 page when the rule refuses."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not rule(current_user):
                abort(403)
            return view(*args, **kwargs)
        return checked
    return decorate


def allowed_or_404(model: type[T], ident: int, *rules: Callable[[Any, T], bool]) -> T:
    """The row of `model` a URL names: a 404 when there is none, a 403 when a rule (`can_...(user, row)`) refuses
    the signed-in user."""
    row = db.get_or_404(model, ident)
    for rule in rules:
        if not rule(current_user, row):
            abort(403)
    return row


def concurrent_change(exc: StaleDataError) -> ConcurrentChange:
    """What a request that lost a race on a versioned row is told (errors.py renders it as a 409)."""
    return ConcurrentChange(LOOP_CHANGED if "'loops'" in str(exc) else MESSAGES[409][1])


def discard_changes() -> None:
    """Forget what this request wrote so far, because a service refused half-way: the page that follows shows
    what is saved, and the request ends without committing even when it answers with a redirect."""
    db.session.rollback()
    g._discard_changes = True


def refused(form: Any, exc: Exception) -> None:
    """A service refused what the form asked: nothing it wrote is kept, and its message shows on the field it
    names (or above the form)."""
    discard_changes()
    apply_service_error(form, exc)


#: what a POST with an expired (or missing) CSRF token answers
FORM_EXPIRED = "The form expired; open the page again and retry."


def require_valid(form: Any, message: str | None = None) -> None:
    """A button's POST whose form does not validate (an expired token, a value that was not offered) ends here
    with a 400 page saying `message`: there is nothing to show the form again on."""
    if not form.validate_on_submit():
        abort(400, description=message)


def refused_back(errors: type[Exception], action: Callable[[], object], message: str, url: str) -> Any:
    """A button's POST: `action` calls the service and `message` says it worked; when the service refuses with one
    of `errors`, nothing is kept and its reason is the message instead (answered with 303). Either way back to
    `url`."""
    try:
        action()
    except errors as exc:
        discard_changes()
        flash(str(exc), "error")
        return redirect(url), 303
    return done(message, url)


def submitted(form: Any, errors: type[Exception], save: Callable[[], T], then: Callable[[T], Any],
              check: Callable[[], bool] | None = None) -> Any:
    """The usual form POST in one place: when the form validates (and `check`, the view's own rule, agrees),
    `save` calls the service and `then(result)` gives the response (mostly `done(...)`); when the service refuses
    with one of `errors`, nothing is kept and its message shows on the form. None means: show the form again."""
    if not (form.validate_on_submit() and (check is None or check())):
        return None
    try:
        result = save()
    except errors as exc:
        refused(form, exc)
        return None
    return then(result)


def done(message: str, url: str, category: str = "success") -> Response:
    """Say what happened and go on to `url` (a form that worked)."""
    flash(message, category)
    return redirect(url)


def end_read_transaction() -> None:
    """End the request's transaction before slow work that needs no database (reading an uploaded calendar file).
    On SQLite a POST's transaction holds the write lock from its first query (dblock), so everyone else's writes,
    sign-ins included, would wait for that work. Only for a request that has written nothing yet: it is rolled
    back. Objects loaded so far are read again on their next use, in a new transaction."""
    db.session.rollback()


def persist_apart(write: Callable[[], T]) -> T:
    """The few writes that must last whatever the response says (a failed sign-in counted, a refusal audited, a
    visit to the candidate page counted): whatever else the request wrote so far is rolled back, then `write`
    runs in a transaction of its own (with SQLite's write lock from the start) that commits at once."""
    db.session.rollback()
    with dblock.write_transaction():
        try:
            result = write()
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return result


def keep_own_session(user: Any) -> None:
    """`user`'s sessions were just ended (User.revoke_sessions); when that user is the one making this request (an
    admin changing their own password, or a policy that covers them), this browser stays signed in under the new
    token while every other copy of the old cookie is refused."""
    if getattr(current_user, "is_authenticated", False) and user.id == current_user.id:
        db.session.flush()
        login_user(getattr(user, "_get_current_object", lambda: user)())  # the user, never the current_user proxy


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_token: str):
        """The signed-in user and their roles in one query (every page asks for both). The statement is built once:
        only the token changes. An API key's service user never signs in through a session."""
        user = db.session.scalars(_user_by_token(), {"token": session_token}).unique().first()
        return user if user is not None and user.is_enabled and not user.is_service else None

    with app.app_context():
        dblock.install(db.engine)

    app.jinja_env.filters["localtime"] = format_local
    app.jinja_env.filters["localrange"] = format_local_range
    app.jinja_env.filters["localdate"] = lambda dt, tz=None: format_local(dt, tz, "%a %d %b %Y")
    app.jinja_env.globals["now_utc"] = timeutil.now_utc  # reads the one clock (timeutil.set_clock in tests)
    app.url_map.converters["int"] = DatabaseId

    @app.context_processor
    def navigation():
        return {"nav_items": nav_items()}

    # calendar days, times of day and zone names that are not instants, shown the way timeutil shows them
    app.jinja_env.filters.update(calendar_day=timeutil.format_date, wall_time=timeutil.format_wall_time,
                                 zone_name=timeutil.zone_name)

    @app.before_request
    def second_factor_enrolment():
        """A role that requires the second factor lets its holders do nothing else until they set it up."""
        if session.get("must_enroll_totp") and request.endpoint not in _ENROLMENT_ENDPOINTS:
            return redirect(url_for("auth.two_factor"))
        return None

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if signed_in():
            # Pages behind the login show personal data: never keep them in a shared cache.
            headers.setdefault("Cache-Control", "no-store")
        return response


@functools.cache
def _user_by_token():
    from sqlalchemy import bindparam
    from sqlalchemy.orm import joinedload

    from coordinator.auth.models import User

    return (select(User).options(joinedload(User.role_rows))
            .where(User.session_token == bindparam("token")))


def signed_in() -> bool:
    """Whether this request has a signed-in user, without touching the user's row: after the request's commit the
    row is expired, and reading any attribute (Flask-Login's `is_authenticated` reads `is_active`) would load it
    again, two more queries on every page. The loader only returns enabled users."""
    from flask_login.mixins import AnonymousUserMixin

    user = g.get("_login_user")
    return user is not None and not isinstance(user, AnonymousUserMixin)


# No inline script anywhere; inline style attributes are used for positions in the day view only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_ENROLMENT_ENDPOINTS = {"auth.two_factor", "auth.logout", "static"}


class DatabaseId(IntegerConverter):
    """<int:...> in URLs, bounded to what a database key can hold: /jobs/99999999999999999999 is a 404, not a
    database overflow."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def viewer_timezone() -> str:
    from flask import current_app

    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


def format_local(dt: datetime | None, tz: str | None = None, fmt: str = DATETIME_FORMAT) -> str:
    """An instant as the viewer (or the named zone) reads it, with the zone's abbreviation."""
    if dt is None:
        return "—"
    return format_instant(dt, tz or viewer_timezone(), fmt)


def format_local_range(start: datetime | None, end: datetime | None, tz: str | None = None) -> str:
    if start is None or end is None:
        return "—"
    return format_range(start, end, tz or viewer_timezone())


# (endpoint, label, endpoints that count as being in that section)
_SECTIONS = {
    "home.index": ("Home", {"home.index"}),
    "hiring.jobs": ("Jobs", {"hiring.jobs", "hiring.job", "hiring.add_job", "hiring.edit_job"}),
    "hiring.candidates": ("Candidates", {"hiring.candidates", "hiring.candidate", "hiring.add_candidate",
                                         "hiring.edit_candidate", "availability.windows"}),
    "availability.mine": ("Availability", {"availability.mine", "availability.person"}),
    "loops.index": ("Loops", {"loops.index", "loops.show", "loops.settings", "loops.add_session", "loops.edit_session",
                              "loops.find", "loops.place", "loops.replace", "loops.day", "loops.book",
                              "scorecards.show", "scorecards.debrief", "scorecards.debrief_print"}),
    "invites.outbox": ("Outbox", {"invites.outbox", "invites.message"}),
    "scorecards.mine": ("My scorecards", {"scorecards.mine", "scorecards.edit", "scorecards.amend"}),
    "auth.users": ("Users", {"auth.users", "auth.add_user", "auth.edit_user", "auth.password_link"}),
    "audit.log": ("Audit", {"audit.log", "audit.security"}),
    "api_admin.index": ("API", {"api_admin.index", "api_admin.new_key", "api_admin.new_webhook",
                                "api_admin.webhook"}),
    "insight.index": ("Insight", {"insight.index"}),
}
# Focus areas, the question bank and qualifications; a job's focus areas and plan count as Jobs, kits as Loops.
_SECTIONS["focus.areas"] = ("Focus areas", {"focus.areas", "focus.area", "focus.add_area", "focus.edit_area",
                                            "focus.questions", "focus.add_question", "focus.edit_question",
                                            "focus.qualifications", "focus.edit_qualifications"})
_SECTIONS["hiring.jobs"][1].update({"focus.job_areas", "focus.plan", "focus.add_step", "focus.edit_step"})
_SECTIONS["loops.index"][1].update({"kits.coverage", "kits.kit", "kits.edit"})


def nav_items() -> list[dict]:
    """The navigation for the signed-in user's roles, with the current section marked."""
    from flask import request, url_for

    from coordinator.auth.permissions import can_manage_users, can_view_insight, can_view_outbox
    from coordinator.auth.roles import Role

    if not (current_user and getattr(current_user, "is_authenticated", False)):
        return []
    cached = g.get("_nav_items")
    if cached is not None:
        return cached
    endpoints = ["home.index", "loops.index"]
    if current_user.has_role(Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER):
        endpoints += ["hiring.jobs", "hiring.candidates"]
    if current_user.has_role(Role.INTERVIEWER, Role.HIRING_MANAGER):
        endpoints.append("scorecards.mine")
    endpoints.append("availability.mine")
    if can_view_outbox(current_user):
        endpoints.append("invites.outbox")
    endpoints.append("focus.areas")
    if can_view_insight(current_user):
        endpoints.append("insight.index")
    if can_manage_users(current_user):
        endpoints += ["auth.users", "audit.log", "api_admin.index"]
    urls = _NAV_URLS.get(request.script_root)
    if urls is None:  # the sections' addresses depend only on where the app is mounted: built once per mount point
        urls = _NAV_URLS[request.script_root] = {endpoint: url_for(endpoint) for endpoint in _SECTIONS}
    items = []
    for endpoint in endpoints:
        label, section = _SECTIONS[endpoint]
        items.append({"url": urls[endpoint], "label": label, "active": request.endpoint in section})
    g._nav_items = items
    return items


#: script root -> {section endpoint: its URL}
_NAV_URLS: dict[str, dict[str, str]] = {}
