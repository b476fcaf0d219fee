"""Invites of a loop, delivered through a real SMTP server (aiosmtpd on 127.0.0.1) by `deliver_due`, and read back
with two independent parsers (icalendar and vobject): booking, rescheduling, cancelling, replacing, and the
candidate's events grouped per block or per day. Then refusals, temporary failures and timeouts."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.invites import delivery
from coordinator.invites import jobs as invite_jobs
from coordinator.invites import services as invites
from coordinator.invites.models import CandidateInviteEvent, OutboxMessage
from coordinator.loops.models import Loop
from coordinator.timeutil import now_utc
from tests.helpers import text_of
from tests.invites.outbox_support import (
    Recorder,
    add_session,
    at,
    new_loop,
    next_weekday,
    outbox,
    place,
    smtp_server,  # noqa: F401 - fixture
    use_smtp,
)

BERLIN = "Europe/Berlin"


@pytest.fixture
def team(org, make_user):
    jonas = make_user(Role.INTERVIEWER, name="Jonas Weber", email="jonas@corp.example", timezone=BERLIN,
                      job_title="Staff Engineer")
    priya = make_user(Role.INTERVIEWER, name="Priya Nair", email="priya@corp.example", timezone="Asia/Kolkata",
                      job_title="Senior Backend Engineer")
    emily = make_user(Role.INTERVIEWER, name="Emily Johnson", email="emily@corp.example",
                      timezone="America/New_York", job_title="Engineering Manager")
    return {**org, "jonas": jonas, "priya": priya, "emily": emily}


@pytest.fixture
def recruiter(team, client_for):
    return client_for(team["recruiter"])


@pytest.fixture
def mail(app, smtp_server):  # noqa: F811
    """A recording SMTP server the app is configured to use."""
    handler = Recorder()
    use_smtp(app, smtp_server(handler))
    return handler


def deliver(handler: Recorder, now=None):
    """Deliver what is due and return the e-mails that arrived in this round, parsed."""
    before = len(handler.envelopes)
    report = invite_jobs.deliver_due(now or now_utc())
    arrived = handler.messages()[before:]
    assert report.sent == len(arrived), report
    return arrived


def by_to(arrived) -> dict:
    out = {}
    for a in arrived:
        assert a.to not in out, f"two messages to {a.to}"
        out[a.to] = a
    return out


def both_parsers_agree(a) -> None:
    """icalendar and vobject read the same UIDs, times, SEQUENCE, status and attendees."""
    assert set(a.events) == set(a.vevents)
    for uid, ev in a.events.items():
        other = a.vevents[uid]
        for key in ("start", "end", "sequence", "status", "attendees"):
            assert ev[key] == other[key], (uid, key, ev[key], other[key])


@pytest.fixture
def booked(app, team, recruiter, mail):
    """A loop of two sessions booked by hand: 10:00 one-on-one with the manager, 11:00 panel with Jonas and Priya
    (Berlin time), and the e-mails that arrived for it."""
    loop_url = new_loop(recruiter, team["candidate"])
    hm = add_session(recruiter, loop_url, title="Hiring manager", interviewer_ids=[str(team["manager"].id)])
    panel = add_session(recruiter, loop_url, title="System design", kind="panel", duration_min="60",
                        interviewer_ids=[str(team["jonas"].id), str(team["priya"].id)],
                        video_url="https://video.corp.example/ada")
    day = next_weekday(1)
    place(recruiter, loop_url, hm, at(day, 10), [team["manager"].id], BERLIN)
    place(recruiter, loop_url, panel, at(day, 11), [team["jonas"].id, team["priya"].id], BERLIN)
    arrived = deliver(mail)
    return {"url": loop_url, "hm": hm, "panel": panel, "day": day, "arrived": arrived, **team}


def test_booking_sends_one_request_per_session_and_person_and_the_candidates(app, booked):
    t = booked
    mails = booked["arrived"]
    assert len(mails) == 5  # manager; Jonas, Priya; the candidate twice (one event per session)
    for a in mails:
        assert a.method == "REQUEST"
        both_parsers_agree(a)
        assert a.msg["From"].addresses[0].addr_spec == "invites@coordinator.test"
        assert a.msg["From"].addresses[0].display_name == "Rita Recruiter via Coordinator"
        assert a.msg["Reply-To"].addresses[0].addr_spec == t["recruiter"].email
        assert a.msg["Message-ID"] and a.msg["Date"]
        attachment = next(p for p in a.msg.walk() if p.get_filename())
        assert attachment.get_filename() == "invite.ics" and attachment.get_payload(decode=True) == a.ics

    panel_uid = invites.session_uid(t["panel"].id)
    jonas = next(a for a in mails if a.to == "jonas@corp.example")
    assert jonas.uid == panel_uid and jonas.event["sequence"] == 0 and jonas.event["status"] == "CONFIRMED"
    assert jonas.event["start"] == at(t["day"], 11) and jonas.event["end"] == at(t["day"], 12)
    assert jonas.event["attendees"] == {"jonas@corp.example", "priya@corp.example"}
    assert jonas.subject.startswith("Invitation: Interview with Ada Lovelace — System design")
    assert "your time zone, Europe/Berlin" in jonas.text
    assert "Loop page: http://localhost/loops/" in jonas.text
    kit = f"Your interview kit: http://localhost/loops/{t['panel'].loop_id}/sessions/{t['panel'].id}/kits/{t['jonas'].id}"
    assert kit in jonas.text and kit.split(": ")[1] in jonas.html  # the kits feature's page for him
    assert kit.split(": ")[1] in jonas.event["description"].replace("\n", "")
    priya = next(a for a in mails if a.to == "priya@corp.example")
    assert priya.uid == panel_uid
    assert "IST" in priya.subject and "Asia/Kolkata" in priya.text  # her own zone, named

    to_candidate = [a for a in mails if a.to == t["candidate"].email]
    assert len(to_candidate) == 2
    first = to_candidate[0]
    assert first.event["attendees"] == {t["candidate"].email}
    assert first.subject.startswith("Your interview for Senior Data Engineer")
    assert "Europe/London" in first.text and ("GMT" in first.text or "BST" in first.text)
    for a in to_candidate:
        raw = a.msg.as_bytes()
        for secret in (b"jonas@corp.example", b"priya@corp.example", t["manager"].email.encode(), b"kit",
                       b"Kafka pipelines", b"On-call"):
            assert secret not in raw, secret
    second = to_candidate[1]
    assert "Jonas Weber (Staff Engineer)" in second.text and "Priya Nair (Senior Backend Engineer)" in second.text
    assert "https://video.corp.example/ada" in second.text


def test_reschedule_sends_an_update_with_the_same_uid_and_a_higher_sequence(app, booked, recruiter, mail):
    t = booked
    place(recruiter, t["url"], t["panel"], at(t["day"], 14), [t["jonas"].id, t["priya"].id], BERLIN)
    mails = by_to(deliver(mail))
    assert set(mails) == {"jonas@corp.example", "priya@corp.example", t["candidate"].email}
    for address in ("jonas@corp.example", "priya@corp.example"):
        a = mails[address]
        both_parsers_agree(a)
        assert a.method == "REQUEST" and a.uid == invites.session_uid(t["panel"].id)
        assert a.event["sequence"] == 1 and a.event["start"] == at(t["day"], 14)
        assert a.subject.startswith("Updated: ")
    candidate = mails[t["candidate"].email]
    both_parsers_agree(candidate)
    assert candidate.uid == invites.session_candidate_uid(t["panel"].id)
    assert candidate.event["sequence"] == 1 and candidate.event["start"] == at(t["day"], 14)
    assert candidate.subject.startswith("Updated: your interview for")


def test_cancelling_a_session_sends_cancel_with_status_cancelled(app, booked, recruiter, mail):
    t = booked
    response = recruiter.post(f"{t['url']}/sessions/{t['hm'].id}/cancel", data={"reason": "Manager is ill"})
    assert response.status_code == 302
    mails = by_to(deliver(mail))
    assert set(mails) == {t["manager"].email, t["candidate"].email}
    for a in mails.values():
        both_parsers_agree(a)
        assert a.method == "CANCEL" and a.event["status"] == "CANCELLED" and a.event["sequence"] == 1
        assert a.subject.startswith("Cancelled")
        assert a.event["start"] == at(t["day"], 10)
        attachment = next(p for p in a.msg.walk() if p.get_filename())
        assert attachment.get_filename() == "cancellation.ics"
    assert mails[t["manager"].email].uid == invites.session_uid(t["hm"].id)
    assert mails[t["candidate"].email].uid == invites.session_candidate_uid(t["hm"].id)


def test_cancelling_the_loop_cancels_everything_for_everyone(app, booked, recruiter, mail):
    t = booked
    assert recruiter.post(t["url"] + "/cancel", data={"reason": "Candidate withdrew"}).status_code == 302
    arrived = deliver(mail)
    assert {a.method for a in arrived} == {"CANCEL"}
    assert sorted(a.to for a in arrived) == sorted([t["manager"].email, "jonas@corp.example", "priya@corp.example",
                                                    t["candidate"].email, t["candidate"].email])
    assert all(a.event["status"] == "CANCELLED" for a in arrived)


def test_replacing_cancels_only_for_the_removed_person_and_invites_the_new_one(app, booked, recruiter, mail):
    t = booked
    response = recruiter.post(f"{t['url']}/sessions/{t['panel'].id}/replace/{t['priya'].id}",
                              data={"joining_id": t["emily"].id, "reason": "Emily offered to start early"})
    assert response.status_code == 302, text_of(response)
    mails = by_to(deliver(mail))
    assert set(mails) == {"priya@corp.example", "emily@corp.example", "jonas@corp.example", t["candidate"].email}
    uid = invites.session_uid(t["panel"].id)

    removed = mails["priya@corp.example"]
    both_parsers_agree(removed)
    assert removed.method == "CANCEL" and removed.uid == uid and removed.event["sequence"] == 1
    assert removed.event["attendees"] == {"priya@corp.example"}  # only her: the event stays for the others
    assert removed.event["status"] is None
    assert removed.subject.startswith("No longer needed: ")

    joining = mails["emily@corp.example"]
    assert joining.method == "REQUEST" and joining.uid == uid and joining.event["sequence"] == 1
    assert joining.event["attendees"] == {"jonas@corp.example", "emily@corp.example"}
    assert joining.subject.startswith("Invitation: ") and ("EDT" in joining.subject or "EST" in joining.subject)
    staying = mails["jonas@corp.example"]
    assert staying.method == "REQUEST" and staying.subject.startswith("Updated: ")
    assert staying.event["attendees"] == {"jonas@corp.example", "emily@corp.example"}

    candidate = mails[t["candidate"].email]  # the names they will meet changed
    assert candidate.method == "REQUEST" and "Emily Johnson (Engineering Manager)" in candidate.text
    assert "Priya" not in candidate.text and "emily@corp.example" not in candidate.msg.as_string()


def _set_grouping(grouping: str) -> None:
    loop = db.session.scalar(select(Loop))
    loop.candidate_grouping = grouping
    db.session.commit()


def test_candidate_blocks_follow_the_sessions(app, team, recruiter, mail):
    """Per block: back-to-back sessions are one event; when a session moves away the block changes shape, a new
    block appears, and an event that no longer exists is cancelled."""
    loop_url = new_loop(recruiter, team["candidate"])
    _set_grouping("block")
    one = add_session(recruiter, loop_url, title="One", interviewer_ids=[str(team["jonas"].id)])
    two = add_session(recruiter, loop_url, title="Two", interviewer_ids=[str(team["priya"].id)])
    three = add_session(recruiter, loop_url, title="Three", interviewer_ids=[str(team["manager"].id)])
    day = next_weekday(2)
    cand = team["candidate"].email
    place(recruiter, loop_url, one, at(day, 10), [team["jonas"].id], BERLIN)
    place(recruiter, loop_url, two, at(day, 10, 55), [team["priya"].id], BERLIN)
    place(recruiter, loop_url, three, at(day, 14), [team["manager"].id], BERLIN)
    to_candidate = [a for a in deliver(mail) if a.to == cand]
    block_one = invites.session_candidate_uid(one.id).replace("@", "-block@")
    block_three = invites.session_candidate_uid(three.id).replace("@", "-block@")
    # the first block was sent, then updated when session two joined it, then the afternoon block came
    assert [(a.uid, a.event["sequence"]) for a in to_candidate] == [(block_one, 0), (block_one, 1), (block_three, 0)]
    latest_one = to_candidate[1]
    both_parsers_agree(latest_one)
    assert latest_one.event["start"] == at(day, 10) and latest_one.event["end"] == at(day, 11, 40)
    assert "One" in latest_one.text and "Two" in latest_one.text
    assert "(break: 10 min)" in latest_one.event["description"]

    # Two moves to right after Three: block one shrinks, Three's block grows
    place(recruiter, loop_url, two, at(day, 14, 50), [team["priya"].id], BERLIN)
    mails = [a for a in deliver(mail) if a.to == cand]
    got = {a.uid: a for a in mails}
    assert set(got) == {block_one, block_three}
    assert got[block_one].event["sequence"] == 2 and got[block_one].event["end"] == at(day, 10, 45)
    assert got[block_three].event["sequence"] == 1 and got[block_three].event["end"] == at(day, 15, 35)

    # Three is cancelled: its block is gone; Two stands alone in a block of its own
    assert recruiter.post(f"{loop_url}/sessions/{three.id}/cancel", data={"reason": "Room lost"}).status_code == 302
    mails = [a for a in deliver(mail) if a.to == cand]
    got = {(a.uid, a.method): a for a in mails}
    block_two = invites.session_candidate_uid(two.id).replace("@", "-block@")
    assert set(got) == {(block_three, "CANCEL"), (block_two, "REQUEST")}
    cancelled = got[(block_three, "CANCEL")]
    both_parsers_agree(cancelled)
    assert cancelled.event["status"] == "CANCELLED" and cancelled.event["sequence"] == 2
    assert cancelled.event["start"] == at(day, 14)  # the event as the candidate holds it
    assert "rearranged" in cancelled.text
    rows = {r.uid: r for r in db.session.scalars(select(CandidateInviteEvent))}
    assert rows[block_three].is_cancelled and not rows[block_two].is_cancelled


def test_candidate_days(app, team, recruiter, mail):
    loop_url = new_loop(recruiter, team["candidate"])
    _set_grouping("day")
    one = add_session(recruiter, loop_url, title="Morning", interviewer_ids=[str(team["jonas"].id)])
    two = add_session(recruiter, loop_url, title="Afternoon", interviewer_ids=[str(team["priya"].id)])
    day = next_weekday(3)
    place(recruiter, loop_url, one, at(day, 10), [team["jonas"].id], BERLIN)
    place(recruiter, loop_url, two, at(day, 13), [team["priya"].id], BERLIN)
    cand = team["candidate"].email
    mails = [a for a in deliver(mail) if a.to == cand]
    loop = db.session.scalar(select(Loop))
    day_uid = invites.loop_candidate_uid(loop.id).replace("@", f"-day-{day:%Y%m%d}@")
    assert [(a.uid, a.event["sequence"]) for a in mails] == [(day_uid, 0), (day_uid, 1)]
    assert "Interview day" in mails[-1].event["summary"] and "Morning" in mails[-1].text

    place(recruiter, loop_url, two, at(day + timedelta(days=1), 13), [team["priya"].id], BERLIN)
    mails = {a.uid: a for a in deliver(mail) if a.to == cand}
    next_uid = invites.loop_candidate_uid(loop.id).replace("@", f"-day-{day + timedelta(days=1):%Y%m%d}@")
    assert set(mails) == {day_uid, next_uid}
    assert mails[day_uid].event["sequence"] == 2 and mails[day_uid].event["end"] == at(day, 10, 45)
    # a new event: its SEQUENCE starts at its sessions' (the moved one is at 1), never below what they had
    assert mails[next_uid].event["sequence"] == 1 and mails[next_uid].subject.startswith("Your interview for")

    assert recruiter.post(loop_url + "/cancel", data={"reason": "Position closed"}).status_code == 302
    mails = [a for a in deliver(mail) if a.to == cand]
    assert sorted((a.uid, a.method, a.event["sequence"]) for a in mails) == sorted(
        [(day_uid, "CANCEL", 3), (next_uid, "CANCEL", 2)])
    assert all("is cancelled" in a.text for a in mails)


# --- failures ------------------------------------------------------------------------------------------------------

def _one_booking(recruiter, team):
    loop_url = new_loop(recruiter, team["candidate"])
    session = add_session(recruiter, loop_url, interviewer_ids=[str(team["jonas"].id)])
    place(recruiter, loop_url, session, at(next_weekday(1), 10), [team["jonas"].id], BERLIN)
    return loop_url


def test_a_refusing_server_fails_the_message_with_the_error_shown(app, team, recruiter, smtp_server):  # noqa: F811
    use_smtp(app, smtp_server(Recorder(rcpt_reply="550 5.1.1 <jonas@corp.example>: no such user",
                                       refuse={"jonas@corp.example"})))
    _one_booking(recruiter, team)
    report = invite_jobs.deliver_due(now_utc())
    assert report.failed == 1 and report.sent == 1  # Jonas refused; the candidate's went out
    (failed,) = outbox(status="failed")
    assert failed.recipient == "jonas@corp.example" and failed.attempts == 1 and failed.next_attempt_dt is None
    assert "550" in failed.last_error and "no such user" in failed.last_error
    page = recruiter.get("/outbox")
    assert page.status_code == 200 and "no such user" in text_of(page) and "Failed" in text_of(page)
    detail = recruiter.get(f"/outbox/{failed.id}")
    assert "Send again" in text_of(detail) and "550" in text_of(detail)


def test_a_failed_message_can_be_sent_again(app, team, recruiter, smtp_server):  # noqa: F811
    use_smtp(app, smtp_server(Recorder(rcpt_reply="550 mailbox unavailable")))
    _one_booking(recruiter, team)
    invite_jobs.deliver_due(now_utc())
    failed = outbox(status="failed")
    assert len(failed) == 2
    good = Recorder()
    use_smtp(app, smtp_server(good))
    response = recruiter.post(f"/outbox/{failed[0].id}/retry")
    assert response.status_code == 302
    row = db.session.get(OutboxMessage, failed[0].id)
    assert row.status == "pending" and row.attempts == 0
    invite_jobs.deliver_due(now_utc())
    assert db.session.get(OutboxMessage, failed[0].id).status == "sent" and len(good.envelopes) == 1
    assert recruiter.post(f"/outbox/{failed[0].id}/retry").status_code == 303  # only failed ones
    assert recruiter.post(f"/outbox/{failed[0].id}/retry", csrf=False).status_code == 400


def test_a_temporary_failure_is_retried_later_with_back_off(app, team, recruiter, smtp_server):  # noqa: F811
    busy = Recorder(rcpt_reply="451 4.3.0 Try again later")
    use_smtp(app, smtp_server(busy))
    _one_booking(recruiter, team)
    now = now_utc()
    report = invite_jobs.deliver_due(now)
    assert report.retrying == 2 and report.sent == 0
    rows = outbox()
    assert all(r.status == "pending" and r.attempts == 1 for r in rows)
    assert all(r.next_attempt_dt == now + timedelta(minutes=1) and "451" in r.last_error for r in rows)

    assert invite_jobs.deliver_due(now + timedelta(seconds=30)).claimed == 0  # not due yet: nothing is tried
    for attempt in range(2, delivery.MAX_ATTEMPTS + 1):
        t = outbox()[0].next_attempt_dt
        report = invite_jobs.deliver_due(t)
        assert report.claimed == 2
        row = outbox()[0]
        assert row.attempts == attempt
        if attempt < delivery.MAX_ATTEMPTS:
            assert row.status == "pending" and row.next_attempt_dt == t + delivery.backoff(attempt)
    assert [delivery.backoff(n) for n in range(1, 5)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert delivery.backoff(30) == delivery.BACKOFF_CAP
    row = outbox()[0]
    assert row.status == "failed" and row.last_error.startswith(f"Gave up after {delivery.MAX_ATTEMPTS} attempts")
    assert len(busy.envelopes) == 0


def test_a_server_that_never_answers_times_out_and_the_message_waits(app, team, recruiter):
    with socket.socket() as silent:  # accepts connections (the kernel does) but never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        use_smtp(app, silent.getsockname()[1], timeout=0.5)
        _one_booking(recruiter, team)
        report = invite_jobs.deliver_due(now_utc())
    assert report.retrying == 2
    rows = outbox()
    assert all(r.status == "pending" and "timed out" in r.last_error for r in rows)
    assert recruiter.get("/outbox").status_code == 200


def test_no_server_at_all_is_a_temporary_failure(app, team, recruiter):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    use_smtp(app, port)
    loop_url = _one_booking(recruiter, team)
    assert invite_jobs.deliver_due(now_utc()).retrying == 2
    assert recruiter.get(loop_url).status_code == 200


def test_without_a_mail_server_messages_are_held_then_sent_once_one_is_configured(app, team, recruiter,
                                                                                  smtp_server):  # noqa: F811
    app.config["SMTP_HOST"] = None
    _one_booking(recruiter, team)
    rows = outbox()
    assert len(rows) == 2 and {r.status for r in rows} == {"held"}
    assert invite_jobs.deliver_due(now_utc()).sent == 0
    assert {r.status for r in outbox()} == {"held"}
    page = text_of(recruiter.get("/outbox"))
    assert "No mail server is configured" in page and "Held (no mail server)" in page
    handler = Recorder()
    use_smtp(app, smtp_server(handler))
    assert invite_jobs.deliver_due(now_utc()).sent == 2
    assert {r.status for r in outbox()} == {"sent"}


def test_bad_mail_settings_hold_messages_instead_of_crashing(app, team, recruiter):
    _one_booking(recruiter, team)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_SECURITY="carrier-pigeon")
    report = invite_jobs.deliver_due(now_utc())
    assert report.held == 2 and report.errors
    assert all("security must be" in r.last_error for r in outbox())
