"""Reminders from loop rows: scheduling them (`sync_loops`), the loop facts the rules read, and reading them
for pages.

Scheduling runs inside the request that changed a loop (`after_loop_change`, called beside the invite queueing)
and in the scheduler's periodic sweep (`reminders.jobs.sweep`); both add, move and cancel rows and flush, and the
caller commits. Sending the due ones into the outbox is `reminders.sending`, run by `reminders.jobs`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, union, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, selectinload

from coordinator import timeutil
from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, Job
from coordinator.jobs.report import Report
from coordinator.loops.models import Loop, LoopSession, LoopStatus, ParticipantRole, SessionInterviewer
from coordinator.reminders import rules
from coordinator.reminders.models import Reminder, ReminderKind, ReminderStatus
from coordinator.scorecards.models import LoopDecision, Scorecard, ScorecardStatus

log = logging.getLogger(__name__)

#: loops read per query when scheduling many
CHUNK = 200
#: the sweep looks at loops with sessions that ended this long ago (scorecards) ...
SWEEP_PAST = timedelta(days=30)
#: ... or that start within this horizon (and decisions promised within it)
SWEEP_AHEAD = timedelta(days=90)



def chunks(items: Sequence[int], size: int = CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


# --------------------------------------------------------------------------------------------- loop facts


@dataclass
class Feedback:
    """Scorecards and decisions of some loops."""

    submitted: dict[int, dict[tuple[int, int], datetime]] = field(default_factory=dict)
    decided: set[int] = field(default_factory=set)


def feedback_of(loop_ids: Iterable[int]) -> Feedback:
    """Which scorecards of these loops are submitted (and when), and which loops have a decision."""
    ids = list(set(loop_ids))
    state = Feedback()
    for chunk in chunks(ids, 500):
        rows = db.session.execute(
            select(Scorecard.loop_id, Scorecard.session_id, Scorecard.interviewer_id, Scorecard.submitted_dt)
            .where(Scorecard.loop_id.in_(chunk), Scorecard.status == ScorecardStatus.SUBMITTED.value)
        )
        for loop_id, session_id, user_id, submitted_dt in rows:
            state.submitted.setdefault(loop_id, {})[(session_id, user_id)] = submitted_dt or timeutil.now_utc()
        state.decided.update(db.session.scalars(
            select(LoopDecision.loop_id).where(LoopDecision.loop_id.in_(chunk)).distinct()))
    return state


def load_loops(loop_ids: Iterable[int]) -> dict[int, Loop]:
    """The loops with everything a reminder needs (sessions, people, candidate, job), in a few queries."""
    ids = sorted(set(loop_ids))
    found: dict[int, Loop] = {}
    for chunk in chunks(ids, 500):
        for loop in db.session.scalars(
            select(Loop).where(Loop.id.in_(chunk)).options(
                selectinload(Loop.sessions).selectinload(LoopSession.participants)
                .joinedload(SessionInterviewer.user),
                joinedload(Loop.candidate).joinedload(Candidate.job).joinedload(Job.hiring_manager),
                joinedload(Loop.recruiter),
            )
        ):
            found[loop.id] = loop
    return found


def team_of(loop: Loop) -> list[User]:
    """Who hears about a loop's scorecards and decision: its recruiter and the job's hiring manager."""
    job = loop.candidate.job
    people = {loop.recruiter_id: loop.recruiter, job.hiring_manager_id: job.hiring_manager}
    return [u for u in people.values() if u is not None]


def facts_of(loop: Loop, feedback: Feedback) -> rules.LoopFacts:
    zones: dict[int, str] = {}
    sessions = []
    for s in loop.sessions:
        active = [p for p in s.participants if p.is_active or not s.is_booked]
        for p in active:
            zones[p.user_id] = p.user.timezone
        sessions.append(rules.SessionFacts(
            id=s.id, is_booked=s.is_booked, start=s.start_dt, end=s.end_dt,
            interviewers=tuple(p.user_id for p in active if p.role == ParticipantRole.INTERVIEWER.value),
            shadows=tuple(p.user_id for p in active if p.role == ParticipantRole.SHADOW.value),
        ))
    team = team_of(loop)
    for u in team:
        zones[u.id] = u.timezone
    job = loop.candidate.job
    return rules.LoopFacts(
        id=loop.id, is_cancelled=loop.status == LoopStatus.CANCELLED.value, candidate_id=loop.candidate_id,
        candidate_tz=loop.candidate.timezone, team=tuple(u.id for u in team), zones=zones, sessions=tuple(sessions),
        decision_due_on=loop.decision_due_on, is_decided=loop.id in feedback.decided,
        feedback_due_hours=int(getattr(job, "feedback_due_hours", None) or rules.FEEDBACK_DUE_HOURS),
        submitted=feedback.submitted.get(loop.id, {}),
    )


# ---------------------------------------------------------------------------------------------- scheduling


@dataclass
class SyncReport(Report):
    """What scheduling did to some loops' reminders."""

    loops: int = 0
    added: int = 0
    moved: int = 0
    cancelled: int = 0

    def __str__(self) -> str:
        return f"{self.loops} loops: {self.added} scheduled, {self.moved} moved, {self.cancelled} cancelled"

    @property
    def changed(self) -> bool:
        return bool(self.added or self.moved or self.cancelled)


