"""WCAG 2.2 AA in the browser: every page kind the app serves, as each role and as a candidate on the portal, at
1366x900 and 390x844 with no axe-core violation of the WCAG 2.0/2.1/2.2 A and AA rules, and no page that scrolls
sideways at 390 or 320 px (reflow). One browser page per visitor; each page is loaded once and checked at both
widths by resizing it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page

from coordinator.extensions import db
from coordinator.loops import services as loops
from tests.browser.axe import axe_violations
from tests.browser.conftest import SCREENSHOTS
from tests.security.routewalk import build_world, freeze_world, thaw_world, url_for_rule

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 320, "height": 720}
VISITORS = ("admin", "recruiter", "manager", "interviewer", "candidate")
# Routes that answer with something other than a page (calendar files, CSV, JSON, health) or only redirect.
NOT_PAGES = {"static", "home.healthz", "invites.feed", "invites.candidate_ics", "invites.loop_ics",
             "invites.message_ics", "invites.session_ics", "scorecards.debrief_csv", "privacy.export",
             "portal.calendar", "auth.verify_totp", "portal.unknown", "insight.download"}


def build_a11y_world(app: Flask) -> dict:
    """The route walk's world, with a second session and a second plan step so the reorder controls show."""
    world = build_world(app)
    loops.add_session(world["loop"], loops.SessionData(title="Coding", kind="one_on_one", duration_min=45,
                                                       interviewer_ids=(world["interviewer"].id,)),
                      world["recruiter"])
    step = world.get("step")
    if step is not None:
        db.session.add(type(step)(job_id=world["job"].id, position=1, title="Coding", kind="one_on_one",
                                  duration_min=45, interviewer_count=1))
    db.session.commit()
    return world


@pytest.fixture(scope="session")
def a11y_template(seed_template: Callable[..., tuple[Path, Any]]) -> tuple[Path, dict]:
    return seed_template("a11y", lambda app: freeze_world(build_a11y_world(app)))


@pytest.fixture
def sqlite_source(a11y_template: tuple[Path, dict]) -> Path:
    return a11y_template[0]


@pytest.fixture
def world(app: Flask, a11y_template: tuple[Path, dict]) -> dict:
    return thaw_world(a11y_template[1])


def page_paths(app: Flask, world: dict, visitor: str) -> list[tuple[str, str]]:
    """(endpoint, path) of every GET page a visitor can open: the portal's pages for the candidate, the signed-in
    pages for the others."""
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if (visitor == "candidate") != rule.endpoint.startswith("portal."):
            continue
        out.append((rule.endpoint, url_for_rule(rule, world)))
    return out


def open_as(browser: Browser, app: Flask, world: dict, base: str, visitor: str) -> Page:
    context = browser.new_context(viewport=WIDE, locale="en-GB", timezone_id="Europe/Berlin")
    if visitor != "candidate":
        context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": world["cookies"][visitor],
                              "url": base}])
    page = context.new_page()
    page.set_default_timeout(8000)
    return page


def overflow(page: Page) -> str:
    """Empty when nothing scrolls sideways, else by how much and the widest elements that stick out."""
    return page.evaluate("""() => {
        const extra = document.documentElement.scrollWidth - window.innerWidth;
        if (extra <= 0) return '';
        const out = [...document.body.querySelectorAll('*')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                         && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
            .slice(0, 3).map(e => e.outerHTML.slice(0, 90));
        return `scrolls sideways by ${extra} px (${out.join(' | ')})`;
    }""")


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_page_passes_axe_and_reflows(browser: Browser, app: Flask, world: dict, live_server: str,
                                           visitor: str) -> None:
    page = open_as(browser, app, world, live_server, visitor)
    problems: list[str] = []
    seen = 0
    for endpoint, path in page_paths(app, world, visitor):
        page.set_viewport_size(WIDE)
        response = page.goto(live_server + path)
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        if page.url.split("?")[0].endswith("/login") and endpoint != "auth.login":
            continue
        seen += 1
        for size in (WIDE, PHONE):
            page.set_viewport_size(size)
            page.wait_for_timeout(60)  # a11y.js marks the tables that now scroll (on the resize event)
            if os.environ.get("A11Y_SHOTS"):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                shot = SCREENSHOTS / f"a11y-{visitor}-{endpoint}-{size['width']}.png"
                page.screenshot(path=str(shot), full_page=True)
            problems += [f"{endpoint} {size['width']}: {v}" for v in axe_violations(page, "html", detail=True)]
        for size in (PHONE, NARROW):
            page.set_viewport_size(size)
            page.wait_for_timeout(60)
            if wide := overflow(page):
                problems.append(f"{endpoint} {size['width']}: {wide}")
    page.context.close()
    if os.environ.get("A11Y_PRINT"):
        print(f"\n{visitor}: {seen} pages")
        print("\n".join(problems))
    assert seen > 0
    assert problems == []
