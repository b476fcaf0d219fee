"""Availability pages: a person's working hours, load limits, busy times and calendar import; candidate windows.

Every wall-clock time is entered and shown in the zone of the person (or candidate) it belongs to, with the
viewer's own time next to it when the zones differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from coordinator import timeutil
from coordinator.auth.models import WEEKDAY_NAMES, User
from coordinator.auth.permissions import (
    can_choose_availability_owner,
    can_edit_availability,
    can_edit_candidate_windows,
    can_manage_users,
    can_view_availability,
    can_view_candidate,
)
from coordinator.availability import calendar_import, calendar_sync, services
from coordinator.availability.forms import (
    BusyTimeForm,
    CalendarChooseForm,
    CalendarConnectForm,
    CalendarImportForm,
    CandidateWindowForm,
    LoadLimitsForm,
)
from coordinator.availability.models import BusyBlock, CandidateWindow
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.timeutil import format_span
from coordinator.web import (
    allowed_or_404,
    discard_changes,
    done,
    end_read_transaction,
    refused,
    require_valid,
    submitted,
)

bp = Blueprint("availability", __name__)

# --- showing times --------------------------------------------------------------------------------------------


def _day(d: date, with_year: bool = False) -> str:
    return timeutil.format_day(d, year=with_year)


def _local_today(tz: str) -> date:
    return timeutil.to_local(timeutil.now_utc(), tz).date()


def _day_heading(day: date, today: date) -> str:
    if day == today:
        return f"Today, {_day(day)}"
    if day == today + timedelta(days=1):
        return f"Tomorrow, {_day(day)}"
    return _day(day, with_year=day.year != today.year)


@dataclass(frozen=True)
class SpanRow:
    id: int
    when: str
    viewer_when: str | None
    summary: str
    is_manual: bool
    source: str


#: what the busy-times table calls each source
SOURCE_TAGS = {services.MANUAL: "Added by hand", services.IMPORT: "Imported file",
               calendar_sync.SYNCED: "Live calendar"}


@dataclass(frozen=True)
class DayGroup:
    heading: str
    rows: list[SpanRow]


def _group_blocks(blocks: list[BusyBlock], tz: str, viewer_tz: str, today: date, show_titles: bool
                  ) -> list[DayGroup]:
    """Busy blocks under the owner's day they start on (or today, for one that started before).

    Titles of imported calendar events are the owner's private business: others see "Busy".
    """
    days: dict[date, list[SpanRow]] = {}
    for block in blocks:
        day = max(timeutil.to_local(block.start_dt, tz).date(), today)
        days.setdefault(day, []).append(SpanRow(
            id=block.id,
            when=format_span(block.start_dt, block.end_dt, tz, on_day=day),
            viewer_when=format_span(block.start_dt, block.end_dt, viewer_tz) if viewer_tz != tz else None,
            summary=block.summary if show_titles or block.source == services.MANUAL else "Busy",
            is_manual=block.source == services.MANUAL,
            source=SOURCE_TAGS.get(block.source, block.source),
        ))
    return [DayGroup(_day_heading(day, today), rows) for day, rows in sorted(days.items())]


# --- a person's availability ----------------------------------------------------------------------------------


def _owner_or_404(user_id: int) -> User:
    return allowed_or_404(User, user_id, can_view_availability)


def _editable_owner(user_id: int) -> User:
    return allowed_or_404(User, user_id, can_view_availability, can_edit_availability)


def _page_url(owner: User, anchor: str | None = None) -> str:
    if owner.id == current_user.id:
        return url_for("availability.mine", _anchor=anchor)
    return url_for("availability.person", user_id=owner.id, _anchor=anchor)


def _people_to_choose() -> list[User]:
    if not can_choose_availability_owner(current_user):
        return []
    people = db.session.scalars(select(User).where(User.is_enabled.is_(True)).order_by(User.name)).all()
    return [p for p in people if can_view_availability(current_user, p)]


def _limits_form(owner: User) -> LoadLimitsForm:
    form = LoadLimitsForm(formdata=None, data={
        "max_per_day": owner.max_interviews_per_day, "max_per_week": owner.max_interviews_per_week,
        "buffer_before_min": owner.buffer_before_min, "buffer_after_min": owner.buffer_after_min,
    })
    return form


def _render_page(owner: User, status: int = 200, *, limits_form: LoadLimitsForm | None = None,
                 busy_form: BusyTimeForm | None = None, import_form: CalendarImportForm | None = None,
                 connect_form: CalendarConnectForm | None = None):
    tz, viewer_tz = owner.timezone, current_user.timezone
    today = _local_today(tz)
    start = timeutil.local_day_bounds(today, tz)[0]
    end = timeutil.local_day_bounds(today + timedelta(weeks=services.SHOW_WEEKS), tz)[0]
    blocks = services.blocks_between(owner, start, end)
    hours = {wh.weekday: wh for wh in owner.working_hours}
    record = services.calendar_import_of(owner)
    import_start, import_end = services.import_range(owner)
    return render_template(
        "availability/person.html",
        owner=owner,
        is_self=owner.id == current_user.id,
        can_edit=can_edit_availability(current_user, owner),
        can_edit_profile=owner.id == current_user.id or can_manage_users(current_user),
        tz=tz, viewer_tz=viewer_tz, zone_label=timeutil.zone_name,
        days=_group_blocks(blocks, tz, viewer_tz, today, show_titles=owner.id == current_user.id),
        block_count=len(blocks),
        show_weeks=services.SHOW_WEEKS,
        range_text=f"{_day(today)} – {_day(today + timedelta(weeks=services.SHOW_WEEKS, days=-1), True)}",
        import_range_text=(f"{_day(timeutil.to_local(import_start, tz).date())} to "
                           f"{_day(timeutil.to_local(import_end, tz).date() - timedelta(days=1), True)}"),
        working_hours=[(name, hours.get(i)) for i, name in enumerate(WEEKDAY_NAMES)],
        calendar_import=record,
        import_problems=[p for p in (record.problems.splitlines() if record else []) if p.strip()],
        imported_when=describe_instant(record.imported_dt, viewer_tz) if record else "",
        max_upload_mb=calendar_import.MAX_ICS_BYTES // (1024 * 1024),
        people=_people_to_choose(),
        limits_form=limits_form or _limits_form(owner),
        busy_form=busy_form or BusyTimeForm(formdata=None),
        import_form=import_form or CalendarImportForm(formdata=None),
        live=calendar_sync.status_of(owner),
        live_when=lambda dt: describe_instant(dt, viewer_tz) if dt else "never",
        connect_form=connect_form or CalendarConnectForm(formdata=None),
        choose_form=CalendarChooseForm(formdata=None),
    ), status


def describe_instant(dt: datetime, tz: str) -> str:
    """"Mon 6 Apr 2026, 09:00 CEST"."""
    return f"{timeutil.format_day(timeutil.to_local(dt, tz).date())}, {timeutil.format_clock(dt, tz)} " \
           f"{timeutil.zone_abbreviation(tz, dt)}"


@bp.route("/availability")
@login_required
def mine():
    chosen = request.args.get("user", type=int)
    if chosen is not None and chosen != current_user.id:
        return redirect(url_for("availability.person", user_id=chosen))
    return _render_page(current_user)


@bp.route("/availability/<int:user_id>")
@login_required
def person(user_id: int):
    owner = _owner_or_404(user_id)
    if owner.id == current_user.id:
        return redirect(url_for("availability.mine"))
    return _render_page(owner)


@bp.route("/availability/<int:user_id>/limits", methods=["POST"])
@login_required
def limits(user_id: int):
    owner = _editable_owner(user_id)
    form = LoadLimitsForm()
    return submitted(form, services.AvailabilityError, lambda: services.set_load_limits(owner, services.LoadLimits(
        max_per_day=form.max_per_day.data, max_per_week=form.max_per_week.data,
        buffer_before_min=form.buffer_before_min.data, buffer_after_min=form.buffer_after_min.data,
    )), lambda _: done("Load limits and buffers are saved.", _page_url(owner, "limits"))) \
        or _render_page(owner, 400, limits_form=form)



@bp.route("/availability/<int:user_id>/busy", methods=["POST"])
@login_required
def add_block(user_id: int):
    owner = _editable_owner(user_id)
    form = BusyTimeForm()

    def add() -> tuple[BusyBlock, bool]:
        start_dt, end_dt = services.local_span(form.day.data, form.start.data, form.until.data, form.end.data,
                                               owner.timezone, all_day=form.all_day.data)
        return services.add_manual_block(owner, start_dt, end_dt, form.summary.data or "Busy")

    def added(result: tuple[BusyBlock, bool]):
        block, created = result
        when = format_span(block.start_dt, block.end_dt, owner.timezone)
        if created:
            return done(f"Busy time added: {when}.", _page_url(owner, "busy"))
        return done(f"This busy time is already on the list: {when}.", _page_url(owner, "busy"), "info")

    return submitted(form, services.AvailabilityError, add, added) or _render_page(owner, 400, busy_form=form)


@bp.route("/availability/<int:user_id>/busy/<int:block_id>/delete", methods=["POST"])
@login_required
def delete_block(user_id: int, block_id: int):
    owner = _editable_owner(user_id)
    block = db.get_or_404(BusyBlock, block_id)
    if block.user_id != owner.id or block.source != services.MANUAL:
        abort(404)
    when = format_span(block.start_dt, block.end_dt, owner.timezone)
    services.delete_manual_block(owner, block_id)
    flash(f"Busy time removed: {when}.", "success")
    return redirect(_page_url(owner, "busy"))


@bp.route("/availability/<int:user_id>/import", methods=["POST"])
@login_required
def import_calendar(user_id: int):
    owner = _editable_owner(user_id)
    form = CalendarImportForm()
    if form.validate_on_submit():
        upload = form.calendar_file.data
        data = upload.stream.read(calendar_import.MAX_ICS_BYTES + 1)
        reading = services.CalendarReading.of(owner)
        # Reading the file takes up to seconds; on SQLite this POST's transaction holds the write lock, and others
        # could not sign in meanwhile. End it: the import is written in a new transaction once the file is read.
        end_read_transaction()
        try:
            result = services.read_calendar_file(reading, data)
        except services.AvailabilityError as exc:
            refused(form, exc)
        else:
            record = services.replace_import(owner, result, upload.filename)
            message = (f"Imported “{record.filename}”: {_count(record.block_count, 'busy time')} from "
                       f"{_count(record.event_count, 'event')}.")
            if record.problems:
                where = ("see the notes under “Import a calendar”" if owner.id == current_user.id
                         else f"{owner.name} sees which on their own page")
                flash(f"{message} Some events could not be read; {where}.", "warning")
            else:
                flash(message, "success")
            return redirect(_page_url(owner, "busy"))
    return _render_page(owner, 400, import_form=form)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@bp.route("/availability/<int:user_id>/import/delete", methods=["POST"])
@login_required
def remove_import(user_id: int):
    owner = _editable_owner(user_id)
    if services.calendar_import_of(owner) is None:
        abort(404)
    removed = services.remove_import(owner)
    flash(f"The imported calendar is removed ({_count(removed, 'busy time')}).", "success")
    return redirect(_page_url(owner, "import"))


# --- live calendars -------------------------------------------------------------------------------------------
# Only the person connects and chooses (the app password is theirs); whoever may edit their availability may
# also sync now or disconnect.


def _own_page(user_id: int) -> User:
    owner = _owner_or_404(user_id)
    if owner.id != current_user.id:
        abort(403, description="Only the owner of a calendar can connect it.")
    return owner


@bp.route("/availability/<int:user_id>/calendar/connect", methods=["POST"])
@login_required
def connect_calendar(user_id: int):
    owner = _own_page(user_id)
    form = CalendarConnectForm()

    def connected(conn):
        names = ", ".join(c.name for c in conn.calendars)
        return done(f"Connected: {_count(len(conn.calendars), 'calendar')} found ({names}). All count as busy; "
                    "untick the ones that should not, and choose where your interviews go. Busy times arrive "
                    "with the first sync, within a minute.", _page_url(owner, "live-calendar"))

    return submitted(form, services.AvailabilityError, lambda: calendar_sync.connect(
        owner, form.server_url.data, form.username.data, form.password.data), connected) \
        or _render_page(owner, 400, connect_form=form)


@bp.route("/availability/<int:user_id>/calendar/choose", methods=["POST"])
@login_required
def choose_calendars(user_id: int):
    owner = _own_page(user_id)
    require_valid(CalendarChooseForm(), "The form expired; open the page again and retry.")
    try:
        busy = [int(v) for v in request.form.getlist("busy")]
        write = request.form.get("write", "")
        write_id = int(write) if write not in ("", "none") else None
    except ValueError:
        abort(400, description="Choose among the calendars listed.")
    try:
        calendar_sync.choose_calendars(owner, busy, write_id)
    except services.AvailabilityError as exc:
        discard_changes()
        abort(400, description=exc.message)
    return done("Your calendar choices are saved; busy times follow at the next sync, within a minute.",
                _page_url(owner, "live-calendar"))


@bp.route("/availability/<int:user_id>/calendar/sync", methods=["POST"])
@login_required
def sync_calendar(user_id: int):
    owner = _editable_owner(user_id)
    require_valid(CalendarChooseForm(), "The form expired; open the page again and retry.")
    if calendar_sync.connection_of(owner) is None:
        abort(404)
    report = calendar_sync.sync_now(owner)
    if report.failed:
        status = calendar_sync.status_of(owner)
        flash(f"The calendar could not be synced: {status.error if status else ''} The busy times of the last "
              "good sync stay in use.", "error")
    else:
        flash(f"Synced: {_count(report.calendars_changed, 'calendar')} changed, "
              f"{_count(report.busy_rows, 'busy time')} read.", "success")
    return redirect(_page_url(owner, "live-calendar"))


@bp.route("/availability/<int:user_id>/calendar/disconnect", methods=["POST"])
@login_required
def disconnect_calendar(user_id: int):
    owner = _editable_owner(user_id)
    require_valid(CalendarChooseForm(), "The form expired; open the page again and retry.")
    removed = calendar_sync.disconnect(owner)
    if removed is None:
        abort(404)
    return done(f"The calendar is disconnected: its password and {_count(removed, 'busy time')} read from it are "
                "deleted.", _page_url(owner, "live-calendar"))


# --- candidate windows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowRow:
    id: int
    when: str
    viewer_when: str | None


@bp.app_template_global()
def candidate_windows_panel(candidate: Candidate, form: CandidateWindowForm | None = None) -> dict:
    """What the candidate page's "When the candidate can interview" section shows (called from the template,
    so the candidate page needs nothing from this blueprint's views)."""
    viewer_tz = current_user.timezone
    rows = [
        WindowRow(
            id=w.id,
            when=format_span(w.start_dt, w.end_dt, candidate.timezone),
            viewer_when=format_span(w.start_dt, w.end_dt, viewer_tz) if viewer_tz != candidate.timezone else None,
        )
        for w in services.upcoming_candidate_windows(candidate)
    ]
    return {
        "rows": rows,
        "can_edit": can_edit_candidate_windows(current_user, candidate),
        "form": form or CandidateWindowForm(formdata=None),
        "tz_label": timeutil.zone_name(candidate.timezone),
        "tz_abbr": timeutil.zone_abbreviation(candidate.timezone),
        "viewer_tz_label": timeutil.zone_name(viewer_tz),
        "zones_differ": viewer_tz != candidate.timezone,
    }


