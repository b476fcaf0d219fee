"""What the pages put into the outbox (no mail server: messages are held and readable), the outbox page, the .ics
downloads of a loop, and bad input: odd names, an address with a quote, a session without interviewers."""

from __future__ import annotations

import icalendar
import pytest
import vobject
from sqlalchemy import select

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.invites import delivery
from coordinator.invites import jobs as invite_jobs
from coordinator.invites import services as invites
from coordinator.invites.models import OutboxMessage
from coordinator.loops.models import Loop, LoopSession
from coordinator.loops.services import Change
from tests.helpers import text_of
from tests.invites.outbox_support import add_session, at, method_of, new_loop, next_weekday, outbox, place

BERLIN = "Europe/Berlin"


@pytest.fixture
def team(org, make_user):
    jonas = make_user(Role.INTERVIEWER, name="Jonas Weber", email="jonas@corp.example", timezone=BERLIN,
                      job_title="Staff Engineer")
    priya = make_user(Role.INTERVIEWER, name="Priya Nair", email="priya@corp.example", timezone="Asia/Kolkata")
    return {**org, "jonas": jonas, "priya": priya}


@pytest.fixture
def recruiter(team, client_for):
    return client_for(team["recruiter"])


@pytest.fixture
def booked(app, team, recruiter):
    loop_url = new_loop(recruiter, team["candidate"])
    one = add_session(recruiter, loop_url, title="Hiring manager", interviewer_ids=[str(team["manager"].id)])
    two = add_session(recruiter, loop_url, title="Pairing", kind="practical", duration_min="60",
                      interviewer_ids=[str(team["jonas"].id)], shadow_ids=[str(team["priya"].id)],
                      prep_instructions="Bring a laptop.")
    day = next_weekday(1)
    place(recruiter, loop_url, one, at(day, 10), [team["manager"].id], BERLIN)
    place(recruiter, loop_url, two, at(day, 11), [team["jonas"].id], BERLIN)
    return {"url": loop_url, "one": one, "two": two, "day": day, "loop": db.session.scalar(select(Loop)), **team}


def summary(rows) -> list[tuple[str, str, int]]:
    return [(r.kind, r.recipient, r.ical_sequence) for r in rows]


def test_booking_queues_held_messages_without_sending(app, booked):
    t = booked
    rows = outbox()
    assert summary(rows) == [
        ("interviewer_invite", t["manager"].email, 0),
        ("candidate_invite", t["candidate"].email, 0),
        ("interviewer_invite", "jonas@corp.example", 0),
        ("interviewer_invite", "priya@corp.example", 0),  # the shadow is invited too (optional participant)
        ("candidate_invite", t["candidate"].email, 0),
    ]
    assert {r.status for r in rows} == {"held"} and all(r.attempts == 0 for r in rows)
    assert all(r.loop_id == t["loop"].id and r.message for r in rows)
    priya = rows[3]
    cal = icalendar.Calendar.from_ical(delivery.parsed(priya)["ics"])
    (event,) = cal.walk("VEVENT")
    roles = {str(a).removeprefix("mailto:"): a.params["ROLE"] for a in event["ATTENDEE"]}
    assert roles == {"jonas@corp.example": "REQ-PARTICIPANT", "priya@corp.example": "OPT-PARTICIPANT"}
    assert "You are shadowing this session." in str(event["DESCRIPTION"])


def test_a_booking_that_fails_queues_nothing(app, booked, recruiter, make_candidate):
    t = booked
    before = len(outbox())
    other = new_loop(recruiter, make_candidate(name="Kwame Mensah", job=t["job"]))
    session = add_session(recruiter, other, interviewer_ids=[str(t["jonas"].id)])
    response = recruiter.post(f"{other}/sessions/{session.id}/place", data={
        "day": t["day"].isoformat(), "start": "11:30", "interviewer_ids": [str(t["jonas"].id)],
        "override_reason": "x"})
    assert response.status_code == 409  # Jonas is in the practical then
    assert len(outbox()) == before


