"""Loop rules: planning sessions, finding times, booking without double-booking, changing and cancelling.

Services add and flush; the caller (a view, a CLI command) commits once. Every change is written to the loop's
history. The scheduling engine is asked through plain data built here from the rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from coordinator.auth.models import User
from coordinator.auth.roles import Role
from coordinator.availability.models import BusyBlock, CandidateWindow
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, CandidateStage
from coordinator.loops.models import (
    Arrangement,
    CandidateInviteGrouping,
    Loop,
    LoopEvent,
    LoopSession,
    LoopStatus,
    ParticipantRole,
    PlanSession,
    SessionInterviewer,
    SessionKind,
    SessionStatus,
)
from coordinator.scheduling import (
    CandidateAvailability,
    FindResult,
    Interval,
    InterviewerCalendar,
    LoopRequest,
    PlacedSession,
    PlacementCheck,
    PlanError,
    Replacement,
    SessionSpec,
    check_placement,
    find_options,
    find_replacements,
    validate_request,
    window_from_dates,
)
from coordinator.timeutil import format_range, now_utc, to_local

MAX_SESSION_MIN = 8 * 60
MAX_WINDOW_DAYS = 42
MAX_BOOKING_AHEAD_DAYS = 730
TEXT_LIMIT = 2000


class LoopError(ValueError):
    """A rule about loops was broken; `field` names the form field to show it on."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class BookingConflict(LoopError):
    """Someone would be in two places at once (shown as 409)."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)


class NeedsOverride(LoopError):
    """Soft problems (outside hours, over a limit) that need an explicit reason to accept."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(" ".join(problems), "override_reason")
        self.problems = list(problems)


@dataclass(frozen=True)
class SessionData:
    title: str
    kind: str
    duration_min: int
    interviewer_ids: tuple[int, ...] = ()
    pool_ids: tuple[int, ...] = ()
    pool_count: int = 0
    shadow_ids: tuple[int, ...] = ()
    prep_min: int = 0
    prep_instructions: str = ""
    location: str = ""
    video_url: str = ""


@dataclass(frozen=True)
class LoopSettings:
    arrangement: str
    buffer_min: int
    candidate_grouping: str
    location: str = ""
    video_url: str = ""
    window_first_day: date | None = None
    window_last_day: date | None = None
    decision_due_on: date | None = None


@dataclass
class Change:
    """What a booking or change did, for invites and reminders to follow."""

    loop_id: int
    booked: list[int] = field(default_factory=list)  # session ids newly booked or moved
    cancelled: list[int] = field(default_factory=list)  # session ids cancelled
    removed: list[tuple[int, int]] = field(default_factory=list)  # (session id, user id) taken off a session
    added: list[tuple[int, int]] = field(default_factory=list)  # (session id, user id) put on a session


def record(loop: Loop, actor: User | None, action: str, summary: str, reason: str = "",
           actor_label: str = "") -> LoopEvent:
    event = LoopEvent(loop=loop, actor_id=actor.id if actor else None, actor_label=actor_label, action=action,
                      summary=summary, reason=reason.strip()[:TEXT_LIMIT], created_dt=now_utc())
    db.session.add(event)
    return event


# --- planning ------------------------------------------------------------------------------------------------------

def _interviewers(ids: Iterable[int], what: str, field_name: str) -> list[User]:
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(ids))).all()
    by_id = {u.id: u for u in users}
    missing = [i for i in ids if i not in by_id or not by_id[i].is_enabled]
    if missing:
        raise LoopError(f"Choose {what} from the list.", field_name)
    not_interviewers = [u.name for u in users if not u.has_role(Role.INTERVIEWER, Role.HIRING_MANAGER)]
    if not_interviewers:
        raise LoopError(f"{', '.join(not_interviewers)} cannot interview (no interviewer role).", field_name)
    return [by_id[i] for i in ids]


