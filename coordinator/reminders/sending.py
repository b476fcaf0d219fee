"""Sending reminders: claiming the due ones, checking each against the loop as it is now (`rules.plan`), writing
its e-mail into the outbox and marking it sent, cancelled or skipped (with the reason).

`send_batch` adds and flushes; `reminders.jobs.process_batch` commits it, so a batch's outbox rows and its "sent"
marks are one transaction: a crash at any point leaves either both or neither, and every due reminder reaches the
outbox exactly once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from werkzeug.routing import BuildError

from coordinator import timeutil
from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.invites.models import OutboxKind
from coordinator.invites.services import (
    KIT_ENDPOINTS,
    base_url,
    enqueue_emails,
    mail_sender,
    outbox_values,
    uid_domain,
    video_link,
)
from coordinator.jobs.report import SendingReport
from coordinator.loops.kinds import SessionKind
from coordinator.loops.models import Loop, LoopSession, ParticipantRole
from coordinator.mail import MessageError, build_email
from coordinator.reminders import rules
from coordinator.reminders.messages import Context, Person, SessionInfo, compose
from coordinator.reminders.models import Reminder, ReminderKind, ReminderStatus
from coordinator.reminders.services import Feedback, facts_of, feedback_of, load_loops, team_of

log = logging.getLogger(__name__)

#: a reminder whose message cannot be built (a bug, bad data) is tried this often, then skipped
MAX_ATTEMPTS = 5

_OUTBOX_KINDS = {"interviewer": OutboxKind.INTERVIEWER_REMINDER, "team": OutboxKind.TEAM_REMINDER,
                 "candidate": OutboxKind.CANDIDATE_REMINDER}


@dataclass
class SendReport(SendingReport):
    """What one `process_due` did."""

    SHOWN = ("claimed", "sent", "cancelled", "skipped", "retrying")

    cancelled: int = 0
    skipped: int = 0
    batches: int = 0

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




def send_batch(now: datetime, limit: int, report: SendReport) -> int:
    """Claim up to `limit` due reminders, put each one's message into the outbox (or cancel or skip it, saying
    why) and mark it; adds and flushes, the caller commits (`reminders.jobs.process_batch`). Returns how many
    were claimed."""
    rows = _claim(now, limit)
    if not rows:
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
    db.session.flush()
    report.claimed += len(rows)
    report.batches += 1
    return len(rows)


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


def _person(user: User) -> Person:
    return Person(user.name, user.job_title or "")


def session_info(s: LoopSession) -> SessionInfo:
    return SessionInfo(
        title=s.title, kind_label=SessionKind.label_of(s.kind), duration_min=s.duration_min, start=s.start_dt,
        end=s.end_dt, where=s.where or "", video=video_link(s.video) or "",
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
