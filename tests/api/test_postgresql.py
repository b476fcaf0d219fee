"""The database-sensitive parts of the API on SQLite and on PostgreSQL: cursor pages over (updated_dt, id), the
rate-limit and audit writes of every call, Idempotency-Key rows, and the webhook outbox's claim (FOR UPDATE SKIP
LOCKED on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from coordinator.api import jobs as webhook_jobs
from coordinator.api import webhooks
from coordinator.api.models import WebhookDelivery
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.timeutil import local_to_utc
from tests.api.support import bearer, make_key
from tests.helpers import new_org


def test_pages_writes_and_claims(any_db_app):
    org = new_org()
    for _ in range(4):
        loops.create_loop(org["candidate"], org["recruiter"])
    db.session.commit()
    token = make_key(org["admin"])
    client = any_db_app.test_client()
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/loops", query_string={"limit": 3, **({"cursor": cursor} if cursor else {})},
                          headers=bearer(token)).get_json()
        seen += [loop["id"] for loop in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 4
    headers = bearer(token, **{"Idempotency-Key": "pg-1"})
    body = {"candidate_id": org["candidate"].id}
    first = client.post("/api/v1/loops", json=body, headers=headers)
    assert first.status_code == 201
    assert client.post("/api/v1/loops", json=body, headers=headers).get_json() == first.get_json()

    endpoint = webhooks.create_endpoint("http://127.0.0.1:9/none", ["loop.booked"], "", org["admin"]).endpoint
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    session = loops.add_session(loop, loops.SessionData(title="Chat", kind="one_on_one", duration_min=30,
                                                        interviewer_ids=(org["interviewer"].id,)), org["recruiter"])
    start = local_to_utc(datetime.now(UTC).date() + timedelta(days=9), time(11), "Europe/Berlin")
    loops.book(loop, [loops.Placement(session.id, start, (org["interviewer"].id,))], org["recruiter"],
               override_reason="test")
    db.session.commit()
    report = webhook_jobs.deliver_due()
    assert report.claimed == 1 and report.retrying == 1, report
    row = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    assert row.status == "pending" and row.attempts == 1
