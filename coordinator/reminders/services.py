"""Reminders from loop rows: scheduling them (`sync_loops`), sending the due ones into the outbox
(`process_due`), and reading them for pages.

Scheduling runs inside the request that changed a loop (`after_loop_change`, called beside the invite queueing)
and in the scheduler's periodic sweep; both add, move and cancel rows and flush, and the caller commits. Sending
runs only in the scheduler process: each batch claims due rows (PostgreSQL `FOR UPDATE SKIP LOCKED`, SQLite the
write lock), checks each against the loop as it is now (`rules.plan`), writes the e-mail into the outbox and marks
the row sent, and commits once. The outbox row and the "sent" mark are one transaction, so a crash at any point
leaves either both or neither: every due reminder reaches the outbox exactly once.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, union, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.routing import BuildError

from coordinator import timeutil
from coordinator.auth.models import User
from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, Job
from coordinator.invites.models import OutboxKind
from coordinator.loops.models import Loop, LoopSession, LoopStatus, ParticipantRole, SessionInterviewer
from coordinator.reminders import rules
from coordinator.reminders.messages import Context, MessageError, Person, SessionInfo, build_email, compose
from coordinator.reminders.models import Reminder, ReminderKind, ReminderStatus
from coordinator.scorecards.models import LoopDecision, Scorecard, ScorecardStatus

log = logging.getLogger(__name__)

#: reminders claimed, built and committed per transaction
BATCH_SIZE = 500
#: at most this many batches per poll (the next poll goes on)
MAX_BATCHES = 40
#: a reminder whose message cannot be built (a bug, bad data) is tried this often, then skipped
MAX_ATTEMPTS = 5
#: loops read per query when scheduling many
CHUNK = 200
#: the sweep looks at loops with sessions that ended this long ago (scorecards) ...
SWEEP_PAST = timedelta(days=30)
#: ... or that start within this horizon (and decisions promised within it)
SWEEP_AHEAD = timedelta(days=90)

_OUTBOX_KINDS = {"interviewer": OutboxKind.INTERVIEWER_REMINDER, "team": OutboxKind.TEAM_REMINDER,
                 "candidate": OutboxKind.CANDIDATE_REMINDER}
_KINDS = {"one_on_one": "One-on-one", "panel": "Panel", "practical": "Practical"}


def clock() -> datetime:
    """The reminders' now: `timeutil.now_utc()`, the one clock a test moves (in a scheduler process too)."""
    return timeutil.now_utc()


def _chunks(items: Sequence[int], size: int = CHUNK) -> Iterator[list[int]]:
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
    for chunk in _chunks(ids, 500):
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
    for chunk in _chunks(ids, 500):
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
class SyncReport:
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
    now = now or clock()
    report = SyncReport()
    ids = sorted({i for i in loop_ids if i is not None})
    db.session.flush()
    for chunk in _chunks(ids):
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
    now = now or clock()
    return sync_loops(loops_to_sweep(now, job_id=job.id), now=now)


def sweep(*, now: datetime | None = None) -> SyncReport:
    """Reconcile every loop that may need reminders, a chunk per transaction. Catches what no page announced:
    loops booked before reminders existed, scorecards submitted and decisions recorded elsewhere."""
    now = now or clock()
    total = SyncReport()
    db.session.commit()
    ids = loops_to_sweep(now)
    db.session.commit()
    for chunk in _chunks(ids):
        with write_transaction():
            report = sync_loops(chunk, now=now)
            db.session.commit()
        total.loops += report.loops
        total.added += report.added
        total.moved += report.moved
        total.cancelled += report.cancelled
    return total


# -------------------------------------------------------------------------------------------------- sending


@dataclass
class SendReport:
    """What one `process_due` did."""

    claimed: int = 0
    sent: int = 0
    cancelled: int = 0
    skipped: int = 0
    retrying: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"claimed {self.claimed}, sent {self.sent}, cancelled {self.cancelled}, skipped {self.skipped}, "
                f"retrying {self.retrying}")

    @property
    def acted(self) -> bool:
        return bool(self.claimed or self.errors)


