"""What the recruiter does with the answers: a decline's entry replaces in one click (or offers Find times), a
proposal is accepted through the normal booking path or refused, sessions unanswered 24 hours before they start
are listed, and every page that shows a session shows each person's answer."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.invites.jobs import read_replies
from coordinator.invites.models import Notice, OutboxMessage, Proposal
from coordinator.invites.replies import store
from coordinator.loops import services as loops
from coordinator.loops.models import LoopEvent, LoopSession
from tests.helpers import text_of
from tests.invites.replies_support import REPLY_ADDRESS, booked_loop, reply_email, reply_ics
from tests.invites.test_replies_clients import answers


def _answer(world, n: int, partstat: str, *, method: str = "REPLY", **extra) -> None:
    person = world["people"][n]
    session = db.session.get(LoopSession, world["sessions"][0].id)
    ics = reply_ics("gmail", world["uids"][0], session.ical_sequence, person.email, partstat, method=method, **extra)
    store(reply_email("gmail", ics, person.email, method=method), person.email)
    db.session.commit()
    assert read_replies() == 1


def test_a_decline_is_replaced_in_one_click_from_needs_action(app, client_for):
    app.config["REPLY_ADDRESS"] = REPLY_ADDRESS
    world = booked_loop(interviewers=2)
    _answer(world, 0, "DECLINED")
    recruiter = client_for(world["recruiter"])
    page = text_of(recruiter.get("/dashboard"))
    leaving, spare = world["people"][0], world["spare"]
    assert f"{leaving.name} declined 'Session 1'" in page
    assert f"Replace with {spare.name}" in page
    home = text_of(recruiter.get("/"))
    assert "1 answer to act on" in home
    session = world["sessions"][0]
    response = recruiter.post(
        f"/loops/{world['loop'].id}/sessions/{session.id}/replace/{leaving.id}",
        data={"joining_id": str(spare.id), "reason": f"{leaving.name} declined the invite"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert {p.user_id for p in db.session.get(LoopSession, session.id).participants} == {
        world["people"][1].id,
        spare.id,
    }
    assert db.session.scalar(select(Notice)).done_dt is not None  # the decline no longer needs action
    assert f"{leaving.name} declined" not in text_of(recruiter.get("/dashboard"))
    # the replacement was invited through the outbox like any replacement
    assert db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == spare.email, OutboxMessage.kind == "interviewer_invite")
    )


def test_when_nobody_fits_the_entry_offers_the_choice_by_hand_and_find_times(app, client_for):
    world = booked_loop(interviewers=1, hour=22)  # 22:00 in Berlin: outside everyone's working hours
    _answer(world, 0, "DECLINED")
    notice = db.session.scalar(select(Notice))
    assert notice.replacement_options == []
    page = client_for(world["recruiter"]).get("/dashboard").get_data(as_text=True)
    assert f'href="/loops/{world["loop"].id}/find"' in page and "Nobody is free then without a problem." in page
    assert f'href="/loops/{world["loop"].id}/sessions/{notice.session_id}/replace/{notice.user_id}"' in page


def test_a_proposal_is_accepted_through_the_booking_path(app, client_for):
    world = booked_loop(interviewers=1)
    session = world["sessions"][0]
    new_start = session.start_dt + timedelta(days=1)
    _answer(world, 0, "TENTATIVE", method="COUNTER", start=new_start, end=new_start + timedelta(minutes=45))
    proposal = db.session.scalar(select(Proposal))
    recruiter = client_for(world["recruiter"])
    assert "Another time proposed" in text_of(recruiter.get(f"/loops/{world['loop'].id}"))
    before = db.session.get(LoopSession, session.id).ical_sequence
    response = recruiter.post(f"/loops/{world['loop'].id}/proposals/{proposal.id}/accept")
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(LoopSession, session.id)
    assert moved.start_dt == new_start and moved.ical_sequence == before + 1
    assert db.session.get(Proposal, proposal.id).status == "accepted"
    update = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "interviewer_update"))
    assert update is not None and update.ical_sequence == before + 1
    # a second click changes nothing and says why
    again = recruiter.post(f"/loops/{world['loop'].id}/proposals/{proposal.id}/accept", follow_redirects=True)
    assert "already decided" in text_of(again)


def test_a_proposal_that_conflicts_is_refused_by_the_booking_rules(app, client_for):
    world = booked_loop(interviewers=1, sessions=2)
    first, second = world["sessions"]
    _answer(world, 0, "TENTATIVE", method="COUNTER", start=second.start_dt, end=second.end_dt)
    proposal = db.session.scalar(select(Proposal))
    recruiter = client_for(world["recruiter"])
    page = recruiter.post(f"/loops/{world['loop'].id}/proposals/{proposal.id}/accept", follow_redirects=True)
    assert "would be in 'Session 1' and 'Session 2' at the same time" in text_of(page)
    db.session.expire_all()
    assert db.session.get(LoopSession, first.id).start_dt == first.start_dt
    assert db.session.get(Proposal, proposal.id).status == "open"


def test_refusing_a_proposal_keeps_the_session(app, client_for):
    world = booked_loop(interviewers=1)
    start = world["sessions"][0].start_dt
    _answer(
        world,
        0,
        "TENTATIVE",
        method="COUNTER",
        start=start + timedelta(days=2),
        end=start + timedelta(days=2, minutes=45),
    )
    proposal = db.session.scalar(select(Proposal))
    recruiter = client_for(world["recruiter"])
    assert recruiter.post(f"/loops/{world['loop'].id}/proposals/{proposal.id}/refuse").status_code == 302
    db.session.expire_all()
    assert db.session.get(LoopSession, world["sessions"][0].id).start_dt == start
    assert db.session.get(Proposal, proposal.id).status == "refused"
    assert db.session.scalar(select(Notice)).done_dt is not None
    assert db.session.scalar(select(LoopEvent).where(LoopEvent.action == "proposal_refused"))
    # someone who does not manage the loop cannot decide it
    other = client_for(world["people"][0])
    assert other.post(f"/loops/{world['loop'].id}/proposals/{proposal.id}/accept").status_code in (403, 404)


def test_answers_show_on_the_loop_page_the_day_view_and_the_interviewers_lists(app, client_for):
    world = booked_loop(interviewers=2)
    _answer(world, 0, "ACCEPTED")
    _answer(world, 1, "DECLINED")
    recruiter = client_for(world["recruiter"])
    loop_page = text_of(recruiter.get(f"/loops/{world['loop'].id}"))
    assert f"{world['people'][0].name} Accepted" in loop_page
    assert f"{world['people'][1].name} Declined" in loop_page
    day = text_of(recruiter.get(f"/loops/{world['loop'].id}/day"))
    assert "Accepted 'Session 1'" in day and "Declined 'Session 1'" in day
    mine = client_for(world["people"][0])
    assert "Accepted" in text_of(mine.get("/"))
    assert "Accepted" in text_of(mine.get("/dashboard"))


def test_moving_a_session_asks_everyone_again(app):
    world = booked_loop(interviewers=1)
    _answer(world, 0, "DECLINED")
    session = db.session.get(LoopSession, world["sessions"][0].id)
    loops.book(
        world["loop"],
        [loops.Placement(session.id, session.start_dt + timedelta(hours=1), (world["people"][0].id,))],
        world["recruiter"],
        override_reason="x",
    )
    db.session.commit()
    assert answers(session.id) == {world["people"][0].email: "needs_action"}
    assert db.session.scalar(select(Notice)).done_dt is not None


def test_sessions_unanswered_a_day_ahead_are_listed(app, client_for, clock):
    world = booked_loop(interviewers=2)
    start = world["sessions"][0].start_dt
    recruiter = client_for(world["recruiter"])
    clock.set(start - timedelta(hours=30))
    assert "Not answered, starting within 24 hours" not in text_of(recruiter.get("/dashboard"))
    clock.set(start - timedelta(hours=20))
    _answer(world, 0, "ACCEPTED")
    page = text_of(recruiter.get("/dashboard"))
    assert "Not answered, starting within 24 hours" in page
    assert world["people"][1].name in page.split("Not answered, starting within 24 hours")[1]
    assert "1 session unanswered within 24 h" in text_of(recruiter.get("/"))
    _answer(world, 1, "TENTATIVE")
    assert "Not answered, starting within 24 hours" not in text_of(recruiter.get("/dashboard"))


def test_needs_action_runs_the_same_number_of_queries_for_1_or_8_declines(app, client_for):
    from sqlalchemy import event

    first = booked_loop(interviewers=2)
    _answer(first, 0, "DECLINED")
    recruiter = client_for(first["recruiter"])

    def queries() -> int:
        count = [0]

        def listener(*args, **kwargs):
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert recruiter.get("/dashboard").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return count[0]

    few = queries()
    for n in range(7):
        more = booked_loop(interviewers=2, job=first["job"], days_ahead=9 + 7 * (n + 1))
        _answer(more, 1, "DECLINED")
    db.session.commit()
    assert len(db.session.scalars(select(Notice)).all()) == 8
    assert queries() == few