def check_session_data(data: SessionData) -> None:
    """The rules for one session, with a message per field."""
    if not data.title.strip():
        raise LoopError("Give the session a title.", "title")
    if data.kind not in {k.value for k in SessionKind}:
        raise LoopError("Choose a session kind from the list.", "kind")
    if not 0 < data.duration_min <= MAX_SESSION_MIN:
        raise LoopError("A session lasts between 1 minute and 8 hours.", "duration_min")
    if data.pool_count < 0 or (data.pool_count and len(set(data.pool_ids)) < data.pool_count):
        raise LoopError("The pool must have at least as many people as you want picked from it.", "pool_count")
    if data.pool_ids and not data.pool_count:
        raise LoopError("Say how many interviewers to pick from the pool.", "pool_count")
    scorers = len(set(data.interviewer_ids)) + data.pool_count
    if data.kind == SessionKind.ONE_ON_ONE.value and scorers != 1:
        raise LoopError("A one-on-one has exactly one interviewer (named, or one picked from a pool).",
                        "interviewer_ids")
    if data.kind == SessionKind.PANEL.value and scorers < 2:
        raise LoopError("A panel needs at least two interviewers.", "interviewer_ids")
    if data.kind == SessionKind.PRACTICAL.value and scorers < 1:
        raise LoopError("A practical needs at least one interviewer.", "interviewer_ids")
    if set(data.interviewer_ids) & set(data.pool_ids):
        raise LoopError("Someone is both named and in the pool; choose one.", "pool_ids")
    if set(data.shadow_ids) & (set(data.interviewer_ids) | set(data.pool_ids)):
        raise LoopError("A shadow attends without interviewing; they cannot also interview.", "shadow_ids")
    if not 0 <= data.prep_min <= MAX_SESSION_MIN:
        raise LoopError("Preparation time is between 0 minutes and 8 hours.", "prep_min")
    _interviewers(data.interviewer_ids, "interviewers", "interviewer_ids")
    _interviewers(data.pool_ids, "the pool", "pool_ids")
    _interviewers(data.shadow_ids, "shadows", "shadow_ids")


def _require_editable(loop: Loop) -> None:
    if loop.status == LoopStatus.CANCELLED.value:
        raise LoopError("This loop is cancelled; create a new loop instead.")


def create_loop(candidate: Candidate, actor: User) -> Loop:
    """A new loop for the candidate, its sessions copied from the job's interview plan."""
    loop = Loop(candidate=candidate, recruiter_id=candidate.job.recruiter_id, status=LoopStatus.PLANNING.value)
    db.session.add(loop)
    plan = db.session.scalars(
        select(PlanSession).where(PlanSession.job_id == candidate.job_id).order_by(PlanSession.position)
    ).all()
    for position, step in enumerate(plan):
        session = LoopSession(
            position=position, title=step.title, kind=step.kind, duration_min=step.duration_min,
            prep_min=step.prep_min, prep_instructions=step.prep_instructions,
            pool_count=step.interviewer_count if step.pool else 0,
        )
        session.pool = list(step.pool)
        loop.sessions.append(session)
    record(loop, actor, "created", f"Loop created for {candidate.name}"
           + (f" from the {candidate.job.title} interview plan ({len(plan)} sessions)." if plan else "."))
    db.session.flush()
    from coordinator.kits.services import copy_plan_focus_areas  # it imports this module

    copy_plan_focus_areas(plan, loop.sessions)
    return loop


def _apply_people(session: LoopSession, data: SessionData) -> None:
    wanted: dict[int, tuple[str, bool]] = {uid: (ParticipantRole.INTERVIEWER.value, False)
                                           for uid in data.interviewer_ids}
    wanted.update({uid: (ParticipantRole.SHADOW.value, False) for uid in data.shadow_ids})
    for p in list(session.participants):
        if p.is_from_pool and p.user_id in data.pool_ids and p.user_id not in wanted:
            continue  # an engine pick that is still in the pool stays until the next booking
        if p.user_id not in wanted:
            session.participants.remove(p)
    existing = {p.user_id: p for p in session.participants}
    for uid, (role, from_pool) in wanted.items():
        if uid in existing:
            existing[uid].role, existing[uid].is_from_pool = role, from_pool
        else:
            session.participants.append(SessionInterviewer(user_id=uid, role=role, is_from_pool=from_pool))
    session.pool = _interviewers(data.pool_ids, "the pool", "pool_ids")


def add_session(loop: Loop, data: SessionData, actor: User) -> LoopSession:
    _require_editable(loop)
    check_session_data(data)
    session = LoopSession(
        position=len(loop.sessions), title=data.title.strip(), kind=data.kind, duration_min=data.duration_min,
        pool_count=data.pool_count, prep_min=data.prep_min, prep_instructions=data.prep_instructions.strip(),
        location=data.location.strip(), video_url=data.video_url.strip(),
    )
    loop.sessions.append(session)
    _apply_people(session, data)
    record(loop, actor, "session_added", f"Added {session.kind_label.lower()} '{session.title}' "
                                         f"({data.duration_min} min).")
    db.session.flush()
    return session


