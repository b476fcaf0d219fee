"""Loop pages: plan sessions, find times, book, change, cancel, replace, and the day view."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coordinator.auth.models import User
from coordinator.auth.permissions import (
    can_create_loop,
    can_download_candidate_invites,
    can_manage_loop,
    can_view_availability,
    can_view_loop,
    require,
    visible_loops,
)
from coordinator.availability import calendar_sync
from coordinator.extensions import db
from coordinator.forms import choices, form_status
from coordinator.hiring.models import Candidate
from coordinator.kits import replacing
from coordinator.kits import services as assignments
from coordinator.loops import picker, services
from coordinator.loops.dayview import build_day_view
from coordinator.loops.forms import (
    BookOptionForm,
    FindTimesForm,
    LoopSettingsForm,
    PlaceSessionForm,
    ReasonForm,
    ReplaceForm,
    SessionForm,
)
from coordinator.loops.lookup import loop_or_404, session_or_404
from coordinator.loops.models import Loop, LoopSession, LoopStatus
from coordinator.timeutil import local_to_utc, now_utc, to_local
from coordinator.web import (
    allowed_or_404,
    discard_changes,
    done,
    refused,
    refused_back,
    require_valid,
    submitted,
    viewer_timezone,
)

bp = Blueprint("loops", __name__)


def _loop_or_404(loop_id: int) -> Loop:
    return loop_or_404(loop_id, can_view_loop)


def _managed_loop(loop_id: int) -> Loop:
    return loop_or_404(loop_id, can_view_loop, can_manage_loop)


# --- listing and creating ------------------------------------------------------------------------------------------

@bp.route("/loops")
@login_required
def index():
    status = request.args.get("status", "")
    query = visible_loops(current_user).options(
        selectinload(Loop.candidate).selectinload(Candidate.job), selectinload(Loop.sessions),
    ).order_by(Loop.created_dt.desc())
    if status in {s.value for s in LoopStatus}:
        query = query.where(Loop.status == status)
    loops = db.session.scalars(query.limit(300)).all()
    return render_template("loops/list.html", loops=loops, status=status, statuses=list(LoopStatus))


@bp.route("/candidates/<int:candidate_id>/loops", methods=["POST"])
@login_required
def create(candidate_id: int):
    candidate = allowed_or_404(Candidate, candidate_id, can_create_loop)
    loop = services.create_loop(candidate, current_user)
    flash(f"Loop created for {candidate.name}. Add or adjust its sessions, then find times.", "success")
    return redirect(url_for("loops.show", loop_id=loop.id))


@bp.route("/loops/<int:loop_id>")
@login_required
def show(loop_id: int):
    loop = _loop_or_404(loop_id)
    return render_template("loops/show.html", loop=loop, can_manage=can_manage_loop(current_user, loop),
                           can_candidate_ics=can_download_candidate_invites(current_user, loop),
                           viewer_tz=viewer_timezone(), cancel_form=ReasonForm())


# --- settings and sessions -----------------------------------------------------------------------------------------

@bp.route("/loops/<int:loop_id>/settings", methods=["GET", "POST"])
@login_required
def settings(loop_id: int):
    loop = _managed_loop(loop_id)
    form = LoopSettingsForm(obj=loop)
    response = submitted(form, services.LoopError, lambda: services.update_settings(loop, services.LoopSettings(
        arrangement=form.arrangement.data, buffer_min=form.buffer_min.data,
        candidate_grouping=form.candidate_grouping.data, location=form.location.data or "",
        video_url=form.video_url.data or "", window_first_day=form.window_first_day.data,
        window_last_day=form.window_last_day.data, decision_due_on=form.decision_due_on.data,
        send_at_once=form.send_at_once.data,
    ), current_user), lambda _: done("Loop settings saved.", url_for("loops.show", loop_id=loop.id)))
    return response or (render_template("loops/settings.html", loop=loop, form=form), form_status(form))


def _session_form(session: LoopSession | None = None) -> SessionForm:
    form = SessionForm(obj=session)
    people = choices((u.id, f"{u.name} — {u.job_title}" if u.job_title else u.name)
                     for u in services.interviewer_choices())
    form.interviewer_ids.choices = form.pool_ids.choices = form.shadow_ids.choices = people
    if session is not None and request.method == "GET":
        form.interviewer_ids.data = [p.user_id for p in session.participants
                                     if p.role == "interviewer" and not p.is_from_pool]
        form.pool_ids.data = [u.id for u in session.pool]
        form.shadow_ids.data = [p.user_id for p in session.participants if p.role == "shadow"]
    return form


def _session_data(form: SessionForm) -> services.SessionData:
    return services.SessionData(
        title=form.title.data or "", kind=form.kind.data, duration_min=form.duration_min.data or 0,
        interviewer_ids=tuple(form.interviewer_ids.data or ()), pool_ids=tuple(form.pool_ids.data or ()),
        pool_count=form.pool_count.data or 0, shadow_ids=tuple(form.shadow_ids.data or ()),
        prep_min=form.prep_min.data or 0, prep_instructions=form.prep_instructions.data or "",
        location=form.location.data or "", video_url=form.video_url.data or "",
    )


def _people_facts(loop: Loop, duration_min: int | None, session: LoopSession | None = None) -> dict:
    """The people picker's facts for this loop's window (see loops/picker.py): the session's focus areas first."""
    relevant = [a.id for a in assignments.session_planned_areas([session.id]).get(session.id, [])] if session else []
    return picker.people_facts(services.interviewer_choices(), window=picker.loop_window(loop, duration_min),
                               relevant_area_ids=relevant, viewer_tz=viewer_timezone())