@dataclass
class Claimed:
    """A claimed reminder's columns (read with Core, not as an ORM object: thousands a second), and its people."""

    id: int
    kind: str
    key: str
    status: str
    user_id: int | None
    candidate_id: int | None
    loop_id: int | None
    session_id: int | None
    about_user_id: int | None
    event_dt: datetime
    due_dt: datetime
    attempts: int
    last_error: str
    reason: str
    sent_dt: datetime | None
    outbox_message_id: int | None
    user: User | None = None
    candidate: Candidate | None = None
    about_user: User | None = None


_CLAIMED = [Reminder.__table__.c[name] for name in (
    "id", "kind", "key", "status", "user_id", "candidate_id", "loop_id", "session_id", "about_user_id", "event_dt",
    "due_dt", "attempts", "last_error", "reason", "sent_dt", "outbox_message_id")]


def _claim(now: datetime, limit: int) -> list[Claimed]:
    """The due rows, locked for this transaction (PostgreSQL: rows other pollers hold are skipped; SQLite: the
    transaction holds the write lock)."""
    return [Claimed(**row._mapping) for row in db.session.execute(
        select(*_CLAIMED)
        .where(Reminder.status == ReminderStatus.PENDING.value, Reminder.due_dt <= now)
        .order_by(Reminder.due_dt, Reminder.id).limit(limit)
        .with_for_update(skip_locked=True)
    )]


def _attach_people(rows: Sequence[Claimed], loops: dict[int, Loop]) -> None:
    """Give each claimed row its recipient (and whose scorecard it is about), mostly from the loops already read."""
    users: dict[int, User] = {}
    candidates: dict[int, Candidate] = {}
    for loop in loops.values():
        candidates[loop.candidate_id] = loop.candidate
        for u in team_of(loop):
            users[u.id] = u
        for s in loop.sessions:
            for p in s.participants:
                users[p.user_id] = p.user
    missing = {i for r in rows for i in (r.user_id, r.about_user_id) if i is not None and i not in users}
    if missing:
        users.update({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(missing)))})
    missing = {r.candidate_id for r in rows if r.candidate_id is not None and r.candidate_id not in candidates}
    if missing:
        candidates.update({c.id: c for c in db.session.scalars(select(Candidate).where(Candidate.id.in_(missing)))})
    for r in rows:
        r.user = users.get(r.user_id) if r.user_id is not None else None
        r.about_user = users.get(r.about_user_id) if r.about_user_id is not None else None
        r.candidate = candidates.get(r.candidate_id) if r.candidate_id is not None else None


def process_batch(now: datetime, limit: int = BATCH_SIZE, report: SendReport | None = None) -> int:
    """Claim up to `limit` due reminders, put each one's message into the outbox (or cancel or skip it, saying
    why) and mark it, all in ONE transaction that commits once. Returns how many were claimed."""
    from coordinator.invites.services import enqueue_emails

    report = report if report is not None else SendReport()
    with write_transaction():
        try:
            rows = _claim(now, limit)
            if not rows:
                db.session.commit()
                return 0
            loops = load_loops({r.loop_id for r in rows if r.loop_id is not None})
            _attach_people(rows, loops)
            feedback = feedback_of(loops)
            plans: dict[int, dict[str, rules.Planned]] = {}
            facts: dict[int, rules.LoopFacts] = {}
            for loop_id, loop in loops.items():
                facts[loop_id] = facts_of(loop, feedback)
                plans[loop_id] = {p.key: p for p in rules.plan(facts[loop_id])}
            outbox_now = min(now, timeutil.now_utc())
            cache: dict[Any, Any] = {}
            changes, mail = [], []
            for row in rows:
                change = {"id": row.id, "status": row.status, "reason": row.reason, "attempts": row.attempts + 1,
                          "last_error": row.last_error, "due_dt": row.due_dt, "sent_dt": row.sent_dt,
                          "updated_dt": now, "outbox_message_id": row.outbox_message_id}
                outbox = _act(row, change, loops.get(row.loop_id or 0), facts.get(row.loop_id or 0),
                              plans.get(row.loop_id or 0, {}), feedback, now, outbox_now, report, cache)
                if outbox is not None:
                    mail.append((change, outbox))
                changes.append(change)
            for (change, _), outbox_id in zip(mail, enqueue_emails([values for _, values in mail]), strict=True):
                change["outbox_message_id"] = outbox_id
            db.session.execute(update(Reminder), changes)  # one UPDATE per row, by primary key, executemany
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    report.claimed += len(rows)
    report.batches += 1
    return len(rows)


