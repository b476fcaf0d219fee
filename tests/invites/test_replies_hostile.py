"""Hostile mail to the reply listener: too large, broken MIME, another loop's UID, a forged From, an old SEQUENCE,
a flood of 1,000 replies, broken SMTP commands. Nothing crashes, nothing changes that should not, and the listener
keeps serving."""

from __future__ import annotations

import smtplib
import socket

import pytest
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.invites.models import InboundMessage, Notice
from coordinator.loops.models import LoopEvent
from tests.invites.replies_support import (
    booked_loop,
    listener,  # noqa: F401 - fixture
    reply_email,
    reply_ics,
    send,
    wait_read,
)
from tests.invites.test_replies_clients import answers


def _reply(
    world,
    n: int = 0,
    partstat: str = "ACCEPTED",
    *,
    sender: str | None = None,
    uid: str | None = None,
    sequence: int | None = None,
    client: str = "outlook",
) -> tuple[str, bytes]:
    person = world["people"][n]
    session = world["sessions"][0]
    ics = reply_ics(
        client, uid or world["uids"][0], session.ical_sequence if sequence is None else sequence, person.email, partstat
    )
    frm = sender or person.email
    return frm, reply_email(client, ics, frm)


def _inbound() -> list[InboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def test_a_message_over_the_limit_is_refused_and_the_listener_serves_on(app, listener):  # noqa: F811
    world = booked_loop(interviewers=1)
    port = listener("smtp", max_bytes=2 * 1024 * 1024)
    huge = b"Subject: big\r\nFrom: x@example.org\r\n\r\n" + (b"A" * 76 + b"\r\n") * (10 * 1024 * 1024 // 78)
    (result,) = send(port, "smtp", [("x@example.org", huge)])  # a client that reads SIZE: refused at MAIL FROM
    assert isinstance(result, smtplib.SMTPSenderRefused) and result.smtp_code == 552
    client = smtplib.SMTP("127.0.0.1", port, timeout=60)  # one that ignores SIZE sends all 10 MB: 552 after DATA
    client.ehlo()
    client.esmtp_features.pop("size", None)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail("x@example.org", ["replies@coordinator.test"], huge)
    assert refused.value.smtp_code == 552
    client.quit()
    assert _inbound() == []  # nothing stored
    send(port, "smtp", [_reply(world, partstat="DECLINED")])
    wait_read(1)
    assert answers(world["sessions"][0].id) == {world["people"][0].email: "declined"}


BROKEN = [
    b"\x00\xff\xfe garbage that is no e-mail at all \x00",
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/calendar\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n",  # never closed, broken base64
    b"Content-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n",
    b"Content-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:notadate\r\nATTENDEE;PART",
    b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n' + b"--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n" * 500,
    b"From: =?utf-8?b?broken?= <\r\nContent-Type: text/plain\r\n\r\nno calendar here\r\n",
]


def test_broken_mime_is_refused_with_a_reason_and_changes_nothing(app, listener):  # noqa: F811
    world = booked_loop(interviewers=1)
    port = listener("lmtp")
    results = send(port, "lmtp", [("x@example.org", raw) for raw in BROKEN] + [_reply(world)])
    assert all(r == {} for r in results), results  # stored first, judged later: the MTA is never kept waiting
    wait_read(len(BROKEN) + 1)
    rows = _inbound()
    assert [r.status for r in rows] == ["refused"] * len(BROKEN) + ["applied"]
    assert all(r.outcome for r in rows[:-1])
    assert answers(world["sessions"][0].id) == {world["people"][0].email: "accepted"}


def test_a_reply_for_another_loops_uid_changes_nothing(app, listener):  # noqa: F811
    mine = booked_loop(interviewers=1)
    other = booked_loop(interviewers=1, days_ahead=16)
    port = listener("lmtp")
    # my interviewer answers with the other loop's UID (and its current SEQUENCE)
    frm, raw = _reply(mine, partstat="DECLINED", uid=other["uids"][0], sequence=other["sessions"][0].ical_sequence)
    send(port, "lmtp", [(frm, raw)])
    wait_read(1)
    (row,) = _inbound()
    assert row.status == "ignored" and "not invited" in row.outcome
    assert set(answers(other["sessions"][0].id).values()) == {"needs_action"}
    assert set(answers(mine["sessions"][0].id).values()) == {"needs_action"}
    assert db.session.scalar(select(func.count(Notice.id))) == 0
    ignored = db.session.scalar(select(LoopEvent).where(LoopEvent.action == "reply_ignored"))
    assert ignored.loop_id == other["loop"].id and mine["people"][0].email in ignored.summary


def test_a_forged_from_is_ignored_and_logged(app, listener):  # noqa: F811
    world = booked_loop(interviewers=2)
    port = listener("smtp")
    forged = _reply(world, 0, "DECLINED", sender="mallory@attacker.example")
    # the other interviewer cannot answer for a colleague either
    colleague = _reply(world, 0, "DECLINED", sender=world["people"][1].email)
    send(port, "smtp", [forged, colleague])
    wait_read(2)
    assert [r.status for r in _inbound()] == ["ignored", "ignored"]
    assert set(answers(world["sessions"][0].id).values()) == {"needs_action"}
    history = [e.summary for e in db.session.scalars(select(LoopEvent).where(LoopEvent.action == "reply_ignored"))]
    assert any("mallory@attacker.example" in line for line in history)


def test_a_reply_to_an_old_sequence_is_ignored(app, listener):  # noqa: F811
    from datetime import timedelta

    from coordinator.loops import services as loops

    world = booked_loop(interviewers=1)
    session = world["sessions"][0]
    old = session.ical_sequence
    loops.book(
        world["loop"],
        [loops.Placement(session.id, session.start_dt + timedelta(hours=2), (world["people"][0].id,))],
        world["recruiter"],
        override_reason="test",
    )
    db.session.commit()
    assert session.ical_sequence == old + 1
    port = listener("lmtp")
    send(port, "lmtp", [_reply(world, partstat="DECLINED", sequence=old), _reply(world, uid="session-1-x@elsewhere")])
    wait_read(2)
    rows = _inbound()
    assert [r.status for r in rows] == ["ignored", "ignored"]
    assert "older version" in rows[0].outcome and "not one of this installation's" in rows[1].outcome
    assert answers(session.id) == {world["people"][0].email: "needs_action"}


def test_broken_smtp_commands_do_not_stop_the_listener(app, listener):  # noqa: F811
    world = booked_loop(interviewers=1)
    port = listener("lmtp")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.recv(1024)
        raw.sendall(b"EHLO x\r\nMAIL FROM:<<<>>>\r\n" + b"X" * 5000 + b"\r\nDATA\r\n\xff\xfe\r\nQUIT\r\n")
        raw.recv(4096)
    send(port, "lmtp", [_reply(world, partstat="TENTATIVE")])
    wait_read(1)
    assert answers(world["sessions"][0].id) == {world["people"][0].email: "tentative"}


@pytest.mark.parametrize("protocol", ["lmtp"])
def test_a_flood_of_1000_replies(app, listener, protocol):  # noqa: F811
    """1,000 replies in one connection: answers, forgeries, unknown UIDs and junk. Every one is read and judged,
    the last valid answer of each person wins, nothing else changes, and the listener still answers."""
    world = booked_loop(interviewers=4)
    port = listener(protocol)
    clients = ("outlook", "gmail", "apple", "thunderbird", "attachment")
    messages, last = [], {}
    for n in range(1000):
        who = n % 4
        kind = n % 10
        if kind == 7:
            messages.append(_reply(world, who, "DECLINED", sender="mallory@attacker.example"))
        elif kind == 8:
            messages.append(_reply(world, who, "DECLINED", uid=f"session-{n}-interviewers@elsewhere.example"))
        elif kind == 9:
            messages.append(("junk@example.org", b"Subject: junk\r\n\r\n" + bytes([n % 256]) * 200))
        else:
            partstat = ("ACCEPTED", "TENTATIVE", "ACCEPTED", "ACCEPTED", "TENTATIVE", "ACCEPTED", "ACCEPTED")[kind]
            messages.append(_reply(world, who, partstat, client=clients[n % 5]))
            last[world["people"][who].email] = partstat.lower()
    results = send(port, protocol, messages)
    assert all(r == {} for r in results)
    wait_read(1000, timeout=300)
    counts = dict(db.session.execute(select(InboundMessage.status, func.count()).group_by(InboundMessage.status)).all())
    assert counts == {"applied": 700, "ignored": 200, "refused": 100}
    assert answers(world["sessions"][0].id) == last
    assert db.session.scalar(select(func.count(Notice.id))) == 0  # nobody declined for real
    send(port, protocol, [_reply(world, 0, "DECLINED")])
    wait_read(1001)
    assert answers(world["sessions"][0].id)[world["people"][0].email] == "declined"
