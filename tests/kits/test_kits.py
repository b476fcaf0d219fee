"""Interview kits: what one interviewer reads before one session, who may read it, who may change it."""

from __future__ import annotations

import pytest

from coordinator.extensions import db
from coordinator.kits.models import InterviewerAssignment
from tests.focus.support import make_loop, next_weekday, setup_interviewing
from tests.helpers import text_of


@pytest.fixture
def world(org, make_user):
    return setup_interviewing(org, make_user)


@pytest.fixture
def loop(world, client_for):
    loop = make_loop(world, [
        {"title": "System design", "kind": "panel", "duration_min": 60,
         "interviewer_ids": [world["jonas"], world["priya"]], "shadow_ids": [world["tom"]]},
        {"title": "Manager chat", "interviewer_ids": [world["emily"]]},
    ])
    recruiter = client_for(world["recruiter"])
    design, chat = loop.sessions
    q = world["questions"]
    for session, person, areas, questions in (
            (design, world["jonas"], ["design"], [q["System design"][0], q["System design"][1]]),
            (design, world["priya"], ["depth", "collab"], [q["Collaboration"][0]]),
            (chat, world["emily"], ["owner"], [q["Ownership"][1]])):
        response = recruiter.post(f"/loops/{loop.id}/sessions/{session.id}/kits/{person.id}/edit", data={
            "area_ids": [str(world[a].id) for a in areas], "question_ids": [str(x.id) for x in questions]})
        assert response.status_code == 302, text_of(response)
    day = next_weekday(2)
    assert recruiter.post(f"/loops/{loop.id}/sessions/{design.id}/place", data={
        "day": day.isoformat(), "start": "10:00", "interviewer_ids": [str(world["jonas"].id), str(world["priya"].id)]}
    ).status_code == 302
    return loop


def url(loop, session, user, edit=False) -> str:
    return f"/loops/{loop.id}/sessions/{session.id}/kits/{user.id}" + ("/edit" if edit else "")


def test_a_kit_has_everything_the_interviewer_needs(world, loop, client_for):
    design = loop.sessions[0]
    response = client_for(world["jonas"]).get(url(loop, design, world["jonas"]))
    assert response.status_code == 200
    page = text_of(response)
    # the candidate, the role and the notes from the first interview
    assert "System design with Ada Lovelace" in page and "Senior Data Engineer" in page
    assert "Kafka pipelines" in page and "On-call" in page
    # the focus area with its guidance for every level, best first
    assert "Your focus areas System design What system design means here." in page
    assert page.index("Strong yes System design: outstanding evidence.") < page.index(
        "Strong no System design: contrary evidence.")
    # the questions with probes
    assert "Tell me about a time you showed system design." in page and "What did you do yourself?" in page
    assert "What would you do if system design were tested?" in page and "Why that first?" in page
    # a timing plan with clock times (booked at 10:00 Berlin), STAR, the others and the scorecard
    assert "Timing plan" in page and ("10:00 CET" in page or "10:00 CEST" in page)
    assert "Welcome and introductions" in page and "The candidate's questions" in page
    for part in ("Situation", "Task", "Action", "Result"):
        assert part in page
    assert "Priya Nair Technical depth, Collaboration" in page and "Emily Johnson Ownership" in page
    assert "Tom Becker shadow attends, does not score" in page
    assert "Scorecard (available after the interview)." in page
    assert "Strong no, No, Yes, Strong yes" in page


def test_the_kit_is_printable(world, loop, client_for):
    response = client_for(world["jonas"]).get(url(loop, loop.sessions[0], world["jonas"]))
    html = response.get_data(as_text=True)
    assert 'data-print' in html and "kit-print.js" in html and "focus.css" in html
    with client_for(world["jonas"]).get("/static/focus.css") as static:
        css = static.get_data(as_text=True)
    assert "@media print" in css and ".site-header" in css.split("@media print")[1]
    assert "onclick" not in html  # the content security policy allows no inline script


