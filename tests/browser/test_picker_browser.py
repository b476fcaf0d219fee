"""The people picker in Debian's Chromium at 1366x900: type a name, pick two people (one by a focus area), remove a
chip, submit, and see the right people saved; the keyboard alone does the same; axe finds nothing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.focus.models import FocusArea, Qualification
from coordinator.loops import services as loops
from coordinator.loops.models import LoopSession
from tests.browser.axe import axe_violations
from tests.browser.picker import picker
from tests.browser.test_foundation_browser import sign_in


@pytest.fixture(autouse=True)
def _screen(page: Page):
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.fixture
def team(org, make_user):
    ana = make_user(Role.INTERVIEWER, name="Ana Lima", timezone="Europe/Berlin", job_title="Staff Engineer")
    ben = make_user(Role.INTERVIEWER, name="Ben Ortiz", timezone="America/New_York", job_title="Data Engineer")
    cleo = make_user(Role.INTERVIEWER, name="Cleo Park", timezone="Asia/Kolkata", job_title="Engineer in training")
    modelling = FocusArea(name="Data modelling")
    design = FocusArea(name="System design")
    db.session.add_all([modelling, design])
    db.session.flush()
    db.session.add_all([Qualification(user_id=ben.id, focus_area_id=modelling.id),
                        Qualification(user_id=ana.id, focus_area_id=design.id),
                        Qualification(user_id=cleo.id, focus_area_id=design.id, is_shadowing=True)])
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    db.session.commit()
    return {**org, "ana": ana, "ben": ben, "cleo": cleo, "loop": loop}


def saved_people(loop_id: int) -> list[tuple[str, str]]:
    db.session.commit()  # end the test's read, to see what the server saved
    session = db.session.scalar(select(LoopSession).where(LoopSession.loop_id == loop_id))
    return sorted((p.user.name, p.role) for p in session.participants)


def test_pick_by_name_and_focus_area_remove_a_chip_and_save(page: Page, live_server, team, screenshot):
    sign_in(page, live_server, team["recruiter"].email)
    page.goto(f"{live_server}/loops/{team['loop'].id}/sessions/new")
    page.get_by_label("Title").fill("System design")
    interviewers = picker(page, "Interviewers")
    expect(interviewers.get_by_text("Nobody chosen yet.")).to_be_visible()
    # the native list is still in the form, hidden, and is what will be sent
    expect(page.locator('select[name="interviewer_ids"]')).to_be_hidden()

    box = interviewers.get_by_role("combobox")
    box.fill("lima")
    ana = interviewers.get_by_role("option", name=re.compile("Ana Lima"))
    expect(ana).to_be_visible()
    expect(interviewers.get_by_role("option")).to_have_count(1)
    expect(ana).to_contain_text("Staff Engineer")
    expect(ana).to_contain_text("Europe/Berlin (CET, UTC+01:00)")
    expect(ana).to_contain_text("0 of 5 interviews this week")
    expect(ana).to_contain_text(re.compile(r"Free from \w{3} \d+ \w{3}, \d\d:\d\d CET"))
    expect(ana).to_contain_text("System design")
    ana.click()
    expect(ana).to_have_attribute("aria-selected", "true")
    expect(interviewers.get_by_role("button", name="Remove Ana Lima")).to_be_visible()

    # by focus area: "modelling" finds Ben, who is qualified for Data modelling
    box.fill("modelling")
    ben = interviewers.get_by_role("option", name=re.compile("Ben Ortiz"))
    expect(ben).to_be_visible()
    expect(interviewers.get_by_role("option")).to_have_count(1)
    box.press("Enter")
    chips = interviewers.get_by_role("list", name="Interviewers")
    expect(chips.get_by_role("listitem")).to_have_count(2)
    assert page.locator('select[name="interviewer_ids"]').evaluate(
        "s => Array.from(s.selectedOptions).map(o => o.textContent)") == ["Ana Lima — Staff Engineer",
                                                                            "Ben Ortiz — Data Engineer"]
    box.fill("")
    expect(interviewers.get_by_role("option")).to_have_count(5)  # everyone who interviews
    screenshot(page, "two-chosen")
    assert axe_violations(page) == []

    # the chips' buttons are named and big enough to hit
    remove = interviewers.get_by_role("button", name="Remove Ben Ortiz")
    size = remove.bounding_box()
    assert size["width"] >= 24 and size["height"] >= 24
    remove.click()
    expect(chips.get_by_role("listitem")).to_have_count(1)
    expect(interviewers.get_by_role("button", name="Remove Ben Ortiz")).to_have_count(0)

    # the shadow by keyboard only: type, Down to the match, Enter
    shadows = picker(page, "Shadows").get_by_role("combobox")
    shadows.focus()
    page.keyboard.type("cleo")
    page.keyboard.press("ArrowDown")
    cleo = picker(page, "Shadows").get_by_role("option", name=re.compile("Cleo Park"))
    expect(cleo).to_have_class(re.compile("pk-active"))
    expect(shadows).to_have_attribute("aria-activedescendant", cleo.get_attribute("id"))
    expect(cleo).to_contain_text("System design (shadowing)")
    page.keyboard.press("Enter")
    expect(picker(page, "Shadows").get_by_role("button", name="Remove Cleo Park")).to_be_visible()
    page.keyboard.press("Escape")
    expect(picker(page, "Shadows").get_by_role("listbox")).to_be_hidden()
    screenshot(page, "before-saving")

    page.get_by_role("button", name="Add session").click()
    expect(page.get_by_text("Session added.")).to_be_visible()
    assert saved_people(team["loop"].id) == [("Ana Lima", "interviewer"), ("Cleo Park", "shadow")]

    # editing shows the saved people as chips
    page.goto(f"{live_server}/loops/{team['loop'].id}/sessions/"
              f"{db.session.scalar(select(LoopSession.id).where(LoopSession.loop_id == team['loop'].id))}/edit")
    expect(picker(page, "Interviewers").get_by_role("button", name="Remove Ana Lima")).to_be_visible()
    expect(picker(page, "Shadows").get_by_role("button", name="Remove Cleo Park")).to_be_visible()
    expect(picker(page, "Or any of this pool").get_by_text("Nobody chosen yet.")).to_be_visible()
    screenshot(page, "edit")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # placing the session by hand uses the same picker, with the session's length for "free"
    page.goto(page.url.replace("/edit", "/place"))
    place = picker(page, "Interviewers")
    expect(place.get_by_role("button", name="Remove Ana Lima")).to_be_visible()
    place.get_by_role("combobox").fill("ortiz")
    expect(place.get_by_role("option", name=re.compile("Ben Ortiz"))).to_contain_text("Free from")
    screenshot(page, "place")
    assert axe_violations(page) == []


def test_without_javascript_the_plain_lists_are_the_form(browser, browser_context_args, live_server, team,
                                                         screenshot):
    context = browser.new_context(**{**browser_context_args, "java_script_enabled": False,
                                     "viewport": {"width": 1366, "height": 900}})
    page = context.new_page()
    try:
        sign_in(page, live_server, team["recruiter"].email)
        page.goto(f"{live_server}/loops/{team['loop'].id}/sessions/new")
        # the search box is not shown: the plain lists are the form
        expect(page.get_by_role("combobox", name=re.compile("Find someone"))).to_have_count(0)
        page.get_by_label("Title", exact=True).fill("System design")
        page.get_by_role("listbox", name="Interviewers").select_option(label=["Ana Lima — Staff Engineer"])
        page.get_by_role("listbox", name="Shadows").select_option(label=["Cleo Park — Engineer in training"])
        screenshot(page, "no-script")
        page.get_by_role("button", name="Add session").click()
        expect(page.get_by_text("Session added.")).to_be_visible()
        assert saved_people(team["loop"].id) == [("Ana Lima", "interviewer"), ("Cleo Park", "shadow")]
    finally:
        context.close()
