"""The API page in a real browser: an admin creates a key (shown once), registers a webhook endpoint (its secret
shown once), sees both listed, revokes the key; the readable API reference. Screenshots and axe."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.axe import axe_violations
from tests.browser.test_foundation_browser import sign_in


def test_admin_manages_keys_and_webhooks(page: Page, live_server, org, screenshot):
    sign_in(page, live_server, org["admin"].email)
    page.get_by_role("link", name="API", exact=True).click()
    expect(page.get_by_role("heading", name="API and webhooks")).to_be_visible()
    page.get_by_role("button", name="Create a key").click()
    page.get_by_label("Name").fill("Greenhouse sync")
    page.get_by_label("Loops and sessions: read", exact=True).check()
    page.get_by_label("Candidates: read and write").check()
    screenshot(page, "api-key-form")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("shown only this once")).to_be_visible()
    token = page.get_by_label("API key").input_value()
    assert token.startswith("crd_")
    screenshot(page, "api-key-created")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("cell", name="Greenhouse sync")).to_be_visible()
    assert token not in page.content()

    page.get_by_role("button", name="Add an endpoint").click()
    page.get_by_label("Receiver URL").fill("https://ats.example.org/hooks")
    page.get_by_label("Loop booked").check()
    page.get_by_label("Decision recorded").check()
    page.get_by_role("button", name="Add endpoint").click()
    assert page.get_by_label("Signing secret").input_value().startswith("whsec_")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_text("No deliveries yet.")).to_be_visible()
    page.get_by_role("link", name="API and webhooks").click()
    screenshot(page, "api-index")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    expect(page.get_by_text("Revoked", exact=True)).to_be_visible()


def test_the_api_reference_page(page: Page, live_server, screenshot):
    page.goto(f"{live_server}/api/v1/docs")
    expect(page.get_by_role("heading", name="coordinator API v1")).to_be_visible()
    expect(page.get_by_text("GET /api/v1/loops", exact=True)).to_be_visible()
    screenshot(page, "api-docs")