def test_an_interviewer_reads_the_kits_of_loops_they_are_on_and_only_those(world, loop, client_for, make_candidate):
    design, chat = loop.sessions
    jonas = client_for(world["jonas"])
    assert jonas.get(url(loop, chat, world["emily"])).status_code == 200  # a colleague's kit, read-only
    assert "Edit kit" not in text_of(jonas.get(url(loop, chat, world["emily"])))
    tom = client_for(world["tom"])  # the shadow is on the loop too
    assert tom.get(url(loop, design, world["jonas"])).status_code == 200
    stranger = client_for(world["stranger"])
    assert stranger.get(url(loop, design, world["jonas"])).status_code == 403
    assert stranger.get(f"/loops/{loop.id}/coverage").status_code == 403
    assert client_for(world["other_recruiter"]).get(url(loop, design, world["jonas"])).status_code == 403
    # a loop Jonas is not on
    other = make_loop({**world, "candidate": make_candidate(name="Kwame Mensah", job=world["job"])},
                      [{"title": "Chat", "interviewer_ids": [world["emily"]]}])
    assert jonas.get(url(other, other.sessions[0], world["emily"])).status_code == 403
    assert jonas.post(url(other, other.sessions[0], world["emily"], edit=True),
                      data={"area_ids": [str(world["owner"].id)]}).status_code == 403
    # the hiring team
    assert client_for(world["manager"]).get(url(loop, design, world["jonas"])).status_code == 200
    assert client_for(world["admin"]).get(url(loop, design, world["jonas"])).status_code == 200


def test_an_interviewer_changes_their_own_questions_but_not_their_areas(world, loop, client_for):
    design = loop.sessions[0]
    jonas = client_for(world["jonas"])
    page = jonas.get(url(loop, design, world["jonas"], edit=True))
    assert page.status_code == 200 and "assigned by the recruiter" in text_of(page)
    keep = world["questions"]["System design"][0]
    response = jonas.post(url(loop, design, world["jonas"], edit=True), data={
        "area_ids": [str(world["owner"].id)],  # ignored: not his to change
        "question_ids": [str(keep.id)], "new_text": "How would you test this design?", "new_kind": "practical",
        "new_focus_area_id": str(world["design"].id)})
    assert response.status_code == 302
    kit = text_of(jonas.get(url(loop, design, world["jonas"])))
    assert "How would you test this design?" in kit and keep.text in kit
    assert "What would you do if system design were tested?" not in kit
    assignment = db.session.query(InterviewerAssignment).filter_by(user_id=world["jonas"].id).one()
    assert [a.focus_area_id for a in assignment.areas] == [world["design"].id]
    # a colleague's kit is not his to edit
    assert jonas.get(url(loop, design, world["priya"], edit=True)).status_code == 403
    assert jonas.post(url(loop, design, world["priya"], edit=True),
                      data={"question_ids": []}).status_code == 403


def test_bad_ids_are_404(world, loop, client_for):
    client = client_for(world["recruiter"])
    design, chat = loop.sessions
    assert client.get(f"/loops/999999/sessions/{design.id}/kits/{world['jonas'].id}").status_code == 404
    assert client.get(url(loop, design, world["emily"])).status_code == 404  # not in that session
    assert client.get(url(loop, design, world["tom"])).status_code == 404  # a shadow has no kit
    assert client.get(f"/loops/{loop.id}/sessions/999999/kits/{world['jonas'].id}").status_code == 404
    assert client.get(f"/loops/{loop.id}/sessions/{design.id}/kits/999999/edit").status_code == 404


def test_the_loop_page_links_each_interviewer_to_their_kit(world, loop, client_for):
    page = client_for(world["jonas"]).get(f"/loops/{loop.id}").get_data(as_text=True)
    design = loop.sessions[0]
    assert f'href="/loops/{loop.id}/sessions/{design.id}/kits/{world["jonas"].id}" role="button"' in page  # your kit
    assert f'/loops/{loop.id}/sessions/{loop.sessions[1].id}/kits/{world["emily"].id}' in page
    assert "Suggest an assignment" not in page  # an interviewer does not assign


def test_the_interviewers_own_kit_of_a_booked_session_leads_to_their_scorecard(world, loop, client_for):
    design, chat = loop.sessions  # design is booked, chat is not
    jonas = client_for(world["jonas"])
    page = jonas.get(url(loop, design, world["jonas"])).get_data(as_text=True)
    link = f'href="/scorecards/session/{design.id}"'
    assert link in page
    assert jonas.get(f"/scorecards/session/{design.id}").status_code == 200  # the link opens Jonas's own form
    # a colleague's kit has no link to anybody's scorecard; a session not booked yet has none either
    assert "/scorecards/session/" not in jonas.get(url(loop, design, world["priya"])).get_data(as_text=True)
    assert "/scorecards/session/" not in client_for(world["emily"]).get(
        url(loop, chat, world["emily"])).get_data(as_text=True)
