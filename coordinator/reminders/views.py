"""Reminder pages: my reminders, a loop's reminders, and the dashboard of what needs action."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from coordinator import timeutil
from coordinator.auth.permissions import can_manage_loop, can_view_loop_reminders, require
from coordinator.loops.services import load_loop
from coordinator.reminders import dashboard as board
from coordinator.reminders import services
from coordinator.web import viewer_timezone

bp = Blueprint("reminders", __name__)


@bp.route("/reminders")
@login_required
def mine():
    now = timeutil.now_utc()
    return render_template("reminders/mine.html", upcoming=services.upcoming_for(current_user, now=now),
                           recent=services.recent_for(current_user, now=now), now=now)


@bp.route("/loops/<int:loop_id>/reminders")
@login_required
def loop(loop_id: int):
    the_loop = load_loop(loop_id)
    if the_loop is None:
        abort(404)
    require(can_view_loop_reminders(current_user, the_loop))
    return render_template("reminders/loop.html", loop=the_loop, reminders=services.of_loop(the_loop),
                           can_manage=can_manage_loop(current_user, the_loop))


@bp.route("/dashboard")
@login_required
def dashboard():
    now = timeutil.now_utc()
    team = board.team_dashboard(current_user, now=now, tz=viewer_timezone()) \
        if board.shows_team_dashboard(current_user) else None
    mine = board.interviewer_dashboard(current_user, now=now) \
        if board.shows_interviewer_dashboard(current_user) else None
    upcoming = services.upcoming_for(current_user, now=now, limit=5)
    return render_template("reminders/dashboard.html", team=team, mine=mine, upcoming=upcoming, now=now,
                           decision_words=board.decision_words)


def relative(dt, now=None) -> str:
    """'in 3 hours', '2 days ago' (for the lists; the exact time stands beside it)."""
    if dt is None:
        return ""
    now = now or timeutil.now_utc()
    seconds = (dt - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return "now"
    if minutes < 60:
        words = f"{minutes} min"
    elif minutes < 48 * 60:
        hours = minutes // 60
        words = f"{hours} hour{'s' if hours != 1 else ''}"
    else:
        days = minutes // (24 * 60)
        words = f"{days} days"
    return f"in {words}" if seconds > 0 else f"{words} ago"


def link_to(endpoint: str, **values) -> str | None:
    """The URL of `endpoint`, or None where this installation does not have it (a feature not installed)."""
    from flask import current_app, url_for

    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def loop_reminder_summary(the_loop):
    """For the loop page's panel: (pending count, next reminder) when the viewer may see the loop's reminders."""
    if not can_view_loop_reminders(current_user, the_loop):
        return None
    pending, soonest = services.pending_summary(the_loop)
    return {"pending": pending, "next": soonest}


def needs_action():
    """For the home page: the numbers of the hiring team's dashboard, when the viewer has one."""
    if not board.shows_team_dashboard(current_user):
        return None
    return board.team_counts(current_user, tz=viewer_timezone())


@bp.record_once
def _template_helpers(state) -> None:
    """Globals for the templates (macros imported without context see them too)."""
    state.app.jinja_env.globals.update(reminder_relative=relative, reminder_link=link_to,
                                       loop_reminder_summary=loop_reminder_summary, needs_action=needs_action)