def _insert(rows: list[dict[str, Any]]) -> None:
    """Insert reminders, leaving alone any key that exists already (a concurrent scheduling of the same thing)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(Reminder).on_conflict_do_nothing(
        index_elements=["key"])
    db.session.execute(stmt, rows)


def sync_loops(loop_ids: Iterable[int], *, now: datetime | None = None) -> SyncReport:
    """Make the loops' reminder rows match what `rules.plan` says they need now: add the missing ones (whose
    moment has not passed), move pending ones whose time changed, cancel pending ones no longer needed (with the
    reason). Sent and skipped rows are history and stay as they are. Adds and flushes; the caller commits.

    Every update is conditional on the row's status, so a reminder the scheduler sent a moment ago is never
    turned back into pending or cancelled."""
    now = now or timeutil.now_utc()
    report = SyncReport()
    ids = sorted({i for i in loop_ids if i is not None})
    db.session.flush()
    for chunk in chunks(ids):
        loops = load_loops(chunk)
        feedback = feedback_of(loops)
        existing: dict[int, list[Any]] = defaultdict(list)
        for row in db.session.execute(
            select(Reminder.id, Reminder.key, Reminder.kind, Reminder.status, Reminder.due_dt, Reminder.event_dt,
                   Reminder.loop_id, Reminder.session_id, Reminder.user_id, Reminder.about_user_id)
            .where(Reminder.loop_id.in_(chunk))
        ):
            existing[row.loop_id].append(row)
        inserts: list[dict[str, Any]] = []
        for loop_id in chunk:
            report.loops += 1
            loop = loops.get(loop_id)
            facts = facts_of(loop, feedback) if loop is not None else None
            wanted = {p.key: p for p in rules.plan(facts)} if facts is not None else {}
            by_key = {r.key: r for r in existing.get(loop_id, [])}
            for key, p in wanted.items():
                row = by_key.get(key)
                pending = row is not None and row.status == ReminderStatus.PENDING.value
                if row is None:
                    if rules.may_create(p, now):
                        inserts.append(_new_row(p, now))
                elif pending and (row.due_dt, row.event_dt) != (p.due_dt, p.event_dt):
                    report.moved += _update(row.id, ReminderStatus.PENDING, due_dt=p.due_dt, event_dt=p.event_dt,
                                            updated_dt=now)
                elif row.status == ReminderStatus.CANCELLED.value and rules.may_create(p, now):
                    report.added += _update(row.id, ReminderStatus.CANCELLED, status=ReminderStatus.PENDING.value,
                                            due_dt=p.due_dt, event_dt=p.event_dt, reason="", updated_dt=now)
            for row in existing.get(loop_id, []):
                if row.status == ReminderStatus.PENDING.value and row.key not in wanted:
                    reason = rules.why_not_planned(ReminderKind(row.kind), row.session_id, row.user_id,
                                                   row.about_user_id, row.event_dt, facts)
                    report.cancelled += _update(row.id, ReminderStatus.PENDING, status=ReminderStatus.CANCELLED.value,
                                                reason=reason, updated_dt=now)
        _insert(inserts)
        report.added += len(inserts)
    db.session.flush()
    return report


def _new_row(p: rules.Planned, now: datetime) -> dict[str, Any]:
    return {"kind": p.kind.value, "key": p.key, "user_id": p.user_id, "candidate_id": p.candidate_id,
            "loop_id": p.loop_id, "session_id": p.session_id, "about_user_id": p.about_user_id,
            "event_dt": p.event_dt, "due_dt": p.due_dt, "status": ReminderStatus.PENDING.value, "attempts": 0,
            "last_error": "", "reason": "", "created_dt": now, "updated_dt": now}


def _update(reminder_id: int, only_if: ReminderStatus, **values: Any) -> int:
    result = db.session.execute(
        update(Reminder).where(Reminder.id == reminder_id, Reminder.status == only_if.value).values(**values)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def after_loop_change(loop_or_id: Loop | int | Any, *, now: datetime | None = None) -> SyncReport:
    """THE hook for pages that change a loop (book, move, cancel, replace, settings, scorecards, decisions):
    call it beside the invite queueing, before the request's commit. Accepts a Loop, its id, or a
    `loops.services.Change`."""
    loop_id = getattr(loop_or_id, "loop_id", None) or getattr(loop_or_id, "id", None) or loop_or_id
    return sync_loops([int(loop_id)], now=now)


def loops_to_sweep(now: datetime, job_id: int | None = None) -> list[int]:
    """Loops whose reminders the periodic sweep reconciles: sessions in the window, decisions promised within the
    horizon, and every loop that has a pending reminder (a cancelled loop, a loop changed by a path that did not
    call the hook). With `job_id`, that job's loops only."""
    today = timeutil.to_local(now, "UTC").date()
    sessions = (select(LoopSession.loop_id).join(Loop, Loop.id == LoopSession.loop_id)
                .where(Loop.status != LoopStatus.CANCELLED.value, LoopSession.end_dt >= now - SWEEP_PAST,
                       LoopSession.start_dt <= now + SWEEP_AHEAD))
    decisions = select(Loop.id).where(Loop.status != LoopStatus.CANCELLED.value,
                                      Loop.decision_due_on >= today - timedelta(days=1),
                                      Loop.decision_due_on <= today + SWEEP_AHEAD)
    pending = select(Reminder.loop_id).where(Reminder.status == ReminderStatus.PENDING.value,
                                             Reminder.loop_id.is_not(None))
    ids = set(db.session.scalars(union(sessions, decisions, pending)))
    if job_id is not None and ids:
        ids &= set(db.session.scalars(select(Loop.id).join(Candidate, Candidate.id == Loop.candidate_id)
                                      .where(Candidate.job_id == job_id)))
    return sorted(ids)


