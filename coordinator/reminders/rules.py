"""Which reminders a loop needs and when: plain functions over plain data (no Flask, no SQLAlchemy).

`plan(facts)` is the whole rule book. It answers from the loop as it is now, so the same function serves both
ends: scheduling (`services.sync_loops` upserts exactly these rows, cancelling pending ones that are no longer
planned) and sending (`sending.send_batch` sends a due row only if the plan still contains its key). A loop that
moved, a session that was cancelled, a scorecard that was submitted, a decision that was recorded: the plan no
longer holds the old key, so the old row is cancelled and never sent.

The rules (times in the recipient's zone):
* Interviewers and shadows: 24 hours before a session, with the kit link (only when the session was booked more
  than 24 hours ahead), and 1 hour before.
* Interviewers (they score): 1 hour after the session ends, write the scorecard; a last call when it is due
  (`feedback_due_hours` after the end, 24 by default); if it is still missing ESCALATE_AFTER later, the
  recruiter and the hiring manager are told who and since when.
* Recruiter and hiring manager: "debrief ready" when the last scorecard of the loop is submitted; 2 days before
  and on the decision date promised to the candidate, while no decision is recorded.
* Candidate: 24 hours before their first interview of each day, with that day's itinerary in their zone (only
  when booked more than 24 hours ahead).
* Quiet hours: a reminder that falls between 21:00 and 09:00 for its recipient waits until 09:00 in their zone;
  the two one-hour reminders go out on time.

Keys name the event and its time (`prep_day:s12:u7:20261130T0900Z`): when a session moves, its reminders get
new keys, so a reminder already sent for the old time never blocks the one for the new time, and scheduling
the same thing twice finds the same row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from coordinator.reminders.kinds import ReminderKind
from coordinator.timeutil import InvalidTimeZone, local_day_bounds, local_to_utc, to_local

#: the recipient's night: reminders falling in it wait for its end (except the one-hour ones)
QUIET_START = time(21, 0)
QUIET_END = time(9, 0)
#: interviewer preparation reminders, before the session starts
PREP_DAY_BEFORE = timedelta(hours=24)
PREP_HOUR_BEFORE = timedelta(hours=1)
#: the scorecard reminder, after the session ends
SCORECARD_AFTER = timedelta(hours=1)
#: default time to write a scorecard (a job may set its own `feedback_due_hours`)
FEEDBACK_DUE_HOURS = 24
#: how long after a scorecard's due time the recruiter and the hiring manager hear that it is missing: the
#: interviewer has had the last call, and the team hears of it the same working day
ESCALATE_AFTER = timedelta(hours=2)
#: the decision reminder ahead of the promised date
DECISION_SOON_DAYS = 2
#: decision reminders go out at this local time
DECISION_AT = time(9, 0)
#: the candidate's reminder, before their first interview of a day
CANDIDATE_BEFORE = timedelta(hours=24)
#: a "debrief ready" notice is still worth scheduling this long after the last scorecard came in
DEBRIEF_FRESH = timedelta(days=7)


@dataclass(frozen=True)
class SessionFacts:
    """A session of the loop as the rules see it."""

    id: int
    is_booked: bool
    start: datetime | None
    end: datetime | None
    #: people who score the session
    interviewers: tuple[int, ...] = ()
    #: people who attend without scoring
    shadows: tuple[int, ...] = ()


@dataclass(frozen=True)
class LoopFacts:
    """Everything the rules need to know about one loop."""

    id: int
    is_cancelled: bool
    candidate_id: int
    candidate_tz: str
    #: the recruiter and the hiring manager (without duplicates)
    team: tuple[int, ...]
    #: IANA zone of every user named in the loop
    zones: Mapping[int, str]
    sessions: tuple[SessionFacts, ...] = ()
    decision_due_on: date | None = None
    #: a decision is recorded
    is_decided: bool = False
    #: scorecards are due this many hours after their session ends
    feedback_due_hours: int = FEEDBACK_DUE_HOURS
    #: submitted scorecards: (session id, interviewer id) -> when submitted
    submitted: Mapping[tuple[int, int], datetime] = field(default_factory=dict)

    @property
    def booked(self) -> list[SessionFacts]:
        return [s for s in self.sessions if s.is_booked and s.start is not None and s.end is not None]

    def zone(self, user_id: int) -> str:
        return self.zones.get(user_id) or "UTC"

    def scorecard_due(self, session: SessionFacts) -> datetime:
        assert session.end is not None
        return session.end + timedelta(hours=self.feedback_due_hours or FEEDBACK_DUE_HOURS)

    def seats(self) -> list[tuple[SessionFacts, int]]:
        """Every scorecard the loop expects: (booked session, interviewer)."""
        return [(s, uid) for s in self.booked for uid in s.interviewers]


@dataclass(frozen=True)
class Planned:
    """A reminder the loop needs."""

    kind: ReminderKind
    key: str
    loop_id: int
    #: when to send it (after quiet hours)
    due_dt: datetime
    #: the moment it is about
    event_dt: datetime
    user_id: int | None = None
    candidate_id: int | None = None
    session_id: int | None = None
    about_user_id: int | None = None
    #: a new row is made only before this moment (None: any time): "booked more than 24 hours ahead"
    create_until: datetime | None = None
    #: after this moment, sending it no longer helps (the session began): a late row is skipped
    send_until: datetime | None = None


def _stamp(dt: datetime) -> str:
    return to_local(dt, "UTC").strftime("%Y%m%dT%H%MZ")


def after_quiet_hours(dt: datetime, tz: str) -> datetime:
    """`dt`, or 09:00 in `tz` when `dt` falls in the night there (21:00 to 09:00); DST-correct."""
    try:
        local = to_local(dt, tz)
    except InvalidTimeZone:
        tz, local = "UTC", to_local(dt, "UTC")
    clock = local.time().replace(tzinfo=None)
    if QUIET_END <= clock < QUIET_START:
        return dt
    day = local.date() if clock < QUIET_END else local.date() + timedelta(days=1)
    return local_to_utc(day, QUIET_END, tz)


def _timed(kind: ReminderKind, raw: datetime, tz: str) -> datetime:
    return raw if kind.ignores_quiet_hours else after_quiet_hours(raw, tz)


def plan(f: LoopFacts) -> list[Planned]:
    """Every reminder loop `f` needs as it stands, with its key and due time."""
    if f.is_cancelled:
        return []
    out: list[Planned] = []
    booked = f.booked
    for s in booked:
        assert s.start is not None and s.end is not None
        for uid in dict.fromkeys((*s.interviewers, *s.shadows)):
            tz = f.zone(uid)
            raw = s.start - PREP_DAY_BEFORE
            out.append(Planned(
                ReminderKind.PREP_DAY, f"prep_day:s{s.id}:u{uid}:{_stamp(s.start)}", f.id,
                _timed(ReminderKind.PREP_DAY, raw, tz), s.start, user_id=uid, session_id=s.id, about_user_id=uid,
                create_until=raw, send_until=s.start - PREP_HOUR_BEFORE,
            ))
            hour = s.start - PREP_HOUR_BEFORE
            out.append(Planned(
                ReminderKind.PREP_HOUR, f"prep_hour:s{s.id}:u{uid}:{_stamp(s.start)}", f.id, hour, s.start,
                user_id=uid, session_id=s.id, about_user_id=uid, create_until=hour, send_until=s.start,
            ))
    out += _scorecard_reminders(f)
    if f.decision_due_on is not None and not f.is_decided:
        out += _decision_reminders(f, f.decision_due_on)
    out += _candidate_reminders(f, booked)
    return out


def _scorecard_reminders(f: LoopFacts) -> list[Planned]:
    out: list[Planned] = []
    seats = f.seats()
    for s, uid in seats:
        if (s.id, uid) in f.submitted:
            continue
        assert s.end is not None
        due = f.scorecard_due(s)
        tz = f.zone(uid)
        after = s.end + SCORECARD_AFTER
        out.append(Planned(
            ReminderKind.SCORECARD_HOUR, f"scorecard_hour:s{s.id}:u{uid}:{_stamp(s.end)}", f.id, after, s.end,
            user_id=uid, session_id=s.id, about_user_id=uid, create_until=due, send_until=due,
        ))
        out.append(Planned(
            ReminderKind.SCORECARD_DUE, f"scorecard_due:s{s.id}:u{uid}:{_stamp(due)}", f.id,
            _timed(ReminderKind.SCORECARD_DUE, due, tz), due, user_id=uid, session_id=s.id, about_user_id=uid,
        ))
        for rid in f.team:
            if rid == uid:
                continue  # the hiring manager who interviewed had the last call themself
            out.append(Planned(
                ReminderKind.SCORECARD_OVERDUE, f"scorecard_overdue:s{s.id}:about{uid}:to{rid}:{_stamp(due)}", f.id,
                _timed(ReminderKind.SCORECARD_OVERDUE, due + ESCALATE_AFTER, f.zone(rid)), due, user_id=rid,
                session_id=s.id, about_user_id=uid,
            ))
    if seats and not f.is_decided and all((s.id, uid) in f.submitted for s, uid in seats):
        last = max(f.submitted[(s.id, uid)] for s, uid in seats)
        ends = max(s.end for s, _ in seats if s.end is not None)
        for rid in f.team:
            out.append(Planned(
                ReminderKind.DEBRIEF_READY, f"debrief_ready:l{f.id}:to{rid}:{_stamp(ends)}", f.id,
                _timed(ReminderKind.DEBRIEF_READY, last, f.zone(rid)), last, user_id=rid,
                create_until=last + DEBRIEF_FRESH,
            ))
    return out


#: decision dates outside these bounds have no computable reminders (a date typed as year 1 or 9999)
_EARLIEST_DAY, _LATEST_DAY = date(1971, 1, 1), date(9998, 12, 1)


def _decision_reminders(f: LoopFacts, day: date) -> list[Planned]:
    out: list[Planned] = []
    if not _EARLIEST_DAY <= day <= _LATEST_DAY:
        return out
    for rid in f.team:
        tz = f.zone(rid)
        try:
            day_start, day_end = local_day_bounds(day, tz)
        except InvalidTimeZone:
            tz = "UTC"
            day_start, day_end = local_day_bounds(day, tz)
        soon = local_to_utc(day - timedelta(days=DECISION_SOON_DAYS), DECISION_AT, tz)
        out.append(Planned(
            ReminderKind.DECISION_SOON, f"decision_soon:l{f.id}:to{rid}:{day.isoformat()}", f.id, soon, day_start,
            user_id=rid, create_until=day_start, send_until=day_start,
        ))
        out.append(Planned(
            ReminderKind.DECISION_TODAY, f"decision_today:l{f.id}:to{rid}:{day.isoformat()}", f.id,
            local_to_utc(day, DECISION_AT, tz), day_start, user_id=rid, create_until=day_end,
        ))
    return out


def _candidate_reminders(f: LoopFacts, booked: Sequence[SessionFacts]) -> list[Planned]:
    days: dict[date, datetime] = {}
    for s in booked:
        assert s.start is not None
        day = to_local(s.start, f.candidate_tz).date()
        days[day] = min(days.get(day, s.start), s.start)
    out = []
    for day, first in sorted(days.items()):
        raw = first - CANDIDATE_BEFORE
        out.append(Planned(
            ReminderKind.CANDIDATE_DAY, f"candidate_day:l{f.id}:c{f.candidate_id}:{day.isoformat()}:{_stamp(first)}",
            f.id, _timed(ReminderKind.CANDIDATE_DAY, raw, f.candidate_tz), first, candidate_id=f.candidate_id,
            create_until=raw, send_until=first,
        ))
    return out


def may_create(p: Planned, now: datetime) -> bool:
    """Whether a new row for `p` is worth making at `now` (its moment has not passed)."""
    if p.create_until is not None and now >= p.create_until:
        return False
    return p.send_until is None or now < p.send_until


def is_too_late(p: Planned, now: datetime) -> bool:
    return p.send_until is not None and now >= p.send_until


def why_not_planned(kind: ReminderKind, session_id: int | None, user_id: int | None, about_user_id: int | None,
                    event_dt: datetime, f: LoopFacts | None) -> str:
    """Why a reminder is no longer in the plan, in words for the people reading the loop's reminders."""
    if f is None:
        return "The loop was deleted."
    if f.is_cancelled:
        return "The loop was cancelled."
    if kind in (ReminderKind.DECISION_SOON, ReminderKind.DECISION_TODAY):
        if f.is_decided:
            return "A decision was recorded."
        if f.decision_due_on is None:
            return "The decision date was removed."
        return "The decision date changed."
    if kind is ReminderKind.DEBRIEF_READY:
        if f.is_decided:
            return "A decision was recorded."
        return "Not every scorecard is in any more (a session was added or an interviewer changed)."
    if kind is ReminderKind.CANDIDATE_DAY:
        return "The interview times changed."
    session = next((s for s in f.sessions if s.id == session_id), None)
    if session is None:
        return "The session was removed."
    if not session.is_booked:
        return "The session was cancelled." if session.start is not None else "The session is no longer booked."
    person = about_user_id if about_user_id is not None else user_id
    if person not in (*session.interviewers, *session.shadows):
        return "No longer on this session."
    if kind in (ReminderKind.SCORECARD_HOUR, ReminderKind.SCORECARD_DUE, ReminderKind.SCORECARD_OVERDUE):
        if session_id is not None and person is not None and (session_id, person) in f.submitted:
            return "The scorecard was submitted."
        if person not in session.interviewers:
            return "No longer scores this session."
    if kind in (ReminderKind.PREP_DAY, ReminderKind.PREP_HOUR) and session.start != event_dt:
        return "The session moved."
    if kind is ReminderKind.SCORECARD_HOUR and session.end != event_dt:
        return "The session moved."
    if kind in (ReminderKind.SCORECARD_DUE, ReminderKind.SCORECARD_OVERDUE) and f.scorecard_due(session) != event_dt:
        return "The scorecard's due time changed."
    if kind is ReminderKind.SCORECARD_OVERDUE and user_id not in f.team:
        return "No longer the recruiter or hiring manager of this loop."
    return "No longer needed."
