"""Finding times and booking: the engine's input built from the rows, booking without double-booking, cancelling
and replacing. Every change is recorded in the loop's history and announced to the loop's followers."""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified

from coordinator.auth.models import User, WorkingHours
from coordinator.auth.roles import Role
from coordinator.availability.models import BusyBlock, CandidateWindow
from coordinator.dbtypes import epoch_seconds
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.loops.changes import (
    MAX_BOOKING_AHEAD_DAYS,
    MAX_WINDOW_DAYS,
    TEXT_LIMIT,
    BookingConflict,
    Change,
    LoopChanged,
    LoopError,
    NeedsOverride,
    announce,
    record,
    require_editable,
)
from coordinator.loops.models import Loop, LoopSession, LoopStatus, ParticipantRole, SessionInterviewer, SessionStatus
from coordinator.loops.state import settle
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
from coordinator.timeutil import as_utc, format_range, now_utc, to_local

MAX_OPTION_SESSIONS = 50

FIND_NODE_BUDGET = 200_000
"""Combinations one "Find times" search may try before it stops (a guard; the page then says how many it tried)."""


# --- reading and locking -------------------------------------------------------------------------------------------

def load_loop(loop_id: int, *, fresh: bool = False) -> Loop | None:
    """The loop with its sessions and people; `fresh` reads them again even when this request already has them."""
    query = select(Loop).where(Loop.id == loop_id).options(
        selectinload(Loop.sessions).selectinload(LoopSession.participants).selectinload(SessionInterviewer.user),
        selectinload(Loop.sessions).selectinload(LoopSession.pool),
    )
    if fresh:
        query = query.execution_options(populate_existing=True)
    return db.session.scalar(query)


def lock_loop(loop: Loop) -> int:
    """Hold the loop's row for the rest of the transaction and read it (sessions, people, SEQUENCEs) again, so
    that checking and changing it cannot interleave with another request's change: on PostgreSQL a
    ``SELECT ... FOR UPDATE`` (a second booker waits here, then sees what the first committed); on SQLite the
    writing transaction already holds the database's write lock (dblock), and FOR UPDATE is not rendered.

    Returns the version the request had read before the lock, i.e. the state its caller decided on. Taking
    the lock twice in one transaction reads nothing again.
    """
    seen = loop.version
    transaction = db.session().get_transaction()
    if transaction is not None and loop.id in _locked.get(transaction, ()):
        return seen
    db.session.execute(select(Loop.id).where(Loop.id == loop.id).with_for_update())
    load_loop(loop.id, fresh=True)
    _locked.setdefault(db.session().get_transaction(), set()).add(loop.id)
    return seen


#: the loops each open transaction holds locked (a lock ends with its transaction, and so does the entry)
_locked: weakref.WeakKeyDictionary[Any, set[int]] = weakref.WeakKeyDictionary()


def touch(loop: Loop) -> None:
    """Count a change of the loop's sessions as a change of the loop: its version goes up at flush, so a page
    (or a concurrent request) that decided on the loop as it was is refused instead of overwriting."""
    flag_modified(loop, "status")