def update_session(session: LoopSession, data: SessionData, actor: User) -> None:
    """Change a session's plan. A booked session keeps its time; a change of length means booking it again."""
    loop = session.loop
    _require_editable(loop)
    check_session_data(data)
    if session.is_booked and data.duration_min != session.duration_min:
        raise LoopError("This session is booked; reschedule it to change its length.", "duration_min")
    if session.is_booked and set(data.interviewer_ids) - {u.id for u in session.interviewers}:
        raise LoopError("This session is booked; use 'Replace' to change who interviews, so they are checked "
                        "for conflicts and get their invites.", "interviewer_ids")
    session.title, session.kind, session.duration_min = data.title.strip(), data.kind, data.duration_min
    session.pool_count, session.prep_min = data.pool_count, data.prep_min
    session.prep_instructions = data.prep_instructions.strip()
    session.location, session.video_url = data.location.strip(), data.video_url.strip()
    if not session.is_booked:
        _apply_people(session, data)
    else:
        session.ical_sequence += 1  # attendees see the new title/location
    record(loop, actor, "session_changed", f"Changed '{session.title}'.")
    db.session.flush()


def remove_session(session: LoopSession, actor: User) -> None:
    loop = session.loop
    _require_editable(loop)
    if session.is_booked:
        raise LoopError("This session is booked; cancel it instead, so its attendees are told.")
    loop.sessions.remove(session)
    for position, s in enumerate(loop.sessions):
        s.position = position
    record(loop, actor, "session_removed", f"Removed '{session.title}'.")
    db.session.flush()


def move_session(session: LoopSession, delta: int, actor: User) -> None:
    loop = session.loop
    _require_editable(loop)
    order = list(loop.sessions)
    i = order.index(session)
    j = max(0, min(len(order) - 1, i + delta))
    if i == j:
        return
    order.insert(j, order.pop(i))
    for position, s in enumerate(order):
        s.position = position
    loop.sessions.sort(key=lambda s: s.position)
    record(loop, actor, "session_moved", f"Moved '{session.title}' to position {j + 1}.")
    db.session.flush()


def update_settings(loop: Loop, settings: LoopSettings, actor: User) -> None:
    _require_editable(loop)
    if settings.arrangement not in {a.value for a in Arrangement}:
        raise LoopError("Choose an arrangement from the list.", "arrangement")
    if settings.candidate_grouping not in {g.value for g in CandidateInviteGrouping}:
        raise LoopError("Choose how the candidate's invites are grouped.", "candidate_grouping")
    if not 0 <= settings.buffer_min <= 120:
        raise LoopError("The buffer between sessions is 0 to 120 minutes.", "buffer_min")
    first, last = settings.window_first_day, settings.window_last_day
    if (first is None) != (last is None):
        raise LoopError("Give both the first and the last day, or neither.", "window_last_day")
    if first and last and last < first:
        raise LoopError("The last day must not be before the first.", "window_last_day")
    if first and last and (last - first).days > MAX_WINDOW_DAYS:
        raise LoopError(f"Look at most {MAX_WINDOW_DAYS} days ahead at once.", "window_last_day")
    changes = []
    for name in ("arrangement", "buffer_min", "candidate_grouping", "location", "video_url", "window_first_day",
                 "window_last_day", "decision_due_on"):
        new = getattr(settings, name)
        new = new.strip() if isinstance(new, str) else new
        if getattr(loop, name) != new:
            changes.append(name.replace("_", " "))
            setattr(loop, name, new)
    if changes:
        record(loop, actor, "settings_changed", "Changed " + ", ".join(changes) + ".")
    db.session.flush()


# --- engine input --------------------------------------------------------------------------------------------------

def session_spec(session: LoopSession) -> SessionSpec:
    fixed = tuple(p.user_id for p in session.participants
                  if p.role == ParticipantRole.INTERVIEWER.value and not p.is_from_pool)
    pool = tuple(u.id for u in session.pool if u.id not in fixed)
    shadows = tuple(p.user_id for p in session.participants if p.role == ParticipantRole.SHADOW.value)
    return SessionSpec(title=session.title, kind=session.kind, duration_min=session.duration_min,
                       interviewer_ids=fixed, pool_ids=pool, pool_count=session.pool_count if pool else 0,
                       shadow_ids=shadows, prep_min=session.prep_min)