def process_due(*, now: datetime | None = None, limit: int | None = None, max_batches: int = MAX_BATCHES) -> SendReport:
    """Send every due reminder, batch after batch (each its own transaction), until none is left or `max_batches`
    were done (the next poll continues). Database errors propagate: the caller (the poll job) logs and waits."""
    now = now or clock()
    limit = limit or int(current_app.config.get("REMINDER_BATCH_SIZE") or BATCH_SIZE)
    report = SendReport()
    db.session.commit()
    for _ in range(max(1, max_batches)):
        if process_batch(now, limit, report) < limit:
            break
    return report


def _finish(change: dict[str, Any], status: ReminderStatus, reason: str = "") -> None:
    change["status"], change["reason"] = status.value, reason[:1000]


def _act(row: Claimed, change: dict[str, Any], loop: Loop | None, facts: rules.LoopFacts | None,
         plan: dict[str, rules.Planned], feedback: Feedback, now: datetime, outbox_now: datetime,
         report: SendReport, cache: dict[Any, Any]) -> dict[str, Any] | None:
    """Decide what happens to one claimed reminder, writing it into `change`; the outbox row when it is sent."""
    kind = ReminderKind(row.kind)
    planned = plan.get(row.key)
    if loop is None or facts is None or planned is None:
        reason = rules.why_not_planned(kind, row.session_id, row.user_id, row.about_user_id, row.event_dt, facts)
        if loop is None:
            _finish(change, ReminderStatus.SKIPPED, reason)
            report.skipped += 1
        else:
            _finish(change, ReminderStatus.CANCELLED, reason)
            report.cancelled += 1
        return None
    if rules.is_too_late(planned, now):
        _finish(change, ReminderStatus.SKIPPED, _too_late(kind))
        report.skipped += 1
        return None
    problem = _recipient_problem(row)
    if problem:
        _finish(change, ReminderStatus.SKIPPED, problem)
        report.skipped += 1
        return None
    try:
        subject, message, to_address, to_name = render(row, loop, facts, feedback, now, cache)
    except MessageError as exc:
        _finish(change, ReminderStatus.SKIPPED, f"The message could not be built: {exc}")
        report.skipped += 1
        return None
    except Exception as exc:  # noqa: BLE001 - one bad reminder must not stop the others
        log.exception("reminders: could not build reminder %s (%s)", row.id, row.key)
        change["last_error"] = f"{type(exc).__name__}: {exc}"[:1000]
        if change["attempts"] >= MAX_ATTEMPTS:
            _finish(change, ReminderStatus.SKIPPED, f"Gave up after {change['attempts']} attempts: "
                                                    f"{change['last_error']}")
            report.skipped += 1
        else:
            change["due_dt"] = now + timedelta(minutes=2 ** change["attempts"])
            report.retrying += 1
        return None
    from coordinator.invites.services import outbox_values

    change["sent_dt"], change["last_error"] = now, ""
    _finish(change, ReminderStatus.SENT)
    report.sent += 1
    return outbox_values(kind=_OUTBOX_KINDS[kind.audience], loop_id=loop.id, recipient=to_address,
                         recipient_name=to_name, subject=subject, message=message, now=outbox_now)


def _too_late(kind: ReminderKind) -> str:
    if kind in (ReminderKind.PREP_DAY, ReminderKind.PREP_HOUR, ReminderKind.CANDIDATE_DAY):
        return "Too late to help: the interview had begun (or was about to) when the scheduler got to it."
    if kind is ReminderKind.SCORECARD_HOUR:
        return "Too late to help: the scorecard was already due; the last call goes out instead."
    return "Too late to help: the moment it was for has passed."