def require_interviewers(ids: Iterable[int], what: str = "interviewers", field_name: str | None = "interviewer_ids",
                         ) -> list[User]:
    """The people named to interview (or shadow), each enabled and holding the interviewer or hiring-manager
    role. The one check for every way of putting someone on a session: the session form, a booked option, a
    session placed by hand, a replacement, the candidate's self-booking."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(ids)).options(selectinload(User.role_rows))).all()
    by_id = {u.id: u for u in users}
    missing = [i for i in ids if i not in by_id or not by_id[i].is_enabled]
    if missing:
        raise LoopError(f"Choose {what} from the list.", field_name)
    not_interviewers = [by_id[i].name for i in ids if not by_id[i].has_role(Role.INTERVIEWER, Role.HIRING_MANAGER)]
    if not_interviewers:
        raise LoopError(f"{', '.join(not_interviewers)} cannot interview (no interviewer role).", field_name)
    return [by_id[i] for i in ids]


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
                  exclude_loop_id: int | None = None, *, labelled: bool = False) -> dict[int, InterviewerCalendar]:
    """Everything the engine needs to know about these people between start and end, in four queries however many
    people (columns only: no ORM objects, no eager loads batched per 500 people)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    users = db.session.execute(
        select(User.id, User.name, User.timezone, User.max_interviews_per_day, User.max_interviews_per_week,
               User.buffer_before_min, User.buffer_after_min).where(User.id.in_(ids))
    ).all()
    hours: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for uid, weekday, start_time, end_time in db.session.execute(
        select(WorkingHours.user_id, WorkingHours.weekday, WorkingHours.start_time, WorkingHours.end_time)
        .where(WorkingHours.user_id.in_(ids)).order_by(WorkingHours.user_id, WorkingHours.weekday,
                                                       WorkingHours.start_time)
    ):
        hours[uid][weekday].append((start_time, end_time))
    # Load limits count interviews over whole days and ISO weeks, so look a week beyond the window on each side for
    # those; other busy time matters only where it touches the window (widened by buffers, at most hours).
    lo, hi = start - timedelta(days=8), end + timedelta(days=8)
    busy_lo, busy_hi = start - timedelta(days=1), end + timedelta(days=1)
    # Busy blocks are most of the rows (hundreds a person a month): read as Unix seconds, the engine's own form,
    # unless the caller names what a clash is with (the booking checks, a replacement's problems).
    busy_named: dict[int, list[Interval]] = defaultdict(list)
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if labelled:
        for uid, s, e, summary in db.session.execute(
            select(BusyBlock.user_id, BusyBlock.start_dt, BusyBlock.end_dt, BusyBlock.summary)
            .where(BusyBlock.user_id.in_(ids), BusyBlock.end_dt > busy_lo, BusyBlock.start_dt < busy_hi)
        ):
            busy_named[uid].append(Interval(s, e, "" if not summary or summary == "Busy" else f"'{summary}'"))
    else:
        dialect = db.session.get_bind().dialect.name
        for uid, s, e in db.session.execute(
            select(BusyBlock.user_id, epoch_seconds(BusyBlock.start_dt, dialect),
                   epoch_seconds(BusyBlock.end_dt, dialect, up=True))
            .where(BusyBlock.user_id.in_(ids), BusyBlock.end_dt > busy_lo, BusyBlock.start_dt < busy_hi)
        ):
            busy[uid].append((s, e))
    interviews: dict[int, list[Interval]] = defaultdict(list)
    query = (select(SessionInterviewer.user_id, SessionInterviewer.start_dt, SessionInterviewer.end_dt,
                    LoopSession.title)
             .join(LoopSession, LoopSession.id == SessionInterviewer.session_id)
             .where(SessionInterviewer.user_id.in_(ids), SessionInterviewer.is_active,
                    SessionInterviewer.end_dt > lo, SessionInterviewer.start_dt < hi))
    if exclude_loop_id is not None:
        query = query.where(LoopSession.loop_id != exclude_loop_id)
    for uid, s, e, title in db.session.execute(query):
        interviews[uid].append(Interval(s, e, f"another interview, '{title}'"))
    calendars = {}
    for uid, name, tz, per_day, per_week, before, after in users:
        calendars[uid] = InterviewerCalendar(
            id=uid, name=name, tz=tz, working_hours=dict(hours[uid]), busy=busy_named[uid], busy_spans=busy[uid],
            interviews=interviews[uid], max_per_day=per_day, max_per_week=per_week, buffer_before_min=before,
            buffer_after_min=after,
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
    return find_options(request, calendars, node_budget=FIND_NODE_BUDGET), sessions


# --- booking -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    """Where and with whom one session should happen (from an engine option or placed by hand)."""

    session_id: int
    start: datetime
    interviewer_ids: tuple[int, ...]
    shadow_ids: tuple[int, ...] = ()


def check(loop: Loop, placements: Sequence[Placement], moving: Iterable[int] | None = None,
          ) -> tuple[PlacementCheck, list[LoopSession]]:
    """Hard conflicts and soft problems of placing these sessions, with the loop's other booked sessions.

    Each person's calendar, hours and buffers are checked for the sessions that change (`moving`, session ids;
    by default the placements that differ from what is booked), so a refusal names the session that clashes."""
    only = None if moving is None else set(moving)
    sessions = sessions_to_place(loop)
    by_id = {s.id: s for s in sessions}
    unknown = [p for p in placements if p.session_id not in by_id]
    if unknown:
        raise LoopError("That session is not part of this loop (or is cancelled).")
    placed_ids = {p.session_id for p in placements}
    placed: list[PlacedSession] = []
    changed: set[int] = set()
    for index, session in enumerate(sessions):
        p = next((p for p in placements if p.session_id == session.id), None)
        if p is not None:
            placed.append(PlacedSession(index, p.start, p.start + timedelta(minutes=session.duration_min),
                                        tuple(p.interviewer_ids), tuple(p.shadow_ids)))
            if only is not None:
                if session.id in only:
                    changed.add(index)
            elif not (session.is_booked and session.start_dt == p.start
                    and {u.id for u in session.interviewers} == set(p.interviewer_ids)
                    and {u.id for u in session.shadows} == set(p.shadow_ids)):
                changed.add(index)
        elif session.is_booked and session.id not in placed_ids:
            placed.append(PlacedSession(index, session.start_dt, session.end_dt,
                                        tuple(u.id for u in session.interviewers),
                                        tuple(u.id for u in session.shadows)))
    lo = min(ps.start for ps in placed) - timedelta(days=1)
    hi = max(ps.end for ps in placed) + timedelta(days=1)
    people = {pid for ps in placed for pid in ps.person_ids}
    calendars = calendars_for(people, lo, hi, exclude_loop_id=loop.id, labelled=True)
    missing = people - set(calendars)
    if missing:
        raise LoopError("Choose interviewers from the list.", "interviewer_ids")
    request = loop_request(loop, sessions, lo, hi)
    return check_placement(placed, request, calendars, changed), sessions


def unchanged(loop: Loop, placements: Sequence[Placement]) -> bool:
    """Every placement is what is booked already: same session, same start, same interviewers and shadows."""
    by_id = {s.id: s for s in sessions_to_place(loop)}
    for p in placements:
        session = by_id.get(p.session_id)
        if session is None or not session.is_booked or session.start_dt != p.start:
            return False
        active = [pp for pp in session.participants if pp.is_active]
        if len(active) != len(session.participants):
            return False
        if ({u.id for u in session.interviewers} != set(p.interviewer_ids)
                or {u.id for u in session.shadows} != set(p.shadow_ids)):
            return False
    return True


def book(loop: Loop, placements: Sequence[Placement], actor: User | None, override_reason: str = "",
         actor_label: str = "", action: str = "booked", *, announced: bool = True,
         seen_version: int | None = None) -> Change:
    """Book (or move) sessions. Hard conflicts are refused; soft problems need an override reason. With
    `announced=False` the caller announces the change itself once its own part is done (the candidate's page).

    The loop is locked first (`lock_loop`), so two bookings of one loop run one after the other. A booking
    that changes nothing (the same times and people again: a double-click, a page sent twice) changes nothing
    and sends nothing (`Change.nothing_changed`); otherwise, when the loop changed since `seen_version` (the
    version the page showed; by default the one this request read), LoopChanged (409) instead of overwriting.

    The caller must be inside a writing transaction (a POST request, or dblock.write_transaction()), so on
    SQLite the checks below and the writes happen under the write lock; on PostgreSQL the exclusion constraint
    refuses an overlapping booking that a concurrent transaction committed in between.
    """
    read_version = lock_loop(loop)
    require_editable(loop)
    if not placements:
        raise LoopError("Nothing to book.")
    if unchanged(loop, placements):
        return Change(loop_id=loop.id, nothing_changed=True)
    if loop.version != (read_version if seen_version is None else seen_version):
        raise LoopChanged()
    for p in placements:
        require_interviewers(p.interviewer_ids)
        require_interviewers(p.shadow_ids, "shadows", "shadow_ids")
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
    _flush_booking()
    settle(loop.candidate)
    summary = "; ".join(lines) + "."
    if result.problems:
        summary += " Accepted: " + " ".join(result.problems)
    record(loop, actor, action, summary, override_reason if result.problems else "", actor_label)
    touch(loop)
    _flush_booking()
    return announce(change) if announced else change


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


def encode_option(sessions: Sequence[LoopSession], option) -> list[dict[str, Any]]:
    """An engine option as plain data a page can carry and send back (the loop page as JSON, the candidate's
    page signed); `decode_option` reads it."""
    return [{"s": p.session_id, "t": p.start.isoformat(), "i": list(p.interviewer_ids), "sh": list(p.shadow_ids)}
            for p in option_placements(sessions, option)]


def decode_option(items: Any) -> list[Placement]:
    """The placements of an option sent back by a page; ValueError for anything malformed."""
    try:
        if not isinstance(items, list) or not items or len(items) > MAX_OPTION_SESSIONS:
            raise ValueError("not a list of sessions")
        return [Placement(int(item["s"]), as_utc(datetime.fromisoformat(item["t"])),
                          tuple(int(i) for i in item["i"]), tuple(int(i) for i in item.get("sh", [])))
                for item in items]
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError("not an option") from exc


# --- changes -------------------------------------------------------------------------------------------------------

def _release(session: LoopSession) -> None:
    for p in session.participants:
        p.is_active = False


def cancel_session(session: LoopSession, actor: User, reason: str) -> Change:
    loop = session.loop
    lock_loop(loop)
    require_editable(loop)
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
    touch(loop)
    if not sessions_to_place(loop):
        loop.status = LoopStatus.CANCELLED.value
    settle(loop.candidate)
    return announce(change)


def cancel_loop(loop: Loop, actor: User, reason: str) -> Change:
    lock_loop(loop)
    require_editable(loop)
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
    settle(loop.candidate)
    return announce(change)


def replacements_for(session: LoopSession, leaving: User) -> list[Replacement]:
    """Colleagues free at the session's time and within their limits, least loaded first.

    Qualified means: in the session's pool when it has one, otherwise anyone with the interviewer role.
    """
    if not session.is_booked:
        raise LoopError("Only a booked session has a time to find a replacement for.")
    return replacements_for_many([(session, leaving)])[(session.id, leaving.id)]


def replacements_for_many(seats: Sequence[tuple[LoopSession, User]]) -> dict[tuple[int, int], list[Replacement]]:
    """`replacements_for` of many (booked session, person leaving) at once, keyed (session id, user id): the
    calendars are read once per four weeks of sessions instead of once per seat (a batch of declines)."""
    from coordinator.auth.models import UserRole

    out: dict[tuple[int, int], list[Replacement]] = {}
    seats = [(s, u) for s, u in seats if s.is_booked and s.start_dt is not None]
    everyone: list[int] | None = None
    pools: dict[int, list[int]] = {}
    for session, _leaving in seats:
        current = {p.user_id for p in session.participants}
        if session.pool:
            pools[session.id] = [u.id for u in session.pool if u.id not in current and u.is_enabled]
        else:
            if everyone is None:
                everyone = list(db.session.scalars(
                    select(User.id).join(UserRole).where(UserRole.role == Role.INTERVIEWER.value, User.is_enabled)))
            pools[session.id] = [uid for uid in everyone if uid not in current]
    groups: list[list[tuple[LoopSession, User]]] = []
    for session, leaving in sorted(seats, key=lambda seat: seat[0].start_dt):
        if not groups or session.start_dt - groups[-1][0][0].start_dt > timedelta(days=28):
            groups.append([])
        groups[-1].append((session, leaving))
    for group in groups:
        lo = min(s.start_dt for s, _ in group)
        hi = max(s.end_dt for s, _ in group)
        calendars = calendars_for({uid for s, _ in group for uid in pools[s.id]}, lo, hi)
        for session, leaving in group:
            current = {p.user_id for p in session.participants}
            cals = [calendars[uid] for uid in pools[session.id] if uid in calendars]
            out[(session.id, leaving.id)] = find_replacements(Interval(session.start_dt, session.end_dt), cals,
                                                              exclude_ids=current)
    return out


def replace_interviewer(session: LoopSession, leaving_id: int, joining_id: int, actor: User,
                        reason: str = "") -> Change:
    loop = session.loop
    lock_loop(loop)
    require_editable(loop)
    leaving = next((p for p in session.participants if p.user_id == leaving_id), None)
    if leaving is None:
        raise LoopError("That person is not in this session.")
    if any(p.user_id == joining_id for p in session.participants):
        raise LoopError("That person is already in this session.")
    joining = db.session.get(User, joining_id)
    if joining is None or not joining.is_enabled:
        raise LoopError("Choose a colleague from the list.")
    require_interviewers([joining_id], "a colleague", None)
    if not session.is_booked:
        role = leaving.role
        session.participants.remove(leaving)
        session.participants.append(SessionInterviewer(user_id=joining_id, role=role))
        record(loop, actor, "replaced", f"{joining.name} replaces {leaving.user.name} in '{session.title}'.", reason)
        touch(loop)
        return announce(Change(loop_id=loop.id))
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
    touch(loop)
    _flush_booking()
    return announce(Change(loop_id=loop.id, removed=[(session.id, leaving_id)], added=[(session.id, joining_id)]))


