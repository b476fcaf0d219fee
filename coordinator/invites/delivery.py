"""Outbox delivery: claiming due messages, sending them over SMTP, retries with backoff, retention, and reading a
stored message back for the outbox page.

Every function here adds and flushes; the job (`invites.jobs.deliver_due`) decides where a transaction ends, so
that a claim is committed before anything is sent and no transaction stays open while the SMTP server is talked to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update

from coordinator.extensions import db
from coordinator.invites.email import DeliveryError, SMTPSettings, send_message
from coordinator.invites.models import OutboxMessage, OutboxStatus
from coordinator.invites.services import smtp_configured
from coordinator.jobs.report import SendingReport
from coordinator.mail import one_line
from coordinator.timeutil import now_utc

log = logging.getLogger(__name__)

#: delivery attempts before a message that keeps failing temporarily is marked failed
MAX_ATTEMPTS = 8
#: wait after the first temporary failure; doubled after each further one
BACKOFF_BASE = timedelta(minutes=1)
#: longest wait between two attempts
BACKOFF_CAP = timedelta(hours=4)
#: how long a claim lasts unless renewed (COORDINATOR_OUTBOX_CLAIM_SECONDS): a live deliverer renews its claims
#: every third of it while it sends (invites.jobs), so only a deliverer that died (kill -9, a crash, a lost host)
#: lets them lapse, and its messages are due again this long after it stopped at the latest
CLAIM_LEASE = timedelta(seconds=25)
#: messages claimed per round
BATCH_SIZE = 50


@dataclass
class DeliveryReport(SendingReport):
    """What one `deliver_due` round did."""

    SHOWN = ("claimed", "sent", "retrying", "failed", "held")

    failed: int = 0
    held: int = 0


def smtp_settings() -> SMTPSettings | None:
    """The SMTP server from the configuration, or None when none is set (messages are then held).
    A setting that cannot work raises ValueError."""
    cfg = current_app.config
    host = (cfg.get("SMTP_HOST") or "").strip()
    if not host:
        return None
    return SMTPSettings(
        host=host,
        port=int(cfg.get("SMTP_PORT") or 587),
        security=str(cfg.get("SMTP_SECURITY") or "starttls").strip().lower(),
        username=cfg.get("SMTP_USERNAME") or None,
        password=cfg.get("SMTP_PASSWORD") or None,
        timeout=float(cfg.get("SMTP_TIMEOUT") or 30),
    )


def backoff(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 1, 2, 4, ... minutes, at most BACKOFF_CAP."""
    return min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_CAP)


def _due(now: datetime):
    waiting = and_(OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.HELD.value]),
                   OutboxMessage.next_attempt_dt <= now)
    abandoned = and_(OutboxMessage.status == OutboxStatus.SENDING.value, OutboxMessage.next_attempt_dt <= now)
    return or_(waiting, abandoned)


