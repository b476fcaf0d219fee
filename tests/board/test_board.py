"""The scheduling board through the requests its page makes: placing a session is checked at once, nothing is
booked until the recruiter confirms, and confirming books through the same rules as any booking."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from coordinator.availability.models import BusyBlock
from coordinator.board.models import BoardDraft
from coordinator.extensions import db
from coordinator.invites.models import OutboxMessage
from coordinator.loops.models import Loop, LoopSession, SessionStatus
from tests.board.conftest import HX, at, next_monday, place, sessions
from tests.helpers import text_of


def test_the_board_shows_everyone_with_their_own_zone_and_a_slot_per_half_hour(app, team, recruiter, loop_url):
    page = recruiter.get(loop_url + f"/board?day={next_monday().isoformat()}")
    assert page.status_code == 200
    text = text_of(page)
    for name in ("Ada Lovelace", "Hannah Manager", "Jonas Weber", "Emily Johnson"):
        assert name in text
    assert "Pool: 'System design'" in text
    assert "Europe/London" in text and "on your clock" in text  # the candidate's zone against the viewer's
    html = page.get_data(as_text=True)
    assert "data-slot-labels=" in html and "Mon 14 Dec 10:00".split()[0] in html  # the slots, made by the script
    assert 'class="slot-layer" data-name="Jonas Weber"' in html
    assert "Not placed yet." in text and "Pick up" in text
    week = recruiter.get(loop_url + f"/board?day={next_monday().isoformat()}&mode=week")
    assert week.status_code == 200 and "Week of" in text_of(week)


def test_placing_is_checked_and_held_as_a_draft_without_booking_or_invites(app, team, recruiter, loop_url):
    first, second = sessions()
    response = place(recruiter, loop_url, first, at(10))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and response.headers["HX-Reswap"] == "none"
    # only what the move changed: the candidate's and Hannah's rows, not the pool members'
    assert 'id="row-candidate" hx-swap-oob="true"' in html and f'id="row-{team["manager"].id}"' in html
    assert f'id="row-{team["jonas"].id}"' not in html and 'id="board-cards" ' in html
    assert "On the board" in text_of(response)
    draft = db.session.get(BoardDraft, first.id)
    assert draft is not None and draft.interviewers == (team["manager"].id,)
    assert db.session.get(LoopSession, first.id).status == SessionStatus.PLANNED.value
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    # a pool member dropped on: picked; moving the session keeps them
    response = place(recruiter, loop_url, second, at(11), person_id=str(team["emily"].id))
    assert response.status_code == 200, text_of(response)
    assert db.session.get(BoardDraft, second.id).interviewers == (team["emily"].id,)
    place(recruiter, loop_url, second, at(14))
    draft = db.session.get(BoardDraft, second.id)
    assert draft.interviewers == (team["emily"].id,)
    assert draft.start_dt == datetime.fromisoformat(at(14))


def test_without_a_pick_the_engine_takes_a_free_pool_member(app, team, recruiter, loop_url):
    _, second = sessions()
    start = datetime.fromisoformat(at(11))
    db.session.add(BusyBlock(user_id=team["emily"].id, start_dt=start, end_dt=start + timedelta(hours=1)))
    db.session.commit()
    assert place(recruiter, loop_url, second, at(11)).status_code == 200
    assert db.session.get(BoardDraft, second.id).interviewers == (team["jonas"].id,)


def test_a_hard_conflict_is_refused_inline_and_nothing_is_kept(app, team, recruiter, loop_url):
    first, _ = sessions()
    start = datetime.fromisoformat(at(10))
    db.session.add(BusyBlock(user_id=team["manager"].id, start_dt=start, end_dt=start + timedelta(hours=1)))
    db.session.commit()
    response = place(recruiter, loop_url, first, at(10))
    assert response.status_code == 409
    text = text_of(response)
    assert "Not placed" in text and "Hannah Manager is already busy" in text and "'Hiring manager'" in text
    assert db.session.get(BoardDraft, first.id) is None


def test_a_soft_problem_asks_for_a_reason_then_is_kept_with_it(app, team, recruiter, loop_url):
    first, _ = sessions()
    response = place(recruiter, loop_url, first, at(19))  # after Hannah's working hours
    assert response.status_code == 200
    text = text_of(response)
    assert "Place it anyway?" in text and "outside Hannah Manager's working hours" in text
    assert db.session.get(BoardDraft, first.id) is None
    response = place(recruiter, loop_url, first, at(19), reason="Hannah offered to stay late")
    assert response.status_code == 200
    draft = db.session.get(BoardDraft, first.id)
    assert draft.reason == "Hannah offered to stay late" and "working hours" in draft.accepted_problems


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("yesterday", "Choose a time from the board."),
        ("2020-01-06T09:00:00+00:00", "Choose a time in the future."),
        ("2026-01-06T09:00:00", "Choose a time from the board."),
    ],
)
def test_bad_times_get_a_message(app, team, recruiter, loop_url, start, message):
    first, _ = sessions()
    response = place(recruiter, loop_url, first, start)
    assert response.status_code == 400
    assert message in text_of(response)


def test_someone_outside_the_pool_cannot_be_picked(app, team, recruiter, loop_url):
    _, second = sessions()
    response = place(recruiter, loop_url, second, at(11), person_id=str(team["priya"].id))
    assert response.status_code == 400
    assert "not in this session's pool" in text_of(response)


def test_confirm_books_every_draft_and_holds_the_invites_for_review(app, team, recruiter, loop_url):
    first, second = sessions()
    place(recruiter, loop_url, first, at(10))
    place(recruiter, loop_url, second, at(11), person_id=str(team["jonas"].id))
    page = recruiter.get(loop_url + "/board/confirm")
    assert page.status_code == 200
    text = text_of(page)
    assert "Hiring manager" in text and "System design" in text and "Jonas Weber" in text
    response = recruiter.post(loop_url + "/board/confirm", data={})
    assert response.status_code == 302 and response.headers["Location"].endswith("/invites/review")
    loop = db.session.scalar(select(Loop))
    assert loop.status == "scheduled"
    assert [s.status for s in sessions()] == ["booked", "booked"]
    assert sessions()[1].interviewers[0].name == "Jonas Weber"
    assert db.session.scalar(select(func.count()).select_from(BoardDraft)) == 0
    statuses = set(db.session.scalars(select(OutboxMessage.status)))
    assert statuses == {"review"}


def test_moving_a_booked_session_on_the_board_reschedules_it_on_confirm(app, team, recruiter, loop_url):
    first, second = sessions()
    place(recruiter, loop_url, first, at(10))
    place(recruiter, loop_url, second, at(11))
    recruiter.post(loop_url + "/board/confirm", data={})
    place(recruiter, loop_url, second, at(14))
    assert sessions()[1].start_dt == datetime.fromisoformat(at(11))  # not moved until confirmed
    response = recruiter.post(loop_url + "/board/confirm", data={})
    assert response.status_code == 302
    assert sessions()[1].start_dt == datetime.fromisoformat(at(14))
    assert "Moved 'System design'" in text_of(recruiter.get(loop_url))


def test_discard_forgets_the_drafts(app, team, recruiter, loop_url):
    first, _ = sessions()
    place(recruiter, loop_url, first, at(10))
    response = recruiter.post(loop_url + "/board/discard", data={"day": next_monday().isoformat(), "mode": "day"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(BoardDraft)) == 0


def test_a_find_times_option_shows_as_ghosts_and_can_be_put_on_the_board(app, team, recruiter, loop_url):
    from tests.loops.test_loops import options_on

    options = options_on(recruiter.get(loop_url + "/find"))
    page = recruiter.get(loop_url + "/board", query_string={"option": options[0]})
    assert page.status_code == 200
    assert "chip ghost" in page.get_data(as_text=True) and "Put this option on the board" in text_of(page)
    response = recruiter.post(loop_url + "/board/option", data={"option": options[0]}, headers=HX)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(BoardDraft)) == 2


def test_only_the_loops_managers_see_the_board(app, team, client_for, loop_url):
    assert client_for(team["interviewer"]).get(loop_url + "/board").status_code == 403
    assert client_for(team["other_recruiter"]).get(loop_url + "/board").status_code in (403, 404)
