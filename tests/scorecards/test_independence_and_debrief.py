"""Independence (nobody sees a colleague's scorecard before submitting their own), the debrief, its CSV and print
view, and the decision."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.scorecards.models import LoopDecision
from tests.helpers import text_of
from tests.scorecards.support import form_data


def submit(client, session, areas, **kwargs) -> None:
    response = client.post(f"/scorecards/session/{session.id}", data=form_data(areas, action="submit", **kwargs))
    assert response.status_code == 302, text_of(response)


def show_url(world, session, user) -> str:
    return f"/loops/{world.loop.id}/sessions/{session.id}/scorecards/{user.id}"


def ian_areas(world):
    return [world.areas["Problem solving"], world.areas["System design"]]


def jonas_areas(world):
    return [world.areas["System design"], world.areas["Communication"]]


def test_an_interviewer_sees_no_colleague_scorecard_until_they_submit_their_own(world, as_):
    submit(as_(world.ian), world.panel, ian_areas(world), evidence="IAN-EVIDENCE")
    jonas = as_(world.jonas)
    assert jonas.get(show_url(world, world.panel, world.ian)).status_code == 403
    loop_page = text_of(jonas.get(f"/loops/{world.loop.id}"))
    assert "open once you have submitted yours" in loop_page
    assert "Ian Interviewer" not in loop_page.split("Scorecards")[1].split("History")[0]  # not even a state
    assert "of 3 submitted" not in loop_page  # nor a count
    assert jonas.get(f"/loops/{world.loop.id}/debrief").status_code == 403
    # a draft is not enough
    jonas.post(f"/scorecards/session/{world.panel.id}", data=form_data(jonas_areas(world)))
    assert jonas.get(show_url(world, world.panel, world.ian)).status_code == 403
    submit(jonas, world.panel, jonas_areas(world), version=1)
    page = jonas.get(show_url(world, world.panel, world.ian))
    assert page.status_code == 200 and "IAN-EVIDENCE" in text_of(page)
    assert "1 of 3 submitted" not in text_of(jonas.get(f"/loops/{world.loop.id}"))
    assert "2 of 3 submitted" in text_of(jonas.get(f"/loops/{world.loop.id}"))
    # interviewers never run the debrief
    assert jonas.get(f"/loops/{world.loop.id}/debrief").status_code == 403


def test_the_hiring_team_sees_all_and_outsiders_nothing(world, as_):
    submit(as_(world.ian), world.panel, ian_areas(world), evidence="IAN-EVIDENCE")
    for user in (world.manager, world.recruiter):
        page = as_(user).get(show_url(world, world.panel, world.ian))
        assert page.status_code == 200 and "IAN-EVIDENCE" in text_of(page), user.name
    for user in (world.admin, world.other_recruiter, world.olga, world.sam, world.priya):
        client = as_(user)
        assert client.get(show_url(world, world.panel, world.ian)).status_code in (403, 404), user.name
        assert client.get(f"/loops/{world.loop.id}/debrief").status_code in (403, 404), user.name
        assert "IAN-EVIDENCE" not in client.get(f"/loops/{world.loop.id}").get_data(as_text=True)


def test_a_draft_stays_private_even_to_the_hiring_team(world, as_):
    as_(world.ian).post(f"/scorecards/session/{world.panel.id}", data=form_data(ian_areas(world),
                                                                               evidence="DRAFT-TEXT"))
    page = as_(world.manager).get(show_url(world, world.panel, world.ian))
    assert page.status_code == 200
    assert "DRAFT-TEXT" not in page.get_data(as_text=True) and "writing a draft" in text_of(page)
    assert "DRAFT-TEXT" not in as_(world.manager).get(f"/loops/{world.loop.id}/debrief").get_data(as_text=True)


def test_the_debrief_compares_areas_flags_disagreements_and_lists_what_is_missing(world, as_):
    design = world.areas["System design"]
    submit(as_(world.ian), world.panel, ian_areas(world), rating="strong_yes", recommendation="strong_hire",
           evidence="IAN-STAR")
    submit(as_(world.jonas), world.panel, jonas_areas(world), rating="no", recommendation="no_hire",
           **{f"area_{design.id}-rating": "strong_no"})
    manager = as_(world.manager)
    page = manager.get(f"/loops/{world.loop.id}/debrief")
    assert page.status_code == 200
    text = text_of(page)
    assert "2 of 3 submitted" in text
    assert "Waiting for 1 scorecard" in text and "Hannah Manager" in text  # her own hiring-manager session
    assert "Ratings 3 points apart (Strong no and Strong yes)" in text  # System design: Ian 4, Jonas 1
    assert "Yes and No side by side" in text
    assert "Hire and no-hire recommendations side by side" in text
    assert "Split" in text
    assert "IAN-STAR" in text  # the evidence, one click away in a details element
    assert 'id="ev-' in page.get_data(as_text=True) and "<details" in page.get_data(as_text=True)
    # Communication: Jonas rated it, Hannah's is still to come
    assert "Areas nobody assessed" in text


def test_areas_nobody_assessed_and_the_tally(world, as_):
    comm = world.areas["Communication"]
    submit(as_(world.jonas), world.panel, jonas_areas(world), rating="yes", recommendation="hire",
           **{f"area_{comm.id}-rating": "not_assessed", f"area_{comm.id}-not_assessed_reason": "No time left"})
    text = text_of(as_(world.recruiter).get(f"/loops/{world.loop.id}/debrief"))
    unassessed = text.split("Areas nobody assessed")[1].split("Recommendations")[0]
    assert "Communication" in unassessed and "No time left" in unassessed and "1 scorecard to come" in unassessed
    assert "Problem solving" in unassessed  # Ian has not submitted
    tally = text.split("Recommendations")[1].split("Evidence")[0]
    assert "Hire 1" in tally and "Strong hire 0" in tally


def test_the_csv_is_an_attachment_and_defuses_formulas(world, as_):
    submit(as_(world.ian), world.panel, ian_areas(world), evidence="=HYPERLINK(\"http://evil\")",
           takeaways="+1 from me; @everyone -- great")
    response = as_(world.manager).get(f"/loops/{world.loop.id}/debrief.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="debrief-ada-lovelace-')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Candidate", "Job", "Session", "Interviewer"]
    cells = [c for row in rows[1:] for c in row]
    assert all(not c.startswith(("=", "+", "-", "@")) for c in cells)
    assert "'+1 from me; @everyone -- great" in cells
    assert any(c.startswith("Problem solving: =HYPERLINK") for c in cells)  # not at the start: left alone
    assert {row[3] for row in rows[1:]} == {"Ian Interviewer", "Jonas Weber", "Hannah Manager"}
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "debrief.exported" in actions


def test_the_print_view_opens_every_detail_and_has_a_print_stylesheet(world, as_):
    submit(as_(world.ian), world.panel, ian_areas(world))
    page = as_(world.manager).get(f"/loops/{world.loop.id}/debrief/print")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "scorecards.css" in html
    assert "<details" in html and " open>" in html and "Record the decision" not in html
    assert "debrief.printed" in db.session.scalars(select(AuditEvent.action)).all()


def test_the_decision_moves_the_candidate_and_is_shown_next_to_the_promised_date(world, as_):
    for client, session, areas in ((as_(world.ian), world.panel, ian_areas(world)),
                                   (as_(world.jonas), world.panel, jonas_areas(world)),
                                   (as_(world.manager), world.hm_session, [world.areas["Communication"]])):
        submit(client, session, areas)
    manager = as_(world.manager)
    url = f"/loops/{world.loop.id}/debrief/decision"
    missing_rationale = manager.post(url, data={"outcome": "hire", "rationale": " "})
    assert missing_rationale.status_code == 400 and "Write the rationale" in text_of(missing_rationale)
    bogus = manager.post(url, data={"outcome": "maybe", "rationale": "x"})
    assert bogus.status_code == 400 and "Choose hire, no hire or another round." in text_of(bogus)
    assert db.session.scalar(select(LoopDecision)) is None
    assert manager.post(url, data={"outcome": "hire", "rationale": "Strong on every area."}).status_code == 302
    assert db.session.get(Candidate, world.candidate.id).stage == "offer"
    page = text_of(manager.get(f"/loops/{world.loop.id}/debrief"))
    assert "Strong on every area." in page and "Hannah Manager" in page and "on time" in page
    assert "Decision promised by" in page
    loop_page = text_of(manager.get(f"/loops/{world.loop.id}"))
    assert "Decision: Hire" in loop_page
    assert manager.post(url, data={"outcome": "no_hire", "rationale": "Reference check failed."}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Candidate, world.candidate.id).stage == "not_hired"
    assert "Earlier decisions (1)" in text_of(manager.get(f"/loops/{world.loop.id}/debrief"))
    assert "debrief.decided" in db.session.scalars(select(AuditEvent.action)).all()


def test_deciding_with_missing_scorecards_needs_an_explicit_tick(world, as_):
    submit(as_(world.ian), world.panel, ian_areas(world))
    recruiter = as_(world.recruiter)
    url = f"/loops/{world.loop.id}/debrief/decision"
    refused = recruiter.post(url, data={"outcome": "another_round", "rationale": "Need a deeper design round."})
    assert refused.status_code == 400 and "2 scorecards are missing" in text_of(refused)
    accepted = recruiter.post(url, data={"outcome": "another_round", "rationale": "Need a deeper design round.",
                                         "accept_missing": "y"})
    assert accepted.status_code == 302
    # another round: the debrief is over and the candidate waits for a new loop (one rule, loops.state)
    assert db.session.get(Candidate, world.candidate.id).stage == "to_schedule"
