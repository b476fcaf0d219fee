"""The production setup serves pages: gunicorn with the deploy config, on PostgreSQL, in production mode."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_serves_the_login_page_on_postgresql(pg_migrated, tmp_path):
    url, schema = pg_migrated
    port = _free_port()
    options = urllib.parse.quote(f"-csearch_path={schema},public")
    env = {
        **os.environ,
        "COORDINATOR_ENV": "production",
        "COORDINATOR_SECRET_KEY": "a" * 64,
        "COORDINATOR_DATABASE_URL": f"{url}?options={options}",
        "COORDINATOR_BIND": f"127.0.0.1:{port}",
        "COORDINATOR_WORKERS": "2",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log_path = tmp_path / "gunicorn.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([str(gunicorn), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        body, status, headers = "", 0, {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:  # noqa: S310
                    body, status, headers = response.read().decode(), response.status, response.headers
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.3)
        assert status == 200, log_path.read_text()
        assert "Sign in" in body and 'name="csrf_token"' in body
        cookie = headers.get("Set-Cookie", "")
        assert "Secure" in cookie and "HttpOnly" in cookie  # production cookies
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
