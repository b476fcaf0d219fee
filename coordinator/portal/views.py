"""The candidate's private page (no sign-in: the token in the link is the only key) and its panel on the loop page.

`portal` serves /c/<token>/...: every request is rate-limited and looked up before any view runs; a wrong,
expired, revoked or mangled token gets the same 404 page. Every response under /c/ is `Cache-Control: no-store`
and `Referrer-Policy: no-referrer`. `bp` holds the recruiter's actions (send or revoke the link, settings).
"""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from coordinator import timeutil
from coordinator.audit.services import client_ip
from coordinator.auth.permissions import can_manage_candidate_page
from coordinator.extensions import db
from coordinator.forms import first_error
from coordinator.invites.services import smtp_configured
from coordinator.loops import services as loops
from coordinator.loops.lookup import loop_or_404
from coordinator.loops.models import Loop
from coordinator.portal import services
from coordinator.portal.forms import (
    AvailabilityForm,
    BookForm,
    NoteForm,
    PortalSettingsForm,
    RevokeLinkForm,
    SendLinkForm,
)
from coordinator.ratelimit import too_many
from coordinator.timeutil import now_utc
from coordinator.web import discard_changes, persist_apart, require_valid

portal = Blueprint("portal", __name__, url_prefix="/c")
bp = Blueprint("candidate_page", __name__)
F = TypeVar("F", bound=FlaskForm)


# --- the gate: rate limit, token lookup, private headers -----------------------------------------------------------

@portal.before_request
def _gate():
    token = (request.view_args or {}).get("token", "") or ""
    digest = services.hash_token(token)
    ip = client_ip()

    def count_visit() -> tuple[int | None, int | None]:
        """(seconds to wait, None) when refused, else (None, the link's loop or None for a wrong link)."""
        wait = services.retry_after(digest, ip)
        if wait is not None:
            return wait, None
        link = services.find_link(token)
        services.note_hit(digest, ip, failed=link is None)
        if link is None:
            return None, None
        link.last_used_dt = now_utc()
        return None, link.loop_id

    # Counted in a transaction of its own: the count holds whatever the page answers (404 for a wrong link).
    wait, loop_id = persist_apart(count_visit)
    if wait is not None:
        return _too_many(wait)
    if loop_id is None or request.endpoint == "portal.unknown":
        return _not_found()
    g.portal_token = token
    g.portal_loop_id = loop_id
    return None


