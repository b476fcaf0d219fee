"""A recruiter's first minutes, in a real browser: sign in, add a candidate, fix a mistake, sign out."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from coordinator.auth.roles import Role
from tests.helpers import TEST_PASSWORD


def sign_in(page: Page, base: str, email: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_recruiter_signs_in_adds_a_candidate_and_signs_out(page: Page, live_server, org, screenshot):
    screenshot_page = page
    page.goto(f"{live_server}/login")
    screenshot(page, "login")
    sign_in(page, live_server, org["recruiter"].email)
    expect(page.get_by_role("heading", name="Good to see you, Rita")).to_be_visible()
    expect(page.get_by_role("link", name="Senior Data Engineer")).to_be_visible()
    screenshot(page, "home")

    page.get_by_role("link", name="Candidates", exact=True).click()
    page.get_by_role("button", name="Add a candidate").click()
    page.get_by_label("Full name").fill("Rohan Gupta")
    page.get_by_label("Email").fill("rohan@")  # a typo
    page.get_by_label("Time zone").select_option("Asia/Kolkata")
    page.get_by_label("What the first interview emphasised").fill("Built a UPI payment integration.")
    page.get_by_role("button", name="Add candidate").click()
    expect(page.get_by_text("Invalid email address.")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Rohan Gupta")  # nothing typed is lost
    screenshot(page, "field-error")

    page.get_by_label("Email").fill("rohan.gupta@example.org")
    page.get_by_role("button", name="Add candidate").click()
    expect(page.get_by_role("heading", name="Rohan Gupta")).to_be_visible()
    expect(page.get_by_text("Rohan Gupta is added.")).to_be_visible()
    expect(page.get_by_text("Built a UPI payment integration.")).to_be_visible()
    expect(page.get_by_text("Asia/Kolkata")).to_be_visible()
    screenshot(page, "candidate")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto(f"{live_server}/candidates")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert screenshot_page is page


def test_each_role_sees_its_home_page(page: Page, live_server, org, make_user, screenshot):
    cases = [
        (org["admin"], "Accounts", "Users"),
        (org["manager"], "Open jobs", "Jobs"),
        (org["interviewer"], "My interviews", None),
    ]
    for user, section, nav in cases:
        sign_in(page, live_server, user.email)
        expect(page.get_by_role("heading", name=section)).to_be_visible()
        if nav:
            expect(page.get_by_role("link", name=nav, exact=True)).to_be_visible()
        else:
            expect(page.get_by_role("link", name="Jobs", exact=True)).to_have_count(0)
        screenshot(page, f"home-{'-'.join(r.value for r in sorted(user.roles))}")
        page.get_by_role("button", name="Sign out").click()


def test_admin_adds_a_user_and_pages_fit_a_laptop(page: Page, live_server, org, screenshot):
    sign_in(page, live_server, org["admin"].email)
    page.get_by_role("link", name="Users", exact=True).click()
    screenshot(page, "users")
    page.get_by_role("button", name="Add a user").click()
    page.get_by_label("Full name").fill("Priya Nair")
    page.get_by_label("Email").fill("priya@example.com")
    page.get_by_label("Time zone").select_option("Asia/Kolkata")
    page.get_by_label("Recruiter").check()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", name="Set-password link for Priya Nair")).to_be_visible()
    screenshot(page, "password-link")
    # no horizontal scrolling at laptop width
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert Role.RECRUITER
