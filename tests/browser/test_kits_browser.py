"""Focus areas and interview kits in a real browser: plan a job, fix a coverage gap and watch the warning go,
open a kit and see the right questions, print it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from coordinator.extensions import db
from coordinator.focus import services as fs
from tests.browser.picker import choose_people
from tests.browser.test_foundation_browser import sign_in
from tests.focus.support import make_loop, setup_interviewing


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_hiring_manager_plans_the_job_and_reads_the_library(page: Page, live_server, org, make_user, screenshot):
    world = setup_interviewing(org, make_user)
    sign_in(page, live_server, world["manager"].email)
    page.goto(f"{live_server}/jobs/{world['job'].id}")
    expect(page.get_by_role("heading", name="Focus areas")).to_be_visible()
    expect(page.get_by_text("No plan yet: new loops start empty.")).to_be_visible()
    screenshot(page, "job-page-before")

    page.get_by_role("button", name="Plan the sessions").click()
    expect(page.get_by_text("No sessions in the plan yet.")).to_be_visible()
    page.get_by_role("button", name="Add a session").click()
    page.get_by_label("Title").fill("Design deep dive")
    page.get_by_label("Length (minutes)").fill("60")
    page.get_by_label("System design").check()
    page.get_by_label("Technical depth").check()
    page.get_by_label("Pool: everyone qualified for this step's focus areas").check()
    screenshot(page, "step-form")
    page.get_by_role("button", name="Add to the plan").click()
    expect(page.get_by_text("“Design deep dive” is added to the plan.")).to_be_visible()
    expect(page.get_by_text("Nobody covers Collaboration.")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("from Jonas Weber"))).to_be_visible()

    page.get_by_role("button", name="Add a session").click()
    page.get_by_label("Title").fill("Team and ownership")
    page.get_by_label("Format").select_option("panel")
    page.get_by_label("Interviewers", exact=True).fill("2")
    page.get_by_label("Collaboration").check()
    page.get_by_label("Ownership").check()
    choose_people(page, "Or choose the pool", "Priya Nair", "Emily Johnson")
    page.get_by_role("button", name="Add to the plan").click()
    expect(page.get_by_text("The plan covers every focus area of the job once")).to_be_visible()
    screenshot(page, "plan")
    assert fits_the_screen(page)

    page.get_by_role("link", name="Senior Data Engineer").click()
    expect(page.get_by_text("Design deep dive")).to_be_visible()
    screenshot(page, "job-page-after")

    page.get_by_role("link", name="Focus areas", exact=True).first.click()
    expect(page.get_by_role("heading", name="Focus areas", exact=True)).to_be_visible()
    screenshot(page, "focus-areas")
    page.get_by_role("link", name="System design").first.click()
    expect(page.get_by_text("System design: outstanding evidence.")).to_be_visible()
    screenshot(page, "focus-area")
    page.get_by_role("link", name="Open in the question bank").click()
    expect(page.get_by_label("Focus area")).to_have_value(str(world["design"].id))
    page.get_by_label("Kind").select_option("situational")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("What would you do if system design were tested?")).to_be_visible()
    expect(page.get_by_text("Tell me about a time you showed system design.")).to_have_count(0)
    screenshot(page, "question-bank")
    page.get_by_role("link", name="Who assesses what").click()
    expect(page.get_by_role("row", name=re.compile("Tom Becker"))).to_contain_text("System design")
    screenshot(page, "qualifications")
    assert fits_the_screen(page)


def test_recruiter_fixes_a_coverage_gap_and_the_warning_goes(page: Page, live_server, org, make_user, screenshot):
    world = setup_interviewing(org, make_user)
    loop = make_loop(world, [
        {"title": "System design", "kind": "panel", "duration_min": 60,
         "interviewer_ids": [world["jonas"], world["priya"]]},
        {"title": "Manager chat", "interviewer_ids": [world["emily"]]},
    ])
    design, chat = loop.sessions
    for session, person, areas in ((design, world["jonas"], [world["design"], world["depth"]]),
                                   (chat, world["emily"], [world["owner"]])):
        from coordinator.kits import services as assignments

        assignments.save_assignment(session, person, [a.id for a in areas], [], world["recruiter"])
    db.session.commit()

    sign_in(page, live_server, world["recruiter"].email)
    page.goto(f"{live_server}/loops/{loop.id}")
    gap = page.locator(".coverage-gaps")
    expect(gap).to_contain_text("Nobody covers Collaboration.")
    expect(page.locator(".coverage-matrix tr.uncovered")).to_have_count(1)
    page.locator("#focus").scroll_into_view_if_needed()
    screenshot(page, "loop-with-gap")

    page.get_by_role("button", name="Assign focus areas").click()
    page.get_by_role("link", name="Assign Priya Nair in System design").click()
    expect(page.get_by_role("heading", name="Priya Nair in “System design”")).to_be_visible()
    page.get_by_role("checkbox", name=re.compile("^Collaboration")).check()
    page.get_by_text("Collaboration 0 chosen of 2").click()
    page.get_by_role("checkbox", name=re.compile("Tell me about a time you showed collaboration")).check()
    screenshot(page, "assign")
    page.get_by_role("button", name="Save kit").click()
    expect(page.get_by_text("Priya Nair’s kit for “System design” is saved.")).to_be_visible()
    expect(page.locator(".kit-questions .q-text")).to_have_text(["Tell me about a time you showed collaboration."])

    page.get_by_role("link", name="Ada Lovelace").click()
    expect(page.locator(".coverage-gaps")).to_have_count(0)
    expect(page.locator(".coverage-ok")).to_contain_text(
        "Every focus area is covered once, by a qualified interviewer.")
    expect(page.locator(".coverage-matrix tr.uncovered")).to_have_count(0)
    page.locator("#focus").scroll_into_view_if_needed()
    screenshot(page, "loop-covered")
    assert fits_the_screen(page)

    page.get_by_role("button", name="Assign focus areas").click()
    screenshot(page, "coverage-page")
    assert fits_the_screen(page)


def test_interviewer_opens_their_kit_and_sees_their_questions(page: Page, live_server, org, make_user, screenshot):
    world = setup_interviewing(org, make_user)
    loop = make_loop(world, [
        {"title": "System design", "kind": "panel", "duration_min": 60,
         "interviewer_ids": [world["jonas"], world["priya"]], "shadow_ids": [world["tom"]]},
        {"title": "Manager chat", "interviewer_ids": [world["emily"]]},
    ])
    from coordinator.kits import services as assignments

    design, chat = loop.sessions
    q = world["questions"]
    assignments.save_assignment(design, world["jonas"], [world["design"].id],
                                [q["System design"][0].id, q["System design"][1].id], world["recruiter"])
    assignments.save_assignment(design, world["priya"], [world["depth"].id, world["collab"].id],
                                [q["Collaboration"][0].id], world["recruiter"])
    assignments.save_assignment(chat, world["emily"], [world["owner"].id], [q["Ownership"][1].id],
                                world["recruiter"])
    db.session.commit()
    assert fs.job_focus_areas(world["job"])

    sign_in(page, live_server, world["jonas"].email)
    page.goto(f"{live_server}/loops/{loop.id}")
    page.get_by_role("button", name="System design").click()  # "Your kit: System design"
    expect(page.get_by_role("heading", name="System design with Ada Lovelace")).to_be_visible()
    questions = page.locator(".kit-questions .q-text")
    expect(questions).to_have_text(["Tell me about a time you showed system design.",
                                    "What would you do if system design were tested?"])
    expect(page.get_by_text("Tell me about a time you showed collaboration.")).to_have_count(0)  # Priya's
    expect(page.locator(".guidance-row.rating-strong_yes")).to_contain_text("System design: outstanding evidence.")
    expect(page.get_by_role("cell", name="Priya Nair")).to_be_visible()
    expect(page.get_by_text("Scorecard (available after the interview).")).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    screenshot(page, "kit")
    assert fits_the_screen(page)

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    screenshot(page, "kit-print")
    page.emulate_media(media="screen")

    page.get_by_role("button", name="Edit my questions").click()
    page.get_by_label("Question for this loop only").fill("How would you load-test this design?")
    page.get_by_label("Kind").select_option("practical")
    page.get_by_role("button", name="Save kit").click()
    expect(page.get_by_text("Your kit for “System design” is saved.")).to_be_visible()
    expect(page.locator(".kit-questions .q-text")).to_have_count(3)

    # a colleague's kit in the same loop: readable, not editable
    page.goto(f"{live_server}/loops/{loop.id}/sessions/{chat.id}/kits/{world['emily'].id}")
    expect(page.get_by_role("heading", name="Manager chat with Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("button", name="Edit kit")).to_have_count(0)
