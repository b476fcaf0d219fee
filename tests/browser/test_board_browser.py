"""The scheduling board in Debian's Chromium at 1366x900: drag a session to a time, move it, place one with the
keyboard only, see a conflict refused in place, then confirm, read what will be sent, and send it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect

from coordinator.auth.roles import Role
from coordinator.availability.models import BusyBlock
from coordinator.board import services as board_services
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.timeutil import local_to_utc
from tests.browser.axe import axe_violations
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_foundation_browser import sign_in

BERLIN = "Europe/Berlin"


def next_monday() -> date:
    day = datetime.now(UTC).date() + timedelta(days=3)
    return day + timedelta(days=(0 - day.weekday()) % 7)


def iso(hour: int, minute: int = 0) -> str:
    return local_to_utc(next_monday(), time(hour, minute), BERLIN).isoformat()


@pytest.fixture(autouse=True)
def _as_installed(app, page: Page):
    app.config.update(SEND_INVITES_AT_ONCE=False, INVITE_COALESCE_MINUTES=3)
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.fixture
def board(app, org, make_user):
    jonas = make_user(Role.INTERVIEWER, name="Jonas Weber", timezone=BERLIN, job_title="Staff Engineer")
    emily = make_user(Role.INTERVIEWER, name="Emily Johnson", timezone="America/New_York",
                      job_title="Senior Engineer")
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    loops.add_session(loop, loops.SessionData("Hiring manager", "one_on_one", 45,
                                              interviewer_ids=(org["manager"].id,), location="Room 4"),
                      org["recruiter"])
    loops.add_session(loop, loops.SessionData("System design", "one_on_one", 60, pool_ids=(jonas.id, emily.id),
                                              pool_count=1, location="Room 4"), org["recruiter"])
    db.session.commit()
    return {"loop": loop, "jonas": jonas, "emily": emily, **org}


def open_board(page: Page, live_server: str, board) -> None:
    sign_in(page, live_server, board["recruiter"].email)
    page.goto(f"{live_server}/loops/{board['loop'].id}/board?day={next_monday().isoformat()}")
    expect(page.get_by_role("heading", name="Scheduling board")).to_be_visible()


def drag(page: Page, source, target_x: float, target_y: float, grab_x: float | None = None) -> None:
    """Press on `source`, move in steps to (target_x, target_y) and let go, as a hand would."""
    box = source.bounding_box()
    start_x = box["x"] + (grab_x if grab_x is not None else box["width"] / 2)
    start_y = box["y"] + box["height"] / 2
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x + 5, start_y + 5, steps=3)
    page.mouse.move(target_x, target_y, steps=12)
    page.mouse.up()


def source_of(page: Page, session_id: int):
    """A session's "Pick up" handle in its card."""
    return page.locator(f'.chip-source[data-session="{session_id}"]')


def slot(page: Page, row: str, start: str):
    return page.locator(f'#board [data-row="{row}"] .slot[data-start="{start}"]')