def test_outbox_page_lists_and_shows_messages_to_recruiters_and_admins(app, booked, recruiter, client_for):
    t = booked
    page = recruiter.get("/outbox")
    text = text_of(page)
    assert page.status_code == 200
    assert "No mail server is configured" in text and "Held (no mail server)" in text
    assert "Invitation: Interview with Ada Lovelace — Hiring manager" in text
    assert 'aria-current="page" href="/outbox"' in page.get_data(as_text=True) or ">Outbox<" in page.get_data(
        as_text=True)
    candidate_row = outbox(kind="candidate_invite")[0]
    detail = recruiter.get(f"/outbox/{candidate_row.id}")
    text = text_of(detail)
    assert detail.status_code == 200
    assert "Dear Ada Lovelace" in text and "Europe/London" in text and "BEGIN:VCALENDAR" in text
    assert "METHOD:REQUEST" in text and "Send again" not in text
    ics = recruiter.get(f"/outbox/{candidate_row.id}/invite.ics")
    assert ics.status_code == 200 and ics.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert method_of(ics.data) == "REQUEST"

    held = recruiter.get("/outbox?status=held")
    assert text_of(held).count("Ada Lovelace") >= 5
    empty = recruiter.get("/outbox?status=failed")
    assert "No failed messages." in text_of(empty)
    assert recruiter.get("/outbox?status=nonsense&page=x").status_code == 200
    assert recruiter.get("/outbox/999999").status_code == 404

    admin = client_for(t["admin"])
    assert admin.get(f"/outbox/{candidate_row.id}").status_code == 200
    assert "Outbox" in text_of(admin.get("/"))
    for outsider in (t["jonas"], t["manager"]):
        client = client_for(outsider)
        assert client.get("/outbox").status_code == 403
        assert client.get(f"/outbox/{candidate_row.id}").status_code == 403
        assert "Outbox" not in [a for a in text_of(client.get("/")).split() if a == "Outbox"]
    other = client_for(t["other_recruiter"])
    assert other.get("/outbox").status_code == 200
    assert "Ada Lovelace" not in text_of(other.get("/outbox"))
    assert other.get(f"/outbox/{candidate_row.id}").status_code == 403
    assert other.post(f"/outbox/{candidate_row.id}/retry").status_code == 403


def test_outbox_empty_state(app, team, recruiter):
    text = text_of(recruiter.get("/outbox"))
    assert "No messages yet." in text


def test_reschedule_and_edits_queue_updates(app, booked, recruiter):
    t = booked
    place(recruiter, t["url"], t["one"], at(t["day"], 14), [t["manager"].id], BERLIN)
    rows = outbox()[5:]
    assert summary(rows) == [("interviewer_update", t["manager"].email, 1),
                             ("candidate_update", t["candidate"].email, 1)]
    # a new title for a booked session: everyone on it and the candidate hear about it
    response = recruiter.post(f"{t['url']}/sessions/{t['two'].id}/edit", data={
        "title": "Pairing on a data task", "kind": "practical", "duration_min": "60",
        "interviewer_ids": [str(t["jonas"].id)], "shadow_ids": [str(t["priya"].id)],
        "prep_instructions": "Bring a laptop."})
    assert response.status_code == 302, text_of(response)
    rows = outbox()[7:]
    assert summary(rows) == [("interviewer_update", "jonas@corp.example", 1),
                             ("interviewer_update", "priya@corp.example", 1),
                             ("candidate_update", t["candidate"].email, 1)]
    assert "Pairing on a data task" in rows[-1].subject or "Pairing on a data task" in delivery.parsed(rows[-1])["text"]


def _settings(client, loop_url, **fields):
    data = {"arrangement": "back_to_back", "buffer_min": "10", "candidate_grouping": "session", "location": "",
            "video_url": "", **fields}
    response = client.post(loop_url + "/settings", data=data)
    assert response.status_code == 302, text_of(response)


def test_a_new_grouping_cancels_the_old_events_and_sends_the_new_one(app, booked, recruiter):
    t = booked
    _settings(recruiter, t["url"], candidate_grouping="day")
    rows = outbox()[5:]
    assert sorted(summary(rows)) == sorted([("candidate_invite", t["candidate"].email, 0),
                                            ("candidate_cancel", t["candidate"].email, 1),
                                            ("candidate_cancel", t["candidate"].email, 1)])
    day_event = next(r for r in rows if r.kind == "candidate_invite")
    assert f"-day-{t['day']:%Y%m%d}@" in day_event.ical_uid
    assert "Hiring manager" in delivery.parsed(day_event)["text"] and "Pairing" in delivery.parsed(day_event)["text"]
    assert all("rearranged" in delivery.parsed(r)["text"] for r in rows if r.kind == "candidate_cancel")
    # nothing changed for the interviewers
    assert not [r for r in rows if r.kind.startswith("interviewer")]


