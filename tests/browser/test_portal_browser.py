"""The candidate's private page in a real browser, in Asia/Kolkata: marking availability on the week grid,
self-booking a back-to-back loop while a colleague books one of its interviewers at the same moment, and an
itinerary without a single e-mail address. Screenshots at 1366 px and on a 390 px phone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from coordinator.availability.models import CandidateWindow
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.loops.models import SessionInterviewer
from tests.browser.test_foundation_browser import sign_in
from tests.portal.conftest import link_for, make_loop, next_monday, team  # noqa: F401 - fixtures

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def kolkata(browser: Browser):
    """A browser context whose clock says Asia/Kolkata, as the candidate's laptop would."""
    context = browser.new_context(timezone_id="Asia/Kolkata", locale="en-IN", viewport={"width": 1366, "height": 800})
    page = context.new_page()
    page.set_default_timeout(8000)
    yield page
    context.close()


def fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_candidate_in_kolkata_marks_availability_in_ist(kolkata: Page, live_server, team, make_loop,  # noqa: F811
                                                        link_for, screenshot):  # noqa: F811
    loop = make_loop()  # the candidate is on record in London
    token = link_for(loop)
    page = kolkata
    page.goto(f"{live_server}/c/{token}")
    # The browser's zone is detected and used; the candidate did not have to choose it.
    expect(page.locator("#tz-now")).to_have_text("Asia/Kolkata (IST, UTC+05:30)")
    expect(page.get_by_role("heading", name="Hello Ada")).to_be_visible()
    expect(page.get_by_role("heading", name="Tell us when you can interview")).to_be_visible()
    screenshot(page, "home-before")

    page.get_by_role("button", name="Mark my times").click()
    expect(page.get_by_role("heading", name="When can you interview?")).to_be_visible()
    expect(page.locator(".grid-help")).to_contain_text("Asia/Kolkata (IST, UTC+05:30)")
    monday = loop.window_first_day.isoformat()
    first = page.locator(f'td.slot label:has(input[value="{monday}T14:00"])')
    last = page.locator(f'td.slot label:has(input[value="{monday}T16:30"])')
    expect(first).to_be_visible()  # the first week is shown; the checkboxes are hidden behind coloured cells
    first.evaluate("el => el.scrollIntoView({block: 'center'})")
    a, b = first.bounding_box(), last.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()  # drag down the column, as a person would
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=12)
    page.mouse.up()
    expect(page.locator("[data-count]")).to_have_text("3 hours marked")
    page.locator(f'td.slot label:has(input[value="{monday}T19:00"])').click()  # one more half-hour by a click
    expect(page.locator("[data-count]")).to_have_text("3.5 hours marked")
    assert fits(page)
    screenshot(page, "grid-marked")

    page.get_by_role("button", name="Save my times").click()
    expect(page.get_by_text("Thank you. We saved 3.5 hours you can interview")).to_be_visible()
    expect(page.get_by_text("You have marked 3.5 hours so far.")).to_be_visible()
    screenshot(page, "home-after")

    db.session.commit()  # end the test's own (snapshot) transaction to see what the server committed
    base = datetime.combine(loop.window_first_day, time(0), tzinfo=UTC)
    saved = db.session.execute(select(CandidateWindow.start_dt, CandidateWindow.end_dt, CandidateWindow.source)
                               .order_by(CandidateWindow.start_dt)).all()
    assert [tuple(r) for r in saved] == [
        (base + timedelta(hours=8, minutes=30), base + timedelta(hours=11, minutes=30), "candidate"),
        (base + timedelta(hours=13, minutes=30), base + timedelta(hours=14), "candidate")]
    # The recruiter's search sees the windows at once.
    result, _ = loops.find_times(loops.load_loop(loop.id))
    for option in result.options:
        assert any(s <= ps.start and ps.end <= e for ps in option.sessions for s, e, _src in saved)

    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Change my times").click()
    expect(page.locator(f'td.slot.is-on label:has(input[value="{monday}T14:00"])')).to_be_visible()
    assert fits(page)
    screenshot(page, "grid-phone")


