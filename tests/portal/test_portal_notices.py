"""The recruiter hears from the candidate's page: marking availability, booking or moving the loop, a thank-you
note each become a "Needs action" entry, and one e-mail to the recruiter through the outbox, batched: at most one
per candidate per 15 minutes, listing everything since the last."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.invites import delivery
from coordinator.invites.jobs import send_notices
from coordinator.invites.models import Notice, OutboxMessage
from coordinator.loops.models import LoopEvent
from tests.helpers import text_of
from tests.portal.test_portal_availability import slots


def notice_mails() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "recruiter_notice").order_by(OutboxMessage.id)
        )
    )


def kinds() -> list[str]:
    return [n.kind for n in db.session.scalars(select(Notice).order_by(Notice.id))]


def test_candidate_actions_are_entries_and_one_batched_email_per_15_minutes(
    app, team, make_loop, link_for, anon, client_for, clock
):
    loop = make_loop()
    token = link_for(loop, allow_self_booking=True)
    monday = loop.window_first_day
    response = anon.post(
        f"/c/{token}/availability", data={"tz": "Europe/London", "slot": slots(monday, "09:00", "17:00")}
    )
    assert response.status_code == 302
    assert kinds() == ["availability"]
    assert send_notices() is not None  # the first one goes out at the next run
    (first,) = notice_mails()
    assert first.recipient == team["recruiter"].email
    assert "Availability marked" in delivery.parsed(first)["text"]

    clock.advance(minutes=2)
    page = anon.get(f"/c/{token}/book")
    option = unescape(re.findall(r'name="option" value="([^"]+)"', page.get_data(as_text=True))[0])
    assert anon.post(f"/c/{token}/book", data={"option": option}).status_code == 302
    clock.advance(minutes=3)
    wider = slots(monday, "09:00", "17:00") + slots(monday + timedelta(days=1), "09:00", "17:00")
    assert anon.post(f"/c/{token}/availability", data={"tz": "Europe/London", "slot": wider}).status_code == 302
    assert kinds() == ["availability", "self_booked", "availability"]
    send_notices()
    assert len(notice_mails()) == 1  # the last e-mail went out 5 minutes ago: these two wait

    recruiter = client_for(team["recruiter"])
    board = text_of(recruiter.get("/dashboard"))
    assert "Loop booked by the candidate" in board and "Availability marked" in board

    clock.advance(minutes=11)  # 16 minutes after the first e-mail
    send_notices()
    mails = notice_mails()
    assert len(mails) == 2
    text = delivery.parsed(mails[1])["text"]
    assert "Loop booked by the candidate" in text and "marked 16 hours" in text
    assert "2 updates" in mails[1].subject
    sent = [e.summary for e in db.session.scalars(select(LoopEvent).where(LoopEvent.action == "notice_sent"))]
    assert len(sent) == 2  # every e-mail out is in the loop's history

    # the candidate moves the loop (up to 24 hours before): an entry and, more than 15 minutes on, an e-mail
    start = min(s.start_dt for s in db.session.get(type(loop), loop.id).sessions)
    clock.set(start - timedelta(hours=25))
    page = anon.get(f"/c/{token}/book")
    options = re.findall(r'name="option" value="([^"]+)"', page.get_data(as_text=True))
    assert anon.post(f"/c/{token}/book", data={"option": unescape(options[0])}).status_code == 302
    assert kinds()[-1] == "moved"
    send_notices()
    assert len(notice_mails()) == 3
    assert "Loop moved by the candidate" in delivery.parsed(notice_mails()[-1])["text"]

    # after the loop, a thank-you note: an entry, and an e-mail at the next run (more than 15 minutes later)
    clock.set(max(s.end_dt for s in db.session.get(type(loop), loop.id).sessions) + timedelta(hours=1))
    response = anon.post(f"/c/{token}/notes", data={"to_user_id": team["jonas"].id, "body": "Thank you!"})
    assert response.status_code == 302
    assert kinds()[-1] == "thank_you"
    send_notices()
    assert len(notice_mails()) == 4
    assert "Thank-you note" in delivery.parsed(notice_mails()[-1])["text"]


def test_marking_an_entry_done_takes_it_off_needs_action(app, team, make_loop, link_for, anon, client_for):
    loop = make_loop()
    token = link_for(loop)
    anon.post(
        f"/c/{token}/availability", data={"tz": "Europe/London", "slot": slots(loop.window_first_day, "09:00", "12:00")}
    )
    notice = db.session.scalar(select(Notice))
    recruiter = client_for(team["recruiter"])
    assert "Availability marked" in text_of(recruiter.get("/dashboard"))
    response = recruiter.post(f"/loops/{loop.id}/notices/{notice.id}/done", data={"next_page": "dashboard"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert "Availability marked" not in text_of(recruiter.get("/dashboard"))
    # an interviewer on the loop cannot
    other = client_for(team["jonas"])
    assert other.post(f"/loops/{loop.id}/notices/{notice.id}/done").status_code in (403, 404)