def claim_lease() -> timedelta:
    """How long a claim lasts before it must be renewed (configurable for tests of a slow mail server)."""
    seconds = current_app.config.get("OUTBOX_CLAIM_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else CLAIM_LEASE


def claim(now: datetime, limit: int, lease: timedelta | None = None) -> list[int]:
    """Take up to `limit` due messages for this deliverer: on PostgreSQL the rows are locked (FOR UPDATE SKIP
    LOCKED, so a concurrent deliverer takes others), on SQLite the write transaction holds the lock. Claimed rows
    are 'sending' until the lease ends (`renew` extends it), counted from the real time even when a caller
    passes an earlier `now` (a round that began a while ago); the attempt is counted now. The caller commits to
    make the claim hold."""
    lease = lease or claim_lease()
    ids = list(db.session.scalars(
        select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.next_attempt_dt, OutboxMessage.id)
        .limit(limit).with_for_update(skip_locked=True)
    ))
    if ids:
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids))
            .values(status=OutboxStatus.SENDING.value, next_attempt_dt=max(now, now_utc()) + lease,
                    attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    return ids


def renew(ids: list[int], now: datetime, lease: timedelta | None = None) -> int:
    """Extend the claim on messages this deliverer still holds ('sending', not yet recorded) to `now + lease`."""
    if not ids:
        return 0
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.SENDING.value)
        .values(next_attempt_dt=now + (lease or claim_lease()))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def hold_all(reason: str) -> int:
    """Without a usable mail server, every waiting message is held (readable on the outbox page) with `reason`."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.HELD.value]))
        .values(status=OutboxStatus.HELD.value, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def stored(message_id: int) -> tuple[bytes, str]:
    """The bytes and recipient of a claimed message, read before sending."""
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    raw = bytes(row.message) if row is not None and row.message else b""
    return raw, row.recipient if row is not None else "?"


def send(message_id: int, raw: bytes, recipient: str, settings: SMTPSettings) -> DeliveryError | None:
    """Hand one stored message to the SMTP server; what went wrong, or None. Call it with no transaction open."""
    error: DeliveryError | None = None
    if not raw:
        error = DeliveryError("The message is empty: it could not be built.", permanent=True)
    else:
        try:
            msg = message_from_bytes(raw, _class=EmailMessage, policy=email_policy.SMTP)
            refused = send_message(msg, settings)
            if refused:
                error = DeliveryError("; ".join(f"{r}: {code} {text}" for r, (code, text) in refused.items()),
                                      permanent=all(code >= 500 for code, _ in refused.values()))
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - whatever smtplib or the parser raises is a temporary failure
            error = DeliveryError(f"unexpected error: {exc!r}", permanent=False)
    if error is None:
        log.info("outbox: sent message %s to %s", message_id, recipient)
    else:
        log.warning("outbox: message %s to %s not sent (%s): %s", message_id, recipient,
                    "permanent" if error.permanent else "temporary", error)
    return error


def record(message_id: int, now: datetime, *, error: DeliveryError | None, report: DeliveryReport) -> None:
    """Write down what sending did: sent, failed for good, or due again after `backoff`."""
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if row is None:  # pragma: no cover - deleted meanwhile
        return
    if error is None:
        row.status, row.sent_dt, row.next_attempt_dt, row.last_error = OutboxStatus.SENT.value, now, None, ""
        report.sent += 1
    elif error.permanent or row.attempts >= MAX_ATTEMPTS:
        row.status, row.next_attempt_dt = OutboxStatus.FAILED.value, None
        prefix = "" if error.permanent else f"Gave up after {row.attempts} attempts. "
        row.last_error = one_line(prefix + str(error), 1000)
        report.failed += 1
    else:
        row.status, row.next_attempt_dt = OutboxStatus.PENDING.value, now + backoff(row.attempts)
        row.last_error = one_line(str(error), 1000)
        report.retrying += 1
    db.session.flush()


def purge_old(keep_days: int, *, now: datetime | None = None) -> int:
    """Delete e-mails sent (or failed for good) more than `keep_days` ago: the outbox is a delivery record, not an
    archive, and its messages carry candidates' details and private links. Waiting and held ones always stay."""
    if keep_days <= 0:
        return 0
    cutoff = (now or now_utc()) - timedelta(days=keep_days)
    result = db.session.execute(
        delete(OutboxMessage).where(or_(
            and_(OutboxMessage.status == OutboxStatus.SENT.value, OutboxMessage.sent_dt < cutoff),
            and_(OutboxMessage.status == OutboxStatus.FAILED.value, OutboxMessage.created_dt < cutoff))))
    return result.rowcount or 0


def retry_message(row: OutboxMessage, *, now: datetime | None = None) -> None:
    """A failed message gets a fresh set of attempts, due now (the scheduler sends it on its next round)."""
    if not row.can_retry:
        raise ValueError("Only a failed message that could be built can be sent again.")
    row.status = (OutboxStatus.PENDING if smtp_configured() else OutboxStatus.HELD).value
    row.attempts, row.next_attempt_dt = 0, now or now_utc()
    db.session.flush()


def parsed(row: OutboxMessage) -> dict[str, Any]:
    """What the outbox page shows of a stored message: headers, the text part, the .ics."""
    if not row.message:
        return {"text": "", "html": "", "ics": "", "headers": []}
    msg = message_from_bytes(bytes(row.message), _class=EmailMessage, policy=email_policy.default)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    calendar = next((p for p in msg.walk() if p.get_content_type() == "text/calendar"), None)
    ics = calendar.get_payload(decode=True).decode("utf-8", "replace") if calendar is not None else ""
    headers = [(name, str(msg[name])) for name in ("From", "Reply-To", "To", "Subject", "Date", "Message-ID")
               if msg[name]]
    return {"text": text.get_content() if text is not None else "", "html": html.get_content() if html else "",
            "ics": ics, "headers": headers}
