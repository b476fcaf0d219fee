"""Using the people picker in browser tests, as a user does."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


def picker(page: Page, field: str) -> Locator:
    """One picker, found by its field's name as the user reads it ("Interviewers", "Shadows")."""
    return page.get_by_role("group", name=field, exact=True)


def choose_people(page: Page, field: str, *names: str) -> None:
    """Type each name in the picker's search box and press Enter; each then shows as a chip."""
    box = picker(page, field).get_by_role("combobox")
    for name in names:
        box.fill(name)
        expect(picker(page, field).get_by_role("option", name=re.compile(re.escape(name))).first).to_be_visible()
        box.press("Enter")
        expect(picker(page, field).get_by_role("button", name=f"Remove {name}")).to_be_visible()
    box.press("Escape")