def calendars_for(user_ids: Iterable[int], start: datetime, end: datetime,
                  exclude_loop_id: int | None = None) -> dict[int, InterviewerCalendar]:
    """Everything the engine needs to know about these people between start and end, in three queries."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    users = db.session.scalars(
        select(User).where(User.id.in_(ids)).options(selectinload(User.working_hours))
    ).all()
    # Load limits count interviews over whole days and ISO weeks, so look a week beyond the window on each side for
    # those; other busy time matters only where it touches the window (widened by buffers, at most hours).
    lo, hi = start - timedelta(days=8), end + timedelta(days=8)
    busy_lo, busy_hi = start - timedelta(days=1), end + timedelta(days=1)
    busy: dict[int, list[Interval]] = defaultdict(list)
    for uid, s, e in db.session.execute(
        select(BusyBlock.user_id, BusyBlock.start_dt, BusyBlock.end_dt)
        .where(BusyBlock.user_id.in_(ids), BusyBlock.end_dt > busy_lo, BusyBlock.start_dt < busy_hi)
    ):
        busy[uid].append(Interval(s, e))
    interviews: dict[int, list[Interval]] = defaultdict(list)
    query = (select(SessionInterviewer.user_id, SessionInterviewer.start_dt, SessionInterviewer.end_dt)
             .join(LoopSession, LoopSession.id == SessionInterviewer.session_id)
             .where(SessionInterviewer.user_id.in_(ids), SessionInterviewer.is_active,
                    SessionInterviewer.end_dt > lo, SessionInterviewer.start_dt < hi))
    if exclude_loop_id is not None:
        query = query.where(LoopSession.loop_id != exclude_loop_id)
    for uid, s, e in db.session.execute(query):
        interviews[uid].append(Interval(s, e))
    calendars = {}
    for user in users:
        hours: dict[int, list] = defaultdict(list)
        for wh in user.working_hours:
            hours[wh.weekday].append((wh.start_time, wh.end_time))
        calendars[user.id] = InterviewerCalendar(
            id=user.id, name=user.name, tz=user.timezone, working_hours=dict(hours), busy=busy[user.id],
            interviews=interviews[user.id], max_per_day=user.max_interviews_per_day,
            max_per_week=user.max_interviews_per_week, buffer_before_min=user.buffer_before_min,
            buffer_after_min=user.buffer_after_min,
        )
    return calendars


def candidate_availability(candidate: Candidate, start: datetime, end: datetime) -> CandidateAvailability:
    rows = db.session.execute(
        select(CandidateWindow.start_dt, CandidateWindow.end_dt)
        .where(CandidateWindow.candidate_id == candidate.id, CandidateWindow.end_dt > start,
               CandidateWindow.start_dt < end)
    ).all()
    return CandidateAvailability(tz=candidate.timezone, windows=[Interval(s, e) for s, e in rows] or None)


def people_names(sessions: Iterable[LoopSession]) -> dict[int, str]:
    """Names of everyone on these sessions or in their pools (whom the engine may pick), from what is loaded."""
    names = {p.user_id: p.user.name for s in sessions for p in s.participants}
    names.update((u.id, u.name) for s in sessions for u in s.pool)
    return names


def _people_of(sessions: Iterable[LoopSession]) -> set[int]:
    ids: set[int] = set()
    for s in sessions:
        ids.update(p.user_id for p in s.participants)
        ids.update(u.id for u in s.pool)
    return ids


def loop_request(loop: Loop, sessions: Sequence[LoopSession], window_start: datetime, window_end: datetime,
                 options_wanted: int = 5) -> LoopRequest:
    start, end = window_start, window_end
    return LoopRequest(
        sessions=tuple(session_spec(s) for s in sessions),
        candidate=candidate_availability(loop.candidate, start, end),
        window_start=start, window_end=end, arrangement=loop.arrangement, buffer_min=loop.buffer_min,
        options_wanted=options_wanted,
    )


def search_window(loop: Loop, first_day: date | None = None, last_day: date | None = None) -> tuple[datetime, datetime]:
    """The UTC window for whole days in the candidate's zone; by default the loop's, else the next two weeks."""
    tz = loop.candidate.timezone
    today = to_local(now_utc(), tz).date()
    first = first_day or loop.window_first_day or today + timedelta(days=1)
    last = last_day or loop.window_last_day or first + timedelta(days=13)
    if last < first:
        raise LoopError("The last day must not be before the first.", "last")
    if (last - first).days > MAX_WINDOW_DAYS:
        raise LoopError(f"Look at most {MAX_WINDOW_DAYS} days ahead at once.", "last")
    start, end = window_from_dates(first, last, tz)
    return max(start, now_utc()), end


def sessions_to_place(loop: Loop) -> list[LoopSession]:
    return [s for s in loop.sessions if s.status != SessionStatus.CANCELLED.value]


def find_times(loop: Loop, first_day: date | None = None, last_day: date | None = None,
               options_wanted: int = 5) -> tuple[FindResult, list[LoopSession]]:
    """The engine's best options for every session of the loop that is not cancelled."""
    sessions = sessions_to_place(loop)
    if not sessions:
        raise LoopError("This loop has no sessions yet. Add at least one session first.")
    start, end = search_window(loop, first_day, last_day)
    request = loop_request(loop, sessions, start, end, options_wanted)
    calendars = calendars_for(_people_of(sessions), start, end, exclude_loop_id=loop.id)
    try:
        validate_request(request, calendars)
    except PlanError as exc:
        raise LoopError(" ".join(exc.messages())) from exc
    return find_options(request, calendars), sessions