def _session_page(loop: Loop, form: SessionForm, session: LoopSession | None):
    duration = form.duration_min.data if isinstance(form.duration_min.data, int) else None
    facts = _people_facts(loop, duration or (session.duration_min if session else None), session)
    return render_template("loops/session_form.html", loop=loop, form=form, session=session,
                           people_facts=facts), form_status(form)


@bp.route("/loops/<int:loop_id>/sessions/new", methods=["GET", "POST"])
@login_required
def add_session(loop_id: int):
    loop = _managed_loop(loop_id)
    form = _session_form()
    return submitted(form, services.LoopError, lambda: services.add_session(loop, _session_data(form), current_user),
                     lambda _: done("Session added.", url_for("loops.show", loop_id=loop.id))) \
        or _session_page(loop, form, None)


@bp.route("/loops/<int:loop_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(loop_id: int, session_id: int):
    loop = _managed_loop(loop_id)
    session = session_or_404(loop, session_id)
    form = _session_form(session)
    return submitted(form, services.LoopError,
                     lambda: services.update_session(session, _session_data(form), current_user),
                     lambda _: done("Session saved.", url_for("loops.show", loop_id=loop.id))) \
        or _session_page(loop, form, session)


@bp.route("/loops/<int:loop_id>/sessions/<int:session_id>/delete", methods=["POST"])
@login_required
def delete_session(loop_id: int, session_id: int):
    loop = _managed_loop(loop_id)
    session = session_or_404(loop, session_id)
    return refused_back(services.LoopError, lambda: services.remove_session(session, current_user),
                        f"Removed '{session.title}'.", url_for("loops.show", loop_id=loop_id))


@bp.route("/loops/<int:loop_id>/sessions/<int:session_id>/move", methods=["POST"])
@login_required
def move_session(loop_id: int, session_id: int):
    loop = _managed_loop(loop_id)
    session = session_or_404(loop, session_id)
    delta = -1 if request.form.get("direction") == "up" else 1
    try:
        services.move_session(session, delta, current_user)
    except services.LoopError as exc:
        discard_changes()
        flash(str(exc), "error")
    return redirect(url_for("loops.show", loop_id=loop_id))


# --- finding and booking -------------------------------------------------------------------------------------------

def _encode_option(sessions: list[LoopSession], option) -> str:
    return json.dumps(services.encode_option(sessions, option))


def _decode_option(raw: str) -> list[services.Placement]:
    """The option the user picked, as sent back by the page; anything malformed is a 400."""
    try:
        return services.decode_option(json.loads(raw))
    except ValueError:
        abort(400, description="The chosen option could not be read. Find times again and pick one.")


@bp.route("/loops/<int:loop_id>/find")
@login_required
def find(loop_id: int):
    loop = _managed_loop(loop_id)
    form = FindTimesForm(request.args, meta={"csrf": False})
    result, sessions, error = None, [], None
    if form.validate():
        try:
            result, sessions = services.find_times(loop, form.first.data, form.last.data)
        except services.LoopError as exc:
            error = str(exc)
    else:
        error = "Enter the dates as YYYY-MM-DD."
    first, last = _window_days(loop, form)
    sources = _busy_sources(loop)
    options = []
    if result:
        names = services.people_names(sessions)  # the engine picks only from these: no query of its own
        for option in result.options:
            options.append({"option": option, "encoded": _encode_option(sessions, option),
                            "rows": [(sessions[ps.session_index], ps, [names.get(i, "?") for i in ps.interviewer_ids],
                                      [names.get(i, "?") for i in ps.shadow_ids]) for ps in option.sessions]})
    return render_template("loops/find.html", loop=loop, form=form, result=result, options=options, error=error,
                           first=first, last=last, book_form=BookOptionForm(), viewer_tz=viewer_timezone(),
                           sources=sources, stale_sources=[s for s in sources if s[2]]), \
        400 if error and not form.validate() else 200


def _busy_sources(loop: Loop) -> list[tuple[str, str, bool]]:
    """(name, where their busy times come from and how old, older than an hour) for everyone the search weighs."""
    people = {p.user_id: p.user.name for s in loop.active_sessions for p in s.participants}
    people.update((u.id, u.name) for s in loop.active_sessions for u in s.pool)
    origins = calendar_sync.busy_sources_for(people)
    now = now_utc()
    return sorted(((people[uid], "; ".join(o.describe(now) for o in found), any(o.is_old(now) for o in found))
                   for uid, found in origins.items()), key=lambda row: row[0])


def _window_days(loop: Loop, form: FindTimesForm) -> tuple[date, date]:
    start, end = services.search_window(loop) if not (form.first.data and form.last.data) else (None, None)
    tz = loop.candidate.timezone
    first = form.first.data or to_local(start, tz).date()
    last = form.last.data or (to_local(end, tz) - timedelta(seconds=1)).date()
    return first, last


def _names(ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(list(ids)))).all())