def test_a_new_loop_location_updates_the_sessions_that_use_it(app, booked, recruiter):
    t = booked
    _settings(recruiter, t["url"], location="HQ, Room 4")
    rows = outbox()[5:]
    interviewer_rows = [r for r in rows if r.kind == "interviewer_update"]
    assert sorted(r.recipient for r in interviewer_rows) == sorted([t["manager"].email, "jonas@corp.example",
                                                                    "priya@corp.example"])
    assert all(r.ical_sequence == 1 for r in interviewer_rows)
    assert all("LOCATION:HQ\\, Room 4" in delivery.parsed(r)["ics"] for r in rows)
    assert db.session.get(LoopSession, t["one"].id).ical_sequence == 1
    _settings(recruiter, t["url"], location="HQ, Room 4", buffer_min="15")  # nothing attendees see
    assert len(outbox()) == len(rows) + 5


# --- bad input ---------------------------------------------------------------------------------------------------

def test_a_candidate_name_with_a_newline_and_semicolon_still_makes_valid_invites(app, team, recruiter,
                                                                                make_candidate):
    odd = make_candidate(name="Zoë; O'Brien\r\nBcc: evil@example.com", job=team["job"])
    loop_url = new_loop(recruiter, odd)
    session = add_session(recruiter, loop_url, interviewer_ids=[str(team["jonas"].id)])
    place(recruiter, loop_url, session, at(next_weekday(2), 10), [team["jonas"].id], BERLIN)
    rows = outbox()
    assert {r.status for r in rows} == {"held"}
    for row in rows:
        assert "\n" not in row.subject and "\r" not in row.subject
        raw = bytes(row.message)
        assert b"\nBcc:" not in raw
        ics = delivery.parsed(row)["ics"].encode()
        event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
        vevent = vobject.readOne(ics.decode()).vevent
        assert str(event["UID"]) == vevent.uid.value
    interviewer = outbox(kind="interviewer_invite")[0]
    assert "Zoë; O'Brien Bcc: evil@example.com" in interviewer.subject
    summary_text = str(icalendar.Calendar.from_ical(delivery.parsed(interviewer)["ics"]).walk("VEVENT")[0]["SUMMARY"])
    assert summary_text.startswith("Interview: Zoë; O'Brien Bcc: evil@example.com —")


def test_a_candidate_address_with_a_quote_fails_only_that_message_and_says_why(app, team, recruiter,
                                                                              make_candidate):
    candidate = make_candidate(name="Quentin Quote", job=team["job"])
    candidate.email = 'quentin"quote@example.org'  # the form refuses this; older data or an import might not
    db.session.commit()
    loop_url = new_loop(recruiter, candidate)
    session = add_session(recruiter, loop_url, interviewer_ids=[str(team["jonas"].id)])
    place(recruiter, loop_url, session, at(next_weekday(2), 10), [team["jonas"].id], BERLIN)
    assert recruiter.get(loop_url).status_code == 200
    (bad,) = outbox(kind="candidate_invite")
    assert bad.status == "failed" and bad.message == b"" and bad.attempts == 0
    assert "not a usable e-mail address" in bad.last_error
    (good,) = outbox(kind="interviewer_invite")
    assert good.status == "held"
    page = text_of(recruiter.get(f"/outbox/{bad.id}"))
    assert "could not be built" in page and "not a usable e-mail address" in page and "Send again" not in page
    assert recruiter.post(f"/outbox/{bad.id}/retry").status_code == 303
    assert invite_jobs.deliver_due().failed == 0  # never claimed: nothing to send


def test_a_session_without_interviewers_skips_their_invite_but_not_the_candidates(app, booked):
    t = booked
    session = db.session.get(LoopSession, t["one"].id)
    for p in list(session.participants):
        session.participants.remove(p)
    session.ical_sequence += 1
    db.session.flush()
    queued = invites.queue_for_change(Change(loop_id=t["loop"].id, booked=[session.id]))
    db.session.commit()
    assert queued.skipped == ["'Hiring manager' has no interviewers: no interviewer invite was sent for it."]
    assert summary(queued.messages) == [("candidate_update", t["candidate"].email, 1)]
    assert "With:" not in delivery.parsed(queued.messages[0])["text"]


