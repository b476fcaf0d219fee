"""The outbox job: deliver what is due, once per scheduler tick."""

from __future__ import annotations

from flask import Flask

from coordinator.invites.services import DeliveryReport, deliver_due


def deliver_outbox(app: Flask) -> DeliveryReport | None:
    """One delivery round; the report when it did something (the scheduler logs it), else None."""
    report = deliver_due()
    return report if (report.claimed or report.held or report.errors) else None


def purge_outbox(app: Flask) -> str | None:
    """The daily clean-up: e-mails sent or failed longer ago than COORDINATOR_OUTBOX_KEEP_DAYS."""
    from coordinator.dblock import write_transaction
    from coordinator.extensions import db
    from coordinator.invites.services import purge_old

    with write_transaction():
        deleted = purge_old(int(app.config.get("OUTBOX_KEEP_DAYS") or 0))
        db.session.commit()
    return f"deleted {deleted} old outbox e-mails" if deleted else None