@bp.route("/loops/<int:loop_id>/book", methods=["POST"])
@login_required
def book(loop_id: int):
    loop = _managed_loop(loop_id)
    form = BookOptionForm()
    require_valid(form, "Pick one of the options to book.")
    placements = _decode_option(form.option.data)
    seen = int(form.version.data) if (form.version.data or "").isdigit() else None
    try:
        read = services.lock_loop(loop)  # before the coverage check, so it reads the loop as it is now
        assignments.require_coverage(loop, placements, current_user, form.override_reason.data or "")
        change = services.book(loop, placements, current_user, form.override_reason.data or "",
                               seen_version=read if seen is None else seen)
    except services.BookingConflict as exc:
        discard_changes()
        return render_template("loops/conflict.html", loop=loop, messages=exc.messages), 409
    except services.NeedsOverride as exc:
        discard_changes()
        return render_template("loops/override.html", loop=loop, problems=exc.problems, form=form,
                               action=url_for("loops.book", loop_id=loop.id)), 400
    except services.LoopChanged as exc:
        return _as_it_is_now(loop.id, str(exc))
    except services.LoopError as exc:
        abort(400, description=str(exc))
    if change.nothing_changed:
        discard_changes()  # not even a coverage reason: nothing happened
        return done(change.NOTHING_CHANGED, url_for("loops.show", loop_id=loop.id), "info")
    return _booked(loop, "Booked. Invites go out to the interviewers and the candidate.")


def _booked(loop: Loop, message: str):
    """After a booking: to what will be sent when the loop holds its invites for review, else to the loop."""
    if not loop.send_at_once:
        flash("Booked. Look at what will go out, then send it.", "success")
        return redirect(url_for("invites.review", loop_id=loop.id))
    flash(message, "success")
    return redirect(url_for("loops.show", loop_id=loop.id))


