"""The app served over real HTTP on 127.0.0.1, for races: each request runs in the server's own thread with its own
database connection, as under gunicorn, and a browser-like `requests` session signs in through the login form."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import make_server

from coordinator.auth.models import User
from tests.helpers import TEST_PASSWORD

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve `app` on a free port for the length of the block; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


class Browser(requests.Session):
    """A browser on the served app: keeps its cookies, and sends the CSRF token of the last page it read."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.token = ""

    def page(self, path: str, **kwargs: Any) -> requests.Response:
        response = self.get(self.base + path, timeout=60, **kwargs)
        found = _CSRF.search(response.text)
        if found:
            self.token = html.unescape(found.group(1))
        return response

    def submit(self, path: str, data: dict[str, Any] | None = None) -> requests.Response:
        if not self.token:
            self.page("/login")
        return self.post(self.base + path, data={"csrf_token": self.token, **(data or {})}, timeout=120,
                         allow_redirects=False)

    def sign_in(self, user: User, password: str = TEST_PASSWORD) -> Browser:
        self.page("/login")
        response = self.submit("/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.text[:500]
        self.page("/")  # the session was renewed at sign-in: read the new token
        return self


def at_once(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions in threads released together; their results (or exceptions) in the same order."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(i: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = action()
        except Exception as exc:  # noqa: BLE001 - handed to the test, which asserts on it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return results