def _race_loops(team, make_loop):  # noqa: F811
    """The candidate's back-to-back loop starts with Jonas; the colleague's loop needs Jonas alone that day."""
    wednesday = next_monday() + timedelta(days=2)
    candidate = team["make_candidate"](name="Rohan Gupta", job=team["job"], timezone="Asia/Kolkata",
                                       email="rohan.gupta@example.org")
    mine = make_loop(candidate=candidate, first=wednesday, days=1, sessions=[
        {"title": "Technical deep dive", "kind": "one_on_one", "duration_min": 60,
         "interviewer_ids": (team["jonas"].id,)},
        {"title": "Hiring manager conversation", "kind": "one_on_one", "duration_min": 45,
         "interviewer_ids": (team["manager"].id,)},
    ])
    other = make_loop(candidate=team["make_candidate"](name="Grace Hopper", job=team["job"]), first=wednesday,
                      days=1, sessions=[{"title": "Pairing", "kind": "one_on_one", "duration_min": 60,
                                         "interviewer_ids": (team["jonas"].id,)}])
    return mine, other


def test_candidate_self_books_while_a_colleague_books_the_same_interviewer(
        kolkata: Page, page: Page, live_server, team, make_loop, link_for, screenshot):  # noqa: F811
    mine, other = _race_loops(team, make_loop)
    token = link_for(mine, allow_self_booking=True)
    candidate, colleague = kolkata, page

    sign_in(colleague, live_server, team["recruiter"].email)
    colleague.goto(f"{live_server}/loops/{other.id}/find")
    expect(colleague.get_by_role("button", name="Book option 1")).to_be_visible()

    candidate.goto(f"{live_server}/c/{token}")
    expect(candidate.locator("#tz-now")).to_contain_text("IST")
    candidate.get_by_role("button", name="See the times").click()
    expect(candidate.get_by_role("heading", name="Choose a time for your interviews")).to_be_visible()
    expect(candidate.locator(".option-card").first).to_contain_text("Technical deep dive")
    expect(candidate.locator(".option-card").first).to_contain_text("Jonas Weber (Staff Engineer)")
    assert fits(candidate)
    screenshot(candidate, "options")

    # Both press their button at the same moment; the server decides.
    candidate.get_by_role("button", name="Book these interviews").first.click(no_wait_after=True)
    colleague.get_by_role("button", name="Book option 1").click(no_wait_after=True)
    candidate.wait_for_load_state()
    colleague.wait_for_load_state()
    candidate_won = candidate.get_by_text("Your interviews are booked.")
    candidate_lost = candidate.get_by_text("That time was just taken.")
    colleague_won = colleague.get_by_text("Booked. Invites go out")
    colleague_lost = colleague.get_by_text("That time is no longer free")
    expect(candidate_won.or_(candidate_lost)).to_be_visible()
    expect(colleague_won.or_(colleague_lost)).to_be_visible()
    assert (candidate_won.count() == 1) != (colleague_won.count() == 1), "exactly one of the two books"
    screenshot(candidate, "after-race")

    db.session.commit()
    jonas_rows = db.session.scalars(select(SessionInterviewer).where(
        SessionInterviewer.user_id == team["jonas"].id, SessionInterviewer.is_active)).all()
    assert len(jonas_rows) == 1  # the loser booked nothing, not even the sessions without Jonas

    if candidate_lost.count():
        # Refused cleanly: the candidate's own layout, a 409, fresh options right there.
        expect(candidate.locator(".option-card").first).to_be_visible()
        screenshot(candidate, "refused-409")
        candidate.get_by_role("button", name="Book these interviews").first.click()
        expect(candidate.get_by_text("Your interviews are booked.")).to_be_visible()
    else:
        expect(colleague.get_by_text("Nothing was booked.")).to_be_visible()

    # The itinerary: times in IST, names and job titles, never an e-mail address.
    expect(candidate.get_by_role("heading", name="Your itinerary")).to_be_visible()
    expect(candidate.get_by_text(re.compile(r"Your interviews are on .* IST"))).to_be_visible()
    expect(candidate.get_by_text("Jonas Weber")).to_be_visible()
    full_text = candidate.locator("body").inner_text() + candidate.content()
    assert EMAIL.findall(full_text) == []
    assert fits(candidate)
    screenshot(candidate, "itinerary")
    candidate.set_viewport_size(PHONE)
    assert fits(candidate)
    screenshot(candidate, "itinerary-phone")


