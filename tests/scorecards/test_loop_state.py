"""The candidate's stage and the loop's status follow what happened, through one rule (#22): a candidate is not
"Scheduled" without a loop, a decided past loop is "Completed" and offers no Reschedule, and the stage moves to
the debrief when the interviews are over."""

from __future__ import annotations

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.loops.state import settle_due
from tests.helpers import text_of


def test_a_past_loop_is_completed_and_its_candidate_in_debrief(world, as_):
    assert world.loop.status == "scheduled"  # as stored before the clock was looked at
    settle_due()
    db.session.commit()
    page = text_of(as_(world.recruiter).get(f"/loops/{world.loop.id}"))
    assert "Completed" in page and "This loop is completed" in page
    assert "Reschedule" not in page and "Find new times" not in page and "Cancel the whole loop" not in page
    candidate = text_of(as_(world.recruiter).get(f"/candidates/{world.candidate.id}"))
    assert "In debrief" in candidate


def test_a_decided_past_loop_is_completed_and_offers_no_reschedule(world, as_):
    client = as_(world.manager)
    response = client.post(f"/loops/{world.loop.id}/debrief/decision",
                           data={"outcome": "hire", "rationale": "Strong on design", "accept_missing": "y"})
    assert response.status_code in (302, 303), text_of(response)
    page = text_of(as_(world.recruiter).get(f"/loops/{world.loop.id}"))
    assert "Completed" in page and "Reschedule" not in page
    assert db.session.get(Candidate, world.candidate.id).stage == "offer"
    # the booking rules agree with the page
    place = as_(world.recruiter).get(f"/loops/{world.loop.id}/sessions/{world.panel.id}/place")
    assert place.status_code == 409 and "This loop is completed" in text_of(place)


def test_a_candidate_scheduled_without_a_loop_is_to_schedule(world, as_):
    other = db.session.scalar(select(Candidate).where(Candidate.name == "Grace Hopper"))
    db.session.delete(world.other_loop)
    db.session.commit()
    assert other.stage == "scheduled"
    settle_due()
    db.session.commit()
    assert db.session.get(Candidate, other.id).stage == "to_schedule"