# --- booking -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    """Where and with whom one session should happen (from an engine option or placed by hand)."""

    session_id: int
    start: datetime
    interviewer_ids: tuple[int, ...]
    shadow_ids: tuple[int, ...] = ()


def check(loop: Loop, placements: Sequence[Placement]) -> tuple[PlacementCheck, list[LoopSession]]:
    """Hard conflicts and soft problems of placing these sessions, with the loop's other booked sessions."""
    sessions = sessions_to_place(loop)
    by_id = {s.id: s for s in sessions}
    unknown = [p for p in placements if p.session_id not in by_id]
    if unknown:
        raise LoopError("That session is not part of this loop (or is cancelled).")
    placed_ids = {p.session_id for p in placements}
    placed: list[PlacedSession] = []
    for index, session in enumerate(sessions):
        p = next((p for p in placements if p.session_id == session.id), None)
        if p is not None:
            placed.append(PlacedSession(index, p.start, p.start + timedelta(minutes=session.duration_min),
                                        tuple(p.interviewer_ids), tuple(p.shadow_ids)))
        elif session.is_booked and session.id not in placed_ids:
            placed.append(PlacedSession(index, session.start_dt, session.end_dt,
                                        tuple(u.id for u in session.interviewers),
                                        tuple(u.id for u in session.shadows)))
    lo = min(ps.start for ps in placed) - timedelta(days=1)
    hi = max(ps.end for ps in placed) + timedelta(days=1)
    people = {pid for ps in placed for pid in ps.person_ids}
    calendars = calendars_for(people, lo, hi, exclude_loop_id=loop.id)
    missing = people - set(calendars)
    if missing:
        raise LoopError("Choose interviewers from the list.", "interviewer_ids")
    request = loop_request(loop, sessions, lo, hi)
    return check_placement(placed, request, calendars), sessions