def test_drag_a_session_to_a_slot_then_move_it(page: Page, live_server, board, screenshot):
    open_board(page, live_server, board)
    screenshot(page, "empty-board")
    target = slot(page, "candidate", iso(10)).bounding_box()
    source = source_of(page, board["loop"].sessions[0].id)
    drag(page, source, target["x"] + 8, target["y"] + target["height"] / 2)
    chip = page.locator('#board [data-row="candidate"] .chip.draft', has_text="Hiring manager")
    expect(chip).to_contain_text("10:00–10:45")
    expect(page.get_by_role("button", name="Review and book (1)")).to_be_visible()

    # move it: grab the chip near its left edge and drop that edge at 13:00
    box = chip.bounding_box()
    target = slot(page, "candidate", iso(13)).bounding_box()
    drag(page, chip, target["x"] + 10, target["y"] + target["height"] / 2, grab_x=6)
    expect(page.locator('#board [data-row="candidate"] .chip.draft', has_text="Hiring manager")) \
        .to_contain_text("13:00–13:45")
    assert box is not None
    # the interviewer's row shows it too, with their own time on hover
    hannah = page.locator(f'#board [data-row="{board["manager"].id}"] .chip.draft')
    expect(hannah).to_have_attribute("title", re.compile(r"Hiring manager: .*13:00–13:45"))

    # drop the pool session on Emily's row: she is picked (her own time, New York, shown on hover)
    target = slot(page, str(board["emily"].id), iso(15)).bounding_box()
    source = source_of(page, board["loop"].sessions[1].id)
    drag(page, source, target["x"] + 8, target["y"] + target["height"] / 2)
    emily_chip = page.locator(f'#board [data-row="{board["emily"].id}"] .chip.draft')
    expect(emily_chip).to_have_attribute("title", re.compile(r"their time: 09:00–10:00 EST"))
    expect(page.locator(".board-card", has_text="System design")).to_contain_text("Emily Johnson")
    screenshot(page, "placed-and-moved")
    assert axe_violations(page, detail=True) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_keyboard_only_placement(page: Page, live_server, board, screenshot):
    open_board(page, live_server, board)
    first = board["loop"].sessions[0]
    pick = source_of(page, first.id)
    pick.focus()
    page.keyboard.press("Enter")
    expect(pick).to_have_attribute("aria-pressed", "true")
    focused = page.locator("#board .slot:focus")
    expect(focused).to_have_attribute("data-start", slot(page, "candidate", iso(7)).get_attribute("data-start"))
    for _ in range(6):  # 07:00 -> 10:00 in half hours
        page.keyboard.press("ArrowRight")
    expect(page.locator("#board .slot:focus")).to_have_attribute("data-start", iso(10))
    page.keyboard.press("Enter")
    expect(page.locator('#board [data-row="candidate"] .chip.draft')).to_contain_text("10:00–10:45")
    expect(page.locator("#board .slot:focus")).to_have_attribute("data-start", iso(10))  # focus comes back

    # the lists work without pointer and without script tricks: choose a time and a pool member, press Place
    second = board["loop"].sessions[1]
    page.locator(f"#start-{second.id}").select_option(iso(11))
    page.locator(f"#person-{second.id}").select_option(label="Jonas Weber")
    page.locator(f"#start-{second.id}").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(f'#board [data-row="{board["jonas"].id}"] .chip.draft')).to_contain_text("11:00–12:00")
    screenshot(page, "keyboard-placed")
    page.goto(page.url.split("?")[0] + f"?day={next_monday().isoformat()}&mode=week")
    expect(page.get_by_text("Week of")).to_be_visible()
    screenshot(page, "week")
    assert axe_violations(page, detail=True) == []


def test_a_conflict_is_refused_in_place_and_a_soft_problem_asks_why(page: Page, live_server, board, screenshot):
    start = datetime.fromisoformat(iso(10))
    db.session.add(BusyBlock(user_id=board["manager"].id, start_dt=start, end_dt=start + timedelta(hours=1),
                             summary="Quarterly review", source="import"))
    db.session.commit()
    open_board(page, live_server, board)
    busy = page.locator(f'#board [data-row="{board["manager"].id}"] .seg.busy')
    expect(busy).to_have_attribute("title", re.compile(r"Quarterly review \(from their calendar file\)"))
    first = board["loop"].sessions[0]
    target = slot(page, "candidate", iso(10)).bounding_box()
    drag(page, source_of(page, first.id), target["x"] + 8,
         target["y"] + target["height"] / 2)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not placed: that time does not work.")
    expect(alert).to_contain_text("Hannah Manager is already busy")
    expect(page.locator("#board .bg-track .chip.draft")).to_have_count(0)
    screenshot(page, "conflict-refused")

    # 19:00 is after Hannah's working hours: a soft problem, placed once a reason is given
    target = slot(page, "candidate", iso(19)).bounding_box()
    drag(page, source_of(page, first.id), target["x"] + 8,
         target["y"] + target["height"] / 2)
    expect(page.get_by_text("This time has problems. Place it anyway?")).to_be_visible()
    expect(page.get_by_label("Why is this acceptable?")).to_be_focused()
    screenshot(page, "asks-for-a-reason")
    assert axe_violations(page, detail=True) == []
    page.get_by_label("Why is this acceptable?").fill("Hannah offered an evening slot")
    page.get_by_role("button", name="Place anyway").click()
    expect(page.locator('#board [data-row="candidate"] .chip.draft')).to_contain_text("19:00–19:45")