def _as_it_is_now(loop_id: int, message: str):
    """A change refused because the loop changed meanwhile: nothing kept, the loop page as it is now (409)."""
    discard_changes()
    loop = _loop_or_404(loop_id)
    flash(message, "error")
    return render_template("loops/show.html", loop=loop, can_manage=can_manage_loop(current_user, loop),
                           can_candidate_ics=can_download_candidate_invites(current_user, loop),
                           viewer_tz=viewer_timezone(), cancel_form=ReasonForm()), 409


@bp.route("/loops/<int:loop_id>/sessions/<int:session_id>/place", methods=["GET", "POST"])
@login_required
def place(loop_id: int, session_id: int):
    """Place (or reschedule) one session by hand, in the viewer's time zone."""
    loop = _managed_loop(loop_id)
    session = session_or_404(loop, session_id)
    if session.status == "cancelled":
        abort(404)
    _require_open(loop)
    tz = viewer_timezone()
    form = PlaceSessionForm()
    people = choices((u.id, u.name) for u in services.interviewer_choices())
    form.interviewer_ids.choices = people
    if request.method == "GET":
        if session.start_dt:
            local = to_local(session.start_dt, tz)
            form.day.data, form.start.data = local.date(), local.time()
        form.interviewer_ids.data = [u.id for u in session.interviewers]
    problems: list[str] = []
    if form.validate_on_submit():
        start = local_to_utc(form.day.data, form.start.data, tz) if _bookable_day(form.day.data) else None
        if start is None:
            form.day.errors = [*form.day.errors, "Choose a day within the next two years."]
        elif start < now_utc():
            form.start.errors = [*form.start.errors, "Choose a time in the future."]
        elif not form.interviewer_ids.data:
            form.interviewer_ids.errors = [*form.interviewer_ids.errors, "Choose at least one interviewer."]
        else:
            placement = services.Placement(session.id, start, tuple(form.interviewer_ids.data),
                                           tuple(u.id for u in session.shadows))
            try:
                read = services.lock_loop(loop)
                assignments.require_coverage(loop, [placement], current_user, form.override_reason.data or "")
                change = services.book(loop, [placement], current_user, form.override_reason.data or "",
                                       action="rescheduled" if session.is_booked else "booked", seen_version=read)
            except services.BookingConflict as exc:
                discard_changes()
                return render_template("loops/place.html", loop=loop, session=session, form=form, tz=tz,
                                       conflicts=exc.messages, problems=[],
                                       people_facts=_people_facts(loop, session.duration_min, session)), 409
            except services.NeedsOverride as exc:
                discard_changes()
                problems = exc.problems
                form.override_reason.errors = ["Give a reason to accept these problems, or choose another time."]
            except services.LoopChanged as exc:
                return _as_it_is_now(loop.id, str(exc))
            except services.LoopError as exc:
                refused(form, exc)
            else:
                if change.nothing_changed:
                    discard_changes()
                    return done(change.NOTHING_CHANGED, url_for("loops.show", loop_id=loop.id), "info")
                return _booked(loop, f"'{session.title}' is booked.")
    return render_template("loops/place.html", loop=loop, session=session, form=form, tz=tz, conflicts=[],
                           problems=problems, people_facts=_people_facts(loop, session.duration_min, session)), \
        form_status(form)


def _require_open(loop: Loop) -> None:
    """A completed loop's interviews are over: nothing of it is placed or replaced any more (409 says why)."""
    try:
        services.require_editable(loop)
    except services.LoopError as exc:
        abort(409, description=str(exc))


def _bookable_day(day: date) -> bool:
    return day <= now_utc().date() + timedelta(days=services.MAX_BOOKING_AHEAD_DAYS)


# --- cancelling and replacing --------------------------------------------------------------------------------------

@bp.route("/loops/<int:loop_id>/sessions/<int:session_id>/cancel", methods=["POST"])
@login_required
def cancel_session(loop_id: int, session_id: int):
    loop = _managed_loop(loop_id)
    session = session_or_404(loop, session_id)
    return _cancel(loop, lambda reason: services.cancel_session(session, current_user, reason),
                   f"'{session.title}' is cancelled.")


