"""The outbox job: deliver what is due, once per scheduler tick."""

from __future__ import annotations

from flask import Flask

from coordinator.invites.services import DeliveryReport, deliver_due


def deliver_outbox(app: Flask) -> DeliveryReport | None:
    """One delivery round; the report when it did something (the scheduler logs it), else None."""
    report = deliver_due()
    return report if (report.claimed or report.held or report.errors) else None
