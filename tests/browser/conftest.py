"""Browser tests: Debian's Chromium driven by Playwright against the app served on 127.0.0.1."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.helpers import require_component

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    path = chromium_path()
    if path is None:
        require_component("Chromium", "install Debian's chromium package (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    # A laptop screen; time zone and locale fixed so screenshots and parsed times are stable.
    return {**browser_context_args, "viewport": {"width": 1366, "height": 800}, "locale": "en-GB",
            "timezone_id": "Europe/Berlin"}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test's app on a free port of 127.0.0.1, in a thread, for the length of the test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest):
    """Save a full-page screenshot named after the test, for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take


@pytest.fixture(autouse=True)
def _short_timeouts(page) -> None:
    """Fail in seconds, not half a minute: every page here is served locally."""
    page.set_default_timeout(8000)
    page.set_default_navigation_timeout(15000)
