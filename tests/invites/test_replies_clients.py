"""Answers from Outlook, Gmail, Apple Calendar and Thunderbird reach the listener over real LMTP and SMTP and
show on the session: accepted, tentative, declined; a decline brings the recruiter its fix; COUNTER a proposal."""

from __future__ import annotations

import icalendar
import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.invites import delivery
from coordinator.invites.models import (
    InboundMessage,
    Notice,
    OutboxKind,
    OutboxMessage,
    Proposal,
)
from coordinator.loops.models import LoopEvent, SessionInterviewer
from tests.invites.replies_support import (
    CLIENTS,
    REPLY_ADDRESS,
    booked_loop,
    listener,  # noqa: F401 - fixture
    reply_email,
    reply_ics,
    send,
    wait_read,
)


def answers(session_id: int) -> dict[str, str]:
    db.session.expire_all()
    seats = db.session.scalars(select(SessionInterviewer).where(SessionInterviewer.session_id == session_id))
    return {s.user.email: s.answer for s in seats}


def test_invites_name_the_reply_address_as_organizer_sent_by_the_recruiter(app):
    app.config["REPLY_ADDRESS"] = REPLY_ADDRESS
    world = booked_loop()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.INTERVIEWER_INVITE.value))
    event = next(iter(icalendar.Calendar.from_ical(delivery.parsed(row)["ics"]).walk("VEVENT")))
    organizer = event["ORGANIZER"]
    assert str(organizer) == f"mailto:{REPLY_ADDRESS}"
    assert organizer.params["SENT-BY"] == f"mailto:{world['recruiter'].email}"
    assert organizer.params["CN"] == world["recruiter"].name
    # people who reply to the e-mail itself still reach the recruiter
    assert world["recruiter"].email in dict(delivery.parsed(row)["headers"])["Reply-To"]


@pytest.mark.parametrize("protocol", ["lmtp", "smtp"])
def test_each_client_answer_is_recorded(app, listener, protocol):  # noqa: F811
    world = booked_loop(interviewers=len(CLIENTS))
    port = listener(protocol)
    session, uid = world["sessions"][0], world["uids"][0]
    partstats = ["ACCEPTED", "TENTATIVE", "DECLINED", "ACCEPTED", "TENTATIVE"]
    messages = []
    for client, person, partstat in zip(CLIENTS, world["people"], partstats, strict=True):
        ics = reply_ics(client, uid, session.ical_sequence, person.email, partstat, name=person.name)
        messages.append((person.email, reply_email(client, ics, person.email, name=person.name)))
    results = send(port, protocol, messages)
    assert all(r == {} for r in results), results
    wait_read(len(messages))
    got = answers(session.id)
    assert [got[p.email] for p in world["people"]] == ["accepted", "tentative", "declined", "accepted", "tentative"]
    history = [e.summary for e in db.session.scalars(select(LoopEvent).where(LoopEvent.loop_id == world["loop"].id))]
    assert any(f"{world['people'][2].name} declined 'Session 1'" in line for line in history)
    assert all(m.status == "applied" and m.raw == b"" for m in db.session.scalars(select(InboundMessage)))


def test_a_decline_arrives_with_its_fix(app, listener):  # noqa: F811
    world = booked_loop(interviewers=1)
    port = listener("lmtp")
    person, session = world["people"][0], world["sessions"][0]
    ics = reply_ics("outlook", world["uids"][0], session.ical_sequence, person.email, "DECLINED")
    send(port, "lmtp", [(person.email, reply_email("outlook", ics, person.email))])
    wait_read(1)
    notice = db.session.scalar(select(Notice))
    assert notice.kind == "declined" and notice.user_id == person.id
    assert world["spare"].name in notice.options  # the free colleague is offered
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.RECRUITER_NOTICE.value))
    assert mail.recipient == world["recruiter"].email
    text = delivery.parsed(mail)["text"]
    assert world["spare"].name in text
    assert f"/loops/{world['loop'].id}/sessions/{session.id}/replace/{person.id}" in text
    assert any("E-mailed" in e.summary for e in db.session.scalars(select(LoopEvent)))


def test_a_counter_becomes_a_proposal(app, listener):  # noqa: F811
    from datetime import timedelta

    world = booked_loop(interviewers=1)
    port = listener("smtp")
    person, session = world["people"][0], world["sessions"][0]
    start = session.start_dt + timedelta(days=1)
    ics = reply_ics(
        "gmail",
        world["uids"][0],
        session.ical_sequence,
        person.email,
        "TENTATIVE",
        method="COUNTER",
        start=start,
        end=start + timedelta(minutes=45),
        comment="I am travelling that day",
    )
    send(port, "smtp", [(person.email, reply_email("gmail", ics, person.email, method="COUNTER"))])
    wait_read(1)
    proposal = db.session.scalar(select(Proposal))
    assert proposal.start_dt == start and proposal.status == "open"
    assert proposal.comment == "I am travelling that day"
    assert db.session.scalar(select(Notice)).kind == "proposal"


def test_the_candidates_answer_is_recorded(app, listener):  # noqa: F811
    from coordinator.invites.models import CandidateInviteEvent

    world = booked_loop(interviewers=1)
    port = listener("lmtp")
    event = db.session.scalar(select(CandidateInviteEvent))
    email = world["candidate"].email
    ics = reply_ics("apple", event.uid, event.sequence, email, "DECLINED")
    send(port, "lmtp", [(email, reply_email("apple", ics, email))])
    wait_read(1)
    db.session.expire_all()
    assert db.session.get(CandidateInviteEvent, event.id).answer == "declined"
    notice = db.session.scalar(select(Notice))
    assert notice.kind == "candidate_answer" and "declined" in notice.summary
