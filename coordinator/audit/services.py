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
