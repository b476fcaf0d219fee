"""Loop rules: creating loops, planning their sessions and settings, reading them; finding times and booking
live in loops.booking, the errors, history and the "a loop changed" hook in loops.changes (all importable here).

Services add and flush; the request (or a CLI command) commits once. Every change is written to the loop's
history, and every change that invites or reminders must follow is announced (`changes.announce`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from coordinator.auth.models import User
from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.loops.booking import (  # noqa: F401 - the loop services, importable from one place
    MAX_OPTION_SESSIONS,
    Placement,
    book,
    calendars_for,
    cancel_loop,
    cancel_session,
    candidate_availability,
    check,
    decode_option,
    encode_option,
    find_times,
    load_loop,
    lock_loop,
    loop_request,
    option_placements,
    people_names,
    replace_interviewer,
    replacements_for,
    replacements_for_many,
    require_interviewers,
    search_window,
    session_spec,
    sessions_to_place,
    touch,
    unchanged,
)
from coordinator.loops.changes import (  # noqa: F401
    MAX_BOOKING_AHEAD_DAYS,
    MAX_SESSION_MIN,
    MAX_WINDOW_DAYS,
    TEXT_LIMIT,
    BookingConflict,
    Change,
    ChangeKind,
    LoopChanged,
    LoopError,
    NeedsOverride,
    announce,
    follow,
    places,
    record,
    require_editable,
)
from coordinator.loops.models import (
    Arrangement,
    CandidateInviteGrouping,
    Loop,
    LoopSession,
    LoopStatus,
    ParticipantRole,
    PlanSession,
    SessionInterviewer,
    SessionKind,
)
from coordinator.loops.state import settle
from coordinator.timeutil import now_utc


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
    #: invites go out when booked (True) or wait for the recruiter's Send (False); None leaves it as it is
    send_at_once: bool | None = None


# --- planning ------------------------------------------------------------------------------------------------------

def _interviewers(ids: Iterable[int], what: str, field_name: str) -> list[User]:
    return require_interviewers(ids, what, field_name)


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


def create_loop(candidate: Candidate, actor: User) -> Loop:
    """A new loop for the candidate, its sessions copied from the job's interview plan."""
    from flask import current_app

    loop = Loop(candidate=candidate, recruiter_id=candidate.job.recruiter_id, status=LoopStatus.PLANNING.value,
                send_at_once=bool(current_app.config.get("SEND_INVITES_AT_ONCE")))
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
    settle(candidate)
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
    require_editable(loop)
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
    settle(loop.candidate)
    return session


def update_session(session: LoopSession, data: SessionData, actor: User) -> Change:
    """Change a session's plan. A booked session keeps its time; a change of length means booking it again."""
    loop = session.loop
    lock_loop(loop)
    require_editable(loop)
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
    touch(loop)
    return announce(Change(loop_id=loop.id, kind=ChangeKind.SESSION_EDIT, session_id=session.id))


def remove_session(session: LoopSession, actor: User) -> None:
    loop = session.loop
    require_editable(loop)
    if session.is_booked:
        raise LoopError("This session is booked; cancel it instead, so its attendees are told.")
    loop.sessions.remove(session)
    for position, s in enumerate(loop.sessions):
        s.position = position
    record(loop, actor, "session_removed", f"Removed '{session.title}'.")
    db.session.flush()
    settle(loop.candidate)


def move_session(session: LoopSession, delta: int, actor: User) -> None:
    loop = session.loop
    require_editable(loop)
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


def update_settings(loop: Loop, settings: LoopSettings, actor: User) -> Change:
    lock_loop(loop)
    require_editable(loop)
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
    before = places(loop)
    changes = []
    for name in ("arrangement", "buffer_min", "candidate_grouping", "location", "video_url", "window_first_day",
                 "window_last_day", "decision_due_on", "send_at_once"):
        new = getattr(settings, name)
        if new is None and name == "send_at_once":
            continue
        new = new.strip() if isinstance(new, str) else new
        if getattr(loop, name) != new:
            changes.append(name.replace("_", " "))
            setattr(loop, name, new)
    if changes:
        record(loop, actor, "settings_changed", "Changed " + ", ".join(changes) + ".")
    return announce(Change(loop_id=loop.id, kind=ChangeKind.SETTINGS, places_before=before))


# --- reading -------------------------------------------------------------------------------------------------------

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
        .options(selectinload(LoopSession.loop).selectinload(Loop.candidate).selectinload(Candidate.job),
                 selectinload(LoopSession.participants))
    ))
