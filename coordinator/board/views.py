"""The scheduling board's pages: the board, placing and moving sessions on it, and the confirm step.

Each action is a POST; htmx sends it and swaps the board in place (the response is the board again, with what
the server said), a browser without script gets the whole page back."""

from __future__ import annotations

import json
from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coordinator.auth.permissions import can_manage_loop, can_view_loop
from coordinator.board import services
from coordinator.board.forms import ButtonForm, ConfirmForm, OptionForm, PlaceForm, SessionActionForm, ViewFields
from coordinator.board.grid import DAY, WEEK, build_board
from coordinator.board.warnings import loop_warnings
from coordinator.loops import services as loops
from coordinator.loops.lookup import loop_or_404, session_or_404
from coordinator.loops.models import Loop
from coordinator.timeutil import now_utc, to_local
from coordinator.web import discard_changes, viewer_timezone

bp = Blueprint("board", __name__)


def _loop(loop_id: int) -> Loop:
    return loop_or_404(loop_id, can_view_loop, can_manage_loop)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _view(loop: Loop, values, ghosts: list[loops.Placement] | None = None) -> tuple[date, str]:
    """The day and mode asked for (query or form), else the day of the option shown, of the first placed session,
    else tomorrow."""
    mode = WEEK if values.get("mode") == WEEK else DAY
    raw = values.get("day") or ""
    tz = viewer_timezone()
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        abort(400, description="Give the day as YYYY-MM-DD.")
    if day is None:
        drafts = services.drafts_of(loop)
        starts = (
            [g.start for g in ghosts or ()]
            or [d.start_dt for d in drafts.values()]
            or [s.start_dt for s in loop.active_sessions if s.start_dt]
        )
        day = to_local(min(starts), tz).date() if starts else to_local(now_utc(), tz).date() + timedelta(days=1)
    if mode == WEEK:
        day -= timedelta(days=day.weekday())
    if abs((day - now_utc().date()).days) > loops.MAX_BOOKING_AHEAD_DAYS:
        abort(400, description="Choose a day within the next two years.")
    return day, mode


def _ghosts(raw: str) -> list[loops.Placement]:
    if not raw:
        return []
    try:
        return loops.decode_option(json.loads(raw))
    except ValueError:
        abort(400, description="The option could not be read. Find times again and open it on the board.")


def _times_and_people(loop: Loop, drafts) -> tuple[dict, dict]:
    times, people = {}, {}
    for s in loop.active_sessions:
        d = drafts.get(s.id)
        if d is not None:
            times[s.id] = (d.start_dt, d.start_dt + timedelta(minutes=s.duration_min))
            people[s.id] = d.interviewers
        elif s.is_booked:
            times[s.id] = (s.start_dt, s.end_dt)
    return times, people


def _render(
    loop: Loop,
    day: date,
    mode: str,
    status: int = 200,
    move: services.Move | None = None,
    attempt: PlaceForm | None = None,
    error: str = "",
    option_raw: str = "",
    affected: set[int] | None = None,
):
    """The board page, or for htmx the board; with `affected` (user ids) only the parts a move changes: the bar,
    the status, the warnings, the cards and the rows of the candidate and of those people (htmx swaps each in by
    its id), so a move does not redraw twenty calendars that did not change."""
    drafts = services.drafts_of(loop)
    tz = viewer_timezone()
    oob = affected is not None and _is_htmx()
    board = build_board(loop, day, tz, mode, drafts, _ghosts(option_raw), only=affected if oob else None)
    times, people = _times_and_people(loop, drafts)
    context = {
        "loop": loop,
        "board": board,
        "tz": tz,
        "day": day,
        "mode": mode,
        "move": move,
        "attempt": attempt,
        "error": error,
        "option_raw": option_raw,
        "warnings": loop_warnings(loop, times, people),
        "form": ButtonForm(),
        "video_configured": bool(current_app.config.get("VIDEO_BASE_URL")),
        "step": 7 if mode == WEEK else 1,
        "timedelta": timedelta,
        "oob": oob,
        "affected": {"candidate", *(str(uid) for uid in affected or ())},
    }
    template = "board/_board.html" if _is_htmx() else "board/board.html"
    if oob:
        return render_template(template, **context), status, {"HX-Reswap": "none"}
    return render_template(template, **context), status


def _people_of(loop: Loop, session_id: int | None) -> set[int]:
    """Whose rows a change of this session touches: everyone on it now (its draft, else its booking)."""
    if session_id is None:
        return set()
    draft = services.drafts_of(loop).get(session_id)
    if draft is not None:
        return {*draft.interviewers, *draft.shadows}
    session = next((s for s in loop.sessions if s.id == session_id), None)
    return {p.user_id for p in session.participants if p.is_active} if session is not None else set()


def _after(loop: Loop, form, status: int = 200, **kwargs):
    """The answer to a board action: the parts of the board it changed (htmx), or back to the board page (a plain
    form)."""
    day, mode = _view(loop, {"day": form.day.data, "mode": form.mode.data})
    if not _is_htmx() and status < 400 and not kwargs.get("move"):
        return redirect(url_for("board.show", loop_id=loop.id, day=day.isoformat(), mode=mode))
    return _render(loop, day, mode, status, **kwargs)


@bp.route("/loops/<int:loop_id>/board")
@login_required
def show(loop_id: int):
    loop = _loop(loop_id)
    option_raw = request.args.get("option", "")
    day, mode = _view(loop, request.args, _ghosts(option_raw))
    return _render(loop, day, mode, option_raw=option_raw)


