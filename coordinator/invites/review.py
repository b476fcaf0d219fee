"""Send when ready: what a booking queued for the recruiter's look, their Send, and the candidate's held
invitations built again when their message changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.invites.models import OutboxKind, OutboxMessage, OutboxStatus
from coordinator.invites.services import LoopData, _add_candidate_event, _candidate_plan, _Queue, smtp_configured
from coordinator.loops.changes import record
from coordinator.loops.models import Loop
from coordinator.timeutil import now_utc


def held_for_review(loop: Loop) -> list[OutboxMessage]:
    """The loop's messages waiting for the recruiter's Send, the candidate's first."""
    rows = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.loop_id == loop.id, OutboxMessage.status == OutboxStatus.REVIEW.value).order_by(OutboxMessage.id))
    return sorted(rows, key=lambda r: (r.audience != "candidate", r.id))


def send_held(loop: Loop, actor: User, *, now: datetime | None = None) -> int:
    """The recruiter pressed Send: the held messages go to the deliverer (or stay held without a mail server)."""
    rows = held_for_review(loop)
    configured = smtp_configured()
    for row in rows:
        row.status = (OutboxStatus.PENDING if configured else OutboxStatus.HELD).value
        row.next_attempt_dt = now or now_utc()
        row.last_error = "" if configured else "No mail server is configured (COORDINATOR_SMTP_HOST)."
    if rows:
        people = len({r.recipient.lower() for r in rows})
        record(loop, actor, "invites_sent", f"Sent {len(rows)} e-mail{'s' if len(rows) != 1 else ''} with invites "
                                            f"to {people} {'people' if people != 1 else 'person'}.")
    db.session.flush()
    return len(rows)


def rebuild_held_candidate_messages(loop: Loop, *, now: datetime | None = None) -> int:
    """After the candidate's message changed: the candidate's held invitations are built again with it (same
    event, same SEQUENCE); cancellations carry no message and stay."""
    rows = [r for r in held_for_review(loop) if r.kind in (OutboxKind.CANDIDATE_INVITE.value,
                                                          OutboxKind.CANDIDATE_UPDATE.value)]
    if not rows:
        return 0
    q = _Queue(now=now or now_utc(), loop=loop, review=True)
    data = LoopData(loop)
    iloop, plan, by_uid = _candidate_plan(data)
    events = {event.uid: event for event in plan}
    rebuilt = 0
    for row in rows:
        event = events.get(row.ical_uid)
        if event is None:
            continue
        kind, sequence = OutboxKind(row.kind), row.ical_sequence
        db.session.delete(row)
        _add_candidate_event(q, data, iloop, event, by_uid, kind, sequence)
        rebuilt += 1
    db.session.flush()
    return rebuilt
