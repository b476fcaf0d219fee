"""A recruiter books a loop in a real browser, opens the outbox and reads the candidate's invitation; an
interviewer gets their private calendar feed link from the profile page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from coordinator.auth.roles import Role
from tests.browser.picker import choose_people
from tests.browser.test_foundation_browser import sign_in


def test_recruiter_books_a_loop_and_reads_the_candidates_invite_in_the_outbox(page: Page, live_server, org,
                                                                               make_user, screenshot):
    make_user(Role.INTERVIEWER, name="Jonas Weber", timezone="Europe/Berlin", job_title="Staff Engineer")
    sign_in(page, live_server, org["recruiter"].email)
    page.goto(f"{live_server}/candidates/{org['candidate'].id}")
    page.get_by_role("button", name="Plan the second-round loop").click()
    page.get_by_role("button", name="Add a session").click()
    page.get_by_label("Title").fill("Pairing on a data problem")
    page.get_by_label("Format").select_option("practical")
    page.get_by_label("Length (minutes)").fill("60")
    choose_people(page, "Interviewers", "Jonas Weber")
    page.get_by_label("What the candidate should prepare").fill("Bring a laptop with Python 3.11.")
    page.get_by_role("button", name="Add session").click()

    page.get_by_role("button", name="Find times").click()
    page.get_by_role("button", name="Book option 1").click()
    expect(page.get_by_text("Booked. Invites go out")).to_be_visible()
    expect(page.get_by_role("link", name="invite (.ics)").first).to_be_visible()
    expect(page.get_by_role("link", name="the candidate's version (.ics)")).to_be_visible()
    screenshot(page, "booked-loop-with-calendar-files")

    page.get_by_role("link", name="Outbox", exact=True).click()
    expect(page.get_by_role("heading", name="Outbox")).to_be_visible()
    expect(page.get_by_text("No mail server is configured")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Your interview for Senior Data Engineer"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Invitation: Interview with Ada Lovelace"))).to_be_visible()
    screenshot(page, "outbox")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.get_by_role("link", name=re.compile(r"^Your interview for Senior Data Engineer")).click()
    expect(page.get_by_text("Dear Ada Lovelace,")).to_be_visible()
    expect(page.get_by_text("All times are in your time zone (Europe/London).")).to_be_visible()
    expect(page.get_by_text(re.compile(r"With: Jonas Weber \(Staff Engineer\)"))).to_be_visible()
    expect(page.get_by_text("Held (no mail server)").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"How to prepare: Bring a laptop with Python 3\.11\."))).to_be_visible()
    page.get_by_text("Show the iCalendar text").click()
    expect(page.get_by_text(re.compile("METHOD:REQUEST"))).to_be_visible()
    screenshot(page, "candidate-message")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_interviewer_gets_a_calendar_feed_link(page: Page, live_server, org, screenshot):
    sign_in(page, live_server, org["interviewer"].email)
    page.goto(f"{live_server}/profile")
    expect(page.get_by_role("heading", name="Calendar feed")).to_be_visible()
    page.get_by_role("button", name="Get my calendar feed link").click()
    expect(page.get_by_text("Copy this link now: it is shown only once.")).to_be_visible()
    link = page.locator("#feed-url").input_value()
    assert re.fullmatch(r"http://localhost/feed/[A-Za-z0-9_-]{40,}\.ics", link)
    screenshot(page, "feed-link")
    response = page.request.get(live_server + link.removeprefix("http://localhost"))
    assert response.status == 200 and response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.text().startswith("BEGIN:VCALENDAR")
    page.get_by_role("button", name="Back to your profile").click()
    expect(page.get_by_role("button", name="Make a new link (the old one stops working)")).to_be_visible()
    screenshot(page, "profile-with-feed")