def test_a_dead_link_is_a_friendly_404(page: Page, live_server, screenshot):
    response = page.goto(f"{live_server}/c/not-a-real-token")
    assert response.status == 404
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    screenshot(page, "not-found")


def test_recruiter_allows_self_booking_and_sends_the_link(page: Page, live_server, team, make_loop,  # noqa: F811
                                                          screenshot):
    loop = make_loop()
    sign_in(page, live_server, team["recruiter"].email)
    page.goto(f"{live_server}/loops/{loop.id}")
    panel = page.locator("#candidate-page")
    expect(panel.get_by_role("heading", name="Candidate page")).to_be_visible()
    expect(panel).to_contain_text("Not sent yet")
    panel.get_by_label("Let the candidate book the whole loop themself").check()
    panel.get_by_label("What to expect in a second interview").fill("Bring a notebook.\n\nAsk us anything.")
    panel.get_by_role("button", name="Save candidate page settings").click()
    expect(page.get_by_text("Candidate page settings saved.")).to_be_visible()
    screenshot(page, "panel")

    page.get_by_label("Link works for (days)").fill("10")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="A private link for Ada Lovelace")).to_be_visible()
    link = page.get_by_label("The candidate's private link").input_value()
    assert link.startswith("http://localhost/c/")  # COORDINATOR_BASE_URL of the tests
    expect(page.get_by_role("button", name="Write the e-mail in my mail program")).to_have_attribute(
        "href", re.compile(r"^mailto:"))
    screenshot(page, "link")

    candidate = page.context.browser.new_page()
    candidate.goto(live_server + link.removeprefix("http://localhost"))
    expect(candidate.get_by_role("heading", name="Choose a time for your interviews")).to_be_visible()
    expect(candidate.get_by_text("Bring a notebook.")).to_be_visible()
    candidate.close()


def test_a_time_taken_while_the_candidate_looks_is_refused_cleanly(kolkata: Page, live_server, team,  # noqa: F811
                                                                   make_loop, link_for, screenshot):  # noqa: F811
    from coordinator.dblock import write_transaction

    mine, other = _race_loops(team, make_loop)
    token = link_for(mine, allow_self_booking=True)
    kolkata.goto(f"{live_server}/c/{token}/book")
    expect(kolkata.locator(".option-card").first).to_contain_text("Jonas Weber")
    first_start = kolkata.locator(".option-card .option-span").first.inner_text()
    # A colleague books Jonas at the first option's time for someone else while the page is open.
    result, _ = loops.find_times(loops.load_loop(mine.id))
    start = result.options[0].sessions[0].start
    with write_transaction():
        loop = loops.load_loop(other.id)
        loops.book(loop, [loops.Placement(loop.sessions[0].id, start, (team["jonas"].id,))], team["recruiter"])
        db.session.commit()

    kolkata.get_by_role("button", name="Book these interviews").first.click()
    expect(kolkata.get_by_text("That time was just taken.")).to_be_visible()
    expect(kolkata.get_by_text("nothing was booked")).to_be_visible()
    assert kolkata.locator(".option-card .option-span").first.inner_text() != first_start  # fresh options
    assert fits(kolkata)
    screenshot(kolkata, "refused-409")
    kolkata.set_viewport_size(PHONE)
    assert fits(kolkata)
    screenshot(kolkata, "refused-409-phone")


def test_the_grid_opens_on_the_first_week_with_weekdays(kolkata: Page, live_server, make_loop, link_for,  # noqa: F811
                                                        screenshot):
    monday = next_monday()
    loop = make_loop(first=monday - timedelta(days=2), days=9)  # the days begin on a Saturday
    token = link_for(loop)
    kolkata.goto(f"{live_server}/c/{token}/availability")
    expect(kolkata.locator(f'td.slot label:has(input[value="{monday.isoformat()}T14:00"])')).to_be_visible()
    expect(kolkata.locator("[data-week-prev]:visible")).to_be_enabled()  # the weekend is one step back
    screenshot(kolkata, "grid-opens-on-weekdays")
