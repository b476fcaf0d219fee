"""Two people recording the hiring decision at once (issue 16): the second is told about the first (a 409 showing
both), and the candidate's stage always follows the decision the debrief shows, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.loops.models import Loop
from coordinator.scorecards.decision import STAGE_AFTER, latest_decision
from coordinator.scorecards.models import Decision, LoopDecision
from tests.helpers import login, text_of
from tests.live_http import Browser, at_once, serving
from tests.scorecards.support import build_world

ROUNDS = 6


def _seen(page_text: str) -> str:
    """The decision the page's form was shown with (what a browser sends back)."""
    found = re.search(r'name="seen_decision" value="([^"]*)"', page_text)
    return found.group(1) if found else ""


def _state(loop_id: int, candidate_id: int) -> tuple[LoopDecision | None, str, int]:
    db.session.rollback()  # what the requests committed
    loop = db.session.get(Loop, loop_id)
    count = len(db.session.scalars(select(LoopDecision).where(LoopDecision.loop_id == loop_id)).all())
    return latest_decision(loop), db.session.get(Candidate, candidate_id).stage, count


def test_a_decision_recorded_meanwhile_is_shown_and_nothing_is_overwritten(any_db_app):
    world = build_world()
    url = f"/loops/{world.loop.id}/debrief"
    rita = login(any_db_app.test_client(), world.recruiter)
    hannah = login(any_db_app.test_client(), world.manager)
    rita_seen = _seen(rita.get(url).get_data(as_text=True))
    hannah_seen = _seen(hannah.get(url).get_data(as_text=True))
    first = hannah.post(url + "/decision", data={"outcome": "no_hire", "rationale": "Design depth was missing.",
                                                  "accept_missing": "y", "seen_decision": hannah_seen})
    assert first.status_code == 302
    second = rita.post(url + "/decision", data={"outcome": "hire", "rationale": "Strong collaboration signal.",
                                                 "accept_missing": "y", "seen_decision": rita_seen})
    assert second.status_code == 409
    page = text_of(second)
    assert "Hannah Manager recorded “No hire” while you were deciding, so yours was not recorded." in page
    assert "Design depth was missing." in page  # theirs, as the decision in force
    assert "Strong collaboration signal." in page  # yours, kept in the form
    decision, stage, count = _state(world.loop.id, world.candidate.id)
    assert (decision.outcome, stage, count) == ("no_hire", "not_hired", 1)
    # deciding again from the page that now shows Hannah's decision works
    again = rita.post(url + "/decision", data={"outcome": "hire", "rationale": "Discussed; we hire.",
                                                "accept_missing": "y", "seen_decision": _seen(second.get_data(
                                                    as_text=True))})
    assert again.status_code == 302
    decision, stage, count = _state(world.loop.id, world.candidate.id)
    assert (decision.outcome, stage, count) == ("hire", "offer", 2)


def test_two_deciders_at_once_one_is_told_and_the_stage_follows_the_decision_shown(any_db_app):
    world = build_world()
    loop_id, candidate_id = world.loop.id, world.candidate.id
    url = f"/loops/{loop_id}/debrief"
    with serving(any_db_app) as base:
        rita = Browser(base).sign_in(world.recruiter)
        hannah = Browser(base).sign_in(world.manager)
        outcomes = [("hire", "no_hire"), ("no_hire", "hire"), ("another_round", "hire")]
        for n in range(ROUNDS):
            mine, theirs = outcomes[n % len(outcomes)]
            seen = [_seen(browser.page(url).text) for browser in (rita, hannah)]
            responses = at_once(
                lambda seen=seen, mine=mine, n=n: rita.submit(url + "/decision", {
                    "outcome": mine, "rationale": f"Round {n}: Rita says {mine}.", "accept_missing": "y",
                    "seen_decision": seen[0]}),
                lambda seen=seen, theirs=theirs, n=n: hannah.submit(url + "/decision", {
                    "outcome": theirs, "rationale": f"Round {n}: Hannah says {theirs}.", "accept_missing": "y",
                    "seen_decision": seen[1]}),
            )
            assert not [r for r in responses if isinstance(r, Exception)], responses
            codes = sorted(r.status_code for r in responses)
            assert codes == [302, 409], (n, codes)
            told = next(r for r in responses if r.status_code == 409)
            told_text = html.unescape(told.text)
            assert "while you were deciding, so yours was not recorded" in told_text
            decision, stage, count = _state(loop_id, candidate_id)
            assert count == n + 1  # one decision per round
            assert f"Round {n}:" in decision.rationale and decision.rationale in told_text  # theirs, shown
            expected = STAGE_AFTER.get(Decision(decision.outcome))
            if expected is not None:
                assert stage == expected.value, (n, decision.outcome, stage)
            shown = html.unescape(rita.page(url).text)
            assert decision.rationale in shown.split("Earlier decisions")[0]  # the debrief shows it as current
