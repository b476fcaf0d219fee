"""Assigning focus areas and questions to a loop's interviewers, the coverage check on the loop page, the
one-click suggestion, and the rule that booking with an uncovered area needs a reason."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.focus.models import Question
from coordinator.kits import services as assignments
from coordinator.kits.models import AssignmentQuestion, InterviewerAssignment
from coordinator.loops.models import LoopEvent, LoopSession
from tests.focus.support import make_loop, next_weekday, setup_interviewing
from tests.helpers import text_of


@pytest.fixture
def world(org, make_user):
    return setup_interviewing(org, make_user)


@pytest.fixture
def loop(world):
    """Design (panel: Jonas, Tom as shadow... no: Jonas and Priya), Team chat (Priya), Manager chat (Emily)."""
    return make_loop(world, [
        {"title": "System design", "kind": "panel", "duration_min": 60,
         "interviewer_ids": [world["jonas"], world["priya"]], "shadow_ids": [world["tom"]]},
        {"title": "Manager chat", "interviewer_ids": [world["emily"]]},
    ])


def kit_url(loop, session, user) -> str:
    return f"/loops/{loop.id}/sessions/{session.id}/kits/{user.id}"


def ids(*items) -> list[str]:
    return [str(i.id) for i in items]


def session_named(loop, title) -> LoopSession:
    return next(s for s in loop.sessions if s.title == title)


def assignment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(InterviewerAssignment))


def test_the_loop_page_shows_the_matrix_and_what_nobody_covers(world, loop, client_for):
    page = text_of(client_for(world["recruiter"]).get(f"/loops/{loop.id}"))
    assert "Focus areas and interview kits" in page
    for name in ("System design", "Technical depth", "Collaboration", "Ownership"):
        assert f"Nobody covers {name}." in page
    assert "4 focus areas are not covered. Booking this loop needs a reason until they are." in page
    assert "Jonas Weber has no focus area in System design yet." in page


def test_assigning_areas_and_questions_fixes_the_gap(world, loop, client_for):
    client = client_for(world["recruiter"])
    design = session_named(loop, "System design")
    q_design, q_depth = world["questions"]["System design"][0], world["questions"]["Technical depth"][1]
    response = client.post(kit_url(loop, design, world["jonas"]) + "/edit", data={
        "area_ids": ids(world["design"], world["depth"]), "question_ids": ids(q_design, q_depth)})
    assert response.status_code == 302
    kit = text_of(client.get(response.headers["Location"]))
    assert q_design.text in kit and "What did you do yourself?" in kit and q_depth.text in kit
    page = text_of(client.get(f"/loops/{loop.id}"))
    assert "Nobody covers System design." not in page and "Nobody covers Ownership." in page
    history = db.session.scalars(select(LoopEvent.summary).where(LoopEvent.action == "focus_assigned")).all()
    assert history == ["Jonas Weber covers System design, Technical depth in 'System design' with 2 questions."]


def test_every_bad_assignment_gets_a_message_and_nothing_is_saved(world, loop, client_for):
    client = client_for(world["recruiter"])
    url = kit_url(loop, session_named(loop, "System design"), world["jonas"]) + "/edit"
    cases = [
        ({"area_ids": ids(world["culture"])}, "Culture add is not one of this job's focus areas."),
        ({"area_ids": []}, "Give Jonas Weber at least one focus area."),
        ({"area_ids": ids(world["design"], world["depth"], world["collab"], world["owner"])},
         "Give at most 3 focus areas to one interviewer, so each gets real depth."),
        ({"area_ids": ["999999"]}, "Choose focus areas from the list."),
        ({"area_ids": ["x"]}, "could not be coerced"),
        ({"area_ids": ids(world["design"]), "question_ids": ids(world["questions"]["Ownership"][0])},
         "is about Ownership, which is not one of Jonas Weber's focus areas here."),
        ({"area_ids": ids(world["design"]), "question_ids": ["999999"]}, "Choose questions from the list."),
        ({"area_ids": ids(world["design"]), "new_text": "   ", "new_probes": "Why?",
          "new_focus_area_id": str(world["design"].id), "new_kind": "behavioral"},
         "Write the question; it cannot be empty."),
        ({"area_ids": ids(world["design"]), "new_text": "Why here?", "new_kind": "behavioral",
          "new_focus_area_id": str(world["owner"].id)},
         "Ownership is not one of the focus areas here; tag the question with one of them."),
        ({"area_ids": ids(world["design"]), "new_text": "Why here?", "new_kind": "riddle",
          "new_focus_area_id": str(world["design"].id)}, "Choose the kind of question from the list."),
    ]
    questions_before = db.session.scalar(select(func.count()).select_from(Question))
    for data, message in cases:
        response = client.post(url, data=data)
        assert response.status_code == 400, data
        assert message in text_of(response), (data, text_of(response)[-600:])
    assert assignment_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Question)) == questions_before


def test_a_question_written_for_the_loop_is_in_the_kit_and_not_in_the_bank(world, loop, client_for):
    client = client_for(world["recruiter"])
    url = kit_url(loop, session_named(loop, "Manager chat"), world["emily"])
    response = client.post(url + "/edit", data={
        "area_ids": ids(world["owner"]), "new_text": "Why did you leave your last on-call rotation?",
        "new_kind": "situational", "new_focus_area_id": str(world["owner"].id), "new_probes": "Who took over?"})
    assert response.status_code == 302
    question = db.session.scalar(select(Question).where(Question.loop_id == loop.id))
    assert question.text == "Why did you leave your last on-call rotation?"
    assert question.probe_list == ["Who took over?"]
    assert "Why did you leave your last on-call" in text_of(client.get(url))
    assert "Why did you leave your last on-call" not in text_of(client.get("/questions"))
    # it can be picked again in the same loop (kept), but not from another loop
    other = make_loop(world, [{"title": "Other", "interviewer_ids": [world["emily"]]}])
    other_url = kit_url(other, other.sessions[0], world["emily"]) + "/edit"
    response = client.post(other_url, data={"area_ids": ids(world["owner"]), "question_ids": [str(question.id)]})
    assert response.status_code == 400 and "Choose questions from the list." in text_of(response)


def test_an_archived_question_stays_in_a_kit_but_cannot_be_newly_picked(world, loop, client_for):
    client = client_for(world["recruiter"])
    url = kit_url(loop, session_named(loop, "Manager chat"), world["emily"]) + "/edit"
    first, second = world["questions"]["Ownership"]
    assert client.post(url, data={"area_ids": ids(world["owner"]), "question_ids": ids(first)}).status_code == 302
    for q in (first, second):
        db.session.get(Question, q.id).is_archived = True
    db.session.commit()
    assert client.post(url, data={"area_ids": ids(world["owner"]), "question_ids": ids(first)}).status_code == 302
    response = client.post(url, data={"area_ids": ids(world["owner"]), "question_ids": ids(first, second)})
    assert response.status_code == 400 and "is archived; choose another question." in text_of(response)


def test_warnings_for_unqualified_duplicates_too_many_and_one_kind(world, loop, client_for):
    client = client_for(world["recruiter"])
    design, chat = session_named(loop, "System design"), session_named(loop, "Manager chat")
    # Emily is qualified for Ownership only; Collaboration is also covered by Priya in another session.
    assert client.post(kit_url(loop, chat, world["emily"]) + "/edit", data={
        "area_ids": ids(world["owner"], world["collab"]),
        "question_ids": ids(world["questions"]["Ownership"][0])}).status_code == 302
    assert client.post(kit_url(loop, design, world["priya"]) + "/edit", data={
        "area_ids": ids(world["collab"], world["depth"]),
        "question_ids": ids(world["questions"]["Collaboration"][0])}).status_code == 302
    page = text_of(client.get(f"/loops/{loop.id}"))
    assert "Emily Johnson is not qualified to assess Collaboration (Manager chat)." in page
    assert "Collaboration is covered twice outside a panel: Priya Nair (System design) and Emily Johnson " \
           "(Manager chat)." in page
    assert "Every question in this loop is behavioral; mix in situational or practical questions." in page
    assert "not qualified" in page  # the matrix cell says so too


def test_the_suggestion_covers_every_area_with_qualified_people_and_picks_questions(world, loop, client_for):
    client = client_for(world["recruiter"])
    response = client.post(f"/loops/{loop.id}/coverage/suggest")
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Suggested: every focus area is covered once." in page
    assert "Nobody covers" not in page and "not qualified" not in page
    cov = assignments.loop_coverage(loop)
    assert cov.uncovered == [] and cov.coverage.warnings_for("unqualified", "shadowing", "duplicate") == []
    by_person = {c.user.name: {a for a in c.slot.area_ids} for c in cov.columns}
    assert by_person["Emily Johnson"] == {world["owner"].id}
    assert world["collab"].id in by_person["Priya Nair"] and world["design"].id in by_person["Jonas Weber"]
    assert db.session.scalar(select(func.count()).select_from(AssignmentQuestion)) >= 4
    kinds = {q.kind for c in cov.columns for q in c.questions}
    assert kinds == {"behavioral", "situational"}  # mixed


def test_the_suggestion_plans_the_areas_of_a_pool_only_session(world, org, client_for, make_user):
    loop = make_loop(world, [{"title": "Pool only", "pool_ids": [world["jonas"], world["priya"]], "pool_count": 1}])
    client = client_for(world["recruiter"])
    response = client.post(f"/loops/{loop.id}/coverage/suggest", follow_redirects=True)
    assert "Nobody is named in this loop's sessions yet" not in text_of(response)
    assert assignments.session_planned_areas([loop.sessions[0].id])[loop.sessions[0].id]  # the pick gets them


def test_session_planned_areas_cover_pool_picks_and_default_kits(world, client_for):
    loop = make_loop(world, [
        {"title": "Design", "pool_ids": [world["jonas"], world["priya"]], "pool_count": 1},
        {"title": "Chat", "interviewer_ids": [world["emily"]]},
    ])
    client = client_for(world["recruiter"])
    design, chat = loop.sessions
    response = client.post(f"/loops/{loop.id}/sessions/{design.id}/focus",
                           data={"area_ids": ids(world["design"], world["depth"], world["collab"])})
    assert response.status_code == 302
    assert client.post(f"/loops/{loop.id}/sessions/{chat.id}/focus",
                       data={"area_ids": ids(world["owner"])}).status_code == 302
    page = text_of(client.get(f"/loops/{loop.id}/coverage"))
    assert "Every focus area is covered once; 1 interviewer is picked from the pool at booking" in page
    kit = text_of(client.get(kit_url(loop, chat, world["emily"])))
    assert "From the session plan: nobody has assigned focus areas to Emily Johnson specifically." in kit
    assert "Ownership: solid evidence." in kit  # the guidance of her planned area
    bad = client.post(f"/loops/{loop.id}/sessions/{chat.id}/focus", data={"area_ids": ids(world["culture"])})
    assert bad.status_code == 303
    assert "Culture add is not one of this job's focus areas." in text_of(client.get(bad.headers["Location"]))


# --- booking ---------------------------------------------------------------------------------------------------

def place(client, loop, session, user, hour="10:00", reason=None):
    data = {"day": next_weekday(1).isoformat(), "start": hour, "interviewer_ids": [str(user.id)]}
    if reason is not None:
        data["override_reason"] = reason
    return client.post(f"/loops/{loop.id}/sessions/{session.id}/place", data=data)


def test_booking_with_an_uncovered_area_needs_a_reason_which_the_history_keeps(world, client_for):
    loop = make_loop(world, [{"title": "Chat", "interviewer_ids": [world["emily"]]}])
    client = client_for(world["recruiter"])
    chat = loop.sessions[0]
    response = place(client, loop, chat, world["emily"])
    assert response.status_code == 400
    page = text_of(response)
    assert "Nobody in this loop covers System design, Technical depth, Collaboration and Ownership." in page
    assert db.session.get(LoopSession, chat.id).start_dt is None
    response = place(client, loop, chat, world["emily"], reason="Design is covered in a second loop next week")
    assert response.status_code == 302
    assert db.session.get(LoopSession, chat.id).is_booked
    event = db.session.scalar(select(LoopEvent).where(LoopEvent.action == "coverage_override"))
    assert event.reason == "Design is covered in a second loop next week"
    assert "Design is covered in a second loop next week" in text_of(client.get(f"/loops/{loop.id}"))
    # moving the booked session does not ask again
    assert place(client, loop, chat, world["emily"], hour="14:00").status_code == 302


def test_booking_an_engine_option_with_a_gap_shows_the_override_page(world, loop, client_for):
    client = client_for(world["recruiter"])
    find = client.get(f"/loops/{loop.id}/find")
    import html
    import re

    options = [html.unescape(v) for v in re.findall(r'name="option" value="([^"]+)"', find.get_data(as_text=True))]
    assert options
    response = client.post(f"/loops/{loop.id}/book", data={"option": options[0]})
    assert response.status_code == 400
    assert "This booking breaks soft rules" in text_of(response) and "Nobody in this loop covers" in text_of(response)
    assert not any(s.is_booked for s in db.session.scalars(select(LoopSession)))
    # once every area is covered, the same option books straight away
    assert client.post(f"/loops/{loop.id}/coverage/suggest").status_code == 302
    assert client.post(f"/loops/{loop.id}/book", data={"option": options[0]}).status_code == 302
    assert all(s.is_booked for s in db.session.scalars(select(LoopSession)))
    assert json.loads(options[0])


def test_a_job_without_focus_areas_books_without_asking(org, client_for, make_user):
    from coordinator.auth.roles import Role

    jonas = make_user(Role.INTERVIEWER, name="Jonas Weber")
    world = {**org}
    loop = make_loop(world, [{"title": "Chat", "interviewer_ids": [jonas]}])
    client = client_for(org["recruiter"])
    assert place(client, loop, loop.sessions[0], jonas).status_code == 302
    page = text_of(client.get(f"/loops/{loop.id}"))
    assert "has no focus areas yet, so this loop is not checked for coverage" in page


def test_a_replacement_takes_over_the_assignment_of_who_left(world, client_for):
    loop = make_loop(world, [{"title": "Design", "interviewer_ids": [world["jonas"]]}])
    client = client_for(world["recruiter"])
    design = loop.sessions[0]
    assert client.post(kit_url(loop, design, world["jonas"]) + "/edit", data={
        "area_ids": ids(world["design"]), "question_ids": ids(world["questions"]["System design"][0])}
    ).status_code == 302
    from coordinator.loops import services

    services.replace_interviewer(db.session.get(LoopSession, design.id), world["jonas"].id, world["priya"].id,
                                 world["recruiter"])
    db.session.commit()
    kit = text_of(client.get(kit_url(loop, design, world["priya"])))
    assert "Taken over from Jonas Weber" in kit and world["questions"]["System design"][0].text in kit
    assert client.get(kit_url(loop, design, world["jonas"])).status_code == 404


def test_managing_assignments_is_for_the_loops_recruiter_and_the_jobs_hiring_manager(world, loop, client_for):
    design = session_named(loop, "System design")
    data = {"area_ids": ids(world["design"])}
    url = kit_url(loop, design, world["jonas"]) + "/edit"
    assert client_for(world["manager"]).post(url, data=data).status_code == 302  # the job's hiring manager
    assert client_for(world["other_recruiter"]).post(url, data=data).status_code == 403
    assert client_for(world["other_recruiter"]).post(f"/loops/{loop.id}/coverage/suggest").status_code == 403
    assert client_for(world["jonas"]).post(f"/loops/{loop.id}/coverage/suggest").status_code == 403
    assert client_for(world["jonas"]).post(f"/loops/{loop.id}/sessions/{design.id}/focus",
                                           data={"area_ids": ids(world["owner"])}).status_code == 403
    assert client_for(world["stranger"]).get(f"/loops/{loop.id}/coverage").status_code == 403


def test_a_cancelled_loop_keeps_its_kits_read_only(world, loop, client_for):
    client = client_for(world["recruiter"])
    assert client.post(f"/loops/{loop.id}/cancel", data={"reason": "Candidate withdrew"}).status_code == 302
    design = session_named(loop, "System design")
    response = client.post(kit_url(loop, design, world["jonas"]) + "/edit", data={"area_ids": ids(world["design"])})
    assert response.status_code in (400, 404)
    assert assignment_count() == 0
    response = client.post(f"/loops/{loop.id}/coverage/suggest", follow_redirects=True)
    assert "This loop is cancelled." in text_of(response)
