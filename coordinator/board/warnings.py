"""Warnings before booking, not after: what a recruiter would want to know while the loop is still on the board.

None of these refuse anything (the booking checks do that); they are said on the board and on the confirm step:
a session with no place and no video link, an interviewer given a focus area they are not qualified for, the
candidate left waiting an hour or more between two sessions of one day, kits that have no questions yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.focus import services as focus
from coordinator.kits.models import InterviewerAssignment
from coordinator.kits.services import session_planned_areas
from coordinator.loops.models import Loop, LoopSession, ParticipantRole
from coordinator.scheduling.text import duration
from coordinator.timeutil import to_local

#: a wait between two sessions of the candidate's day from which on it is worth a warning
LONG_WAIT = timedelta(hours=1)


def _interviewer_ids(session: LoopSession) -> tuple[int, ...]:
    return tuple(p.user_id for p in session.participants if p.role == ParticipantRole.INTERVIEWER.value)


def loop_warnings(
    loop: Loop, times: Mapping[int, tuple[datetime, datetime]], people: Mapping[int, Sequence[int]]
) -> list[str]:
    """Every warning for the loop as it would be booked: `times` and `people` (interviewer ids) by session id, for
    the sessions placed on the board or booked."""
    sessions = [s for s in loop.active_sessions]
    warnings: list[str] = []
    for s in sessions:
        if not (s.where or "").strip() and not (s.video or "").strip():
            warnings.append(f"'{s.title}' has no place and no video link: the invites would not say where to go.")
    warnings += _waits(loop, [s for s in sessions if s.id in times], times)
    warnings += _qualifications_and_kits(sessions, people)
    return warnings


def _waits(loop: Loop, placed: list[LoopSession], times: Mapping[int, tuple[datetime, datetime]]) -> list[str]:
    tz = loop.candidate.timezone
    ordered = sorted(placed, key=lambda s: times[s.id][0])
    out = []
    for a, b in zip(ordered, ordered[1:], strict=False):
        end_a, start_b = times[a.id][1], times[b.id][0]
        same_day = to_local(end_a, tz).date() == to_local(start_b, tz).date()
        if same_day and start_b - end_a >= LONG_WAIT:
            wait = int((start_b - end_a).total_seconds() // 60)
            out.append(f"The candidate waits {duration(wait)} between '{a.title}' and '{b.title}'.")
    return out


def _qualifications_and_kits(sessions: list[LoopSession], people: Mapping[int, Sequence[int]]) -> list[str]:
    ids = [s.id for s in sessions]
    planned = session_planned_areas(ids)
    assignments = (
        {
            (a.session_id, a.user_id): a
            for a in db.session.scalars(select(InterviewerAssignment).where(InterviewerAssignment.session_id.in_(ids)))
        }
        if ids
        else {}
    )
    who = {s.id: tuple(people.get(s.id, _interviewer_ids(s))) for s in sessions}
    everyone = {uid for uids in who.values() for uid in uids}
    levels = focus.qualifications_of(everyone)
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(everyone))).all()) if everyone else {}
    out: list[str] = []
    no_questions: list[str] = []
    for s in sessions:
        for uid in who[s.id]:
            assignment = assignments.get((s.id, uid))
            areas = assignment.focus_areas if assignment is not None else planned.get(s.id, [])
            level = levels.get(uid, {})
            for area in areas:
                if level.get(area.id) == focus.QUALIFIED:
                    continue
                how = "is only shadowing" if level.get(area.id) == focus.SHADOWING else "is not qualified"
                out.append(f"{names.get(uid, 'Someone')} {how} for {area.name} in '{s.title}'.")
            if areas and (assignment is None or not assignment.questions):
                no_questions.append(f"{names.get(uid, 'someone')} in '{s.title}'")
    if no_questions:
        out.append("Kits with no questions yet: " + "; ".join(no_questions) + ".")
    return out
