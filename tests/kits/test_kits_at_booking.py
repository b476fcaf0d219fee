"""Kits are ready at booking, pool picks included, and a later change of focus areas updates the invites that name
them (#22). Before, "Suggest" refused a loop whose people come from pools, a pool pick's kit was empty after
booking, and reassigning areas left the invites naming the old ones."""

from __future__ import annotations

import email

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.invites.models import OutboxMessage
from coordinator.loops.models import LoopSession
from tests.focus.support import make_loop, next_weekday, setup_interviewing
from tests.helpers import text_of


@pytest.fixture
def world(org, make_user, app):
    app.config.update(SEND_INVITES_AT_ONCE=True)
    return setup_interviewing(org, make_user)


def _book(client, loop, session, user, hour="10:00"):
    data = {"day": next_weekday(1).isoformat(), "start": hour, "interviewer_ids": [str(user.id)],
            "override_reason": "Coverage follows"}
    response = client.post(f"/loops/{loop.id}/sessions/{session.id}/place", data=data)
    assert response.status_code == 302, text_of(response)


def test_a_pool_pick_has_a_kit_with_questions_as_soon_as_they_are_booked(world, client_for):
    loop = make_loop(world, [{"title": "Design", "pool_ids": [world["jonas"], world["priya"]], "pool_count": 1}])
    client = client_for(world["recruiter"])
    assert client.post(f"/loops/{loop.id}/coverage/suggest").status_code in (302, 303)
    design = loop.sessions[0]
    option = client.get(f"/loops/{loop.id}/find")
    assert option.status_code == 200
    _book(client, loop, design, world["jonas"])
    kit = text_of(client.get(f"/loops/{loop.id}/sessions/{design.id}/kits/{world['jonas'].id}"))
    assert "No questions picked yet" not in kit
    assert "Tell me about a time you showed" in kit or "What would you do if" in kit
    assert "Kits ready for Jonas Weber ('Design')." in text_of(client.get(f"/loops/{loop.id}"))


def test_reassigning_focus_areas_updates_the_invite_that_names_them(world, client_for):
    loop = make_loop(world, [{"title": "Design", "interviewer_ids": [world["jonas"]]}])
    client = client_for(world["recruiter"])
    design = loop.sessions[0]
    assert client.post(f"/loops/{loop.id}/sessions/{design.id}/kits/{world['jonas'].id}/edit",
                       data={"area_ids": [str(world["design"].id)]}).status_code == 302
    _book(client, loop, design, world["jonas"])
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == world["jonas"].email)).all()
    assert sent
    sequence = db.session.get(LoopSession, design.id).ical_sequence
    assert client.post(f"/loops/{loop.id}/sessions/{design.id}/kits/{world['jonas'].id}/edit",
                       data={"area_ids": [str(world["depth"].id)]}).status_code == 302
    later = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == world["jonas"].email)
                               .order_by(OutboxMessage.id)).all()
    assert db.session.get(LoopSession, design.id).ical_sequence == sequence + 1
    newest = later[-1]
    assert newest.ical_sequence == sequence + 1
    text = _text(newest.message)
    assert "Technical depth" in text and "Your focus areas: System design" not in text


def _text(raw: bytes) -> str:
    message = email.message_from_bytes(raw)
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts).replace("\r\n ", "").replace("\n ", "")
