"""Replacing an interviewer by hand: everyone who could take the seat, best first, each with what speaks against
them said plainly, so the recruiter is never left with "nobody is free" and no way on.

Best first means: free then (a calendar clash cannot be chosen), in the session's pool, qualified (not only
shadowing) for the areas the leaving interviewer assessed, not already meeting the same candidate that day, inside
their working hours and buffers, within their limits; then the least loaded that week and that day. Everybody with
a problem is still offered, lower, with the problem stated; choosing them asks for a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.focus import services as focus_services
from coordinator.focus.models import FocusArea
from coordinator.kits.services import effective_area_ids
from coordinator.loops import services as loops
from coordinator.loops.models import Loop, LoopSession, ParticipantRole, SessionInterviewer
from coordinator.scheduling import Interval, seat_findings
from coordinator.timeutil import to_local


@dataclass
class Choice:
    """One colleague who could take the seat."""

    person_id: int
    name: str
    job_title: str
    in_pool: bool
    interviews_that_day: int = 0
    interviews_that_week: int = 0
    #: reasons they cannot take it (busy then): shown, not offered
    conflicts: list[str] = field(default_factory=list)
    #: what to weigh (trainee, meets the candidate already, outside hours, over a limit, not in the pool)
    problems: list[str] = field(default_factory=list)
    #: how many of the problems are about fit rather than time (qualification, the candidate, the pool)
    serious: int = 0

    @property
    def rank(self) -> tuple:
        return (bool(self.conflicts), self.serious, len(self.problems), self.interviews_that_week,
                self.interviews_that_day, self.name, self.person_id)


def _meeting_candidate(session: LoopSession, ids: list[int]) -> dict[int, list[str]]:
    """{person id: titles of the sessions in which they already meet this candidate on the session's day}."""
    if not ids or session.start_dt is None:
        return {}
    loop = session.loop
    tz = loop.candidate.timezone
    day = to_local(session.start_dt, tz).date()
    rows = db.session.execute(
        select(SessionInterviewer.user_id, SessionInterviewer.start_dt, LoopSession.title)
        .join(LoopSession, LoopSession.id == SessionInterviewer.session_id)
        .join(Loop, Loop.id == LoopSession.loop_id)
        .where(Loop.candidate_id == loop.candidate_id, SessionInterviewer.is_active,
               SessionInterviewer.user_id.in_(ids), LoopSession.id != session.id)
    )
    out: dict[int, list[str]] = {}
    for uid, start, title in rows:
        if start is not None and to_local(start, tz).date() == day:
            out.setdefault(uid, []).append(title)
    return out


def choices(session: LoopSession, leaving: User) -> list[Choice]:
    """Everyone who can interview and is not in the session yet, best first (see the module's note)."""
    current = {p.user_id for p in session.participants}
    seat = next((p for p in session.participants if p.user_id == leaving.id), None)
    as_shadow = seat is not None and seat.role == ParticipantRole.SHADOW.value
    pool = {u.id for u in session.pool}
    people = [u for u in focus_services.interviewers() if u.id not in current]
    ids = [u.id for u in people]
    area_ids = [] if as_shadow else effective_area_ids(session, leaving)
    areas = list(db.session.scalars(select(FocusArea).where(FocusArea.id.in_(area_ids)))) if area_ids else []
    levels = focus_services.qualifications_of(ids)
    meeting = _meeting_candidate(session, ids)
    calendars = (loops.calendars_for(ids, session.start_dt, session.end_dt, labelled=True)
                 if session.is_booked and session.start_dt and ids else {})
    candidate = session.loop.candidate.name
    out = []
    for user in people:
        choice = Choice(user.id, user.name, user.job_title or "", user.id in pool)
        if pool and user.id not in pool:
            choice.problems.append("Not in this session's pool.")
            choice.serious += 1
        for area in areas:
            level = levels.get(user.id, {}).get(area.id)
            if level == focus_services.QUALIFIED:
                continue
            choice.serious += 1
            choice.problems.append(f"Only shadowing {area.name} (a trainee)." if level == focus_services.SHADOWING
                                   else f"Not qualified for {area.name}.")
        if user.id in meeting:
            titles = ", ".join(f"'{t}'" for t in meeting[user.id])
            choice.serious += 1
            choice.problems.append(f"Already meets {candidate} that day ({titles}).")
        cal = calendars.get(user.id)
        if cal is not None:
            hard, soft = seat_findings(Interval(session.start_dt, session.end_dt), cal)
            choice.conflicts += hard
            choice.problems += soft
            day = to_local(session.start_dt, cal.tz).date()
            week = day.isocalendar()[:2]
            for iv in cal.interviews:
                d = to_local(iv.start, cal.tz).date()
                choice.interviews_that_day += d == day
                choice.interviews_that_week += d.isocalendar()[:2] == week
        out.append(choice)
    out.sort(key=lambda c: c.rank)
    return out


def replace(session: LoopSession, leaving_id: int, joining_id: int, actor: User, reason: str = "") -> loops.Change:
    """Swap `joining_id` in for `leaving_id`: refused when they are busy then; anything else listed against them
    on the page needs a reason (kept in the history). The swap itself is `loops.replace_interviewer`."""
    leaving = next((p.user for p in session.participants if p.user_id == leaving_id), None)
    choice = None
    if leaving is not None:
        choice = next((c for c in choices(session, leaving) if c.person_id == joining_id), None)
    if choice is not None:
        if choice.conflicts:
            raise loops.BookingConflict([f"{choice.name}: {c}" for c in choice.conflicts])
        if choice.problems and not reason.strip():
            raise loops.NeedsOverride([f"{choice.name}: {p}" for p in choice.problems])
    return loops.replace_interviewer(session, leaving_id, joining_id, actor, reason)
