"""Warnings before booking, said on the board and on the confirm step: no place or video link, an interviewer not
qualified for their focus area, the candidate waiting an hour, kits without questions; and a video room per loop
from a meeting service that needs no account."""

from __future__ import annotations

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.focus.models import FocusArea, Qualification
from coordinator.kits.models import SessionFocusArea
from coordinator.loops.models import Loop, LoopSession
from tests.board.conftest import at, next_monday, place, sessions
from tests.helpers import text_of


def board_text(client, loop_url) -> str:
    return text_of(client.get(loop_url + f"/board?day={next_monday().isoformat()}"))


def test_a_session_without_place_or_video_link_is_named(app, team, recruiter, loop_url):
    assert "no place and no video link" not in board_text(recruiter, loop_url)
    first, _ = sessions()
    first.location = ""
    db.session.commit()
    assert "'Hiring manager' has no place and no video link" in board_text(recruiter, loop_url)


def test_an_hour_of_waiting_for_the_candidate_is_named_on_the_board_and_the_confirm_step(app, team, recruiter,
                                                                                          loop_url):
    first, second = sessions()
    place(recruiter, loop_url, first, at(10))
    place(recruiter, loop_url, second, at(11))
    assert "waits" not in board_text(recruiter, loop_url)  # 15 minutes is a break, not a wait
    place(recruiter, loop_url, second, at(12))
    message = "The candidate waits 75 minutes between 'Hiring manager' and 'System design'."
    assert message in board_text(recruiter, loop_url)
    assert message in text_of(recruiter.get(loop_url + "/board/confirm"))


def test_focus_areas_people_are_not_qualified_for_and_empty_kits_are_named(app, team, recruiter, loop_url):
    first, second = sessions()
    design, coding = FocusArea(name="System design"), FocusArea(name="Coding")
    db.session.add_all([design, coding])
    db.session.flush()
    db.session.add_all([SessionFocusArea(session_id=first.id, focus_area_id=coding.id),
                        SessionFocusArea(session_id=second.id, focus_area_id=design.id),
                        Qualification(user_id=team["manager"].id, focus_area_id=coding.id, is_shadowing=True),
                        Qualification(user_id=team["jonas"].id, focus_area_id=design.id)])
    db.session.commit()
    place(recruiter, loop_url, first, at(10))
    place(recruiter, loop_url, second, at(11), person_id=str(team["emily"].id))
    text = board_text(recruiter, loop_url)
    assert "Hannah Manager is only shadowing for Coding in 'Hiring manager'." in text
    assert "Emily Johnson is not qualified for System design in 'System design'." in text
    assert "Kits with no questions yet: Hannah Manager in 'Hiring manager'; Emily Johnson in 'System design'." in text
    # Jonas is qualified: picking him instead clears his line
    place(recruiter, loop_url, second, at(11), person_id=str(team["jonas"].id))
    text = text_of(recruiter.get(loop_url + "/board/confirm"))
    assert "Emily Johnson is not qualified" not in text and "Jonas Weber is not qualified" not in text
    assert "Hannah Manager is only shadowing for Coding" in text


def test_a_video_room_per_loop_from_the_configured_service(app, team, recruiter, loop_url):
    first, _ = sessions()
    first.location = ""
    db.session.commit()
    assert "Add a video link for this loop" not in board_text(recruiter, loop_url)
    refused = recruiter.post(loop_url + "/board/video", data={})
    assert refused.status_code == 302
    assert "No meeting service is configured" in text_of(recruiter.get(loop_url + "/board"))

    app.config["VIDEO_BASE_URL"] = "https://meet.jit.si/"
    assert "Add a video link for this loop" in board_text(recruiter, loop_url)
    assert recruiter.post(loop_url + "/board/video", data={}).status_code == 302
    loop = db.session.scalar(select(Loop))
    assert loop.video_url.startswith(f"https://meet.jit.si/Interview-{loop.id}-")
    text = board_text(recruiter, loop_url)
    assert "no place and no video link" not in text and "Add a video link" not in text
    assert "Changed video url" in text_of(recruiter.get(loop_url))
    assert db.session.get(LoopSession, first.id).video == loop.video_url
    from coordinator.board.services import video_room_url

    assert video_room_url(loop) != video_room_url(loop)  # a room nobody can guess or share by accident
