"""Webhooks: endpoints admins register, the events that follow loop changes, and their delivery outbox.

An event is queued in the transaction of the change it reports (a follower of loops.changes), one row per endpoint
that wants it, with an event id that is the same for every endpoint and retry: receivers deduplicate on it, and
the (endpoint, event id) unique key means one event is queued once however often it is announced. The scheduler
process sends due rows (api.jobs) the way the e-mail outbox does: claim and commit, send with no transaction open,
record the answer. Each request carries

    Coordinator-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>

Retries back off from one minute, doubling up to an hour, for a day; a 410 Gone disables the endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, or_, select, update

from coordinator.api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from coordinator.availability.credentials import decrypt, encrypt
from coordinator.errors import ServiceError
from coordinator.extensions import db
from coordinator.loops.changes import Change, ChangeKind
from coordinator.timeutil import now_utc

SIGNATURE_HEADER = "Coordinator-Signature"
EVENT_HEADER = "Coordinator-Event"
EVENT_ID_HEADER = "Coordinator-Event-Id"
#: how long a delivery is retried
RETRY_FOR = timedelta(days=1)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
CLAIM_LEASE = timedelta(seconds=60)
BATCH_SIZE = 50
#: the start of a receiver's answer kept with the delivery
RESPONSE_KEEP = 2000
TIMEOUT_SECONDS = 10


class WebhookError(ServiceError):
    pass


# --- endpoints -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    #: the signing secret, shown once
    secret: str


def check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 500:
        raise WebhookError("Give the receiver's full address, starting with https://.", "url")
    return url


def create_endpoint(url: str, events: list[str], description: str, admin) -> NewEndpoint:
    url = check_url(url)
    known = {e.value for e in WebhookEvent}
    if not events or set(events) - known:
        raise WebhookError("Choose at least one event from the list.", "events")
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(url=url, events=[e.value for e in WebhookEvent if e.value in events],
                               description=(description or "").strip()[:200], secret_encrypted=encrypt(secret),
                               created_by_id=admin.id if admin else None, created_dt=now_utc())
    db.session.add(endpoint)
    db.session.flush()
    return NewEndpoint(endpoint, secret)


def set_enabled(endpoint: WebhookEndpoint, enabled: bool, reason: str = "") -> None:
    endpoint.is_enabled = enabled
    endpoint.disabled_reason = "" if enabled else reason[:300]
    db.session.flush()


def list_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def recent_deliveries(endpoint: WebhookEndpoint, limit: int = 100) -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                                   .order_by(WebhookDelivery.id.desc()).limit(limit)))


# --- signing -------------------------------------------------------------------------------------------------------

def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (the README shows the same in a few lines): recompute and compare in constant time,
    and refuse an old timestamp (a replay)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


# --- events --------------------------------------------------------------------------------------------------------

def queue(event: WebhookEvent, event_id: str, data: dict[str, Any], now: datetime | None = None) -> int:
    """One delivery per enabled endpoint that wants `event`; an event id already queued for an endpoint is not
    queued again. Returns how many were queued."""
    now = now or now_utc()
    endpoints = [e for e in db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.is_enabled))
                 if event.value in (e.events or [])]
    if not endpoints:
        return 0
    already = set(db.session.scalars(select(WebhookDelivery.endpoint_id).where(
        WebhookDelivery.event_id == event_id, WebhookDelivery.endpoint_id.in_([e.id for e in endpoints]))))
    body = json.dumps({"id": event_id, "type": event.value, "created_at": now.isoformat().replace("+00:00", "Z"),
                       "data": data}, separators=(",", ":"), default=str)
    queued = 0
    for endpoint in endpoints:
        if endpoint.id in already:
            continue
        db.session.add(WebhookDelivery(endpoint_id=endpoint.id, event_id=event_id, event_type=event.value,
                                       payload=body, status=DeliveryStatus.PENDING.value, next_attempt_dt=now,
                                       created_dt=now))
        queued += 1
    db.session.flush()
    return queued


def after_loop_change(change: Change) -> int:
    """The loops follower: which events this change is, queued in the change's own transaction."""
    if change.nothing_changed or not _any_endpoint():
        return 0
    from coordinator.loops.models import Loop, LoopEvent, LoopStatus

    loop = db.session.get(Loop, change.loop_id)
    if loop is None:
        return 0
    queued = 0
    data = {"loop_id": loop.id, "candidate_id": loop.candidate_id, "job_id": loop.candidate.job_id,
            "status": loop.status, "version": loop.version}
    if change.kind == ChangeKind.PROGRESS:
        return _progress(loop, data)
    if change.kind != ChangeKind.BOOKING:
        return queue(WebhookEvent.LOOP_CHANGED, f"loop.changed:{loop.id}:v{loop.version}", data)
    last = db.session.scalar(select(LoopEvent).where(LoopEvent.loop_id == loop.id)
                             .order_by(LoopEvent.created_dt.desc(), LoopEvent.id.desc()).limit(1))
    if loop.status == LoopStatus.CANCELLED.value:
        return queue(WebhookEvent.LOOP_CANCELLED, f"loop.cancelled:{loop.id}", data)
    if last is not None and last.actor_id is None and last.actor_label == "Candidate" and change.booked:
        queued += queue(WebhookEvent.CANDIDATE_SELF_BOOKED, f"candidate.self_booked:{loop.id}:v{loop.version}",
                        data)
    first_booking = (change.booked and not change.removed and last is not None and last.action == "booked"
                     and "Moved '" not in last.summary)
    event = WebhookEvent.LOOP_BOOKED if first_booking else WebhookEvent.LOOP_CHANGED
    queued += queue(event, f"{event.value}:{loop.id}:v{loop.version}",
                    {**data, "sessions_booked": change.booked, "sessions_cancelled": change.cancelled})
    return queued


