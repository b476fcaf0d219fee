"""Writing and reading the audit log. One function, `record`, that every feature calls."""

from __future__ import annotations

import logging
import re

from flask import has_request_context, request
from flask_login import current_user

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.timeutil import now_utc
from coordinator.web import persist_apart

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
DETAIL_MAX = 500


def clean(text: str, limit: int = DETAIL_MAX) -> str:
    """One line, no control characters: a log line that user input cannot split or forge."""
    return _UNSAFE.sub("␤", text or "")[:limit]


def client_ip() -> str:
    return (request.remote_addr or "")[:45] if has_request_context() else ""


def record(action: str, target_type: str = "", target_id: int | None = None, detail: str = "",
           actor=None, actor_label: str = "") -> AuditEvent:
    """Add an audit event to the current transaction (it commits with the change it describes)."""
    if actor is None and has_request_context() and getattr(current_user, "is_authenticated", False):
        actor = current_user
    event = AuditEvent(
        created_dt=now_utc(), actor_id=actor.id if actor is not None else None,
        actor_label=clean(actor_label or (actor.email if actor is not None else "system"), 254),
        action=action, target_type=target_type, target_id=target_id, ip=client_ip(), detail=clean(detail),
    )
    db.session.add(event)
    return event


def record_now(action: str, **kwargs) -> None:
    """Record in a transaction of its own (`web.persist_apart`), for events whose request ends in an error page
    and so commits nothing else (refusals, throttled sign-ins)."""
    try:
        persist_apart(lambda: record(action, **kwargs))
    except Exception:  # noqa: BLE001 - the log must never turn a 403 into a 500 (persist_apart rolled back)
        logging.getLogger(__name__).exception("audit: could not record %s", action)


def target_names(events) -> dict[tuple[str, int], str]:
    """What each event was about, by name ("Ada Lovelace's loop", "Jonas Weber's scorecard for Ada Lovelace"), for
    the audit log; a thing erased since keeps its kind and number only."""
    from sqlalchemy import select

    from coordinator.auth.models import User
    from coordinator.hiring.models import Candidate
    from coordinator.loops.models import Loop, LoopSession
    from coordinator.scorecards.models import Scorecard

    wanted: dict[str, set[int]] = {}
    for e in events:
        if e.target_type and e.target_id:
            wanted.setdefault(e.target_type, set()).add(e.target_id)
    names: dict[tuple[str, int], str] = {}
    if wanted.get("user"):
        for uid, name in db.session.execute(select(User.id, User.name).where(User.id.in_(wanted["user"]))):
            names[("user", uid)] = name
    if wanted.get("candidate"):
        for cid, name in db.session.execute(
                select(Candidate.id, Candidate.name).where(Candidate.id.in_(wanted["candidate"]))):
            names[("candidate", cid)] = name
    if wanted.get("loop"):
        for lid, name in db.session.execute(select(Loop.id, Candidate.name).join(Candidate)
                                            .where(Loop.id.in_(wanted["loop"]))):
            names[("loop", lid)] = f"{name}'s loop"
    if wanted.get("scorecard"):
        rows = db.session.execute(
            select(Scorecard.id, User.name, Candidate.name, LoopSession.title)
            .join(User, User.id == Scorecard.interviewer_id)
            .join(LoopSession, LoopSession.id == Scorecard.session_id)
            .join(Loop, Loop.id == LoopSession.loop_id).join(Candidate, Candidate.id == Loop.candidate_id)
            .where(Scorecard.id.in_(wanted["scorecard"])))
        for sid, who, candidate, title in rows:
            names[("scorecard", sid)] = f"{who}'s scorecard for {candidate} ('{title}')"
    return names