def book(loop: Loop, placements: Sequence[Placement], actor: User | None, override_reason: str = "",
         actor_label: str = "", action: str = "booked") -> Change:
    """Book (or move) sessions. Hard conflicts are refused; soft problems need an override reason.

    The caller must be inside a writing transaction (a POST request, or dblock.write_transaction()), so on
    SQLite the checks below and the writes happen under the write lock; on PostgreSQL the exclusion constraint
    refuses an overlapping booking that a concurrent transaction committed in between.
    """
    _require_editable(loop)
    if not placements:
        raise LoopError("Nothing to book.")
    horizon = now_utc() + timedelta(days=MAX_BOOKING_AHEAD_DAYS)
    for p in placements:
        if p.start.tzinfo is None:
            raise LoopError("Times must carry a time zone.")
        if p.start > horizon:
            raise LoopError("Book at most two years ahead.", "day")
    result, sessions = check(loop, placements)
    if result.conflicts:
        raise BookingConflict(result.conflicts)
    if result.problems and not override_reason.strip():
        raise NeedsOverride(result.problems)
    by_id = {s.id: s for s in sessions}
    change = Change(loop_id=loop.id)
    lines = []
    for p in placements:
        session = by_id[p.session_id]
        was_booked, old_start = session.is_booked, session.start_dt
        end = p.start + timedelta(minutes=session.duration_min)
        chosen = {uid: ParticipantRole.INTERVIEWER.value for uid in p.interviewer_ids}
        chosen.update({uid: ParticipantRole.SHADOW.value for uid in p.shadow_ids})
        for participant in list(session.participants):
            if participant.user_id not in chosen:
                if participant.is_active:
                    change.removed.append((session.id, participant.user_id))
                session.participants.remove(participant)
        existing = {pp.user_id: pp for pp in session.participants}
        fixed = {pp.user_id for pp in session.participants if not pp.is_from_pool}
        for uid, role in chosen.items():
            row = existing.get(uid)
            if row is None:
                row = SessionInterviewer(user_id=uid, role=role, is_from_pool=uid not in fixed)
                session.participants.append(row)
                if was_booked:
                    change.added.append((session.id, uid))
            row.role, row.start_dt, row.end_dt, row.is_active = role, p.start, end, True
        session.start_dt, session.end_dt = p.start, end
        session.status = SessionStatus.BOOKED.value
        if was_booked:
            session.ical_sequence += 1
        if result.problems:
            session.override_reason = override_reason.strip()[:TEXT_LIMIT]
        change.booked.append(session.id)
        verb = "Moved" if was_booked and old_start != p.start else "Booked"
        when = format_range(p.start, end, actor.timezone if actor else loop.candidate.timezone)
        lines.append(f"{verb} '{session.title}' {'to' if verb == 'Moved' else 'for'} {when}")
    if loop.status == LoopStatus.PLANNING.value and all(s.is_booked for s in sessions):
        loop.status = LoopStatus.SCHEDULED.value
        if loop.candidate.stage == CandidateStage.TO_SCHEDULE.value:
            loop.candidate.stage = CandidateStage.SCHEDULED.value
    summary = "; ".join(lines) + "."
    if result.problems:
        summary += " Accepted: " + " ".join(result.problems)
    record(loop, actor, action, summary, override_reason if result.problems else "", actor_label)
    _flush_booking()
    return change


def _flush_booking() -> None:
    try:
        db.session.flush()
    except IntegrityError as exc:
        if "no_double_booking" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "23P01":
            raise BookingConflict(["Someone booked one of these interviewers at that time a moment ago. "
                                   "Find times again to see what is still free."]) from exc
        raise


def option_placements(sessions: Sequence[LoopSession], option) -> list[Placement]:
    return [Placement(sessions[ps.session_index].id, ps.start, ps.interviewer_ids, ps.shadow_ids)
            for ps in option.sessions]


# --- changes -------------------------------------------------------------------------------------------------------

def _release(session: LoopSession) -> None:
    for p in session.participants:
        p.is_active = False


def cancel_session(session: LoopSession, actor: User, reason: str) -> Change:
    loop = session.loop
    _require_editable(loop)
    if not reason.strip():
        raise LoopError("Say why the session is cancelled; attendees and the history show it.", "reason")
    if session.status == SessionStatus.CANCELLED.value:
        raise LoopError("This session is already cancelled.")
    was_booked = session.is_booked
    _release(session)
    session.status = SessionStatus.CANCELLED.value
    session.ical_sequence += 1
    change = Change(loop_id=loop.id, cancelled=[session.id] if was_booked else [])
    record(loop, actor, "session_cancelled", f"Cancelled '{session.title}'.", reason)
    if not sessions_to_place(loop):
        loop.status = LoopStatus.CANCELLED.value
    db.session.flush()
    return change


def cancel_loop(loop: Loop, actor: User, reason: str) -> Change:
    _require_editable(loop)
    if not reason.strip():
        raise LoopError("Say why the loop is cancelled; attendees and the history show it.", "reason")
    change = Change(loop_id=loop.id)
    for session in sessions_to_place(loop):
        if session.is_booked:
            change.cancelled.append(session.id)
        _release(session)
        session.status = SessionStatus.CANCELLED.value
        session.ical_sequence += 1
    loop.status = LoopStatus.CANCELLED.value
    record(loop, actor, "loop_cancelled", "Cancelled the loop.", reason)
    db.session.flush()
    return change