def _progress(loop, data: dict[str, Any]) -> int:
    """A scorecard or a decision came in: one event per submitted revision and per decision, whenever it is first
    seen (the event id names it, so a later progress of the same loop does not send it again)."""
    from coordinator.scorecards.models import LoopDecision, Scorecard, ScorecardStatus

    queued = 0
    for card_id, revision, interviewer_id in db.session.execute(
            select(Scorecard.id, Scorecard.revision, Scorecard.interviewer_id)
            .where(Scorecard.loop_id == loop.id, Scorecard.status == ScorecardStatus.SUBMITTED.value)):
        queued += queue(WebhookEvent.SCORECARD_SUBMITTED, f"scorecard.submitted:{card_id}:r{revision}",
                        {**data, "scorecard_id": card_id, "revision": revision, "interviewer_id": interviewer_id})
    for decision_id, outcome in db.session.execute(
            select(LoopDecision.id, LoopDecision.outcome).where(LoopDecision.loop_id == loop.id)):
        queued += queue(WebhookEvent.DECISION_RECORDED, f"decision.recorded:{decision_id}",
                        {**data, "decision_id": decision_id, "outcome": outcome})
    return queued


def _any_endpoint() -> bool:
    return db.session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.is_enabled).limit(1)) is not None


# --- the outbox ----------------------------------------------------------------------------------------------------

def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_CAP)


def _due(now: datetime):
    waiting = and_(WebhookDelivery.status == DeliveryStatus.PENDING.value, WebhookDelivery.next_attempt_dt <= now)
    abandoned = and_(WebhookDelivery.status == DeliveryStatus.SENDING.value, WebhookDelivery.next_attempt_dt <= now)
    return or_(waiting, abandoned)


def claim(now: datetime, limit: int = BATCH_SIZE, lease: timedelta = CLAIM_LEASE) -> list[int]:
    """Take due deliveries (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's write lock otherwise), as the e-mail
    outbox does: 'sending' until the lease ends, the attempt counted now. The caller commits."""
    ids = list(db.session.scalars(
        select(WebhookDelivery.id).where(_due(now)).order_by(WebhookDelivery.next_attempt_dt, WebhookDelivery.id)
        .limit(limit).with_for_update(skip_locked=True)))
    if ids:
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                           .values(status=DeliveryStatus.SENDING.value, next_attempt_dt=max(now, now_utc()) + lease,
                                   attempts=WebhookDelivery.attempts + 1)
                           .execution_options(synchronize_session=False))
    return ids


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    url: str
    body: bytes
    headers: dict[str, str]


def outgoing(delivery_id: int, now: datetime) -> Outgoing | None:
    """What to send for a claimed delivery, signed now; None when its endpoint was disabled meanwhile."""
    row = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if row is None:
        return None
    endpoint = row.endpoint
    if not endpoint.is_enabled:
        row.status, row.next_attempt_dt = DeliveryStatus.FAILED.value, None
        row.last_response = "Not sent: the endpoint is disabled."
        db.session.flush()
        return None
    body = row.payload.encode("utf-8")
    stamp = int(now.timestamp())
    return Outgoing(row.id, endpoint.url, body, {
        "Content-Type": "application/json", "User-Agent": "coordinator-webhooks/1",
        SIGNATURE_HEADER: signature(decrypt(endpoint.secret_encrypted), stamp, body),
        EVENT_HEADER: row.event_type, EVENT_ID_HEADER: row.event_id})


def record(delivery_id: int, now: datetime, status: int | None, text: str) -> str:
    """Write down the answer: delivered (2xx), endpoint disabled (410), or due again after `backoff` until a day
    has passed since the event. Returns what became of it."""
    row = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if row is None:  # pragma: no cover - deleted meanwhile
        return "gone"
    row.last_status, row.last_response = status, (text or "")[:RESPONSE_KEEP]
    if status is not None and 200 <= status < 300:
        row.status, row.delivered_dt, row.next_attempt_dt = DeliveryStatus.DELIVERED.value, now, None
        result = "delivered"
    elif status == 410:
        row.status, row.next_attempt_dt = DeliveryStatus.FAILED.value, None
        set_enabled(row.endpoint, False, f"The receiver answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC.")
        db.session.execute(update(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == row.endpoint_id, WebhookDelivery.status == DeliveryStatus.PENDING.value)
            .values(status=DeliveryStatus.FAILED.value, next_attempt_dt=None,
                    last_response="Not sent: the endpoint was disabled (410 Gone).")
            .execution_options(synchronize_session=False))
        result = "disabled"
    else:
        due = now + backoff(row.attempts)
        if due - row.created_dt > RETRY_FOR:
            row.status, row.next_attempt_dt = DeliveryStatus.FAILED.value, None
            row.last_response = f"Gave up after {row.attempts} attempts over a day. " + row.last_response
            result = "failed"
        else:
            row.status, row.next_attempt_dt = DeliveryStatus.PENDING.value, due
            result = "retrying"
    db.session.flush()
    return result


def retry(row: WebhookDelivery) -> None:
    """An admin sends a failed delivery again (due now)."""
    if row.status != DeliveryStatus.FAILED.value:
        raise WebhookError("Only a failed delivery can be sent again.")
    row.status, row.next_attempt_dt, row.attempts = DeliveryStatus.PENDING.value, now_utc(), 0
    row.created_dt = now_utc()
    db.session.flush()


def purge_old(keep_days: int = 30, now: datetime | None = None) -> int:
    cutoff = (now or now_utc()) - timedelta(days=keep_days)
    result = db.session.execute(delete(WebhookDelivery).where(
        WebhookDelivery.status.in_([DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value]),
        WebhookDelivery.created_dt < cutoff))
    return result.rowcount or 0
