"""Focus areas with rating guidance, the question bank and qualifications, through the pages people use."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.focus import services as fs
from coordinator.focus.models import FocusArea, Qualification, Question
from coordinator.focus.rating import Rating
from tests.focus.support import setup_interviewing
from tests.helpers import text_of


@pytest.fixture
def world(org, make_user):
    return setup_interviewing(org, make_user)


def area_form(name="Problem solving", **extra):
    data = {"name": name, "description": "Breaking down unfamiliar problems.",
            "guidance_strong_yes": "Structures it at once.", "guidance_yes": "Gets there with a plan.",
            "guidance_no": "Needs many hints.", "guidance_strong_no": "No progress."}
    data.update(extra)
    return data


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_rating_scale_has_four_points_and_no_neutral():
    assert [r.label for r in Rating] == ["Strong no", "No", "Yes", "Strong yes"]
    assert [r.score for r in Rating] == [1, 2, 3, 4]
    assert {r for r in Rating if r.label} == set(Rating)


def test_a_hiring_manager_creates_a_focus_area_with_guidance_for_every_level(org, client_for):
    client = client_for(org["manager"])
    response = client.post("/focus-areas/new", data=area_form())
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Problem solving" in page and "Breaking down unfamiliar problems." in page
    assert page.index("Strong yes") < page.index("Structures it at once.") < page.index("No progress.")
    area = db.session.scalar(select(FocusArea))
    assert area.guidance_for(Rating.NO) == "Needs many hints." and area.missing_guidance == []


def test_creating_an_area_from_a_job_adds_it_to_the_job(org, client_for):
    client = client_for(org["recruiter"])
    response = client.post(f"/focus-areas/new?job={org['job'].id}", data=area_form("Data modelling"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/jobs/{org['job'].id}/focus-areas")
    assert [a.name for a in fs.job_focus_areas(org["job"])] == ["Data modelling"]


@pytest.mark.parametrize(("data", "message"), [
    (area_form(name=""), "Give the focus area a name."),
    (area_form(name="Collaboration"), "There is already a focus area called “Collaboration”; use that one."),
    (area_form(name="  collaboration "), "There is already a focus area called “Collaboration”"),
    (area_form(name="x" * 81), "Field cannot be longer than 80 characters."),
    (area_form(guidance_no="x" * 4001), "Field cannot be longer than 4000 characters."),
])
def test_a_bad_focus_area_gets_a_message_and_nothing_is_saved(world, client_for, data, message):
    before = count(FocusArea)
    response = client_for(world["recruiter"]).post("/focus-areas/new", data=data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert count(FocusArea) == before


def test_missing_guidance_is_allowed_and_shown(world, client_for):
    client = client_for(world["recruiter"])
    assert client.post("/focus-areas/new", data=area_form("Curiosity", guidance_no="", guidance_strong_no="")
                       ).status_code == 302
    listing = text_of(client.get("/focus-areas"))
    assert "2 of 4 levels missing" in listing
    area = db.session.scalar(select(FocusArea).where(FocusArea.name == "Curiosity"))
    assert "No guidance written for this level yet." in text_of(client.get(f"/focus-areas/{area.id}"))


def test_editing_an_area_used_by_several_jobs_warns_and_changes_everywhere(world, client_for, make_job):
    other = make_job(title="Platform Engineer", recruiter=world["recruiter"])
    fs.set_job_focus_areas(other, [world["design"].id])
    db.session.commit()
    client = client_for(world["recruiter"])
    page = text_of(client.get(f"/focus-areas/{world['design'].id}/edit"))
    assert "Used by 2 jobs" in page
    response = client.post(f"/focus-areas/{world['design'].id}/edit",
                           data=area_form("System design", guidance_yes="A design that works."))
    assert response.status_code == 302
    assert db.session.get(FocusArea, world["design"].id).guidance_for(Rating.YES) == "A design that works."


def test_an_area_in_use_cannot_be_deleted_an_unused_one_can(world, client_for):
    client = client_for(world["recruiter"])
    response = client.post(f"/focus-areas/{world['design'].id}/delete")
    assert response.status_code == 400
    assert db.session.get(FocusArea, world["design"].id) is not None
    lonely_id = fs.create_focus_area(fs.FocusAreaData(name="Lonely")).id
    db.session.commit()
    assert "Delete this focus area" in text_of(client.get(f"/focus-areas/{lonely_id}"))
    assert client.post(f"/focus-areas/{lonely_id}/delete").status_code == 302
    assert db.session.get(FocusArea, lonely_id) is None


def test_interviewers_read_the_library_but_cannot_change_it(world, client_for):
    client = client_for(world["jonas"])
    assert client.get("/focus-areas").status_code == 200
    assert "Add a focus area" not in text_of(client.get("/focus-areas"))
    assert client.get("/questions").status_code == 200
    assert client.get("/qualifications").status_code == 200
    for url in ("/focus-areas/new", f"/focus-areas/{world['design'].id}/edit", "/questions/new",
                f"/questions/{world['questions']['Ownership'][0].id}/edit",
                f"/qualifications/{world['jonas'].id}/edit"):
        assert client.get(url).status_code == 403, url
    assert client.post("/focus-areas/new", data=area_form("Sneaky")).status_code == 403
    assert client.post(f"/focus-areas/{world['culture'].id}/delete").status_code == 403
    assert db.session.scalar(select(FocusArea).where(FocusArea.name == "Sneaky")) is None


def test_unknown_ids_are_404(world, client_for):
    client = client_for(world["recruiter"])
    for url in ("/focus-areas/999999", "/focus-areas/999999/edit", "/questions/999999/edit",
                "/qualifications/999999/edit"):
        assert client.get(url).status_code == 404, url


# --- the question bank ---------------------------------------------------------------------------------------------

def test_a_recruiter_adds_a_question_with_probes_and_finds_it_by_area_kind_and_text(world, client_for):
    client = client_for(world["recruiter"])
    response = client.post("/questions/new", data={
        "text": "Walk me through how you would shard this table.", "kind": "practical",
        "focus_area_id": str(world["design"].id), "probes": "What is the shard key?\n\n  How do you rebalance?  "})
    assert response.status_code == 302
    question = db.session.scalar(select(Question).where(Question.kind == "practical"))
    assert question.probe_list == ["What is the shard key?", "How do you rebalance?"]
    assert question.created_by_id == world["recruiter"].id
    by_area_kind = text_of(client.get(f"/questions?area={world['design'].id}&kind=practical"))
    assert "shard this table" in by_area_kind and "Tell me about a time you showed system design" not in by_area_kind
    by_text = text_of(client.get("/questions?q=REBALANCE"))
    assert "shard this table" in by_text and "Ownership" not in by_text.split("Archived questions")[1]
    assert "No question matches these filters." in text_of(client.get("/questions?q=nothing-like-this"))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("text", "   ", "Write the question; it cannot be empty."),
    ("kind", "trick", "Not a valid choice."),
    ("focus_area_id", "0", "Choose the focus area it gives evidence for."),
    ("focus_area_id", "999999", "Not a valid choice."),
    ("focus_area_id", "abc", "Choose the focus area it gives evidence for."),
])
def test_a_bad_question_gets_a_message_and_nothing_is_saved(world, client_for, field, value, message):
    before = count(Question)
    data = {"text": "Tell me about a failure.", "kind": "behavioral", "focus_area_id": str(world["owner"].id)}
    data[field] = value
    response = client_for(world["manager"]).post("/questions/new", data=data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert count(Question) == before


def test_editing_a_question_and_archiving_it_takes_it_out_of_the_bank(world, client_for):
    client = client_for(world["manager"])
    question = world["questions"]["Ownership"][0]
    response = client.post(f"/questions/{question.id}/edit", data={
        "text": "Tell me about a mistake you owned.", "kind": "behavioral", "focus_area_id": str(world["owner"].id),
        "probes": ""})
    assert response.status_code == 302
    assert db.session.get(Question, question.id).text == "Tell me about a mistake you owned."
    assert client.post(f"/questions/{question.id}/archive", data={"archive": "1"}).status_code == 302
    assert "a mistake you owned" not in text_of(client.get("/questions"))
    assert "a mistake you owned" in text_of(client.get("/questions?archived=1"))
    assert client.post(f"/questions/{question.id}/archive", data={"archive": "0"}).status_code == 302
    assert "a mistake you owned" in text_of(client.get("/questions"))


def test_a_question_written_for_one_loop_is_not_in_the_bank_and_not_editable_there(world, client_for):
    from tests.focus.support import make_loop

    loop = make_loop(world, [{"title": "Chat", "interviewer_ids": [world["emily"]]}])
    own = fs.create_question(fs.QuestionData("Only for Ada: why payments?", "situational", world["owner"].id),
                             None, loop_id=loop.id)
    db.session.commit()
    client = client_for(world["recruiter"])
    assert "Only for Ada" not in text_of(client.get("/questions"))
    assert client.get(f"/questions/{own.id}/edit").status_code == 404


def test_the_empty_bank_says_what_to_do(org, client_for):
    assert "The bank is empty. Write the first question" in text_of(client_for(org["recruiter"]).get("/questions"))
    assert "No focus areas yet." in text_of(client_for(org["recruiter"]).get("/focus-areas"))


# --- qualifications ------------------------------------------------------------------------------------------------

def test_qualifications_are_listed_and_edited_per_person(world, client_for):
    client = client_for(world["manager"])
    page = text_of(client.get("/qualifications"))
    row = page[page.index("Tom Becker"):]
    assert "System design" in row.split("Edit")[0]  # shadowing, in his row
    response = client.post(f"/qualifications/{world['tom'].id}/edit", data={
        f"area_{world['design'].id}": "qualified", f"area_{world['collab'].id}": "shadowing",
        f"area_{world['depth'].id}": ""})
    assert response.status_code == 302
    assert fs.qualifications_of([world["tom"].id])[world["tom"].id] == {
        world["design"].id: "qualified", world["collab"].id: "shadowing"}


def test_a_bad_qualification_level_is_refused_and_nothing_changes(world, client_for):
    client = client_for(world["recruiter"])
    before = count(Qualification)
    response = client.post(f"/qualifications/{world['jonas'].id}/edit", data={f"area_{world['design'].id}": "guru"})
    assert response.status_code == 400
    assert count(Qualification) == before
    # someone who does not interview cannot be qualified
    response = client.post(f"/qualifications/{world['recruiter'].id}/edit",
                           data={f"area_{world['design'].id}": "qualified"})
    assert response.status_code == 400
    assert "does not interview" in text_of(response)
    assert count(Qualification) == before


def test_qualified_for_all_needs_every_area_and_ignores_shadowing(world):
    names = [u.name for u in fs.qualified_for_all([world["design"].id, world["depth"].id])]
    assert names == ["Jonas Weber"]
    assert "Tom Becker" not in [u.name for u in fs.qualified_for_all([world["design"].id])]


def test_the_navigation_has_focus_areas_for_every_role(world, client_for, make_user):
    for user in (world["recruiter"], world["jonas"]):
        page = client_for(user).get("/focus-areas").get_data(as_text=True)
        assert 'aria-current="page">Focus areas</a>' in page
    assert Role.INTERVIEWER
