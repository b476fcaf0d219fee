"""A job's focus areas and its default interview plan, and how new loops copy them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.focus import services as fs
from coordinator.focus.models import JobFocusArea, PlanSessionFocusArea
from coordinator.kits.models import SessionFocusArea
from coordinator.loops.models import Loop, PlanSession
from tests.focus.support import setup_interviewing
from tests.helpers import text_of


@pytest.fixture
def world(org, make_user):
    return setup_interviewing(org, make_user)


def step_form(world, **extra):
    data = {"title": "System design", "kind": "panel", "duration_min": "60", "interviewer_count": "2",
            "focus_area_ids": [str(world["design"].id), str(world["depth"].id)],
            "pool_ids": [str(world["jonas"].id), str(world["priya"].id)], "prep_min": "0", "prep_instructions": ""}
    data.update(extra)
    return data


def plan_url(world) -> str:
    return f"/jobs/{world['job'].id}/plan"


def test_the_job_page_shows_focus_areas_and_plan_with_links(world, client_for):
    page = text_of(client_for(world["manager"]).get(f"/jobs/{world['job'].id}"))
    assert "Focus areas System design Technical depth Collaboration Ownership" in page.replace("Change ", "")
    assert "No plan yet: new loops start empty." in page


def test_choosing_the_jobs_focus_areas(world, client_for):
    client = client_for(world["manager"])
    url = f"/jobs/{world['job'].id}/focus-areas"
    assert "Culture add" in text_of(client.get(url))
    response = client.post(url, data={"area_ids": [str(world["design"].id), str(world["culture"].id)]})
    assert response.status_code == 302
    assert [a.name for a in fs.job_focus_areas(world["job"])] == ["System design", "Culture add"]


def test_an_unknown_focus_area_for_the_job_is_refused_and_nothing_changes(world, client_for):
    url = f"/jobs/{world['job'].id}/focus-areas"
    response = client_for(world["manager"]).post(url, data={"area_ids": [str(world["design"].id), "999999"]})
    assert response.status_code == 400
    assert "Choose focus areas from the list." in text_of(response)
    assert len(fs.job_focus_areas(world["job"])) == 4
    assert client_for(world["manager"]).post(url, data={"area_ids": ["nonsense"]}).status_code == 400


def test_only_the_jobs_team_edits_its_focus_areas_and_plan(world, client_for):
    outsider = client_for(world["other_recruiter"])
    for url in (f"/jobs/{world['job'].id}/focus-areas", plan_url(world), plan_url(world) + "/new"):
        assert outsider.get(url).status_code == 403, url
    assert outsider.post(plan_url(world) + "/new", data=step_form(world)).status_code == 403
    interviewer = client_for(world["jonas"])
    assert interviewer.get(plan_url(world)).status_code == 403
    assert client_for(world["admin"]).get(plan_url(world)).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(PlanSession)) == 0
    assert client_for(world["recruiter"]).get("/jobs/999999/plan").status_code == 404


def test_planning_sessions_with_areas_and_pools_and_the_plan_coverage(world, client_for):
    client = client_for(world["recruiter"])
    assert "No sessions in the plan yet." in text_of(client.get(plan_url(world)))
    assert client.post(plan_url(world) + "/new", data=step_form(
        world, pool_ids=[str(world[p].id) for p in ("jonas", "priya", "emily")])).status_code == 302
    page = text_of(client.get(plan_url(world)))
    assert "Nobody covers Collaboration." in page and "Nobody covers Ownership." in page
    # a panel splits its areas: Priya (Technical depth) is fine, Emily (Ownership only) is not
    assert "The pool of “System design” includes Emily Johnson, not qualified for any of its focus areas." in page

    # nobody is qualified for both areas: a clear message, nothing saved
    both = step_form(world, title="Hiring manager", kind="one_on_one", duration_min="45", interviewer_count="1",
                     focus_area_ids=[str(world["collab"].id), str(world["owner"].id)], pool_ids=[],
                     pool_from_qualified="y")
    response = client.post(plan_url(world) + "/new", data=both)
    assert response.status_code == 400
    assert "Only 0 people are qualified for Collaboration and Ownership; the step needs 1." in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(PlanSession)) == 1

    for title, area in (("Team", "collab"), ("Ownership chat", "owner")):
        response = client.post(plan_url(world) + "/new", data={
            **both, "title": title, "focus_area_ids": [str(world[area].id)]})
        assert response.status_code == 302, text_of(response)
    team = db.session.scalar(select(PlanSession).where(PlanSession.title == "Team"))
    assert [u.name for u in team.pool] == ["Priya Nair"]  # everyone qualified for Collaboration
    page = text_of(client.get(plan_url(world)))
    assert "The plan covers every focus area of the job once" not in page  # the note on Emily remains
    assert "3 sessions" in page


def test_the_plan_says_so_when_it_covers_everything(world, client_for):
    client = client_for(world["recruiter"])
    for title, kind, count, areas, pool in (
            ("Design", "one_on_one", "1", ["design", "depth"], ["jonas"]),
            ("Team", "one_on_one", "1", ["collab"], ["priya"]),
            ("Manager", "one_on_one", "1", ["owner"], ["emily"])):
        assert client.post(plan_url(world) + "/new", data=step_form(
            world, title=title, kind=kind, interviewer_count=count, focus_area_ids=[str(world[a].id) for a in areas],
            pool_ids=[str(world[p].id) for p in pool])).status_code == 302
    page = text_of(client.get(plan_url(world)))
    assert "The plan covers every focus area of the job once" in page
    job_page = text_of(client.get(f"/jobs/{world['job'].id}"))
    assert "Design 60 min · 1 interviewer · System design, Technical depth" in job_page


@pytest.mark.parametrize(("changes", "field_message"), [
    ({"title": ""}, "Give the step a title."),
    ({"kind": "one_on_one"}, "A one-on-one has exactly one interviewer."),
    ({"interviewer_count": "1"}, "A panel has 2 to 8 interviewers."),
    ({"interviewer_count": "9"}, "A session has 1 to 8 interviewers."),
    ({"duration_min": "0"}, "A session lasts 1 minute to 8 hours."),
    ({"duration_min": "soon"}, "Not a valid integer value."),
    ({"kind": "party"}, "Not a valid choice."),
    ({"focus_area_ids": ["{culture}"]}, "Culture add is not one of this job's focus areas; add it to the job first."),
    ({"focus_area_ids": ["999999"]}, "Choose focus areas from the list."),
    ({"interviewer_count": "1", "kind": "one_on_one",
      "focus_area_ids": ["{design}", "{depth}", "{collab}", "{owner}"], "pool_ids": ["{jonas}"]},
     "A step with 1 interviewer covers at most 3 focus areas (3 each)."),
    ({"pool_ids": ["{jonas}"]}, "The pool needs at least 2 people to pick 2 from."),
    ({"pool_ids": ["{jonas}", "{recruiter}"]}, "Choose the pool from the list of interviewers."),
    ({"pool_ids": [], "pool_from_qualified": "y", "focus_area_ids": []},
     "Choose the step's focus areas first; the pool is everyone qualified for them."),
])
def test_a_bad_plan_step_gets_a_message_and_nothing_is_saved(world, client_for, changes, field_message):
    ids = {k: getattr(v, "id", "") for k, v in world.items()}
    data = step_form(world)
    for key, value in changes.items():
        data[key] = [v.format(**ids) for v in value] if isinstance(value, list) else value
    response = client_for(world["recruiter"]).post(plan_url(world) + "/new", data=data)
    assert response.status_code == 400
    assert field_message in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(PlanSession)) == 0
    assert db.session.scalar(select(func.count()).select_from(PlanSessionFocusArea)) == 0


def test_editing_moving_and_removing_plan_steps(world, client_for):
    client = client_for(world["manager"])
    for title in ("First", "Second"):
        assert client.post(plan_url(world) + "/new", data=step_form(world, title=title)).status_code == 302
    first, second = db.session.scalars(select(PlanSession).order_by(PlanSession.position)).all()
    edit = client.get(f"{plan_url(world)}/{first.id}/edit")
    assert edit.status_code == 200 and 'value="First"' in edit.get_data(as_text=True)
    assert client.post(f"{plan_url(world)}/{first.id}/edit", data=step_form(
        world, title="First, renamed", focus_area_ids=[str(world["design"].id)])).status_code == 302
    assert [a.name for a in fs.plan_step_areas([first])[first.id]] == ["System design"]
    assert client.post(f"{plan_url(world)}/{second.id}/move", data={"direction": "up"}).status_code == 302
    assert [s.title for s in fs.plan_of(world["job"])] == ["Second", "First, renamed"]
    assert client.post(f"{plan_url(world)}/{second.id}/delete").status_code == 302
    assert [s.title for s in fs.plan_of(world["job"])] == ["First, renamed"]
    assert fs.plan_of(world["job"])[0].position == 0


def test_a_step_of_another_job_is_404(world, client_for, make_job):
    other = make_job(title="Elsewhere", recruiter=world["recruiter"], hiring_manager=world["manager"])
    client = client_for(world["recruiter"])
    assert client.post(plan_url(world) + "/new", data=step_form(world)).status_code == 302
    step = db.session.scalar(select(PlanSession))
    assert client.get(f"/jobs/{other.id}/plan/{step.id}/edit").status_code == 404
    assert client.post(f"/jobs/{other.id}/plan/{step.id}/delete").status_code == 404
    assert client.get(f"{plan_url(world)}/999999/edit").status_code == 404


def test_taking_an_area_off_the_job_takes_it_off_the_plan(world, client_for):
    client = client_for(world["recruiter"])
    assert client.post(plan_url(world) + "/new", data=step_form(world)).status_code == 302
    keep = [str(world["depth"].id), str(world["collab"].id), str(world["owner"].id)]
    response = client.post(f"/jobs/{world['job'].id}/focus-areas", data={"area_ids": keep})
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "System design is no longer covered by “System design”." in page
    step = db.session.scalar(select(PlanSession))
    assert [a.name for a in fs.plan_step_areas([step])[step.id]] == ["Technical depth"]
    assert db.session.scalar(select(func.count()).select_from(JobFocusArea)) == 3


def test_a_new_loop_copies_the_plans_focus_areas_to_its_sessions(world, client_for):
    client = client_for(world["recruiter"])
    assert client.post(plan_url(world) + "/new", data=step_form(world)).status_code == 302
    assert client.post(plan_url(world) + "/new", data=step_form(
        world, title="Team", kind="one_on_one", interviewer_count="1", focus_area_ids=[str(world["collab"].id)],
        pool_ids=[str(world["priya"].id)])).status_code == 302
    response = client.post(f"/candidates/{world['candidate'].id}/loops")
    assert response.status_code == 302
    loop = db.session.scalar(select(Loop))
    design, team = loop.sessions
    copied = {(r.session_id, r.focus_area.name) for r in db.session.scalars(select(SessionFocusArea))}
    assert copied == {(design.id, "System design"), (design.id, "Technical depth"), (team.id, "Collaboration")}
    assert design.pool_count == 2 and [u.name for u in team.pool] == ["Priya Nair"]
    page = text_of(client.get(response.headers["Location"]))
    assert "Nobody covers Ownership." in page