def _candidate_or_404(candidate_id: int, *, edit: bool) -> Candidate:
    rules = (can_view_candidate, can_edit_candidate_windows) if edit else (can_view_candidate,)
    return allowed_or_404(Candidate, candidate_id, *rules)


def _candidate_url(candidate: Candidate) -> str:
    return url_for("hiring.candidate", candidate_id=candidate.id, _anchor="windows")


@bp.route("/candidates/<int:candidate_id>/windows", methods=["GET", "POST"])
@login_required
def windows(candidate_id: int):
    candidate = _candidate_or_404(candidate_id, edit=request.method == "POST")
    if request.method == "GET":
        return render_template("availability/candidate_windows.html", candidate=candidate,
                               panel=candidate_windows_panel(candidate))
    form = CandidateWindowForm()

    def add() -> tuple[CandidateWindow, bool]:
        start_dt, end_dt = services.local_span(form.day.data, form.start.data, None, form.end.data,
                                               candidate.timezone)
        return services.add_candidate_window(candidate, start_dt, end_dt)

    def added(result: tuple[CandidateWindow, bool]):
        window, created = result
        when = format_span(window.start_dt, window.end_dt, candidate.timezone)
        return done(f"{'Window added' if created else 'This window is already on the list'}: {when} "
                    "(the candidate's time).", _candidate_url(candidate), "success" if created else "info")

    return submitted(form, services.AvailabilityError, add, added) or (
        render_template("availability/candidate_windows.html", candidate=candidate,
                        panel=candidate_windows_panel(candidate, form)), 400)


@bp.route("/candidates/<int:candidate_id>/windows/<int:window_id>/delete", methods=["POST"])
@login_required
def delete_window(candidate_id: int, window_id: int):
    candidate = _candidate_or_404(candidate_id, edit=True)
    window = db.get_or_404(CandidateWindow, window_id)
    if window.candidate_id != candidate.id:
        abort(404)
    when = format_span(window.start_dt, window.end_dt, candidate.timezone)
    services.delete_candidate_window(candidate, window_id)
    flash(f"Window removed: {when} (the candidate's time).", "success")
    return redirect(_candidate_url(candidate))