@portal.after_app_request
def _private_headers(response: Response) -> Response:
    if request.path == "/c" or request.path.startswith("/c/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _not_found():
    return render_template("portal/not_found.html", tz=None), 404


def _too_many(wait: int):
    return too_many(render_template("portal/error.html", tz=None, code=429, title="Please wait a moment",
                                    message="This page was opened very many times in a short while. Wait a "
                                            "few minutes, then open your link again."), wait)


_TITLES = {400: "Something was not right", 404: "This page does not exist", 405: "That is not possible here",
           409: "That changed in the meantime", 413: "That was too much at once", 429: "Please wait a moment"}


@portal.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    return render_template("portal/error.html", tz=None, code=400, title="The page had expired",
                           message="Open your link again and repeat what you did; nothing was saved."), 400


@portal.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    code = exc.code or 500
    if code == 404:
        return _not_found()
    if code >= 500:
        return exc
    return render_template("portal/error.html", tz=None, code=code,
                           title=_TITLES.get(code, "Something went wrong"),
                           message=exc.description if code in (400, 409) else "Go back and try again."), code


# --- helpers -------------------------------------------------------------------------------------------------------

def _loop() -> Loop:
    return loop_or_404(g.portal_loop_id)  # a 404 when deleted between the gate and here


def _zone(loop: Loop, raw: str | None) -> tuple[str, bool]:
    """The zone to show times in, and whether the candidate chose it (else the one we have on record)."""
    if raw:
        zone = services.clean_zone(raw)
        if zone is None:
            abort(400, description=f"We do not know the time zone “{raw[:64]}”. Choose yours from the list.")
        return zone, True
    return loop.candidate.timezone, False


def _context(loop: Loop, tz: str, explicit: bool, **extra) -> dict:
    portal_settings = services.portal_of(loop)
    return {
        "loop": loop, "candidate": loop.candidate, "tz": tz, "tz_explicit": explicit,
        "tz_label": timeutil.zone_label(tz), "zones": timeutil.all_timezones(), "token": g.portal_token,
        "portal": portal_settings, "state": services.booking_state(loop, portal_settings),
        **extra,
    }


@portal.app_template_global("portal_url")
def portal_url(endpoint: str, tz: str | None = None, explicit: bool = True, **values) -> str:
    """A link to another page of the candidate's site, keeping the zone they chose."""
    if tz and explicit:
        values["tz"] = tz
    return url_for(endpoint, token=g.portal_token, **values)


@portal.context_processor
def _time_helpers() -> dict:
    """The candidate's pages print times through these (all from timeutil), in the zone they chose."""
    return {
        "when": lambda start, end, tz: timeutil.format_when(start, end, tz, long=True, year=False),
        "clock": lambda dt, tz: timeutil.format_clock(dt, tz) if dt else "",
        "day": lambda dt, tz: timeutil.format_day(timeutil.to_local(dt, tz).date(), long=True) if dt else "",
        "abbr": lambda dt, tz: timeutil.zone_abbreviation(tz, dt),
        "long_date": lambda d: timeutil.format_day(d, long=True),
    }


# --- the candidate's pages -----------------------------------------------------------------------------------------

# An empty token is "no token here", not a password (bandit B105 reads it as one).
@portal.route("/", defaults={"token": ""}, methods=["GET", "POST"])  # nosec B105
@portal.route("/<path:rest>", defaults={"token": ""}, methods=["GET", "POST"])  # nosec B105
@portal.route("/<token>/<path:rest>", methods=["GET", "POST"])
def unknown(token: str, rest: str = ""):
    return _not_found()  # the gate already answered; this is never reached


@portal.route("/<token>")
def home(token: str):
    loop = _loop()
    tz, explicit = _zone(loop, request.args.get("tz"))
    over = services.is_over(loop)
    marked = services.availability_grid(loop, tz).chosen_count if not loop.start_dt else 0
    return render_template(
        "portal/home.html",
        **_context(loop, tz, explicit, items=services.itinerary(loop), over=over,
                   met=services.people_met(loop) if over else [], marked_hours=marked / 2,
                   what_to_expect=services.what_to_expect(services.portal_of(loop)),
                   note_form=NoteForm(), range_text=services.range_text(loop, tz)),
    )


@portal.route("/<token>/availability", methods=["GET", "POST"])
def availability(token: str):
    loop = _loop()
    form = AvailabilityForm()
    error = None
    if request.method == "POST":
        require_valid(form, "The form had expired. Open your link again and mark your times once more.")
        raw_tz = request.form.get("tz", "")
        values = request.form.getlist("slot")
        try:
            windows = services.save_availability(loop, raw_tz, values)
        except services.PortalError as exc:
            discard_changes()
            error = exc.message
            tz = services.clean_zone(raw_tz) or loop.candidate.timezone
            loop = _loop()
            grid = services.availability_grid(loop, tz, values if services.clean_zone(raw_tz) else None)
            return render_template("portal/availability.html",
                                   **_context(loop, tz, True, grid=grid, form=form, error=error,
                                              range_text=services.range_text(loop, tz))), 400
        hours = sum((e - s).total_seconds() for s, e in windows) / 3600
        flash(f"Thank you. We saved {hours:g} hour{'s' if hours != 1 else ''} you can interview; your recruiter "
              "sees them now.", "success")
        return redirect(portal_url("portal.home", tz=services.clean_zone(raw_tz)))
    tz, explicit = _zone(loop, request.args.get("tz"))
    grid = services.availability_grid(loop, tz)
    return render_template("portal/availability.html",
                           **_context(loop, tz, explicit, grid=grid, form=form, error=error,
                                      range_text=services.range_text(loop, tz)))


@portal.route("/<token>/book", methods=["GET", "POST"])
def book(token: str):
    loop = _loop()
    form = BookForm()
    message, status = None, 200
    if request.method == "POST":
        raw_tz = request.form.get("tz", "")
        require_valid(form, "Choose one of the times offered.")
        portal_settings = services.portal_of(loop)
        try:
            change = services.self_book(loop, portal_settings, form.option.data, raw_tz)
        except services.PortalError as exc:  # TimeTaken is a 409 with fresh options
            discard_changes()
            message, status = exc.message, exc.status
        else:
            if change.nothing_changed:
                flash(change.NOTHING_CHANGED, "info")
                return redirect(portal_url("portal.home", tz=services.clean_zone(raw_tz)))
            sent = _candidate_invited(change)
            flash("Your interviews are booked. " + ("Calendar invitations follow by e-mail; the details are "
                                                   "below." if sent else
                                                   "The details are below; add them to your calendar here."),
                  "success")
            return redirect(portal_url("portal.home", tz=services.clean_zone(raw_tz)))
        loop = _loop()
        tz = services.clean_zone(raw_tz) or loop.candidate.timezone
        explicit = True
    else:
        tz, explicit = _zone(loop, request.args.get("tz"))
    context = _context(loop, tz, explicit, form=form, message=message, conflict=status == 409)
    options, why = services.offered_with_reasons(loop) if context["state"].can_choose else ([], [])
    return render_template("portal/book.html", options=options, why=why, **context), status


@portal.route("/<token>/calendar.ics")
def calendar(token: str):
    loop = _loop()
    try:
        body = services.candidate_calendar(loop)
    except services.PortalError as exc:
        abort(400, description=exc.message)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'attachment; filename="interviews.ics"'})


