"""A recruiter schedules a loop in a real browser: plan, find times, look at the day, book, see the itinerary."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from coordinator.auth.roles import Role
from tests.browser.picker import choose_people
from tests.browser.test_foundation_browser import sign_in


def test_recruiter_plans_finds_times_and_books_a_loop(page: Page, live_server, org, make_user, screenshot):
    make_user(Role.INTERVIEWER, name="Jonas Weber", timezone="Europe/Berlin", job_title="Staff Engineer")
    make_user(Role.INTERVIEWER, name="Priya Nair", timezone="Asia/Kolkata", job_title="Senior Backend Engineer")
    sign_in(page, live_server, org["recruiter"].email)
    page.goto(f"{live_server}/candidates/{org['candidate'].id}")
    page.get_by_role("button", name="Plan the second-round loop").click()
    expect(page.get_by_text("This loop has no sessions yet.")).to_be_visible()
    screenshot(page, "empty-loop")

    page.get_by_role("button", name="Add a session").click()
    page.get_by_label("Title").fill("Hiring manager conversation")
    page.get_by_label("Length (minutes)").fill("45")
    choose_people(page, "Interviewers", "Hannah Manager")
    page.get_by_role("button", name="Add session").click()

    page.get_by_role("button", name="Add a session").click()
    page.get_by_label("Title").fill("System design panel")
    page.get_by_label("Format").select_option("panel")
    page.get_by_label("Length (minutes)").fill("60")
    choose_people(page, "Interviewers", "Jonas Weber", "Priya Nair")
    page.get_by_role("button", name="Add session").click()
    expect(page.get_by_role("cell", name=re.compile("System design panel"))).to_be_visible()

    page.get_by_role("button", name="Find times").click()
    expect(page.get_by_text("Option 1", exact=True)).to_be_visible()
    screenshot(page, "find-times")

    page.get_by_role("button", name="Day view").first.click()
    expect(page.locator('[title^="Proposed: System design panel"]').first).to_be_visible()
    expect(page.get_by_text("Asia/Kolkata")).to_be_visible()
    screenshot(page, "day-view")
    page.go_back()

    page.get_by_role("button", name="Book option 1").click()
    expect(page.get_by_text("Booked. Invites go out")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Ada Lovelace"))).to_contain_text("Scheduled")
    # The itinerary shows the recruiter's zone and the candidate's (London) side by side.
    expect(page.get_by_role("columnheader", name="Candidate's time (Europe/London)")).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d\d:\d\d–\d\d:\d\d CET")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d\d:\d\d–\d\d:\d\d GMT")).first).to_be_visible()
    screenshot(page, "booked-loop")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
