"""Scorecards in a real browser: an interviewer fills and submits one (the draft saving itself on the way out),
an interviewer is refused a colleague's scorecard until they submit their own, a hiring manager runs the debrief."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.scorecards.models import Scorecard
from tests.browser.test_foundation_browser import sign_in
from tests.helpers import login
from tests.scorecards.support import build_world, form_data


def _card(world, user) -> Scorecard | None:
    db.session.commit()
    db.session.expire_all()
    return db.session.scalar(select(Scorecard).where(Scorecard.interviewer_id == user.id))


def _submit_by_client(app, user, session, areas, **kwargs) -> None:
    response = login(app.test_client(), user).post(f"/scorecards/session/{session.id}",
                                                   data=form_data(areas, action="submit", **kwargs))
    assert response.status_code == 302


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_interviewer_fills_and_submits_a_scorecard(page: Page, live_server, app, screenshot):
    world = build_world()
    solving, design = world.areas["Problem solving"], world.areas["System design"]
    sign_in(page, live_server, world.ian.email)
    expect(page.get_by_role("heading", name="Scorecards to write")).to_be_visible()
    page.get_by_role("link", name="My scorecards", exact=True).click()
    expect(page.get_by_role("heading", name="My scorecards")).to_be_visible()
    screenshot(page, "my-scorecards")
    page.get_by_role("button", name="Write").click()
    expect(page.get_by_role("heading", name=re.compile("Your scorecard · Ada Lovelace"))).to_be_visible()
    expect(page.get_by_text("Problem solving: what Strong yes looks like.")).to_be_visible()  # guidance
    screenshot(page, "empty-form")
    _no_horizontal_scroll(page)

    # Typed, then left for another page: the draft saves itself.
    page.get_by_label("Key takeaways").fill("Calm under pressure; ask the hiring manager about on-call.")
    page.goto(f"{live_server}/scorecards")
    for _ in range(50):
        card = _card(world, world.ian)
        if card is not None and card.takeaways.startswith("Calm under pressure"):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the draft was not saved on leaving the page")
    page.reload()  # the list may have been drawn while the save was still on its way
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Key takeaways")).to_have_value(
        "Calm under pressure; ask the hiring manager about on-call.")

    # Submitting too early names what is missing and keeps what was typed.
    page.locator(f'#area-{solving.id} input[value="strong_yes"]').check()
    page.locator(f"#area_{solving.id}-situation").fill("Billing exports failed nightly for a 40-person team.")
    page.locator(f"#area_{solving.id}-action").fill("Bisected the job, found a timezone bug, added a DST test.")
    page.locator(f"#area_{solving.id}-result").fill("No failed export since; the test caught two regressions.")
    page.get_by_role("button", name="Submit scorecard").click()
    expect(page.get_by_text("Not submitted yet: complete the fields marked below.")).to_be_visible()
    expect(page.get_by_text("Rate this area, or mark it not assessed and say why.")).to_be_visible()
    expect(page.get_by_text("Choose your overall recommendation.")).to_be_visible()
    expect(page.locator(f"#area_{solving.id}-situation")).to_have_value(
        "Billing exports failed nightly for a 40-person team.")
    screenshot(page, "missing-fields")

    page.locator(f'#area-{design.id} input[value="not_assessed"]').check()
    expect(page.locator(f"#area_{design.id}-not_assessed_reason")).to_be_visible()
    page.locator(f"#area_{design.id}-not_assessed_reason").fill("The problem-solving question took the hour.")
    page.locator('input[name="recommendation"][value="hire"]').check()
    page.get_by_role("button", name="Submit scorecard").click()
    expect(page.get_by_text("Scorecard submitted.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Overall recommendation: Hire"))).to_be_visible()
    expect(page.get_by_text("Not assessed because: The problem-solving question took the hour.").first).to_be_visible()
    screenshot(page, "submitted")
    assert _card(world, world.ian).status == "submitted"


def test_a_colleagues_scorecard_opens_only_after_submitting_your_own(page: Page, live_server, app, screenshot):
    world = build_world()
    _submit_by_client(app, world.ian, world.panel, [world.areas["Problem solving"], world.areas["System design"]],
                      evidence="Walked us through the Kafka migration.")
    ians = f"{live_server}/loops/{world.loop.id}/sessions/{world.panel.id}/scorecards/{world.ian.id}"
    sign_in(page, live_server, world.jonas.email)
    page.goto(f"{live_server}/loops/{world.loop.id}")
    expect(page.get_by_text("Your colleagues' scorecards of this loop open once you have submitted yours")
           ).to_be_visible()
    screenshot(page, "loop-before")
    page.goto(ians)
    expect(page.get_by_role("heading", name="Submit your own scorecard first")).to_be_visible()
    expect(page.get_by_text("Walked us through")).to_have_count(0)
    screenshot(page, "refused")

    page.get_by_role("button", name="Write your scorecard for System design").click()
    for area in (world.areas["System design"], world.areas["Communication"]):
        page.locator(f'#area-{area.id} input[value="yes"]').check()
        page.locator(f"#area_{area.id}-action").fill("Drew the data flow and named the failure modes.")
    page.locator('input[name="recommendation"][value="hire"]').check()
    page.get_by_role("button", name="Submit scorecard").click()
    expect(page.get_by_text("You can now read your colleagues' scorecards of this loop.")).to_be_visible()
    page.goto(f"{live_server}/loops/{world.loop.id}")
    expect(page.get_by_text("2 of 3 submitted")).to_be_visible()
    screenshot(page, "loop-after")
    page.goto(ians)
    expect(page.get_by_role("heading", name=re.compile("Ian Interviewer’s scorecard"))).to_be_visible()
    expect(page.get_by_text(re.compile("Walked us through the Kafka migration")).first).to_be_visible()
    screenshot(page, "allowed")


def test_hiring_manager_reads_the_debrief_and_decides(page: Page, live_server, app, screenshot):
    world = build_world()
    design, comms = world.areas["System design"], world.areas["Communication"]
    _submit_by_client(app, world.ian, world.panel, [world.areas["Problem solving"], design], rating="strong_yes",
                      recommendation="strong_hire", evidence="Designed the ledger with idempotent writes.")
    _submit_by_client(app, world.jonas, world.panel, [design, comms], rating="yes", recommendation="no_hire",
                      evidence="Good structure, thin on failure handling.",
                      **{f"area_{design.id}-rating": "strong_no"})
    sign_in(page, live_server, world.manager.email)
    page.goto(f"{live_server}/loops/{world.loop.id}")
    page.get_by_role("button", name="Open the debrief").click()
    expect(page.get_by_role("heading", name="Debrief · Ada Lovelace")).to_be_visible()
    expect(page.get_by_text("Waiting for 1 scorecard.")).to_be_visible()
    expect(page.get_by_text("⚑ Ratings 3 points apart (Strong no and Strong yes)").first).to_be_visible()
    screenshot(page, "debrief")
    _no_horizontal_scroll(page)

    # The evidence is one click away: a rating in the matrix opens its area's evidence.
    evidence = page.locator(f"#ev-{design.id}")
    expect(evidence).not_to_have_attribute("open", "")
    page.locator(f'a.sc-cell-link[href="#ev-{design.id}"]').first.click()
    expect(evidence.get_by_text("Designed the ledger with idempotent writes.").first).to_be_visible()
    screenshot(page, "evidence")

    page.get_by_role("button", name="Record the decision").first.click()
    page.locator('input[name="outcome"][value="hire"]').check()
    page.get_by_label("Rationale").fill("Strong design and ownership; the failure-handling gap is coachable.")
    page.get_by_label(re.compile("Decide without the missing scorecards")).check()
    page.get_by_role("button", name="Record the decision").last.click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    expect(page.locator(".sc-decision-current")).to_contain_text("Hannah Manager")
    expect(page.locator(".sc-facts")).to_contain_text("Offer")
    screenshot(page, "decided")

    page.goto(f"{live_server}/loops/{world.loop.id}/debrief/print")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_text("Designed the ledger with idempotent writes.").first).to_be_visible()
    screenshot(page, "print")
