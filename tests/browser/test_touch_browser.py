"""The candidate's week grid on a phone, by touch (issue 22): a finger dragged down a day marks a run of half-hours,
a second drag from a marked half-hour unmarks, the half-hours are 44 px tall, and the page still scrolls from
outside the grid. Debian's Chromium with touch emulation at 390x844; the touches go in through CDP
(Input.dispatchTouchEvent), as a phone's touchscreen would send them, so the page sees pointerType "touch"."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from coordinator.availability.models import CandidateWindow
from coordinator.extensions import db
from tests.portal.conftest import link_for, make_loop, team  # noqa: F401 - fixtures

PHONE = {"width": 390, "height": 844}


def centre(page: Page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def finger_drag(cdp, start: tuple[float, float], end: tuple[float, float], steps: int = 12) -> None:
    """Put a finger down at `start`, slide it to `end` in small moves, lift it."""
    (x0, y0), (x1, y1) = start, end
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for i in range(1, steps + 1):
        x, y = x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def slot(value: str) -> str:
    return f'td.slot label:has(input[value="{value}"])'


def marked(value: str) -> str:
    return f'td.slot.is-on label:has(input[value="{value}"])'


def test_candidate_marks_a_day_with_a_finger_on_a_phone(browser: Browser, live_server, team, make_loop,  # noqa: F811
                                                        link_for, screenshot):  # noqa: F811
    context = browser.new_context(timezone_id="Europe/London", locale="en-GB", viewport=PHONE,
                                  has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(8000)
    loop = make_loop()  # the candidate is in London: the grid shows London time
    token = link_for(loop)
    page.goto(f"{live_server}/c/{token}/availability")
    expect(page.get_by_role("heading", name="When can you interview?")).to_be_visible()
    tuesday = (loop.window_first_day + timedelta(days=1)).isoformat()
    first, last = slot(f"{tuesday}T09:00"), slot(f"{tuesday}T12:30")
    expect(page.locator(first)).to_be_visible()
    assert page.evaluate("matchMedia('(pointer: coarse)').matches")  # a phone, as far as the page can tell

    # Half-hours a finger can hit: 44 px tall (WCAG 2.5.5), and not narrower than 40 px with seven days at 390 px.
    box = page.locator(first).bounding_box()
    assert box["height"] >= 44 and box["width"] >= 40, box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # Only the half-hours keep a finger from scrolling; the times column does not.
    assert page.locator(first).evaluate("el => getComputedStyle(el).touchAction") == "none"
    times = page.locator("table.slots tbody th.time-col").first
    assert times.evaluate("el => getComputedStyle(el).touchAction") == "auto"

    cdp = context.new_cdp_session(page)
    page.locator(first).evaluate("el => el.scrollIntoView({block: 'start'})")
    page.evaluate("window.scrollBy(0, -120)")  # the heading of the week in view too, like a person would hold it
    y_before = page.evaluate("window.scrollY")
    finger_drag(cdp, centre(page, first), centre(page, last))  # 09:00 to 12:30: eight half-hours
    expect(page.locator("[data-count]")).to_have_text("4 hours marked")
    assert page.evaluate("window.scrollY") == y_before  # the drag marked; it did not scroll the page
    expect(page.locator(marked(f"{tuesday}T09:00"))).to_have_count(1)

    # A drag that starts on a marked half-hour unmarks: 12:00 and 12:30 back off.
    finger_drag(cdp, centre(page, slot(f"{tuesday}T12:00")), centre(page, last), steps=4)
    expect(page.locator("[data-count]")).to_have_text("3 hours marked")
    # A tap toggles one half-hour (and only once: the label's click does not undo it).
    page.touchscreen.tap(*centre(page, slot(f"{tuesday}T15:00")))
    expect(page.locator("[data-count]")).to_have_text("3.5 hours marked")
    # A swipe up on the times column scrolls the page, as it should on a phone.
    x, y = centre(page, f'table.slots tbody tr:has(input[value="{tuesday}T15:00"]) th.time-col')
    y_start = page.evaluate("window.scrollY")
    finger_drag(cdp, (x, y), (x, y - 250))
    page.wait_for_function("y => window.scrollY > y + 100", arg=y_start)

    expect(page.locator("[data-count]")).to_have_text("3.5 hours marked")  # and marked nothing
    shot = screenshot(page, "grid-touch-phone")
    assert shot.exists()

    page.get_by_role("button", name="Save my times").tap()
    expect(page.get_by_text("Thank you. We saved 3.5 hours you can interview")).to_be_visible()
    expect(page.get_by_text("You have marked 3.5 hours so far.")).to_be_visible()

    db.session.commit()  # end the test's own (snapshot) transaction to see what the server committed
    london = ZoneInfo("Europe/London")
    day = loop.window_first_day + timedelta(days=1)

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=london).astimezone(UTC)
    saved = db.session.execute(select(CandidateWindow.start_dt, CandidateWindow.end_dt, CandidateWindow.source)
                               .order_by(CandidateWindow.start_dt)).all()
    assert [(s.astimezone(UTC), e.astimezone(UTC), src) for s, e, src in saved] == [
        (at(9), at(12), "candidate"), (at(15), at(15, 30), "candidate")]

    # Shown again when the candidate comes back to the grid.
    page.goto(f"{live_server}/c/{token}/availability")
    for hhmm in ("09:00", "11:30", "15:00"):
        expect(page.locator(marked(f"{tuesday}T{hhmm}"))).to_have_count(1)
    expect(page.locator(marked(f"{tuesday}T12:00"))).to_have_count(0)
    expect(page.locator("[data-count]")).to_have_text("3.5 hours marked")
    screenshot(page, "grid-touch-phone-saved")
    context.close()
