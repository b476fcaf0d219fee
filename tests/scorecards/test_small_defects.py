"""Small defects of #22, each as a user sees it: an interviewer's upcoming interviews lead to their kit, the audit
log names what an event was about, every page has a favicon, and the debrief flags a recommendation that its own
area ratings contradict."""

from __future__ import annotations

from datetime import timedelta

from coordinator.audit.services import record
from coordinator.extensions import db
from tests.helpers import text_of
from tests.scorecards.test_independence_and_debrief import ian_areas, jonas_areas, submit


def test_the_debrief_flags_a_recommendation_its_ratings_contradict(world, as_):
    design = world.areas["System design"]
    submit(as_(world.ian), world.panel, ian_areas(world), rating="no", recommendation="hire")
    submit(as_(world.jonas), world.panel, jonas_areas(world), rating="yes", recommendation="no_hire",
           **{f"area_{design.id}-rating": "strong_yes"})
    text = text_of(as_(world.manager).get(f"/loops/{world.loop.id}/debrief"))
    assert "Ian Interviewer recommends Hire but rated Problem solving No, System design No" in text
    assert "Jonas Weber recommends No hire but rated System design Strong yes, Communication Yes" in text


def test_ratings_that_agree_with_the_recommendation_are_not_flagged(world, as_):
    submit(as_(world.ian), world.panel, ian_areas(world), rating="yes", recommendation="hire")
    text = text_of(as_(world.manager).get(f"/loops/{world.loop.id}/debrief"))
    assert "recommends" not in text


def test_my_interviews_lead_to_my_kit(world, as_):
    for s in (world.panel, world.hm_session):  # move them into the future: upcoming
        s.start_dt += timedelta(days=2)
        s.end_dt += timedelta(days=2)
        for p in s.participants:
            p.start_dt, p.end_dt = s.start_dt, s.end_dt
    db.session.commit()
    home = as_(world.ian).get("/").get_data(as_text=True)
    kit = f"/loops/{world.loop.id}/sessions/{world.panel.id}/kits/{world.ian.id}"
    assert f'href="{kit}"' in home and "my kit" in home
    assert as_(world.ian).get(kit).status_code == 200
    shadow = as_(world.sam).get("/").get_data(as_text=True)  # a shadow has no kit: their row leads to the loop
    assert f"/kits/{world.sam.id}" not in shadow and "shadowing" in shadow


def test_the_audit_log_names_what_each_event_was_about(world, as_, app):
    with app.test_request_context():
        record("candidate.availability", "loop", world.loop.id, "1 window", actor_label="candidate")
        record("user.updated", "user", world.jonas.id)
        record("debrief.decided", "loop", 999_999)
    db.session.commit()
    text = text_of(as_(world.admin).get("/audit"))
    assert "Ada Lovelace's loop" in text and "Jonas Weber" in text
    assert "loop #999999 (gone)" in text and f"loop #{world.loop.id}" not in text


def test_every_page_links_a_favicon_that_exists(world, as_, app):
    client = app.test_client()
    for page in (client.get("/login"), as_(world.recruiter).get("/")):
        assert 'rel="icon"' in page.get_data(as_text=True)
    icon = client.get("/static/favicon.svg")
    try:
        assert icon.status_code == 200 and b"<svg" in icon.data
    finally:
        icon.close()