@portal.route("/<token>/notes", methods=["POST"])
def notes(token: str):
    loop = _loop()
    form = NoteForm()
    tz = services.clean_zone(request.form.get("tz")) or loop.candidate.timezone
    if not form.validate_on_submit():
        abort(400, description=first_error(form, "Write your note and choose whom it is for."))
    try:
        note = services.add_note(loop, form.to_user_id.data, form.body.data)
    except services.PortalError as exc:
        abort(400, description=exc.message)
    name = note.to_user.name
    flash(f"Thank you. Your recruiter will pass your note on to {name}.", "success")
    return redirect(portal_url("portal.home", tz=tz) + "#met")


def _candidate_invited(change: loops.Change) -> bool:
    """True when the booking's invites (queued by the invites follower, as for a recruiter's booking) hold one
    for the candidate."""
    queued = change.results.get("invites")
    return any(m.kind.startswith("candidate") and m.status != "failed" for m in getattr(queued, "messages", []))


# --- the recruiter's panel on the loop page ------------------------------------------------------------------------

def _refuse(loop: Loop, message: str):
    """A recruiter's bad input: the message, in the site's layout, with a way back (400)."""
    return render_template("portal/recruiter_error.html", loop=loop, message=message), 400


def _back_to_panel(loop: Loop) -> Response:
    """Back to the loop page's "Candidate page" panel, where the recruiter pressed the button."""
    return redirect(url_for("loops.show", loop_id=loop.id, _anchor="candidate-page"))


def _managed(loop_id: int) -> Loop:
    return loop_or_404(loop_id, can_manage_candidate_page)


def _panel_form(loop_id: int, form_class: type[F], message: str) -> tuple[Loop, F]:
    """The loop and the posted form of one of the panel's forms; a form that does not validate ends the request
    with the refusal page (400) saying its first field error, or `message`."""
    loop = _managed(loop_id)
    form = form_class()
    if not form.validate_on_submit():
        abort(make_response(_refuse(loop, first_error(form, message))))
    return loop, form


