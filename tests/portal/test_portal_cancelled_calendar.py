"""After a whole loop is cancelled, the candidate's .ics download is a calendar of cancelled events their calendar
can apply (same UIDs, a higher SEQUENCE, STATUS:CANCELLED), not an error. Read by two independent parsers, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC

import icalendar
import pytest
import vobject
from flask import Flask
from sqlalchemy import select

from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.invites.models import CandidateInviteEvent
from coordinator.loops import services as loops
from coordinator.loops.models import Loop


@pytest.fixture
def app(any_db_app: Flask) -> Flask:
    """Every fixture of this module (the team, the loop, the clients) on SQLite and on PostgreSQL."""
    return any_db_app


def _events(ics: bytes) -> tuple[dict, dict]:
    """The events as icalendar and as vobject read them: {uid: (sequence, status, start, end)}."""
    by_icalendar = {
        str(ev["UID"]): (
            int(ev.get("SEQUENCE", 0)),
            str(ev.get("STATUS", "")),
            ev.decoded("DTSTART").astimezone(UTC),
            ev.decoded("DTEND").astimezone(UTC),
        )
        for ev in icalendar.Calendar.from_ical(ics).walk("VEVENT")
    }
    by_vobject = {
        ev.uid.value: (
            int(ev.sequence.value) if hasattr(ev, "sequence") else 0,
            ev.status.value if hasattr(ev, "status") else "",
            ev.dtstart.value.astimezone(UTC),
            ev.dtend.value.astimezone(UTC),
        )
        for ev in vobject.readOne(ics.decode("utf-8")).vevent_list
    }
    return by_icalendar, by_vobject


def _book(loop: Loop, actor) -> Loop:
    loop = loops.load_loop(loop.id)
    result, sessions = loops.find_times(loop)
    with write_transaction():
        loops.book(loop, loops.option_placements(sessions, result.options[0]), actor)
        db.session.commit()
    return loops.load_loop(loop.id)


def _cancel(loop: Loop, actor) -> None:
    with write_transaction():
        loops.cancel_loop(loops.load_loop(loop.id), actor, "The role was closed.")
        db.session.commit()


@pytest.mark.parametrize("grouping", ["session", "day"])
def test_after_the_loop_is_cancelled_the_download_cancels_what_the_candidate_holds(
    app, team, make_loop, link_for, anon, client_for, grouping
):
    loop = make_loop()
    loop.candidate_grouping = grouping
    db.session.commit()
    token = link_for(loop)
    _book(loop, team["recruiter"])
    before = anon.get(f"/c/{token}/calendar.ics")
    assert before.status_code == 200
    held, held_again = _events(before.get_data())
    assert held == held_again and held and all(status == "CONFIRMED" for _, status, _, _ in held.values())

    _cancel(loop, team["recruiter"])
    after = anon.get(f"/c/{token}/calendar.ics")
    assert after.status_code == 200, after.get_data(as_text=True)
    assert after.mimetype == "text/calendar" and after.headers["Cache-Control"] == "no-store"
    for reader in _events(after.get_data()):
        assert reader.keys() == held.keys()  # the same events, so a calendar replaces them
        for uid, (sequence, status, start, end) in reader.items():
            assert status == "CANCELLED"
            assert sequence > held[uid][0]  # newer than what the candidate imported
            assert (start, end) == held[uid][2:]
    # the same SEQUENCE as the cancellation e-mailed for each event (neither overrides the other)
    sent = {
        row.uid: row.sequence
        for row in db.session.scalars(select(CandidateInviteEvent).where(CandidateInviteEvent.loop_id == loop.id))
    }
    assert {uid: v[0] for uid, v in _events(after.get_data())[0].items()} == sent
    body = after.get_data(as_text=True)
    assert "jonas.weber@example.com" not in body and "Kafka" not in body  # still nothing internal

    # the recruiter's download of the candidate's calendar says the same
    staff = client_for(team["recruiter"]).get(f"/loops/{loop.id}/candidate.ics")
    assert staff.status_code == 200
    assert _events(staff.get_data())[0].keys() == held.keys()
    assert {v[1] for v in _events(staff.get_data())[0].values()} == {"CANCELLED"}


def test_a_loop_cancelled_before_anything_was_booked_still_has_nothing_to_download(
    app, team, make_loop, link_for, anon
):
    loop = make_loop()
    token = link_for(loop)
    _cancel(loop, team["recruiter"])
    response = anon.get(f"/c/{token}/calendar.ics")
    assert response.status_code == 400
    assert "nothing to add to your calendar" in response.get_data(as_text=True)


def test_without_any_invitation_sent_the_sessions_give_the_cancelled_events(app, team, make_loop, link_for, anon):
    """A loop booked while the candidate's invitations were not kept (no CandidateInviteEvent rows): the
    download still cancels the events the earlier download held, from the sessions' raised SEQUENCE."""
    loop = make_loop()
    token = link_for(loop)
    _book(loop, team["recruiter"])
    held = _events(anon.get(f"/c/{token}/calendar.ics").get_data())[0]
    db.session.execute(CandidateInviteEvent.__table__.delete())
    db.session.commit()
    _cancel(loop, team["recruiter"])
    db.session.execute(CandidateInviteEvent.__table__.delete())
    db.session.commit()
    after = anon.get(f"/c/{token}/calendar.ics")
    assert after.status_code == 200
    for reader in _events(after.get_data()):
        assert reader.keys() == held.keys()
        assert all(
            status == "CANCELLED" and sequence > held[uid][0] for uid, (sequence, status, _, _) in reader.items()
        )
