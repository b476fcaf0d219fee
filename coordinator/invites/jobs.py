"""The outbox jobs: deliver what is due (every scheduler tick, or `flask send-outbox`) and the daily clean-up.

The services in `invites.delivery` only add and flush; the transactions end here. Delivery commits its claim before
sending anything and sends with no transaction open (an SMTP server can take its time, and a database lock held
meanwhile would stall every page that writes), then records each result in a short write transaction of its own.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from flask import Flask, current_app

from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.invites import delivery
from coordinator.invites.delivery import BATCH_SIZE, DeliveryReport
from coordinator.invites.email import SMTPSettings
from coordinator.mail import one_line
from coordinator.timeutil import now_utc

log = logging.getLogger(__name__)


def deliver_due(now: datetime | None = None, *, limit: int = BATCH_SIZE, settings: SMTPSettings | None = None,
                rounds: int = 20) -> DeliveryReport:
    """Send the messages that are due, then record what happened to each. Never raises.

    Runs its own short transactions (call it outside one; anything uncommitted is committed first). A permanent
    refusal (5xx, authentication, TLS trust) fails the message at once; a temporary one (4xx, timeout, no
    connection) is retried after `delivery.backoff(attempts)` until MAX_ATTEMPTS. Without an SMTP server
    configured, pending messages become held and stay readable.
    """
    report = DeliveryReport()
    now = now or now_utc()
    try:
        db.session.commit()
        if settings is None:
            try:
                settings = delivery.smtp_settings()
            except ValueError as exc:
                report.held += _hold_all(one_line(f"The mail settings cannot work: {exc}", 1000))
                report.errors.append(str(exc))
                return report
            if settings is None:
                report.held += _hold_all("No mail server is configured (COORDINATOR_SMTP_HOST).")
                return report
        lease = delivery.claim_lease()
        for _ in range(max(1, rounds)):
            with write_transaction():
                ids = delivery.claim(now, limit, lease)
                db.session.commit()
            if not ids:
                break
            report.claimed += len(ids)
            with ClaimKeeper(ids, lease) as keeper:
                for message_id in ids:
                    raw, recipient = delivery.stored(message_id)
                    db.session.commit()  # no transaction stays open while the SMTP server is talked to
                    error = delivery.send(message_id, raw, recipient, settings)
                    with write_transaction():
                        delivery.record(message_id, now, error=error, report=report)
                        db.session.commit()
                    keeper.done(message_id)
            if len(ids) < limit:
                break
    except Exception as exc:  # noqa: BLE001 - the scheduler must keep running whatever happens
        log.exception("outbox: delivery round failed")
        report.errors.append(repr(exc))
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001  # pragma: no cover
            log.exception("outbox: rollback failed")
    return report


class ClaimKeeper:
    """Renews this deliverer's claims from a thread of its own while it sends (every third of the lease), so a
    slow mail server never lets a live deliverer's claim lapse (and another deliverer send the same e-mail
    again), while a deliverer that dies stops renewing and its e-mails are due again within one lease."""

    def __init__(self, ids: list[int], lease: timedelta) -> None:
        self._ids = set(ids)
        self._lease = lease
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._app = current_app._get_current_object()  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._run, name="outbox-claim-keeper", daemon=True)

    def __enter__(self) -> ClaimKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def done(self, message_id: int) -> None:
        """The message's result is recorded: its claim is no longer this deliverer's to renew."""
        with self._lock:
            self._ids.discard(message_id)

    def _run(self) -> None:
        every = max(0.05, self._lease.total_seconds() / 3)
        while not self._stop.wait(every):
            with self._lock:
                ids = sorted(self._ids)
            if not ids:
                continue
            with self._app.app_context():
                try:
                    with write_transaction():
                        delivery.renew(ids, now_utc(), self._lease)
                        db.session.commit()
                except Exception:  # noqa: BLE001 - the next renewal tries again; the lease leaves room for it
                    log.warning("outbox: renewing the claim on %s messages failed", len(ids), exc_info=True)
                    db.session.rollback()
                finally:
                    db.session.remove()


def _hold_all(reason: str) -> int:
    with write_transaction():
        held = delivery.hold_all(reason)
        db.session.commit()
    return held


def deliver_outbox(app: Flask) -> DeliveryReport | None:
    """One delivery round; the report when it did something (the scheduler logs it), else None."""
    report = deliver_due()
    return report if (report.claimed or report.held or report.errors) else None


def purge_outbox(app: Flask) -> str | None:
    """The daily clean-up: e-mails sent or failed longer ago than COORDINATOR_OUTBOX_KEEP_DAYS."""
    with write_transaction():
        deleted = delivery.purge_old(int(app.config.get("OUTBOX_KEEP_DAYS") or 0))
        db.session.commit()
    return f"deleted {deleted} old outbox e-mails" if deleted else None


def read_replies(*, batch: int | None = None, rounds: int = 1000) -> int:
    """Read every stored reply (`invites.replies.process_pending`), one write transaction per batch so a flood
    never holds the write lock long; returns how many were read. Never raises (logs and rolls back)."""
    from coordinator.invites import replies

    size = batch or replies.BATCH
    total = 0
    try:
        for _ in range(rounds):
            read = replies.read_pending(size)  # parsing needs no lock: only applying takes the write lock
            db.session.commit()
            if not read:
                break
            try:
                with write_transaction():
                    outcome = replies.apply_read(read)
                    db.session.commit()
            except Exception:  # noqa: BLE001 - one message broke the batch: apply them one at a time
                log.exception("replies: a batch failed; applying its messages one by one")
                db.session.rollback()
                outcome = _one_by_one(read)
            total += outcome.total
            if len(read) < size:
                break
    except Exception:  # noqa: BLE001 - the listener and the scheduler must keep running
        log.exception("replies: a batch could not be read")
        db.session.rollback()
    return total


def _one_by_one(read):
    """Each message in its own transaction; one that fails alone is refused with the error (not read again)."""
    from coordinator.invites import replies

    outcome = replies.Outcome()
    for item in read:
        try:
            with write_transaction():
                one = replies.apply_read([item])
                db.session.commit()
            outcome.applied, outcome.ignored = outcome.applied + one.applied, outcome.ignored + one.ignored
            outcome.refused += one.refused
        except Exception as exc:  # noqa: BLE001
            db.session.rollback()
            log.exception("replies: message %s could not be applied", item[0])
            with write_transaction():
                replies.refuse(item[0], f"could not be applied: {type(exc).__name__}")
                db.session.commit()
            outcome.refused += 1
    return outcome


def send_notices(app: Flask | None = None) -> str | None:
    """E-mail recruiters what candidates did (batched per candidate: `invites.notices.send_due`)."""
    from coordinator.invites import notices

    with write_transaction():
        sent = notices.send_due()
        db.session.commit()
    return f"{sent} notice e-mails queued" if sent else None


def replies_job(app: Flask) -> str | None:
    """The scheduler's fallback: replies stored while the listener's reader was not running."""
    read = read_replies()
    return f"read {read} replies" if read else None