@bp.app_template_global("candidate_page_panel")
def candidate_page_panel(loop: Loop) -> dict:
    """What the loop page's "Candidate page" panel shows (called from the template)."""
    portal_settings = services.portal_of(loop)
    link = services.latest_link(loop)
    now = now_utc()
    if link is None:
        link_state = "none"
    elif link.revoked_dt is not None:
        link_state = "revoked"
    elif link.expires_dt <= now:
        link_state = "expired"
    else:
        link_state = "active"
    settings_form = PortalSettingsForm(obj=portal_settings, formdata=None)
    send_form = SendLinkForm(formdata=None, days=portal_settings.link_days)
    from coordinator.availability.models import CandidateWindow

    windows = db.session.scalar(
        db.select(db.func.count(CandidateWindow.id)).where(CandidateWindow.candidate_id == loop.candidate_id,
                                                           CandidateWindow.source == "candidate",
                                                           CandidateWindow.end_dt > now))
    return {
        "portal": portal_settings, "link": link, "link_state": link_state, "settings_form": settings_form,
        "send_form": send_form, "revoke_form": RevokeLinkForm(formdata=None), "notes": services.notes_of(loop),
        "default_text": services.DEFAULT_WHAT_TO_EXPECT, "candidate_windows": windows or 0,
        "state": services.booking_state(loop, portal_settings),
    }


@bp.route("/loops/<int:loop_id>/candidate-page/link", methods=["POST"])
@login_required
def send_link(loop_id: int):
    loop, form = _panel_form(loop_id, SendLinkForm, "Say how many days the link works.")
    try:
        link, token = services.create_link(loop, current_user, form.days.data)
        url = services.portal_url(token)
        message = services.link_message(loop, url, link.expires_dt)
        outbox_id = services.email_link(loop, link, message)
    except services.PortalError as exc:
        discard_changes()
        return _refuse(loop, exc.message)
    return render_template("portal/link_created.html", loop=loop, link=link, url=url,
                           outbox_id=outbox_id, mail_server=smtp_configured(), mailto=_mailto(message))


def _mailto(message: services.LinkMessage) -> str:
    """The same e-mail as a mailto: link, for a recruiter whose outbox holds mail (no server configured yet)."""
    return (f"mailto:{quote(message.to_address, safe='@')}?subject={quote(message.subject)}"
            f"&body={quote(message.text)}")


@bp.route("/loops/<int:loop_id>/candidate-page/revoke", methods=["POST"])
@login_required
def revoke_link(loop_id: int):
    loop = _managed(loop_id)
    if not RevokeLinkForm().validate_on_submit():
        return _refuse(loop, "The form expired. Reload the page and try again.")
    count = services.revoke_links(loop, current_user)
    flash("The candidate's link no longer works." if count else "There was no working link to revoke.",
          "success" if count else "info")
    return _back_to_panel(loop)


@bp.route("/loops/<int:loop_id>/candidate-page/settings", methods=["POST"])
@login_required
def settings(loop_id: int):
    loop, form = _panel_form(loop_id, PortalSettingsForm, "Check the candidate page settings.")
    try:
        services.update_settings(loop, current_user, bool(form.allow_self_booking.data),
                                 form.what_to_expect.data or "")
    except services.PortalError as exc:
        discard_changes()
        return _refuse(loop, exc.message)
    flash("Candidate page settings saved.", "success")
    return _back_to_panel(loop)


@bp.route("/loops/<int:loop_id>/candidate-page/notes/<int:note_id>/passed-on", methods=["POST"])
@login_required
def note_passed_on(loop_id: int, note_id: int):
    loop = _managed(loop_id)
    if not RevokeLinkForm().validate_on_submit():
        return _refuse(loop, "The form expired. Reload the page and try again.")
    try:
        note = services.mark_passed_on(loop, note_id, current_user)
    except services.PortalError:
        abort(404)
    flash(f"Marked as passed on to {note.to_user.name}.", "success")
    return _back_to_panel(loop)
