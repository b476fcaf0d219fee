"""Delivery claims are exactly-once: two deliverers working the same outbox at the same time (threads, each with
its own database connection) never send a message twice, on PostgreSQL (FOR UPDATE SKIP LOCKED) and on SQLite
(the claim holds the write lock). A claim whose deliverer died is taken over after its lease."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage

import pytest
from sqlalchemy import select, update

from coordinator.extensions import db
from coordinator.invites import delivery
from coordinator.invites import jobs as invite_jobs
from coordinator.invites.models import OutboxMessage
from coordinator.timeutil import now_utc
from tests.invites.outbox_support import Recorder, smtp_server, use_smtp  # noqa: F401 - fixture

MESSAGES = 60


def _queue(count: int, now) -> None:
    for n in range(count):
        msg = EmailMessage()
        msg["From"] = "invites@coordinator.test"
        msg["To"] = f"person{n}@corp.example"
        msg["Subject"] = f"Message {n}"
        msg["Message-ID"] = f"<m{n}@coordinator.test>"
        msg.set_content(f"Hello {n}")
        db.session.add(OutboxMessage(kind="interviewer_invite", recipient=f"person{n}@corp.example",
                                     subject=f"Message {n}", message=msg.as_bytes(), status="pending",
                                     next_attempt_dt=now, created_dt=now))
    db.session.commit()


def test_two_deliverers_send_every_message_exactly_once(any_db_app, smtp_server):  # noqa: F811
    app = any_db_app
    handler = Recorder(stall=0.002)  # a little latency, so the deliverers overlap
    use_smtp(app, smtp_server(handler))
    now = now_utc()
    _queue(MESSAGES, now)
    start = threading.Barrier(2)
    reports, errors = [], []

    def deliverer() -> None:
        try:
            with app.app_context():
                start.wait()
                while True:  # small rounds, so the two keep meeting at the claim
                    report = invite_jobs.deliver_due(now, limit=3, rounds=1)
                    reports.append(report)
                    if not report.claimed:
                        break
                db.session.remove()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    sent_ids = Counter(message_from_bytes(content)["Message-ID"] for _, _, content in handler.envelopes)
    assert len(handler.envelopes) == MESSAGES
    assert all(count == 1 for count in sent_ids.values()) and len(sent_ids) == MESSAGES
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert all(r.status == "sent" and r.attempts == 1 for r in rows)
    assert sum(r.sent for r in reports) == MESSAGES
    assert all(r.claimed for r in reports[:2])  # both deliverers really took part
    busy = [r for r in reports if r.claimed]
    assert len(busy) >= MESSAGES // 3


def test_a_claim_of_a_deliverer_that_died_is_taken_over_after_the_lease(any_db_app, smtp_server):  # noqa: F811
    app = any_db_app
    handler = Recorder()
    use_smtp(app, smtp_server(handler))
    now = now_utc()
    _queue(2, now)
    # a deliverer claims both, then dies before sending
    db.session.execute(update(OutboxMessage).values(status="sending", attempts=1,
                                                    next_attempt_dt=now + delivery.CLAIM_LEASE))
    db.session.commit()
    # still someone else's until the lease ends (a live deliverer renews it while it sends)
    assert invite_jobs.deliver_due(now + delivery.CLAIM_LEASE - timedelta(seconds=1)).claimed == 0
    report = invite_jobs.deliver_due(now + delivery.CLAIM_LEASE + timedelta(seconds=1))
    assert report.sent == 2 and len(handler.envelopes) == 2
    assert [r.attempts for r in db.session.scalars(select(OutboxMessage))] == [2, 2]


@pytest.mark.parametrize("limit", [1, 7])
def test_one_round_sends_everything_due_in_batches(app, smtp_server, limit):  # noqa: F811
    handler = Recorder()
    use_smtp(app, smtp_server(handler))
    now = now_utc()
    _queue(10, now)
    report = invite_jobs.deliver_due(now, limit=limit, rounds=100)
    assert report.sent == 10 and report.claimed == 10 and len(handler.envelopes) == 10
