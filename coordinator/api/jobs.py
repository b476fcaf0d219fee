"""The webhook outbox job (the scheduler process, every COORDINATOR_WEBHOOK_INTERVAL_SECONDS, or
`flask send-webhooks`): claim due deliveries and commit, send each with no transaction open, record each answer
in a short write transaction of its own (the e-mail outbox's pattern, invites.jobs)."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask

from coordinator.api import webhooks
from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.timeutil import now_utc

log = logging.getLogger(__name__)


@dataclass
class WebhookReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    disabled: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"webhooks: {self.claimed} claimed, {self.delivered} delivered, {self.retrying} retrying, "
                f"{self.failed} failed, {self.disabled} endpoints disabled")


def post(out: webhooks.Outgoing, timeout: float = webhooks.TIMEOUT_SECONDS) -> tuple[int | None, str]:
    """POST one delivery; the receiver's status and the start of its answer (None and the reason when it could
    not be reached). Redirects are not followed: a receiver gives its final address."""
    request = urllib.request.Request(out.url, data=out.body, headers=out.headers, method="POST")  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(webhooks.RESPONSE_KEEP).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(webhooks.RESPONSE_KEEP).decode("utf-8", "replace")
        except Exception:  # noqa: BLE001
            text = ""
        return exc.code, text
    except Exception as exc:  # noqa: BLE001 - unreachable, refused, timed out, TLS: all retried
        return None, f"Could not reach the receiver: {exc}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


def deliver_due(now: datetime | None = None, *, rounds: int = 20) -> WebhookReport:
    """Send what is due. Never raises."""
    report = WebhookReport()
    try:
        db.session.commit()
        for _ in range(max(1, rounds)):
            with write_transaction():
                ids = webhooks.claim(now or now_utc())
                db.session.commit()
            if not ids:
                break
            report.claimed += len(ids)
            for delivery_id in ids:
                with write_transaction():
                    out = webhooks.outgoing(delivery_id, now_utc())
                    db.session.commit()
                if out is None:
                    report.failed += 1
                    continue
                status, text = post(out)
                with write_transaction():
                    result = webhooks.record(delivery_id, now or now_utc(), status, text)
                    db.session.commit()
                setattr(report, result, getattr(report, result, 0) + 1)
            if len(ids) < webhooks.BATCH_SIZE:
                break
    except Exception as exc:  # noqa: BLE001 - the scheduler must keep running whatever happens
        log.exception("webhooks: delivery round failed")
        report.errors.append(repr(exc))
        db.session.rollback()
    return report


def deliver_webhooks(app: Flask) -> WebhookReport | None:
    report = deliver_due()
    return report if (report.claimed or report.errors) else None


def purge_webhooks(app: Flask) -> str | None:
    with write_transaction():
        deleted = webhooks.purge_old()
        db.session.commit()
    return f"deleted {deleted} old webhook deliveries" if deleted else None