def _recipient_problem(row: Claimed) -> str:
    if row.user_id is not None:
        user = row.user
        if user is None:
            return "The recipient's account no longer exists."
        if not user.is_enabled:
            return f"{user.name}'s account is disabled."
        if not (user.email or "").strip():
            return f"{user.name} has no e-mail address."
        return ""
    candidate = row.candidate
    if candidate is None:
        return "The candidate no longer exists."
    if not (candidate.email or "").strip():
        return f"{candidate.name} has no e-mail address."
    return ""


# ------------------------------------------------------------------------------------------------ rendering


def _route(endpoints: Sequence[str], keys: frozenset[str]) -> tuple[str, tuple[str, ...]] | None:
    """The first of `endpoints` this installation has whose URL the values named in `keys` can fill, with the
    names it takes (looked up once per process)."""
    routes = current_app.extensions.setdefault("reminder_routes", {})
    cache_key = (tuple(endpoints), keys)
    if cache_key not in routes:
        found = None
        for endpoint in endpoints:
            if endpoint not in current_app.view_functions:
                continue
            rule = next((r for r in current_app.url_map.iter_rules(endpoint) if r.arguments <= keys), None)
            if rule is not None:
                found = (endpoint, tuple(sorted(rule.arguments)))
                break
        routes[cache_key] = found
    return routes[cache_key]


def _url(endpoints: Sequence[str], known: dict[str, Any], fallback: str, cache: dict[Any, Any] | None = None) -> str:
    """An absolute link (from BASE_URL, as in every e-mail) to the first of `endpoints` this installation has whose
    URL `known` can fill."""
    from coordinator.invites.services import base_url

    route = _route(endpoints, frozenset(known))
    if route is None:
        return fallback
    cache = {} if cache is None else cache
    adapter = _cached(cache, "adapter", lambda: current_app.url_map.bind("localhost"))
    endpoint, names = route
    try:
        return _cached(cache, "base", base_url) + adapter.build(endpoint, {k: known[k] for k in names})
    except BuildError:  # pragma: no cover - a rule we could not fill
        return fallback


def _video(value: str) -> str:
    value = (value or "").strip()
    return value if value.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in value) else ""


def _person(user: User) -> Person:
    return Person(user.name, user.job_title or "")


def session_info(s: LoopSession) -> SessionInfo:
    return SessionInfo(
        title=s.title, kind_label=_KINDS.get(s.kind, s.kind), duration_min=s.duration_min, start=s.start_dt,
        end=s.end_dt, where=s.where or "", video=_video(s.video),
        interviewers=tuple(_person(p.user) for p in s.participants if p.role == ParticipantRole.INTERVIEWER.value),
        shadows=tuple(_person(p.user) for p in s.participants if p.role == ParticipantRole.SHADOW.value),
        prep=s.prep_instructions or "",
    )


def _seats(facts: rules.LoopFacts) -> tuple[list, list]:
    seats = facts.seats()
    return seats, [seat for seat in seats if (seat[0].id, seat[1]) in facts.submitted]


def _missing(loop: Loop, facts: rules.LoopFacts, seats: list) -> tuple[str, ...]:
    names = {p.user_id: p.user.name for s in loop.sessions for p in s.participants}
    return tuple(dict.fromkeys(names.get(uid, "?") for s, uid in seats if (s.id, uid) not in facts.submitted))


def _cached(cache: dict[Any, Any], key: Any, make: Any) -> Any:
    if key not in cache:
        cache[key] = make()
    return cache[key]