def replacements_for(session: LoopSession, leaving: User) -> list[Replacement]:
    """Colleagues free at the session's time and within their limits, least loaded first.

    Qualified means: in the session's pool when it has one, otherwise anyone with the interviewer role.
    """
    if not session.is_booked:
        raise LoopError("Only a booked session has a time to find a replacement for.")
    current = {p.user_id for p in session.participants}
    if session.pool:
        pool = [u.id for u in session.pool if u.id not in current and u.is_enabled]
    else:
        from coordinator.auth.models import UserRole

        pool = list(db.session.scalars(
            select(User.id).join(UserRole).where(UserRole.role == Role.INTERVIEWER.value, User.is_enabled,
                                                 User.id.not_in(current))
        ))
    calendars = calendars_for(pool, session.start_dt, session.end_dt)
    return find_replacements(Interval(session.start_dt, session.end_dt), list(calendars.values()),
                             exclude_ids=current)


def replace_interviewer(session: LoopSession, leaving_id: int, joining_id: int, actor: User,
                        reason: str = "") -> Change:
    loop = session.loop
    _require_editable(loop)
    leaving = next((p for p in session.participants if p.user_id == leaving_id), None)
    if leaving is None:
        raise LoopError("That person is not in this session.")
    if any(p.user_id == joining_id for p in session.participants):
        raise LoopError("That person is already in this session.")
    joining = db.session.get(User, joining_id)
    if joining is None or not joining.is_enabled:
        raise LoopError("Choose a colleague from the list.")
    if not session.is_booked:
        role = leaving.role
        session.participants.remove(leaving)
        session.participants.append(SessionInterviewer(user_id=joining_id, role=role))
        record(loop, actor, "replaced", f"{joining.name} replaces {leaving.user.name} in '{session.title}'.", reason)
        db.session.flush()
        return Change(loop_id=loop.id)
    placement = Placement(
        session.id, session.start_dt,
        tuple(joining_id if u.id == leaving_id else u.id for u in session.interviewers),
        tuple(joining_id if u.id == leaving_id else u.id for u in session.shadows),
    )
    result, _ = check(loop, [placement])
    if result.conflicts:
        raise BookingConflict(result.conflicts)
    if result.problems and not reason.strip():
        raise NeedsOverride(result.problems)
    leaving_name = leaving.user.name
    session.participants.remove(leaving)
    session.participants.append(SessionInterviewer(
        user_id=joining_id, role=leaving.role, is_from_pool=leaving.is_from_pool, is_active=True,
        start_dt=session.start_dt, end_dt=session.end_dt))
    session.ical_sequence += 1
    record(loop, actor, "replaced", f"{joining.name} replaces {leaving_name} in '{session.title}'.", reason)
    _flush_booking()
    return Change(loop_id=loop.id, removed=[(session.id, leaving_id)], added=[(session.id, joining_id)])


# --- reading -------------------------------------------------------------------------------------------------------

def load_loop(loop_id: int) -> Loop | None:
    return db.session.scalar(
        select(Loop).where(Loop.id == loop_id).options(
            selectinload(Loop.sessions).selectinload(LoopSession.participants).selectinload(SessionInterviewer.user),
            selectinload(Loop.sessions).selectinload(LoopSession.pool),
        )
    )


def interviewer_choices() -> list[User]:
    """Everyone who can interview, for choice lists."""
    from coordinator.auth.models import UserRole

    return list(db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.INTERVIEWER.value, User.is_enabled)
        .order_by(User.name)
    ))


def upcoming_interviews(user: User, limit: int = 20) -> list[LoopSession]:
    """The user's booked sessions that have not ended yet, soonest first."""
    return list(db.session.scalars(
        select(LoopSession).join(SessionInterviewer, SessionInterviewer.session_id == LoopSession.id)
        .where(and_(SessionInterviewer.user_id == user.id, SessionInterviewer.is_active,
                    LoopSession.end_dt > now_utc()))
        .order_by(LoopSession.start_dt).limit(limit)
        .options(selectinload(LoopSession.loop).selectinload(Loop.candidate).selectinload(Candidate.job))
    ))
