"""The three main flows by keyboard alone (no click, no mouse): a recruiter finds times and books, an interviewer
submits a scorecard (through an error reload: focus on the error summary, "Error:" in the title, rating groups tied
to their errors), a candidate marks times on the week grid with the arrow keys and books. Plus the skip link and
focus that is never hidden under a sticky bar."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from coordinator.loops import services as loops
from tests.browser.test_foundation_browser import sign_in
from tests.portal.conftest import link_for, make_loop, team  # noqa: F401 - fixtures
from tests.scorecards.support import build_world

PHONE = {"width": 390, "height": 844}


def tab_to(page: Page, selector: str, limit: int = 200, key: str = "Tab", text: str | None = None) -> None:
    """Press Tab until the focused element matches `selector` (and reads `text`), as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("([s, t]) => !!document.activeElement && document.activeElement.matches(s) && "
                         "(t === null || document.activeElement.textContent.trim() === t)", [selector, text]):
            return
    raise AssertionError(f"{selector} was not reached with {limit} presses of {key}")


def focused(page: Page) -> str:
    return page.evaluate("document.activeElement && (document.activeElement.getAttribute('aria-label') || "
                         "document.activeElement.textContent || '').trim()")


def not_under_sticky_bar(page: Page, bar: str) -> bool:
    """The focused element is not covered by the sticky bar (2.4.11 Focus Not Obscured)."""
    return page.evaluate("""bar => {
        const el = document.activeElement, b = document.querySelector(bar);
        if (!el || !b || b.contains(el)) return true;
        const target = el.closest('label') || el;
        const r = target.getBoundingClientRect(), s = b.getBoundingClientRect();
        return r.bottom <= s.top + 1 || r.top >= s.bottom - 1;
    }""", bar)


def test_skip_link_is_first_and_leads_to_main(page: Page, live_server, org):
    sign_in(page, live_server, org["recruiter"].email)
    expect(page.get_by_role("heading", name="Good to see you, Rita")).to_be_visible()
    page.wait_for_load_state("load")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown while focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is inside the page's content, not the header
    assert page.evaluate("!!document.activeElement.closest('main')")


def test_recruiter_finds_times_and_books_by_keyboard(page: Page, live_server, org, make_user, screenshot):
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    loops.add_session(loop, loops.SessionData("Hiring manager", "one_on_one", 45,
                                              interviewer_ids=(org["manager"].id,)), org["recruiter"])
    loops.add_session(loop, loops.SessionData("Pairing", "one_on_one", 60,
                                              interviewer_ids=(org["interviewer"].id,)), org["recruiter"])
    from coordinator.extensions import db
    db.session.commit()
    sign_in(page, live_server, org["recruiter"].email)
    page.goto(f"{live_server}/loops/{loop.id}")
    tab_to(page, "main a[href$='/find']")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Option 1", exact=True)).to_be_visible()
    tab_to(page, "main button[type=submit]", text="Book option 1")
    expect(page.get_by_role("button", name="Book option 1")).to_be_focused()
    screenshot(page, "find-focused")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Booked. Invites go out")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Ada Lovelace"))).to_contain_text("Scheduled")


def test_interviewer_submits_a_scorecard_by_keyboard(page: Page, live_server, app, screenshot):
    world = build_world()
    solving, design = world.areas["Problem solving"], world.areas["System design"]
    sign_in(page, live_server, world.ian.email)
    page.goto(f"{live_server}/scorecards/session/{world.panel.id}")
    expect(page.get_by_role("heading", name=re.compile("Your scorecard"))).to_be_visible()
    page.set_viewport_size(PHONE)

    # Submit at once: the page comes back with errors, says so in its title, and starts at the error summary.
    tab_to(page, "button[value='submit']")
    assert not_under_sticky_bar(page, ".sc-buttons")
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Not submitted yet")
    group = page.get_by_role("radiogroup", name="Rating for Problem solving")
    expect(group).to_have_attribute("aria-invalid", "true")
    error_id = group.get_attribute("aria-describedby")
    expect(page.locator(f"#{error_id}")).to_have_text("Rate this area, or mark it not assessed and say why.")
    expect(page.get_by_role("radiogroup", name="Overall recommendation")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "errors-phone")

    # The summary's first link leads to the first rating; arrow keys choose within a radio group.
    tab_to(page, "#error-summary a", text="Problem solving: rating")
    page.keyboard.press("Enter")
    expect(page.locator(f"#area-{solving.id} input[type=radio]").first).to_be_focused()
    page.keyboard.press("Space")  # the first level: Strong yes
    tab_to(page, f"#area_{solving.id}-situation")
    assert not_under_sticky_bar(page, ".sc-buttons")
    page.keyboard.type("Billing exports failed nightly for a 40-person team.")
    tab_to(page, f"#area_{solving.id}-action")
    page.keyboard.type("Bisected the job, found a timezone bug, added a DST test.")
    tab_to(page, f"#area_{solving.id}-result")
    page.keyboard.type("No failed export since; the test caught two regressions.")
    tab_to(page, f"#area-{design.id} input[type=radio]")
    for _ in range(8):
        if page.evaluate("document.activeElement.value") == "not_assessed":
            break
        page.keyboard.press("ArrowRight")
    tab_to(page, f"#area_{design.id}-not_assessed_reason")
    page.keyboard.type("The problem-solving question took the hour.")
    tab_to(page, "#overall input[type=radio]")
    for _ in range(6):
        if page.evaluate("document.activeElement.value") == "hire":
            break
        page.keyboard.press("ArrowRight")
    tab_to(page, "button[value='submit']")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Scorecard submitted.")).to_be_visible()
    expect(page).not_to_have_title(re.compile("^Error"))


