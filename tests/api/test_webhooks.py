"""Webhooks to a real HTTP receiver on a loopback port (http.server in a thread): registered by an admin, queued by
the loop change in its own transaction, sent by the scheduler's job, signed (HMAC-SHA256 over timestamp and body,
verified as the README shows), retried with back-off, once per event id, and a 410 switches the endpoint off."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from coordinator.api import jobs as webhook_jobs
from coordinator.api import webhooks
from coordinator.api.models import WebhookDelivery, WebhookEndpoint
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.loops.changes import Change
from coordinator.timeutil import local_to_utc
from tests.helpers import text_of


class Receiver:
    """An ATS's webhook receiver: answers each request with the next status of `answers` (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                reply = f"answer {status}".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/coordinator"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def readme_verify(secret: str, header: str, body: bytes, now: int) -> bool:
    """The verification snippet of the README, word for word in substance."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    if abs(now - int(parts["t"])) > 300:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def _register(client, url: str, events: list[str]) -> str:
    page = client.post("/settings/api/webhooks/new", data={"url": url, "events": events, "description": "ATS"})
    assert page.status_code == 200, text_of(page)
    return re.search(r'value="(whsec_[^"]+)"', page.get_data(as_text=True)).group(1)


def _book(org):
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    session = loops.add_session(loop, loops.SessionData(title="Chat", kind="one_on_one", duration_min=30,
                                                        interviewer_ids=(org["interviewer"].id,)), org["recruiter"])
    day = datetime.now(UTC).date() + timedelta(days=9)
    start = local_to_utc(day, time(11), "Europe/Berlin")
    change = loops.book(loop, [loops.Placement(session.id, start, (org["interviewer"].id,))], org["recruiter"],
                        override_reason="test")
    db.session.commit()
    return loop, change


def test_a_booking_is_delivered_signed_retried_and_once(app, org, client_for, receiver, clock):
    secret = _register(client_for(org["admin"]), receiver.url, ["loop.booked", "loop.cancelled"])
    loop, change = _book(org)
    receiver.answers = [500]
    first = webhook_jobs.deliver_due()
    assert (first.claimed, first.retrying) == (1, 1)
    row = db.session.scalar(select(WebhookDelivery))
    assert row.status == "pending" and row.last_status == 500 and row.last_response == "answer 500"
    assert webhook_jobs.deliver_due().claimed == 0  # not due before its back-off
    clock.advance(minutes=2)
    second = webhook_jobs.deliver_due()
    assert second.delivered == 1
    assert len(receiver.requests) == 2
    sent = receiver.requests[-1]
    body = sent["body"]
    event = json.loads(body)
    assert event["type"] == "loop.booked" and event["data"]["loop_id"] == loop.id
    assert sent["headers"]["Coordinator-Event-Id"] == event["id"] == receiver.requests[0]["headers"][
        "Coordinator-Event-Id"]
    signature = sent["headers"]["Coordinator-Signature"]
    now = int(clock.now.timestamp())
    assert readme_verify(secret, signature, body, now) and webhooks.verify(secret, signature, body, now=now)
    assert not readme_verify(secret, signature, body + b" ", now)
    assert not readme_verify("whsec_other", signature, body, now)
    # exactly once per event id: the same change announced again queues nothing, and nothing is due
    webhooks.after_loop_change(Change(loop_id=loop.id, booked=change.booked))
    db.session.commit()
    assert db.session.query(WebhookDelivery).count() == 1
    assert webhook_jobs.deliver_due().claimed == 0 and len(receiver.requests) == 2
    # the deliveries page shows the receiver's answers
    endpoint = db.session.scalar(select(WebhookEndpoint))
    page = text_of(client_for(org["admin"]).get(f"/settings/api/webhooks/{endpoint.id}"))
    assert "loop.booked" in page and "Delivered" in page and "HTTP 200" in page
    # cancelling is another event
    loops.cancel_loop(loop, org["recruiter"], "Withdrew")
    db.session.commit()
    assert webhook_jobs.deliver_due().delivered == 1
    assert json.loads(receiver.requests[-1]["body"])["type"] == "loop.cancelled"


def test_retries_stop_after_a_day(app, org, client_for, receiver, clock):
    _register(client_for(org["admin"]), receiver.url, ["loop.booked"])
    _book(org)
    receiver.answers = [503] * 100
    attempts = 0
    for _ in range(60):
        report = webhook_jobs.deliver_due()
        attempts += report.claimed
        row = db.session.scalar(select(WebhookDelivery))
        if row.status == "failed":
            break
        clock.advance(hours=1, minutes=1)
    assert row.status == "failed" and "Gave up" in row.last_response
    assert 5 < attempts < 40 and row.next_attempt_dt is None


def test_a_410_switches_the_endpoint_off(app, org, client_for, receiver):
    _register(client_for(org["admin"]), receiver.url, ["loop.booked", "loop.cancelled"])
    loop, _ = _book(org)
    receiver.answers = [410]
    assert webhook_jobs.deliver_due().disabled == 1
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert not endpoint.is_enabled and "410" in endpoint.disabled_reason
    loops.cancel_loop(loop, org["recruiter"], "Withdrew")
    db.session.commit()
    assert db.session.query(WebhookDelivery).count() == 1  # nothing new for a switched-off endpoint
    assert webhook_jobs.deliver_due().claimed == 0 and len(receiver.requests) == 1


def test_an_unreachable_receiver_is_retried(app, org, client_for):
    _register(client_for(org["admin"]), "http://127.0.0.1:9/nothing", ["loop.booked"])
    _book(org)
    report = webhook_jobs.deliver_due()
    row = db.session.scalar(select(WebhookDelivery))
    assert report.retrying == 1 and row.last_status is None and "Could not reach" in row.last_response


def test_scorecards_and_decisions_are_events_once_each(app, org, client_for, receiver):
    from coordinator.loops.changes import progressed
    from coordinator.scorecards.models import LoopDecision, Scorecard
    from coordinator.timeutil import now_utc

    _register(client_for(org["admin"]), receiver.url, ["scorecard.submitted", "decision.recorded"])
    loop, _ = _book(org)
    now = now_utc()
    card = Scorecard(loop_id=loop.id, session_id=loop.sessions[0].id, interviewer_id=org["interviewer"].id,
                     status="submitted", recommendation="hire", revision=1, created_dt=now, updated_dt=now,
                     submitted_dt=now)
    db.session.add(card)
    db.session.flush()
    progressed(loop.id)
    db.session.add(LoopDecision(loop_id=loop.id, outcome="hire", rationale="Strong", decided_dt=now))
    db.session.flush()
    progressed(loop.id)
    db.session.commit()
    assert webhook_jobs.deliver_due().delivered == 2
    types = [json.loads(r["body"])["type"] for r in receiver.requests]
    assert types == ["scorecard.submitted", "decision.recorded"]
    assert json.loads(receiver.requests[0]["body"])["data"]["scorecard_id"] == card.id


def test_the_candidate_booking_their_own_times_is_its_own_event(app, org, client_for, receiver):
    """The candidate's page books as loops.book(actor=None, actor_label="Candidate") does here."""
    _register(client_for(org["admin"]), receiver.url, ["candidate.self_booked", "loop.booked"])
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    session = loops.add_session(loop, loops.SessionData(title="Chat", kind="one_on_one", duration_min=30,
                                                        interviewer_ids=(org["interviewer"].id,)), org["recruiter"])
    start = local_to_utc(datetime.now(UTC).date() + timedelta(days=9), time(11), "Europe/Berlin")
    loops.book(loop, [loops.Placement(session.id, start, (org["interviewer"].id,))], None, "test",
               actor_label="Candidate")
    db.session.commit()
    assert webhook_jobs.deliver_due().delivered == 2
    assert sorted(json.loads(r["body"])["type"] for r in receiver.requests) == ["candidate.self_booked",
                                                                                 "loop.booked"]
