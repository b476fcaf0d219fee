"""Writing a scorecard: the areas come from the assignment, drafts save without checks, submitting checks and
locks, amendments keep every revision, bad input gets a message (never a 500) and keeps the draft."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.scorecards.models import Scorecard, ScorecardRevision
from tests.helpers import text_of
from tests.scorecards.support import form_data, version_on


def url(session) -> str:
    return f"/scorecards/session/{session.id}"


def card_of(session, user) -> Scorecard | None:
    db.session.expire_all()
    return db.session.scalar(select(Scorecard).where(Scorecard.session_id == session.id,
                                                     Scorecard.interviewer_id == user.id))


def ian_areas(world):
    return [world.areas["Problem solving"], world.areas["System design"]]


def test_the_form_shows_the_assigned_areas_with_their_rating_guidance(world, as_):
    page = as_(world.ian).get(url(world.panel))
    assert page.status_code == 200
    text = text_of(page)
    assert "Problem solving" in text and "System design" in text
    assert "Communication" not in text.split("Overall")[0]  # not assigned to Ian
    assert "Problem solving: what Strong yes looks like." in text  # guidance beside the rating
    assert "Not started" in text and "due" in text
    assert version_on(page) == 0


def test_without_an_assignment_the_sessions_planned_areas_count(world, as_):
    text = text_of(as_(world.jonas).get(url(world.panel)))
    assert "System design" in text and "Communication" in text
    assert "Problem solving" not in text


def test_shadows_and_people_of_other_sessions_have_no_scorecard_here(world, as_):
    assert as_(world.sam).get(url(world.panel)).status_code == 403
    assert as_(world.priya).get(url(world.cancelled)).status_code == 403  # cancelled: no seat
    assert as_(world.olga).get(url(world.panel)).status_code == 403
    assert as_(world.ian).get("/scorecards/session/999999").status_code == 404


def test_a_draft_saves_without_checks_and_is_kept(world, as_):
    client = as_(world.ian)
    response = client.post(url(world.panel), data={"version": "0", "action": "save", "takeaways": "First thoughts"})
    assert response.status_code == 302
    card = card_of(world.panel, world.ian)
    assert card.status == "draft" and card.version == 1 and card.takeaways == "First thoughts"
    page = client.get(url(world.panel))
    assert "First thoughts" in page.get_data(as_text=True) and "Draft" in text_of(page)
    assert version_on(page) == 1


def test_an_incomplete_submission_names_what_is_missing_and_keeps_the_text_as_a_draft(world, as_):
    client = as_(world.ian)
    solving, design = ian_areas(world)
    data = form_data([solving], action="submit", recommendation=None)
    data[f"area_{design.id}-situation"] = "Designed a queue, half finished"
    response = client.post(url(world.panel), data=data)
    assert response.status_code == 400
    text = text_of(response)
    assert "Not submitted yet" in text
    assert "Rate this area, or mark it not assessed and say why." in text
    assert "Choose your overall recommendation." in text
    card = card_of(world.panel, world.ian)
    assert card.status == "draft"
    assert card.area(design.id).situation == "Designed a queue, half finished"
    assert version_on(response) == card.version


def test_rated_areas_need_evidence_and_not_assessed_needs_a_reason(world, as_):
    client = as_(world.ian)
    solving, design = ian_areas(world)
    data = form_data(ian_areas(world), action="submit")
    for name in ("situation", "action", "result"):
        data[f"area_{solving.id}-{name}"] = "  "
    data[f"area_{design.id}-rating"] = "not_assessed"
    response = client.post(url(world.panel), data=data)
    assert response.status_code == 400
    text = text_of(response)
    assert "Write the evidence for this rating" in text
    assert "Say why you could not assess this area." in text


def test_submitting_locks_the_scorecard_and_keeps_revision_one(world, as_):
    client = as_(world.ian)
    solving, design = ian_areas(world)
    data = form_data(ian_areas(world), action="submit")
    data[f"area_{design.id}-rating"] = "not_assessed"
    data[f"area_{design.id}-not_assessed_reason"] = "We ran out of time."
    response = client.post(url(world.panel), data=data)
    assert response.status_code == 302 and "/scorecards/" in response.headers["Location"]
    card = card_of(world.panel, world.ian)
    assert card.status == "submitted" and card.revision == 1 and card.submitted_dt is not None
    assert card.area(solving.id).rating == "yes"
    assert card.area(design.id).is_not_assessed and card.area(design.id).rating is None
    assert db.session.get(Candidate, world.candidate.id).stage == "debrief"
    revision = db.session.scalar(select(ScorecardRevision).where(ScorecardRevision.scorecard_id == card.id))
    assert revision.number == 1 and revision.recommendation == "hire"
    assert {a["name"] for a in revision.areas} == {"Problem solving", "System design"}
    # locked: the edit page sends to the read view, a save is refused
    assert client.get(url(world.panel)).status_code == 302
    refused = client.post(url(world.panel), data=form_data(ian_areas(world), version=card.version))
    assert refused.status_code == 400 and "submitted and locked" in text_of(refused)
    assert card_of(world.panel, world.ian).version == card.version


def test_an_amendment_needs_a_reason_and_adds_a_revision(world, as_):
    client = as_(world.ian)
    client.post(url(world.panel), data=form_data(ian_areas(world), action="submit"))
    card = card_of(world.panel, world.ian)
    amend_url = url(world.panel) + "/amend"
    page = client.get(amend_url)
    assert page.status_code == 200 and "Why are you amending it?" in text_of(page)
    data = form_data(ian_areas(world), version=card.version, action="amend", rating="strong_yes")
    without = client.post(amend_url, data=data)
    assert without.status_code == 400
    assert "Say why you are amending a submitted scorecard" in text_of(without)
    assert card_of(world.panel, world.ian).revision == 1
    data["reason"] = "Re-read my notes: the scaling answer was excellent."
    assert client.post(amend_url, data=data).status_code == 302
    card = card_of(world.panel, world.ian)
    assert card.revision == 2 and card.areas[0].rating == "strong_yes"
    history = text_of(client.get(f"/loops/{world.loop.id}/sessions/{world.panel.id}/scorecards/{world.ian.id}"))
    assert "Revision 2" in history and "Revision 1" in history
    assert "Re-read my notes: the scaling answer was excellent." in history
    assert db.session.scalar(select(db.func.count()).select_from(ScorecardRevision)) == 2


def test_a_rating_off_the_scale_is_a_message_and_the_draft_is_unchanged(world, as_):
    client = as_(world.ian)
    client.post(url(world.panel), data={"version": "0", "action": "save", "takeaways": "Keep me"})
    solving = world.areas["Problem solving"]
    response = client.post(url(world.panel), data=form_data(ian_areas(world), version=1, **{
        f"area_{solving.id}-rating": "superb"}))
    assert response.status_code == 400
    assert "Choose a rating from the scale." in text_of(response)
    card = card_of(world.panel, world.ian)
    assert card.version == 1 and card.takeaways == "Keep me"
    assert all(a.rating is None and a.situation == "" for a in card.areas)


def test_a_megabyte_of_evidence_gets_a_message_not_a_crash(world, as_):
    client = as_(world.ian)
    client.post(url(world.panel), data={"version": "0", "action": "save", "takeaways": "Keep me"})
    solving = world.areas["Problem solving"]
    for action in ("save", "submit"):
        response = client.post(url(world.panel), data=form_data(ian_areas(world), version=1, action=action, **{
            f"area_{solving.id}-situation": "x" * 1_048_576}))
        assert response.status_code == 400
        assert "Keep this under 20,000 characters (it has 1,048,576)" in text_of(response)
    card = card_of(world.panel, world.ian)
    assert card.version == 1 and card.takeaways == "Keep me" and card.status == "draft"


def test_nobody_posts_into_someone_elses_scorecard(world, as_):
    # The write URLs name a session; the scorecard is always the signed-in person's own, and only an interviewer
    # of that session has one. Olga (another loop), Sam (shadow) and the recruiter get a 403 and nothing is made.
    for user in (world.olga, world.sam, world.recruiter, world.admin):
        client = as_(user)
        for suffix in ("", "/autosave", "/amend"):
            response = client.post(url(world.panel) + suffix, data=form_data(ian_areas(world), action="submit"))
            assert response.status_code == 403, (user.name, suffix)
    assert db.session.scalar(select(db.func.count()).select_from(Scorecard)) == 0
    # the read view takes no POST
    assert as_(world.jonas).post(
        f"/loops/{world.loop.id}/sessions/{world.panel.id}/scorecards/{world.ian.id}", data={}).status_code == 405


def test_a_damaged_form_or_missing_csrf_token_is_a_400(world, as_):
    client = as_(world.ian)
    assert client.post(url(world.panel), data={"version": "abc"}).status_code == 400
    assert client.post(url(world.panel), data={"version": "0"}, csrf=False).status_code == 400
    assert card_of(world.panel, world.ian) is None


def test_autosave_answers_json_with_the_new_version(world, as_):
    client = as_(world.ian)
    response = client.post(url(world.panel) + "/autosave", data={"version": "0", "takeaways": "typed, then left"})
    assert response.status_code == 200 and response.json["ok"] and response.json["version"] == 1
    stale = client.post(url(world.panel) + "/autosave", data={"version": "0", "takeaways": "from an old tab"})
    assert stale.status_code == 409 and stale.json["conflict"]
    bad = client.post(url(world.panel) + "/autosave", data={"version": "1", "takeaways": "y" * 20_001})
    assert bad.status_code == 400 and "takeaways" in bad.json["errors"]
    assert card_of(world.panel, world.ian).takeaways == "typed, then left"


def test_the_due_time_follows_the_job_and_overdue_shows(world, as_):
    world.job.feedback_due_hours = 1  # the panel ended two hours ago
    db.session.commit()
    page = text_of(as_(world.ian).get("/scorecards"))
    assert "Overdue" in page and "Ada Lovelace" in page
    world.job.feedback_due_hours = 48
    db.session.commit()
    page = text_of(as_(world.ian).get("/scorecards"))
    assert "Overdue" not in page and "Not started" in page


def test_my_scorecards_and_home_list_what_is_due(world, as_):
    client = as_(world.ian)
    home = text_of(client.get("/"))
    assert "Scorecards to write" in home and "Ada Lovelace" in home
    client.post(url(world.panel), data=form_data(ian_areas(world), action="submit"))
    mine = text_of(client.get("/scorecards"))
    assert "Nothing to write." in mine and "Submitted" in mine
    assert "Scorecards to write" not in text_of(client.get("/"))
    assert "My scorecards" in home  # the navigation


def test_scorecard_events_are_audited_without_their_text(world, as_):
    client = as_(world.ian)
    client.post(url(world.panel), data=form_data(ian_areas(world), action="save", evidence="SECRET-EVIDENCE"))
    client.post(url(world.panel), data=form_data(ian_areas(world), version=1, action="submit",
                                                 evidence="SECRET-EVIDENCE"))
    as_(world.manager).get(f"/loops/{world.loop.id}/sessions/{world.panel.id}/scorecards/{world.ian.id}")
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"scorecard.draft_saved", "scorecard.submitted", "scorecard.viewed"} <= set(actions)
    details = " ".join(db.session.scalars(select(AuditEvent.detail)).all())
    assert "SECRET" not in details


def test_job_form_sets_the_feedback_due_hours(world, as_):
    client = as_(world.recruiter)
    data = {"title": world.job.title, "department": "Data", "status": "open",
            "hiring_manager_id": str(world.manager.id), "recruiter_id": str(world.recruiter.id)}
    assert client.post(f"/jobs/{world.job.id}/edit", data={**data, "feedback_due_hours": "48"}).status_code == 302
    db.session.expire_all()
    assert world.job.feedback_due_hours == 48
    bad = client.post(f"/jobs/{world.job.id}/edit", data={**data, "feedback_due_hours": "1000"})
    assert bad.status_code == 400 and "Between 1 hour and 336 hours" in text_of(bad)
    assert client.post(f"/jobs/{world.job.id}/edit", data=data).status_code == 302  # left out: unchanged
    db.session.expire_all()
    assert world.job.feedback_due_hours == 48


def test_a_scorecard_cannot_be_submitted_before_the_interview_starts(world, as_):
    world.panel.start_dt += timedelta(days=2)
    world.panel.end_dt += timedelta(days=2)
    for p in world.panel.participants:
        p.start_dt, p.end_dt = world.panel.start_dt, world.panel.end_dt
    db.session.commit()
    client = as_(world.ian)
    response = client.post(url(world.panel), data=form_data(ian_areas(world), action="submit"))
    assert response.status_code == 400 and "once the interview has started" in text_of(response)
    assert client.post(url(world.panel), data=form_data(ian_areas(world))).status_code == 302  # drafts are fine