def test_candidate_marks_times_and_books_by_keyboard(browser: Browser, live_server, team, make_loop,  # noqa: F811
                                                     link_for, screenshot):  # noqa: F811
    context = browser.new_context(timezone_id="Europe/London", locale="en-GB", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(8000)
    loop = make_loop()
    token = link_for(loop, allow_self_booking=True)
    page.goto(f"{live_server}/c/{token}")

    # The zone select does not reload the page on its own: an arrow key changes the choice, "Show" applies it.
    tab_to(page, "#tz-select")
    url = page.url
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.url == url
    expect(page.locator("#tz-select")).to_be_focused()
    page.keyboard.press("ArrowUp")

    tab_to(page, "main a[href*='/availability'], main button[formaction*='/availability']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="When can you interview?")).to_be_visible()
    expect(page.locator(".grid-help")).to_contain_text("arrow keys")

    # One Tab stop per week; inside it the arrow keys move and Space marks.
    tab_to(page, "input[name=slot]")
    first = page.evaluate("document.activeElement.value")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(page.locator("[data-count]")).to_have_text("1 hour marked")
    day, at = first.split("T")
    assert page.evaluate("document.activeElement.value").startswith(day)  # down: same day, half an hour later
    page.keyboard.press("ArrowRight")
    assert not page.evaluate("document.activeElement.value").startswith(day)  # right: the next open day
    for _ in range(30):  # walk down the day: the focused half-hour is never under the save bar
        page.keyboard.press("ArrowDown")
        assert not_under_sticky_bar(page, ".save-bar"), focused(page)
    page.keyboard.press("Space")
    expect(page.locator("[data-count]")).to_have_text("1.5 hours marked")
    ring = page.evaluate("getComputedStyle(document.activeElement.closest('label')).outlineColor")
    assert ring == "rgb(11, 61, 145)"  # the dark ring (10.6:1 on white), with a white ring inside on green
    screenshot(page, "grid-keyboard-phone")

    # "Next week" keeps the focus on a button of the week now shown, not at the top of the page.
    if page.locator("section[data-week]:not([hidden]) [data-week-next]:not([disabled])").count():
        tab_to(page, "section[data-week]:not([hidden]) [data-week-next]", key="Shift+Tab")
        page.keyboard.press("Enter")
        assert page.evaluate("!!document.activeElement.closest('section[data-week]:not([hidden])')")
        assert page.evaluate("document.activeElement.matches('[data-week-next], [data-week-prev], h2')")
    tab_to(page, ".save-bar button")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile("Thank you. We saved"))).to_be_visible()

    # Book by keyboard, on another candidate's link (one who has not marked times, so every option shows).
    other = make_loop(candidate=team["make_candidate"](name="Rohan Gupta", job=team["job"], timezone="Europe/London"),
                      sessions=[{"title": "Technical deep dive", "kind": "one_on_one", "duration_min": 60,
                                 "interviewer_ids": (team["jonas"].id,)}])
    page.goto(f"{live_server}/c/{link_for(other, allow_self_booking=True)}/book")
    screenshot(page, "options-phone")
    tab_to(page, "main button[type=submit]")
    expect(page.locator(".option-card").first).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your interviews are booked.")).to_be_visible()
    screenshot(page, "booked-phone")
    context.close()


def test_an_error_reload_says_so_and_starts_at_the_summary(page: Page, live_server, org, screenshot):
    sign_in(page, live_server, org["admin"].email)
    page.goto(f"{live_server}/users/new")
    page.get_by_label("Email").fill("not-an-address")
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")  # the summary's first link leads to its field
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('aria-invalid')") == "true"
    # the working-hours fields have names of their own
    expect(page.get_by_label("Monday, from")).to_be_visible()
    expect(page.get_by_label("Sunday, to")).to_be_visible()
    page.set_viewport_size(PHONE)
    screenshot(page, "error-summary-phone")


def test_day_view_details_by_keyboard(page: Page, live_server, org, screenshot):
    from datetime import UTC, datetime, time, timedelta

    from coordinator.extensions import db
    from coordinator.timeutil import local_to_utc

    day = datetime.now(UTC).date() + timedelta(days=9)
    day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    session = loops.add_session(loop, loops.SessionData("System design interview", "panel", 60,
                                                        interviewer_ids=(org["interviewer"].id, org["manager"].id)),
                                org["recruiter"])
    start = local_to_utc(day, time(11), "Europe/Berlin")
    loops.book(loop, [loops.Placement(session.id, start, (org["interviewer"].id, org["manager"].id))],
               org["recruiter"], override_reason="test")
    db.session.commit()
    sign_in(page, live_server, org["recruiter"].email)
    page.goto(f"{live_server}/loops/{loop.id}/day?date={day.isoformat()}")
    tab_to(page, ".dayview .seg.booked")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label.startswith("Ada Lovelace: ") and "System design interview" in label
    shown = page.evaluate("getComputedStyle(document.activeElement, '::after').content")
    assert "System design interview" in shown  # the details show on focus, not only on hover
    tab_to(page, ".dayview .seg.working")
    expect(page.locator(".dayview .seg.working").first).to_contain_text("Working hours")
    screenshot(page, "day-focused")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    tab_to(page, ".dayview .seg.booked", key="Shift+Tab")
    screenshot(page, "day-focused-phone")