def after_job_change(job: Job, *, now: datetime | None = None) -> SyncReport:
    """A job's scorecard deadline (`feedback_due_hours`) changed: its active loops' scorecard reminders move."""
    now = now or timeutil.now_utc()
    return sync_loops(loops_to_sweep(now, job_id=job.id), now=now)


# -------------------------------------------------------------------------------------------------- reading


def _listing():
    return (selectinload(Reminder.loop).joinedload(Loop.candidate), selectinload(Reminder.about_user))


def upcoming_for(user: User, *, now: datetime | None = None, limit: int = 50) -> list[Reminder]:
    """The user's scheduled reminders, soonest first."""
    return list(db.session.scalars(
        select(Reminder).where(Reminder.user_id == user.id, Reminder.status == ReminderStatus.PENDING.value)
        .order_by(Reminder.due_dt, Reminder.id).limit(limit).options(*_listing())
    ))


def recent_for(user: User, *, now: datetime | None = None, days: int = 14, limit: int = 50) -> list[Reminder]:
    """What the user was sent (or not, and why) in the last `days` days, newest first."""
    since = (now or timeutil.now_utc()) - timedelta(days=days)
    return list(db.session.scalars(
        select(Reminder).where(Reminder.user_id == user.id,
                               Reminder.status.in_([ReminderStatus.SENT.value, ReminderStatus.SKIPPED.value]),
                               Reminder.updated_dt >= since)
        .order_by(Reminder.updated_dt.desc(), Reminder.id.desc()).limit(limit).options(*_listing())
    ))


def of_loop(loop: Loop) -> list[Reminder]:
    """Every reminder of a loop: scheduled first (soonest first), then the rest (newest first)."""
    rows = list(db.session.scalars(
        select(Reminder).where(Reminder.loop_id == loop.id)
        .options(selectinload(Reminder.user), selectinload(Reminder.candidate), selectinload(Reminder.about_user))
    ))
    pending = sorted((r for r in rows if r.status == ReminderStatus.PENDING.value), key=lambda r: (r.due_dt, r.id))
    rest = sorted((r for r in rows if r.status != ReminderStatus.PENDING.value),
                  key=lambda r: (r.sent_dt or r.updated_dt, r.id), reverse=True)
    return pending + rest


def pending_summary(loop: Loop) -> tuple[int, Reminder | None]:
    """(how many of the loop's reminders are scheduled, the soonest of them): the loop page's panel, in two small
    queries instead of loading every reminder the loop ever had."""
    pending = (Reminder.loop_id == loop.id, Reminder.status == ReminderStatus.PENDING.value)
    count = db.session.scalar(select(func.count()).select_from(Reminder).where(*pending)) or 0
    if not count:
        return 0, None
    return count, db.session.scalars(
        select(Reminder).where(*pending).order_by(Reminder.due_dt, Reminder.id).limit(1)
        .options(joinedload(Reminder.user), joinedload(Reminder.candidate))).first()


def pending_counts(loop_ids: Iterable[int]) -> dict[int, int]:
    ids = list(set(loop_ids))
    if not ids:
        return {}
    return dict(db.session.execute(
        select(Reminder.loop_id, func.count()).where(Reminder.loop_id.in_(ids),
                                                     Reminder.status == ReminderStatus.PENDING.value)
        .group_by(Reminder.loop_id)).all())


__all__ = [
    "Feedback", "SyncReport", "after_job_change", "after_loop_change", "chunks", "facts_of", "feedback_of",
    "load_loops", "loops_to_sweep", "of_loop", "pending_counts",
    "pending_summary", "recent_for", "sync_loops", "team_of",
    "upcoming_for",
]