def test_confirm_then_preview_then_send(page: Page, live_server, board, screenshot):
    open_board(page, live_server, board)
    for session, hour in ((board["loop"].sessions[0], 10), (board["loop"].sessions[1], 11)):
        target = slot(page, "candidate", iso(hour)).bounding_box()
        drag(page, source_of(page, session.id), target["x"] + 8,
             target["y"] + target["height"] / 2)
        expect(page.locator(f'#board .board-card[data-session="{session.id}"]')).to_contain_text("On the board")
    expect(page.get_by_text("Kits with no questions yet", exact=False)).to_have_count(0)
    page.get_by_role("button", name="Review and book (2)").click()
    expect(page.get_by_role("heading", name="Book this loop?")).to_be_visible()
    expect(page.get_by_text("You will see every e-mail and invite before anything is sent.")).to_be_visible()
    screenshot(page, "confirm")
    assert axe_violations(page, detail=True) == []
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("heading", name="What will be sent")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"Send \d e-mails"))).to_be_visible()
    frame = page.frame_locator("iframe.mail-frame").first
    expect(frame.get_by_text("Dear Ada Lovelace,")).to_be_visible()
    page.get_by_role("textbox", name="The candidate's message").fill("Hello {first_name}, see you on {first_day}!")
    page.get_by_role("button", name="Save and preview").click()
    expect(page.frame_locator("iframe.mail-frame").first.get_by_text(re.compile(r"Hello Ada, see you on Monday"))) \
        .to_be_visible()
    screenshot(page, "preview")
    assert axe_violations(page, detail=True) == []
    mail = page.locator("iframe.mail-frame").first
    mail.scroll_into_view_if_needed()
    mail.screenshot(path=str(SCREENSHOTS / "test_confirm_then_preview_then_send-candidate-mail.png"))
    page.get_by_role("button", name=re.compile(r"Send \d e-mails")).click()
    expect(page.get_by_text(re.compile(r"e-mails are released|go out within a minute"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Sent \d e-mails with invites to 3 people"))).to_be_visible()
    screenshot(page, "sent")


def tab_to(page: Page, target, key: str = "Tab", limit: int = 200) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus, as a keyboard user would; fail if it never does."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {target}")


def test_keyboard_only_move_then_confirm(page: Page, live_server, board, screenshot):
    """A session already on the board is moved to another time and booked with the keyboard alone: Tab to it on the
    board, Enter picks it up at its own time, arrows choose the new time, Enter places it; Shift+Tab back to Review
    and book, Enter, Tab to Book, Space."""
    first = board["loop"].sessions[0]
    move = board_services.place(board["loop"], first, datetime.fromisoformat(iso(10)), board["recruiter"])
    assert not move.conflicts and not move.problems
    db.session.commit()
    open_board(page, live_server, board)
    chip = page.locator('#board [data-row="candidate"] .chip.draft', has_text="Hiring manager")
    expect(chip).to_contain_text("10:00–10:45")
    page.locator("body").focus()
    tab_to(page, chip)
    expect(chip).to_have_accessible_name(re.compile(r"^Hiring manager 10:00–10:45 \w+ \(on the board, not booked"))
    page.keyboard.press("Enter")
    expect(chip).to_have_attribute("aria-pressed", "true")
    # picking up a session on the board starts the arrows at its own time, on its own row
    expect(page.locator("#board .slot:focus")).to_have_attribute("data-start", iso(10))
    expect(page.locator("#board-live")).to_contain_text("Picked up Hiring manager")
    for _ in range(6):  # 10:00 -> 13:00 in half hours
        page.keyboard.press("ArrowRight")
    expect(page.locator("#board .slot:focus")).to_have_attribute("data-start", iso(13))
    page.keyboard.press("Enter")
    moved = page.locator('#board [data-row="candidate"] .chip.draft', has_text="Hiring manager")
    expect(moved).to_contain_text("13:00–13:45")
    expect(page.locator(f'#board .board-card[data-session="{first.id}"]')).to_contain_text("13:00")
    expect(page.locator("#board .slot:focus")).to_have_attribute("data-start", iso(13))  # focus comes back
    screenshot(page, "moved")
    assert axe_violations(page, detail=True) == []

    # saved on the server: a fresh load shows it at the new time
    page.reload()
    expect(page.locator('#board [data-row="candidate"] .chip.draft', has_text="Hiring manager")) \
        .to_contain_text("13:00–13:45")
    review = page.get_by_role("button", name="Review and book (1)")  # a link drawn as a button
    page.locator("#board .board-card").last.locator("button").last.focus()  # start somewhere after the bar
    tab_to(page, review, key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Book this loop?")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Hiring manager"))
    expect(row).to_contain_text("13:00–13:45")
    book = page.get_by_role("button", name="Book", exact=True)
    tab_to(page, book)
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", name="What will be sent")).to_be_visible()
    db.session.commit()  # end the test's own read, to see what the server wrote
    db.session.expire_all()
    assert db.session.get(type(first), first.id).start_dt == datetime.fromisoformat(iso(13))
