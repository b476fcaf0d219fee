"""Replacing an interviewer in a real browser (#22): everyone is offered, best first, with what speaks against them;
choosing a trainee asks why, and the swap happens."""

from __future__ import annotations

from datetime import time

from playwright.sync_api import Page, expect

from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.timeutil import local_to_utc
from tests.browser.test_foundation_browser import sign_in
from tests.focus.support import make_loop, next_weekday, setup_interviewing


def test_recruiter_replaces_an_interviewer_by_hand(page: Page, live_server, org, make_user, screenshot):
    world = setup_interviewing(org, make_user)
    loop = make_loop(world, [{"title": "Manager chat", "interviewer_ids": [world["manager"]]},
                             {"title": "System design", "duration_min": 60, "interviewer_ids": [world["jonas"]]}])
    chat, design = sorted(loop.sessions, key=lambda s: s.position)
    day = next_weekday(1)
    loops.book(loop, [loops.Placement(chat.id, local_to_utc(day, time(9), "Europe/Berlin"), (world["manager"].id,)),
                      loops.Placement(design.id, local_to_utc(day, time(10), "Europe/Berlin"), (world["jonas"].id,))],
               world["recruiter"], override_reason="Set up for the test")
    from coordinator.kits import services as kits

    kits.save_assignment(design, world["jonas"], [world["design"].id], [], world["recruiter"])
    db.session.commit()

    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, world["recruiter"].email)
    page.goto(f"{live_server}/loops/{loop.id}")
    page.locator(f'a[href="/loops/{loop.id}/sessions/{design.id}/replace/{world["jonas"].id}"]').click()
    expect(page.get_by_role("heading", name="Replace Jonas Weber")).to_be_visible()
    tom = page.locator(f'tr[data-person="{world["tom"].id}"]')
    expect(tom).to_contain_text("Only shadowing System design (a trainee).")
    hannah = page.locator(f'tr[data-person="{world["manager"].id}"]')
    expect(hannah).to_contain_text("Already meets Ada Lovelace that day ('Manager chat').")
    screenshot(page, "replace-choices")

    tom.get_by_role("button", name="Swap in anyway").click()  # the reason is required: nothing is sent
    expect(page.get_by_role("heading", name="Replace Jonas Weber")).to_be_visible()
    tom.get_by_label("Why Tom Becker anyway").fill("Tom is ready to lead; Jonas is ill")
    tom.get_by_role("button", name="Swap in anyway").click()
    expect(page.get_by_text("Jonas Weber is replaced in 'System design'.")).to_be_visible()
    expect(page.get_by_text("Tom Becker replaces Jonas Weber in 'System design'.")).to_be_visible()
    screenshot(page, "replaced")
