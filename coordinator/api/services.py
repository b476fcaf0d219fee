"""API keys (made, found by the bearer token, revoked), rate limits per key, replayed creating calls
(Idempotency-Key) and cursor pages. Services add and flush; the request commits."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select

from coordinator.api.models import ApiCall, ApiKey, IdempotentResponse
from coordinator.auth.models import User
from coordinator.auth.permissions import api_scope_names
from coordinator.auth.roles import Role
from coordinator.errors import ServiceError
from coordinator.extensions import db
from coordinator.ratelimit import Counter
from coordinator.timeutil import as_utc, now_utc

#: every key starts with this, so a leaked one is recognisable (secret scanners, logs)
KEY_PREFIX = "crd_"
#: a key's last use is written at most this often
LAST_USED_EVERY = timedelta(minutes=1)
#: default calls a key may make per minute (COORDINATOR_API_RATE_PER_MINUTE)
RATE_PER_MINUTE = 600
#: a stored Idempotency-Key response is replayed this long
IDEMPOTENCY_KEEP = timedelta(hours=24)
#: page sizes
PAGE_DEFAULT, PAGE_MAX = 50, 200

_calls_per_minute = Counter(ApiCall, timedelta(minutes=1), keep=timedelta(hours=1))


class ApiError(ServiceError):
    """A request the API refuses: `status` and the message become a problem+json response."""

    def __init__(self, message: str, status: int = 400, field: str | None = None) -> None:
        super().__init__(message, field)
        self.status = status


# --- keys ------------------------------------------------------------------------------------------------------------

def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    #: the key itself, shown once
    token: str


def create_key(name: str, scopes: list[str], admin: User) -> NewKey:
    """A new key with its own service user (admin role: see auth.permissions); the token is returned once."""
    name = (name or "").strip()
    if not name:
        raise ApiError("Give the key a name that says which integration uses it.", field="name")
    if len(name) > 120:
        raise ApiError("Keep the name under 120 characters.", field="name")
    unknown = set(scopes) - set(api_scope_names())
    if unknown or not scopes:
        raise ApiError("Choose at least one scope from the list.", field="scopes")
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    service = User(email=f"api-key-{secrets.token_hex(6)}@service.invalid", name=f"API key: {name}",
                   job_title="Integration", timezone="UTC", password_hash=None, is_service=True)
    service.set_roles({Role.ADMIN})
    db.session.add(service)
    key = ApiKey(name=name, prefix=token[:12], key_hash=hash_key(token),
                 scopes=[s for s in api_scope_names() if s in scopes], user=service, created_by_id=admin.id,
                 created_dt=now_utc())
    db.session.add(key)
    db.session.flush()
    return NewKey(key, token)


def revoke_key(key: ApiKey) -> None:
    if key.revoked_dt is None:
        key.revoked_dt = now_utc()
        key.user.is_enabled = False
    db.session.flush()


def list_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.revoked_dt.is_not(None), ApiKey.name)))


def key_for_token(token: str) -> ApiKey | None:
    """The active key whose token this is, or None (unknown, revoked, or its service user disabled)."""
    if not token or not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(token)))
    if key is None or key.revoked_dt is not None or not key.user.is_enabled:
        return None
    return key


# --- rate limits ---------------------------------------------------------------------------------------------------

def rate_wait(key_id: int, per_minute: int, now: datetime | None = None) -> int | None:
    """Seconds the key must wait before its next call, or None to go ahead."""
    now = now or now_utc()
    tally = _calls_per_minute.tally(ApiCall.key_id == key_id, now=now)
    if tally.count >= per_minute:
        return _calls_per_minute.until_window_clears(tally, now)
    return None


def note_call(key_id: int, now: datetime | None = None) -> None:
    """Count a call (forgetting calls older than an hour) and keep the key's last use roughly current."""
    now = now or now_utc()
    _calls_per_minute.note(now, key_id=key_id)
    key = db.session.get(ApiKey, key_id)
    if key is not None and (key.last_used_dt is None or now - key.last_used_dt >= LAST_USED_EVERY):
        key.last_used_dt = now


# --- Idempotency-Key -----------------------------------------------------------------------------------------------

def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def stored_response(key_id: int, idempotency_key: str, fingerprint: str) -> IdempotentResponse | None:
    """The response already given to this Idempotency-Key, or None; the same key with another request is an
    error (422) rather than a silent replay of something else."""
    row = db.session.scalar(select(IdempotentResponse).where(
        IdempotentResponse.key_id == key_id, IdempotentResponse.idempotency_key == idempotency_key,
        IdempotentResponse.created_dt > now_utc() - IDEMPOTENCY_KEEP))
    if row is not None and row.request_hash != fingerprint:
        raise ApiError("This Idempotency-Key was used for another request; use a new key for a new request.", 422)
    return row


def store_response(key_id: int, idempotency_key: str, fingerprint: str, status: int, body: str,
                   headers: dict[str, str]) -> None:
    """Kept with what the request created, in its transaction. Two identical requests at once: the second to
    commit breaks the unique key and is a 409 with nothing of it kept (errors.py), so nothing is created twice."""
    now = now_utc()
    db.session.execute(delete(IdempotentResponse).where(IdempotentResponse.created_dt < now - IDEMPOTENCY_KEEP))
    db.session.add(IdempotentResponse(key_id=key_id, idempotency_key=idempotency_key, request_hash=fingerprint,
                                      status=status, body=body, headers=headers, created_dt=now))
    db.session.flush()