@bp.route("/loops/<int:loop_id>/board/place", methods=["POST"])
@login_required
def place(loop_id: int):
    """Put a session at a slot (dragged, clicked, or chosen from the lists); the server checks it at once."""
    loop = _loop(loop_id)
    form = PlaceForm()
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()))[0] if form.errors else "The form expired; open the board again."
        return _after(loop, form, 400, error=str(message))
    session = session_or_404(loop, form.session_id.data)
    before = _people_of(loop, session.id)
    try:
        move = services.place(loop, session, form.start_dt(), current_user, form.person_id.data, form.reason.data or "")
    except loops.LoopError as exc:
        discard_changes()
        return _after(loop, form, 400, error=str(exc), affected=set())
    if move.conflicts:
        discard_changes()
        return _after(loop, form, 409, move=move, attempt=form, affected=set())
    if move.problems:
        discard_changes()
        return _after(loop, form, 200, move=move, attempt=form, affected=set())
    return _after(loop, form, affected=before | _people_of(loop, session.id))


@bp.route("/loops/<int:loop_id>/board/unplace", methods=["POST"])
@login_required
def unplace(loop_id: int):
    loop = _loop(loop_id)
    form = SessionActionForm()
    if not form.validate_on_submit():
        return _after(loop, form, 400, error="The form expired; open the board again.")
    session = session_or_404(loop, form.session_id.data)
    before = _people_of(loop, session.id)
    try:
        services.unplace(loop, session)
    except loops.LoopError as exc:
        discard_changes()
        return _after(loop, form, 400, error=str(exc), affected=set())
    return _after(loop, form, affected=before | _people_of(loop, session.id))


@bp.route("/loops/<int:loop_id>/board/option", methods=["POST"])
@login_required
def use_option(loop_id: int):
    """Put every session of a Find times option on the board, to adjust it there before booking."""
    loop = _loop(loop_id)
    form = OptionForm()
    if not form.validate_on_submit():
        abort(400, description="Pick one of the options.")
    placements = _ghosts(form.option.data)
    try:
        move = services.place_option(loop, placements, current_user, "Proposed by Find times.")
    except loops.LoopError as exc:
        discard_changes()
        return _after(loop, form, 400, error=str(exc))
    if move.conflicts:
        discard_changes()
        return _after(loop, form, 409, move=move)
    return _after(loop, form)


@bp.route("/loops/<int:loop_id>/board/discard", methods=["POST"])
@login_required
def discard(loop_id: int):
    loop = _loop(loop_id)
    form = ViewFields()
    if not form.validate_on_submit():
        abort(400, description="The form expired; open the board again.")
    services.discard(loop)
    flash("The board's changes are discarded; nothing was booked.", "success")
    day, mode = _view(loop, {"day": form.day.data, "mode": form.mode.data})
    return redirect(url_for("board.show", loop_id=loop.id, day=day.isoformat(), mode=mode))


@bp.route("/loops/<int:loop_id>/board/video", methods=["POST"])
@login_required
def video(loop_id: int):
    loop = _loop(loop_id)
    if not ButtonForm().validate_on_submit():
        abort(400, description="The form expired; open the board again.")
    try:
        services.add_video_link(loop, current_user)
    except loops.LoopError as exc:
        discard_changes()
        flash(str(exc), "error")
    else:
        flash(f"The loop has its own video link now: {loop.video_url}", "success")
    return redirect(
        url_for(
            "board.show", loop_id=loop.id, day=request.form.get("day") or None, mode=request.form.get("mode") or None
        )
    )


@bp.route("/loops/<int:loop_id>/board/confirm", methods=["GET", "POST"])
@login_required
def confirm(loop_id: int):
    """The confirm step: what will be booked, its problems and warnings; nothing is booked before this POST."""
    loop = _loop(loop_id)
    form = ConfirmForm()
    drafts = services.drafts_of(loop)
    status, error = 200, ""
    if form.validate_on_submit():
        try:
            change = services.confirm(loop, current_user, form.reason.data or "")
        except loops.BookingConflict as exc:
            discard_changes()
            status, error = 409, " ".join(exc.messages)
        except loops.NeedsOverride as exc:
            discard_changes()
            status, error = 400, "Give a reason to accept these problems, or move the sessions on the board."
            form.reason.errors = [*form.reason.errors, *exc.problems]
        except loops.LoopError as exc:
            discard_changes()
            status, error = 400, str(exc)
        else:
            queued = change.results.get("invites")
            held = [m for m in getattr(queued, "messages", []) if m.status == "review"]
            if held:
                flash("Booked. Look at what will go out, then send it.", "success")
                return redirect(url_for("invites.review", loop_id=loop.id))
            flash("Booked. Invites go out to the interviewers and the candidate.", "success")
            return redirect(url_for("loops.show", loop_id=loop.id))
    elif request.method == "POST":
        status, error = 400, "The form expired; open the page again."
    conflicts, problems = services.pending_problems(loop, drafts)
    accepted = {p for d in drafts.values() for p in d.problems}
    reasons = list(dict.fromkeys(d.reason for d in drafts.values() if d.reason))
    times, people = _times_and_people(loop, drafts)
    tz = viewer_timezone()
    board = build_board(loop, to_local(now_utc(), tz).date(), tz, DAY, drafts)
    return render_template(
        "board/confirm.html",
        loop=loop,
        form=form,
        board=board,
        conflicts=conflicts,
        problems=problems,
        accepted=accepted,
        reasons=reasons,
        error=error,
        warnings=loop_warnings(loop, times, people),
    ), status