def render(row: Claimed, loop: Loop, facts: rules.LoopFacts, feedback: Feedback, now: datetime,
           cache: dict[Any, Any] | None = None) -> tuple[str, bytes, str, str]:
    """(subject, RFC 5322 bytes, address, name) of the reminder's e-mail, from the loop as it is now. `cache`
    keeps what a batch of reminders shares (links, the sender) between calls."""
    from coordinator.invites.services import KIT_ENDPOINTS, base_url, mail_sender, uid_domain

    cache = {} if cache is None else cache
    kind = ReminderKind(row.kind)
    candidate, job = loop.candidate, loop.candidate.job
    session = next((s for s in loop.sessions if s.id == row.session_id), None)
    loop_url = _cached(cache, ("loop", loop.id), lambda: _url(("loops.show",), {"loop_id": loop.id}, "", cache))
    if row.user is not None:
        to_name, to_address, tz = row.user.name, row.user.email, row.user.timezone
    else:
        to_name, to_address, tz = candidate.name, candidate.email, candidate.timezone
    seats, submitted = _cached(cache, ("seats", loop.id), lambda: _seats(facts))
    values: dict[str, Any] = {
        "kind": kind, "now": now, "recipient": to_name, "tz": tz, "candidate": candidate.name,
        "job_title": job.title, "recruiter": _person(loop.recruiter), "loop_url": loop_url,
        "event_dt": row.event_dt, "decision_due_on": loop.decision_due_on,
        "debrief_url": _cached(cache, ("debrief", loop.id),
                               lambda: _url(("scorecards.debrief",), {"loop_id": loop.id}, loop_url, cache)),
    }
    if seats:
        values["scorecards_in"] = (len(submitted), len(seats))
        values["missing"] = _cached(cache, ("missing", loop.id), lambda: _missing(loop, facts, seats))
    if session is not None and session.start_dt is not None:
        values["session"] = _cached(cache, ("session", session.id), lambda: session_info(session))
        me = next((p for p in session.participants if p.user_id == row.user_id), None)
        values["is_shadow"] = me is not None and me.role == ParticipantRole.SHADOW.value
        if row.user_id is not None:
            known = {"loop_id": loop.id, "session_id": session.id, "user_id": row.user_id}
            values["kit_url"] = _url(KIT_ENDPOINTS, known, "", cache)
            values["scorecard_url"] = _url(("scorecards.edit",), known, loop_url, cache)
    if row.about_user is not None:
        values["about"] = row.about_user.name
    if kind is ReminderKind.CANDIDATE_DAY:
        day = timeutil.to_local(row.event_dt, tz).date()
        booked = sorted((s for s in loop.sessions if s.is_booked and s.start_dt), key=lambda s: s.start_dt)
        values["itinerary"] = tuple(session_info(s) for s in booked if timeutil.to_local(s.start_dt, tz).date() == day)
        values["later_days"] = tuple(sorted({timeutil.to_local(s.start_dt, tz).date() for s in booked
                                             if timeutil.to_local(s.start_dt, tz).date() > day}))
    message = compose(Context(**values))
    subject = message.subject
    html = message.html()
    on_behalf = None if kind.audience == "team" else loop.recruiter
    sender = _cached(cache, ("sender", on_behalf.id if on_behalf else None), lambda: mail_sender(on_behalf))
    digest = hashlib.sha256(row.key.encode()).hexdigest()[:12]
    domain = _cached(cache, "domain", uid_domain)
    data = build_email(
        sender=(sender.name, sender.email), to=(to_name, to_address), subject=subject, text=message.text(),
        html=html, reply_to=(loop.recruiter.name, loop.recruiter.email), date=now,
        message_id=f"<reminder.{row.id}.{digest}@{domain}>", boundary=f"=_coordinator_reminder_{row.id}",
        headers=[("Auto-Submitted", "auto-generated"), ("X-Coordinator-Link", _cached(cache, "base", base_url))],
    )
    return subject, data, to_address, to_name


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


def pending_counts(loop_ids: Iterable[int]) -> dict[int, int]:
    ids = list(set(loop_ids))
    if not ids:
        return {}
    return dict(db.session.execute(
        select(Reminder.loop_id, func.count()).where(Reminder.loop_id.in_(ids),
                                                     Reminder.status == ReminderStatus.PENDING.value)
        .group_by(Reminder.loop_id)).all())


__all__ = [
    "BATCH_SIZE", "Feedback", "SendReport", "SyncReport", "after_loop_change", "clock", "facts_of", "feedback_of",
    "load_loops", "loops_to_sweep", "of_loop", "process_batch", "process_due", "recent_for", "render", "sweep",
    "sync_loops", "upcoming_for",
]