# --- cursor pages --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(when: datetime, ident: int) -> str:
    raw = json.dumps([as_utc(when).isoformat(), ident], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, ident = json.loads(raw)
        parsed = datetime.fromisoformat(when)
        if parsed.tzinfo is None or not isinstance(ident, int):
            raise ValueError
        return as_utc(parsed), ident
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError("The cursor is not one this API gave out; start again without it.", 400, "cursor") from exc


def page(query, when_col: ColumnElement, id_col: ColumnElement, *, cursor: str | None, limit: int,
         updated_since: datetime | None = None, when_of=None) -> Page:
    """One page of `query` in (when, id) order after `cursor`: keyset pagination, so every page costs the same
    however deep it is, and rows changed meanwhile move to the end instead of being skipped."""
    if updated_since is not None:
        query = query.where(when_col >= as_utc(updated_since))
    if cursor:
        after_when, after_id = decode_cursor(cursor)
        query = query.where(or_(when_col > after_when, and_(when_col == after_when, id_col > after_id)))
    rows = list(db.session.scalars(query.order_by(when_col, id_col).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if not more or not rows:
        return Page(rows, None)
    last = rows[-1]
    when = when_of(last) if when_of else last.updated_dt
    return Page(rows, encode_cursor(when, last.id))


# --- jobs and candidates through the API ---------------------------------------------------------------------------

def _hiring(call):
    """Run a hiring service; its refusal (a field and a message) becomes a 422 naming the field."""
    from coordinator.hiring.services import HiringError

    try:
        return call()
    except HiringError as exc:
        raise ApiError(str(exc), 422, exc.field) from exc


def create_job(values: dict[str, Any]):
    from coordinator.hiring import services as hiring

    return _hiring(lambda: hiring.create_job(hiring.JobData(**values)))


def update_job(job, changes: dict[str, Any]):
    from coordinator.hiring import services as hiring

    current = {name: getattr(job, name) for name in ("title", "department", "hiring_manager_id", "recruiter_id",
                                                     "status", "feedback_due_hours")}
    _hiring(lambda: hiring.update_job(job, hiring.JobData(**{**current, **changes})))
    return job


def _check_external_id(external_id: str | None, candidate_id: int | None = None) -> None:
    from coordinator.hiring.models import Candidate

    if external_id is None:
        return
    other = db.session.scalar(select(Candidate.id).where(Candidate.external_id == external_id))
    if other is not None and other != candidate_id:
        raise ApiError(f"Another candidate (id {other}) has this external_id.", 409, "external_id")


def create_candidate(values: dict[str, Any], user: User):
    from coordinator.auth.permissions import can_add_candidate_to_job
    from coordinator.hiring import services as hiring
    from coordinator.hiring.models import Job

    values = dict(values)
    external_id = values.pop("external_id", None)
    job = db.session.get(Job, values["job_id"])
    if job is None or not can_add_candidate_to_job(user, job):
        raise ApiError("No job with this id that this key may add candidates to.", 422, "job_id")
    _check_external_id(external_id)
    candidate = _hiring(lambda: hiring.create_candidate(hiring.CandidateData(**values)))
    candidate.external_id = external_id
    db.session.flush()
    return candidate


def update_candidate(candidate, changes: dict[str, Any], user: User):
    from coordinator.auth.permissions import can_add_candidate_to_job
    from coordinator.hiring import services as hiring
    from coordinator.hiring.models import Job

    changes = dict(changes)
    if "external_id" in changes:
        external_id = changes.pop("external_id")
        _check_external_id(external_id, candidate.id)
        candidate.external_id = external_id
    if "job_id" in changes and changes["job_id"] != candidate.job_id:
        job = db.session.get(Job, changes["job_id"])
        if job is None or not can_add_candidate_to_job(user, job):
            raise ApiError("No job with this id that this key may move candidates to.", 422, "job_id")
    fields = ("name", "email", "timezone", "job_id", "stage", "first_interview_emphasis", "probe_further")
    current = {name: getattr(candidate, name) for name in fields}
    _hiring(lambda: hiring.update_candidate(candidate, hiring.CandidateData(**{**current, **changes})))
    return candidate


# --- scorecards through the API: submitted revisions only ----------------------------------------------------------

def submitted_scorecard(card) -> dict[str, Any]:
    """A submitted scorecard as its latest submitted revision (the content a debrief reads), never a draft."""
    revision = max(card.revisions, key=lambda r: r.number)
    return {
        "id": card.id, "loop_id": card.loop_id, "session_id": card.session_id,
        "interviewer_id": card.interviewer_id, "interviewer_name": card.interviewer.name,
        "revision": revision.number, "recommendation": revision.recommendation, "takeaways": revision.takeaways,
        "submitted_at": card.submitted_dt, "updated_at": card.updated_dt,
        "areas": [{key: area.get(key) for key in ("focus_area_id", "name", "rating", "is_not_assessed",
                                                    "not_assessed_reason", "situation", "task", "action",
                                                    "result", "notes")} for area in revision.areas],
    }
