"""A recruiter opens "Needs action" from the home page and reads a loop's reminders; an interviewer sees their next
interviews and reminders. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.hiring.services import CandidateData, create_candidate
from coordinator.reminders import services as reminders
from tests.browser.test_foundation_browser import sign_in
from tests.reminders.support import at, book, monday, new_loop, world


def _organisation():
    w = world()
    day = monday()
    booked = new_loop(w, [("System design", 60, [w.jonas], [w.priya]), ("Hiring manager", 45, [w.manager], [])],
                      decision_due_on=day + timedelta(days=4))
    book(booked, {0: at(day, 10), 1: at(day, 11, 15)}, w.recruiter, now=at(day, 10) - timedelta(days=3))
    grace = create_candidate(CandidateData(name="Grace Hopper", email="grace@example.org",
                                           timezone="America/New_York", job_id=w.job.id))
    other = create_candidate(CandidateData(name="Alan Turing", email="alan@example.org", timezone="Europe/London",
                                           job_id=w.job.id))
    db.session.commit()
    planning = new_loop(w, [("Pairing", 60, [w.emily], []), ("Values", 45, [w.manager], [])], candidate=other)
    soon = new_loop(w, [("Pairing", 60, [w.emily], [])], candidate=grace,
                    decision_due_on=at(day, 12).date() - timedelta(days=30))
    linus = create_candidate(CandidateData(name="Linus Torvalds", email="linus@example.org", timezone="Europe/Helsinki",
                                           job_id=w.job.id))
    db.session.commit()
    past = (datetime.now(UTC) - timedelta(days=3)).date()
    done = new_loop(w, [("Coding", 60, [w.jonas], []), ("Architecture", 60, [w.priya, w.emily], [])],
                    candidate=linus, decision_due_on=datetime.now(UTC).date() + timedelta(days=1))
    book(done, {0: at(past, 10), 1: at(past, 11, 15)}, w.recruiter, now=at(past, 10) - timedelta(days=3))
    with write_transaction():
        reminders.sync_loops([booked, planning, soon, done])
        db.session.commit()
    return w, booked


def test_recruiter_reads_what_needs_action_and_a_loops_reminders(page: Page, live_server, app, screenshot):
    w, loop_id = _organisation()
    sign_in(page, live_server, w.recruiter.email)
    expect(page.get_by_role("heading", name="Needs action")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"2 loops not scheduled"))).to_be_visible()
    screenshot(page, "home")
    page.get_by_role("button", name="Open the dashboard").click()
    expect(page.get_by_role("heading", name="Needs action", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Not scheduled")).to_be_visible()
    expect(page.get_by_role("heading", name="Decisions due")).to_be_visible()
    expect(page.get_by_text(re.compile(r"overdue by \d+ days"))).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Alan Turing"))).to_be_visible()
    expect(page.get_by_text("0 of 2")).to_be_visible()
    expect(page.get_by_role("heading", name="Scorecards overdue")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Linus Torvalds")).first).to_be_visible()
    expect(page.get_by_text("3 scorecards overdue")).to_be_visible()
    screenshot(page, "dashboard")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.goto(f"{live_server}/loops/{loop_id}")
    expect(page.get_by_role("heading", name="Reminders")).to_be_visible()
    page.get_by_role("link", name="All reminders of this loop").click()
    expect(page.get_by_role("heading", name="Reminders for Ada Lovelace's loop")).to_be_visible()
    expect(page.get_by_role("cell", name="Ada Lovelace (candidate)")).to_be_visible()
    expect(page.get_by_role("cell", name="Decision due in 2 days").first).to_be_visible()
    screenshot(page, "loop-reminders")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_interviewer_sees_next_interviews_and_reminders(page: Page, live_server, app, screenshot):
    w, loop_id = _organisation()
    sign_in(page, live_server, w.jonas.email)
    page.goto(f"{live_server}/dashboard")
    expect(page.get_by_role("heading", name="My next interviews")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("System design"))).to_be_visible()
    expect(page.get_by_role("link", name="My kit")).to_be_visible()
    expect(page.get_by_role("heading", name="Not scheduled")).to_have_count(0)
    screenshot(page, "interviewer-dashboard")
    page.get_by_role("link", name="All my reminders").click()
    expect(page.get_by_role("heading", name="My reminders")).to_be_visible()
    expect(page.get_by_role("cell", name="Prepare: interview tomorrow").first).to_be_visible()
    screenshot(page, "my-reminders")
