"""Availability in a real browser: an interviewer imports a calendar file and adds a busy time; a recruiter
enters when a candidate in Kolkata can interview.

The app's clock stands at Monday 2 March 2026 so that the sample exports' events fall in the next four weeks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from coordinator.auth.roles import Role
from tests.helpers import TEST_PASSWORD, Clock

DATA = Path(__file__).resolve().parent.parent / "availability" / "data"
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin


@pytest.fixture
def clock(clock: Clock) -> Clock:
    clock.set(NOW)
    return clock


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fits_laptop(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_interviewer_imports_a_calendar_and_sees_the_busy_times(page: Page, live_server, make_user, clock,
                                                                screenshot):
    anna = make_user(Role.INTERVIEWER, name="Anna Schmidt", email="anna.schmidt@example.com",
                     timezone="Europe/Berlin", job_title="Staff Engineer, Payments")
    sign_in(page, live_server, anna.email)
    page.get_by_role("link", name="Availability", exact=True).click()
    expect(page.get_by_role("heading", name="My availability")).to_be_visible()
    expect(page.get_by_text("No busy times in the next 4 weeks.")).to_be_visible()
    expect(page.get_by_text("No calendar imported yet.")).to_be_visible()
    assert fits_laptop(page)
    screenshot(page, "empty")

    page.get_by_label("Calendar file (.ics)").set_input_files(str(DATA / "google_export.ics"))
    page.get_by_role("button", name="Import calendar").click()
    expect(page.get_by_text("Imported “google_export.ics”: 25 busy times from 13 events.")).to_be_visible()
    busy = page.locator("#busy")
    expect(busy.get_by_role("rowheader", name="Tomorrow, Tue 3 Mar")).to_be_visible()
    standup = busy.get_by_role("row").filter(has_text="Team standup").first
    expect(standup).to_contain_text("10:00 – 10:30 CET")
    expect(standup).to_contain_text("Imported file")
    expect(busy.get_by_role("row").filter(has_text="Gym").last).to_contain_text("07:30 – 08:15 CEST")
    expect(busy.get_by_text("Company all-hands")).to_have_count(0)  # Anna declined it
    expect(page.get_by_text("Skipped event 'Offsite planning': no start time")).to_be_visible()

    # a busy time by hand, next to the imported ones
    form = page.locator("#add-busy")
    form.get_by_label("Date", exact=True).fill("2026-03-04")
    form.get_by_label("From").fill("13:00")
    form.get_by_label("To", exact=True).fill("14:30")
    form.get_by_label("Note").fill("Dentist")
    form.get_by_role("button", name="Add busy time").click()
    expect(page.get_by_text("Busy time added: Wed 4 Mar, 13:00 – 14:30 CET.")).to_be_visible()
    dentist = page.locator("#busy").get_by_role("row").filter(has_text="Dentist")
    expect(dentist).to_contain_text("13:00 – 14:30 CET")
    expect(dentist.get_by_role("button", name="Remove")).to_be_visible()
    assert fits_laptop(page)
    screenshot(page, "imported")

    # a mistake is a field error, and what was typed stays
    form = page.locator("#add-busy")
    form.get_by_label("Date", exact=True).fill("2026-03-05")
    form.get_by_label("From").fill("15:00")
    form.get_by_label("To", exact=True).fill("14:00")
    form.get_by_role("button", name="Add busy time").click()
    expect(page.get_by_text("The end must be after the start.")).to_be_visible()
    expect(page.locator("#add-busy").get_by_label("From")).to_have_value("15:00")
    screenshot(page, "field-error")


def test_recruiter_adds_a_window_for_a_candidate_in_kolkata(page: Page, live_server, org, make_candidate, clock,
                                                           screenshot):
    rohan = make_candidate(name="Rohan Gupta", job=org["job"], timezone="Asia/Kolkata")
    sign_in(page, live_server, org["recruiter"].email)
    page.goto(f"{live_server}/candidates/{rohan.id}")
    section = page.locator("#windows")
    expect(section.get_by_role("heading", name="When the candidate can interview")).to_be_visible()
    expect(section.get_by_text("No windows yet")).to_be_visible()
    expect(section.get_by_text("in the candidate's time (IST)", exact=True)).to_be_visible()

    section.get_by_label("Date").fill("2026-03-10")
    section.get_by_label("From").fill("14:00")
    section.get_by_label("To").fill("17:30")
    section.get_by_role("button", name="Add window").click()

    expect(page.get_by_text("Window added: Tue 10 Mar, 14:00 – 17:30 IST (the candidate's time).")).to_be_visible()
    row = page.locator("#windows tbody tr").first
    expect(row).to_contain_text("Tue 10 Mar, 14:00 – 17:30 IST")
    expect(row).to_contain_text("Tue 10 Mar, 09:30 – 13:00 CET")  # Rita's own time
    expect(page.locator("#windows thead")).to_contain_text("Candidate's time (Asia/Kolkata)")
    expect(page.locator("#windows thead")).to_contain_text("Your time (Europe/Berlin)")
    assert fits_laptop(page)
    screenshot(page, "window")

    # a window in the past is refused with the reason
    section = page.locator("#windows")
    section.get_by_label("Date").fill("2026-02-27")
    section.get_by_label("From").fill("10:00")
    section.get_by_label("To").fill("12:00")
    section.get_by_role("button", name="Add window").click()
    expect(page.get_by_text("This time is already over; choose a time in the future.")).to_be_visible()
    expect(page.locator("#windows").get_by_label("Date")).to_have_value("2026-02-27")
    screenshot(page, "window-error")


def test_recruiter_opens_an_interviewers_availability_in_two_zones(page: Page, live_server, org, client_for, clock,
                                                                   screenshot):
    ian = org["interviewer"]  # Asia/Kolkata
    client = client_for(ian)
    client.post(f"/availability/{ian.id}/busy", data={"day": "2026-03-03", "start": "10:00", "end": "11:00",
                                                      "summary": "Sprint planning"})
    client.post(f"/availability/{ian.id}/busy", data={"day": "2026-03-09", "until": "2026-03-10", "all_day": "y",
                                                      "summary": "Holi"})
    sign_in(page, live_server, org["recruiter"].email)
    page.get_by_role("link", name="Availability", exact=True).click()
    page.get_by_label("Show the availability of").select_option(label="Ian Interviewer")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Availability of Ian Interviewer")).to_be_visible()
    busy = page.locator("#busy")
    expect(busy.locator("thead")).to_contain_text("Time (Asia/Kolkata)")
    expect(busy.locator("thead")).to_contain_text("Your time (Europe/Berlin)")
    planning = busy.get_by_role("row").filter(has_text="Sprint planning")
    expect(planning).to_contain_text("10:00 – 11:00 IST")
    expect(planning).to_contain_text("Tue 3 Mar, 05:30 – 06:30 CET")
    expect(busy.get_by_role("row").filter(has_text="Holi")).to_contain_text("All day, Mon 9 Mar – Tue 10 Mar")

    page.get_by_label("Interviews a day, at most").fill("9")
    page.get_by_role("button", name="Save limits").click()
    expect(page.get_by_text("Choose a number from 1 to 8.")).to_be_visible()
    # The browser goes back to the form (#limits), not the top of the page; it scrolls once the page has loaded,
    # which under load comes a moment after the error text shows.
    page.wait_for_function("window.scrollY > 0", timeout=5000)
    page.get_by_label("Interviews a day, at most").fill("3")
    page.get_by_role("button", name="Save limits").click()
    expect(page.get_by_text("Load limits and buffers are saved.")).to_be_visible()
    expect(page.get_by_label("Interviews a day, at most")).to_have_value("3")
    assert fits_laptop(page)
    screenshot(page, "two-zones")
