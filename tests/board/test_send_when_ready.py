"""Send when ready: a booking shows what will go out and sends nothing before the recruiter's Send; the candidate's
message can be edited (per job or per loop, with placeholders); changes close together go out as one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.hiring.models import Job
from coordinator.invites import delivery
from coordinator.invites.models import OutboxMessage
from coordinator.loops.models import Loop
from tests.board.conftest import at, place, sessions
from tests.helpers import text_of


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def booked(app, team, recruiter, loop_url):
    first, second = sessions()
    place(recruiter, loop_url, first, at(10))
    place(recruiter, loop_url, second, at(11), person_id=str(team["jonas"].id))
    response = recruiter.post(loop_url + "/board/confirm", data={})
    assert response.status_code == 302
    return loop_url


def test_the_preview_shows_every_email_rendered_and_nothing_is_sent_before_send(app, team, recruiter, booked):
    page = recruiter.get(booked + "/invites/review")
    assert page.status_code == 200
    text = text_of(page)
    assert "What will be sent" in text and "4 e-mails" in text and "Send 4 e-mails" in text
    assert "Candidate invite to Ada Lovelace" in text and "Interviewer invite to Jonas Weber" in text
    html = page.get_data(as_text=True)
    assert 'sandbox="" srcdoc="' in html and "Thank you for making time" in html
    assert {m.status for m in outbox()} == {"review"}
    assert not [m for m in outbox() if m.status in ("pending", "held")]  # what the deliverer would take
    assert "4 e-mails with invites wait for your Send" in text_of(recruiter.get(booked))

    held = recruiter.post(booked + "/invites/hold", data={})
    assert held.status_code == 302 and {m.status for m in outbox()} == {"review"}

    sent = recruiter.post(booked + "/invites/send", data={})
    assert sent.status_code == 302
    assert {m.status for m in outbox()} == {"held"}  # released; no mail server in the tests, so held for it
    assert "Sent 4 e-mails with invites to 3 people" in text_of(recruiter.get(booked))


def test_the_candidates_message_has_placeholders_is_previewed_and_can_serve_the_job(app, team, recruiter, booked):
    bad = recruiter.post(booked + "/invites/review", data={"message": "Hi {name}!"})
    assert bad.status_code == 400
    assert "Unknown placeholder {name}" in text_of(bad)
    response = recruiter.post(
        booked + "/invites/review",
        data={"message": "Hello {first_name}, we look forward to {first_day} — {recruiter_name}", "for_job": "y"},
    )
    assert response.status_code == 302
    candidate = next(m for m in outbox() if m.kind == "candidate_invite")
    parts = delivery.parsed(candidate)
    assert "Hello Ada, we look forward to Monday" in parts["text"] and "Rita Recruiter" in parts["text"]
    assert "Hello Ada, we look forward to Monday" in parts["html"]
    assert candidate.status == "review" and candidate.ical_sequence == 0
    assert db.session.scalar(select(Job)).candidate_message.startswith("Hello {first_name}")
    page = recruiter.get(booked + "/invites/review")
    assert "Hello {first_name}" in page.get_data(as_text=True)


def test_changes_before_send_go_out_as_one_invitation(app, team, recruiter, booked):
    before = len(outbox())
    first, second = sessions()
    place(recruiter, booked, second, at(14))
    assert recruiter.post(booked + "/board/confirm", data={}).status_code == 302
    rows = outbox()
    assert len(rows) == before  # the held invitations were replaced, not added to
    assert not [m for m in rows if m.kind.endswith("_update")]
    jonas = next(m for m in rows if m.recipient == team["jonas"].email)
    assert jonas.kind == "interviewer_invite" and "14:00" in jonas.subject


def test_a_loop_that_sends_at_once_coalesces_changes_within_minutes(app, team, recruiter, loop_url, clock):
    db.session.get(Loop, int(loop_url.rsplit("/", 1)[1])).send_at_once = True
    db.session.commit()
    first, second = sessions()
    place(recruiter, loop_url, first, at(10))
    place(recruiter, loop_url, second, at(11), person_id=str(team["jonas"].id))
    assert recruiter.post(loop_url + "/board/confirm", data={}).headers["Location"].endswith(loop_url)
    assert {m.status for m in outbox()} == {"held"}  # no review: straight to the deliverer (held: no mail server)
    clock.advance(minutes=1)
    place(recruiter, loop_url, second, at(14))
    recruiter.post(loop_url + "/board/confirm", data={})
    jonas = [m for m in outbox() if m.recipient == team["jonas"].email]
    assert len(jonas) == 1 and jonas[0].kind == "interviewer_invite" and "14:00" in jonas[0].subject
    clock.advance(minutes=10)
    place(recruiter, loop_url, second, at(15))
    recruiter.post(loop_url + "/board/confirm", data={})
    jonas = [m for m in outbox() if m.recipient == team["jonas"].email]
    assert [m.kind for m in jonas] == ["interviewer_invite", "interviewer_update"]


def test_the_loop_setting_chooses_send_at_once(app, team, recruiter, loop_url):
    response = recruiter.post(
        loop_url + "/settings",
        data={
            "arrangement": "back_to_back",
            "buffer_min": "10",
            "candidate_grouping": "session",
            "send_at_once": "True",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Loop)).send_at_once is True
    assert "go out at once" in text_of(recruiter.get(loop_url + "/settings"))


def test_booking_a_find_times_option_also_shows_what_will_be_sent(app, team, recruiter, loop_url):
    from tests.loops.test_loops import options_on

    options = options_on(recruiter.get(loop_url + "/find"))
    response = recruiter.post(loop_url + "/book", data={"option": options[0]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/invites/review")
    assert {m.status for m in outbox()} == {"review"}