@bp.route("/loops/<int:loop_id>/cancel", methods=["POST"])
@login_required
def cancel(loop_id: int):
    loop = _managed_loop(loop_id)
    return _cancel(loop, lambda reason: services.cancel_loop(loop, current_user, reason), "The loop is cancelled.")


def _cancel(loop: Loop, cancel: Callable[[str], object], message: str) -> Response:
    """A cancel button (a session or the whole loop): the reason is required, the attendees and the history show
    it; a refusal is a 400 page, success `message` on the loop page."""
    form = ReasonForm()
    require_valid(form, "Give a reason for cancelling; the attendees and the history show it.")
    try:
        cancel(form.reason.data)
    except services.LoopError as exc:
        abort(exc.status, description=str(exc))
    flash(message, "success")
    return redirect(url_for("loops.show", loop_id=loop.id))


@bp.route("/loops/<int:loop_id>/sessions/<int:session_id>/replace/<int:user_id>", methods=["GET", "POST"])
@login_required
def replace(loop_id: int, session_id: int, user_id: int):
    loop = _managed_loop(loop_id)
    session = session_or_404(loop, session_id)
    leaving = next((p.user for p in session.participants if p.user_id == user_id), None)
    if leaving is None:
        abort(404)
    _require_open(loop)
    form = ReplaceForm()
    problems: list[str] = []
    chosen = None
    if form.validate_on_submit():
        try:
            replacing.replace(session, user_id, form.joining_id.data, current_user, form.reason.data or "")
        except services.BookingConflict as exc:
            abort(409, description=" ".join(exc.messages))
        except services.NeedsOverride as exc:
            discard_changes()
            problems, chosen = exc.problems, form.joining_id.data
        except services.LoopError as exc:
            abort(exc.status, description=str(exc))
        else:
            flash(f"{leaving.name} is replaced in '{session.title}'.", "success")
            return redirect(url_for("loops.show", loop_id=loop.id))
    elif request.method == "POST":
        abort(400, description="Choose a colleague to take over.")
    options = replacing.choices(session, leaving)
    return render_template("loops/replace.html", loop=loop, session=session, leaving=leaving,
                           options=[c for c in options if not c.conflicts],
                           busy=[c for c in options if c.conflicts], form=form, problems=problems, chosen=chosen,
                           viewer_tz=viewer_timezone()), 400 if problems else 200


# --- the day view --------------------------------------------------------------------------------------------------

@bp.route("/loops/<int:loop_id>/day")
@login_required
def day(loop_id: int):
    loop = _managed_loop(loop_id)
    tz = viewer_timezone()
    raw_day = request.args.get("date", "")
    proposed = _decode_option(request.args["option"]) if request.args.get("option") else []
    try:
        the_day = date.fromisoformat(raw_day) if raw_day else None
    except ValueError:
        abort(400, description="Give the day as YYYY-MM-DD.")
    _require_visible_people(loop, proposed)
    if the_day is None:
        first = proposed[0].start if proposed else loop.start_dt
        the_day = to_local(first, tz).date() if first else to_local(now_utc(), tz).date()
    view = build_day_view(loop, the_day, tz, proposed)
    return render_template("loops/day.html", loop=loop, view=view, tz=tz, the_day=the_day,
                           option_raw=request.args.get("option", ""), timedelta1=timedelta(days=1))


def _require_visible_people(loop: Loop, proposed: list[services.Placement]) -> None:
    """An option names people by id: someone not on this loop shows in the day view (working hours, zone, busy
    times) only when the viewer may open that person's availability page; otherwise a 403."""
    on_loop = {p.user_id for s in loop.sessions for p in s.participants} | {u.id for s in loop.sessions
                                                                          for u in s.pool}
    named = {uid for p in proposed for uid in (*p.interviewer_ids, *p.shadow_ids)} - on_loop
    if not named:
        return
    people = db.session.scalars(select(User).where(User.id.in_(named))).all()
    require(all(can_view_availability(current_user, person) for person in people))