# --- downloads ---------------------------------------------------------------------------------------------------

def _ics(response):
    assert response.status_code == 200, text_of(response)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith('.ics"')
    filename = disposition.split('"')[1]
    assert all(c.isascii() and (c.isalnum() or c in "-.") for c in filename)
    return icalendar.Calendar.from_ical(response.data), vobject.readOne(response.data.decode())


def test_downloads_from_the_loop_page(app, booked, recruiter, client_for, make_user):
    t = booked
    page = recruiter.get(t["url"]).get_data(as_text=True)
    assert f"/loops/{t['loop'].id}/sessions/{t['one'].id}/invite.ics" in page
    assert f"/loops/{t['loop'].id}/invites.ics" in page and f"/loops/{t['loop'].id}/candidate.ics" in page

    cal, vcal = _ics(recruiter.get(f"{t['url']}/sessions/{t['two'].id}/invite.ics"))
    (event,) = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "PUBLISH" and str(event["UID"]) == invites.session_uid(t["two"].id)
    assert event.decoded("DTSTART").astimezone().utctimetuple()[:5] == at(t["day"], 11).utctimetuple()[:5]
    assert vcal.vevent.uid.value == str(event["UID"])

    cal, _ = _ics(recruiter.get(t["url"] + "/invites.ics"))
    assert len(cal.walk("VEVENT")) == 2

    response = recruiter.get(t["url"] + "/candidate.ics")
    cal, _ = _ics(response)
    assert {str(e["UID"]) for e in cal.walk("VEVENT")} == {invites.session_candidate_uid(t["one"].id),
                                                            invites.session_candidate_uid(t["two"].id)}
    for secret in (b"jonas@corp.example", b"priya@corp.example", t["manager"].email.encode(), b"kit",
                   b"Kafka pipelines", b"On-call"):
        assert secret not in response.data

    jonas = client_for(t["jonas"])  # on the loop: may download the team's files, not the candidate's
    assert jonas.get(f"{t['url']}/sessions/{t['two'].id}/invite.ics").status_code == 200
    assert jonas.get(t["url"] + "/candidate.ics").status_code == 403
    stranger = client_for(make_user(Role.INTERVIEWER))
    assert stranger.get(t["url"] + "/invites.ics").status_code == 403
    assert recruiter.get(f"{t['url']}/sessions/999999/invite.ics").status_code == 404
    assert recruiter.get("/loops/999999/invites.ics").status_code == 404


def test_an_unbooked_session_has_no_invite_yet(app, team, recruiter):
    loop_url = new_loop(recruiter, team["candidate"])
    session = add_session(recruiter, loop_url, interviewer_ids=[str(team["jonas"].id)])
    response = recruiter.get(f"{loop_url}/sessions/{session.id}/invite.ics")
    assert response.status_code == 404 and "not booked yet" in text_of(response)
    assert recruiter.get(loop_url + "/invites.ics").status_code == 404
    assert "No session of this loop is booked yet." in text_of(recruiter.get(loop_url + "/candidate.ics"))
    assert "invite (.ics)" not in text_of(recruiter.get(loop_url))


def test_messages_stay_when_a_loop_is_deleted(app, booked):
    loop = db.session.get(Loop, booked["loop"].id)
    db.session.delete(loop)
    db.session.commit()
    rows = list(db.session.scalars(select(OutboxMessage)))
    assert len(rows) == 5 and all(r.loop_id is None for r in rows)


def test_a_message_without_a_calendar_part_reads_fine(app, team, client_for):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "invites@coordinator.test", "jonas@corp.example", "A plain note"
    msg.set_content("Your interview is tomorrow.")
    row = OutboxMessage(kind="interviewer_update", recipient="jonas@corp.example", subject="A plain note",
                        method="", message=msg.as_bytes(), status="held")
    db.session.add(row)
    db.session.commit()
    admin = client_for(team["admin"])
    page = text_of(admin.get(f"/outbox/{row.id}"))
    assert "Your interview is tomorrow." in page and "none (a plain e-mail)" in page
    assert "Calendar invitation (.ics)" not in page
    assert admin.get(f"/outbox/{row.id}/invite.ics").status_code == 404
    assert "sequence" not in text_of(admin.get("/outbox"))
