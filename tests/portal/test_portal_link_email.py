"""The private link reaches the candidate by e-mail through the outbox: queued with the link in the same transaction,
held while no mail server is configured, delivered by a real SMTP server (aiosmtpd) once one is, and read back with
Python's own e-mail parser (not the code that wrote it)."""

from __future__ import annotations

import re
from email import message_from_bytes
from email import policy as email_policy

from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.invites import jobs as invite_jobs
from coordinator.invites.models import OutboxKind, OutboxMessage, OutboxStatus
from coordinator.portal.models import CandidateLink
from coordinator.timeutil import now_utc
from tests.helpers import text_of
from tests.invites.outbox_support import Recorder, smtp_server, use_smtp  # noqa: F401 - fixture


def _send(client, loop, days: str = "7"):
    response = client.post(f"/loops/{loop.id}/candidate-page/link", data={"days": days})
    url = re.search(r'value="([^"]+/c/[^"]+)"', response.get_data(as_text=True))
    return response, url.group(1) if url else None


def _link_mails() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.CANDIDATE_LINK.value)
                                   .order_by(OutboxMessage.id)))


def test_the_link_is_held_in_the_outbox_while_no_mail_server_is_configured(app, team, make_loop, client_for, anon):
    loop = make_loop()
    recruiter = client_for(team["recruiter"])
    response, url = _send(recruiter, loop)
    assert response.status_code == 200
    page = text_of(response)
    assert "waiting in the outbox" in page and "no mail server is configured" in page
    assert "Write the e-mail in my mail program" in page  # the way to reach the candidate today
    (row,) = _link_mails()
    assert row.status == OutboxStatus.HELD.value and row.loop_id == loop.id
    assert row.recipient == team["candidate"].email and row.recipient_name == team["candidate"].name
    msg = message_from_bytes(bytes(row.message), policy=email_policy.default)
    assert url in msg.get_body(preferencelist=("plain",)).get_content()
    # the recruiter reads it in the outbox, like every other message of the loop
    shown = recruiter.get(f"/outbox/{row.id}")
    assert shown.status_code == 200 and "Candidate's private link" in text_of(shown)
    assert anon.get(url.removeprefix("http://localhost")).status_code == 200


def test_the_link_is_delivered_by_a_real_smtp_server(app, team, make_loop, client_for, anon, smtp_server):  # noqa: F811
    handler = Recorder()
    use_smtp(app, smtp_server(handler))
    loop = make_loop()
    recruiter = client_for(team["recruiter"])
    response, url = _send(recruiter, loop, days="10")
    page = text_of(response)
    assert f"is on its way to {team['candidate'].email}" in page and "Write the e-mail in my mail program" not in page
    (row,) = _link_mails()
    assert row.status == OutboxStatus.PENDING.value

    report = invite_jobs.deliver_due(now_utc())
    assert report.sent == 1
    (mail_from, rcpt, content) = handler.envelopes[-1]
    assert rcpt == [team["candidate"].email]
    msg = message_from_bytes(content, policy=email_policy.default)
    assert msg["Subject"] == "Your second-round interviews for Senior Data Engineer"
    assert msg["To"].addresses[0].addr_spec == team["candidate"].email
    assert msg["From"].addresses[0].display_name == "Rita Recruiter via Coordinator"
    assert msg["Reply-To"].addresses[0].addr_spec == team["recruiter"].email  # replies reach the recruiter
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert text.startswith("Hello Ada,") and url in text and "Please do not forward it." in text
    link = db.session.scalar(select(CandidateLink))
    until = link.expires_dt.astimezone(__import__("zoneinfo").ZoneInfo(team["candidate"].timezone))
    assert f"{until:%A %d %B %Y}" in text  # the expiry day in the candidate's own zone
    assert f'href="{url}"' in html
    db.session.expire_all()
    assert db.session.get(OutboxMessage, row.id).status == OutboxStatus.SENT.value
    # the link in the e-mail opens the candidate's page
    assert anon.get(url.removeprefix("http://localhost")).status_code == 200


def test_a_new_link_sends_a_new_mail_and_the_old_link_stops_working(app, team, make_loop, client_for, anon):
    loop = make_loop()
    recruiter = client_for(team["recruiter"])
    _, first = _send(recruiter, loop)
    _, second = _send(recruiter, loop)
    assert [m.recipient for m in _link_mails()] == [team["candidate"].email] * 2
    assert anon.get(first.removeprefix("http://localhost")).status_code == 404
    assert anon.get(second.removeprefix("http://localhost")).status_code == 200


def test_an_address_that_cannot_carry_mail_is_refused_and_nothing_is_half_made(app, team, make_loop, client_for):
    loop = make_loop()
    candidate = team["candidate"]
    candidate.email = "ada lovelace at example"  # imported from an old system, never validated
    db.session.commit()
    response, url = _send(client_for(team["recruiter"]), loop)
    assert response.status_code == 400 and url is None
    assert "not a usable address" in text_of(response)
    assert db.session.scalar(select(func.count(CandidateLink.id))) == 0  # no link that nobody received
    assert _link_mails() == []


def test_refused_form_sends_nothing(app, team, make_loop, client_for):
    loop = make_loop()
    response, _ = _send(client_for(team["recruiter"]), loop, days="0")
    assert response.status_code == 400
    assert _link_mails() == []
