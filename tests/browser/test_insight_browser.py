"""A recruiter opens /insight, narrows it to one job, reads every report's chart and table, hovers a bar for its
number, and the page prints without navigation. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from coordinator import timeutil
from tests.browser.axe import axe_violations
from tests.browser.test_foundation_browser import sign_in
from tests.insight.support import NOW, build_panel, build_reports_org


def test_recruiter_reads_the_reports(page: Page, live_server, app, screenshot):
    timeutil.set_clock(lambda: NOW)
    try:
        data = build_reports_org()
        build_panel(data["recruiter"])
        sign_in(page, live_server, data["recruiter"].email)
        page.get_by_role("link", name="Insight").click()
        expect(page.get_by_role("heading", name="Insight", level=1)).to_be_visible()
        page.get_by_label("From", exact=True).fill("2026-03-02")
        page.get_by_label("Until", exact=True).fill("2026-03-15")
        page.get_by_label("Job", exact=True).select_option(label="Data Engineer (Data)")
        page.get_by_role("button", name="Show").click()
        for title in ("Time to schedule", "Reschedules and cancels", "Interviewer load", "Scorecards",
                      "Decisions by the promised date", "Funnel per job", "Candidate self-booking", "Calibration"):
            expect(page.get_by_role("heading", name=title, level=2)).to_be_visible()
        expect(page.get_by_text("Median 24 h to book")).to_be_visible()
        expect(page.get_by_role("img", name="Interviews per week against the weekly limit")).to_be_visible()
        expect(page.get_by_role("rowheader", name="Ian Interviewer").first).to_be_visible()
        assert page.locator("#chart-load g.bar title").first.text_content() == "Ian Interviewer · per week: 1.5"
        assert page.get_by_role("link", name="Download CSV of Interviewer load").get_attribute("href").startswith(
            "/insight/load.csv?")
        assert axe_violations(page) == []
        screenshot(page, "reports")
        page.get_by_label("Job", exact=True).select_option(label="All jobs")
        page.get_by_role("button", name="Show").click()
        expect(page.get_by_role("img", name="Leniency against the panel, with 95% intervals")).to_be_visible()
        expect(page.get_by_role("row", name="Dee").get_by_text("too few to say")).to_be_visible()
        page.locator("#calibration").scroll_into_view_if_needed()
        screenshot(page, "all-jobs")
        page.emulate_media(media="print")
        expect(page.locator(".site-header")).to_be_hidden()
        expect(page.locator(".insight-filter")).to_be_hidden()
        screenshot(page, "print")
    finally:
        timeutil.set_clock(None)
