"""Behind the documented nginx, one client's failures lock out that client only.

A real nginx on loopback (the proxy headers of deploy/nginx-coordinator.conf, read from that file) in front of real
gunicorn (deploy/gunicorn.conf.py, production settings, COORDINATOR_PROXY_HOPS=1 as deploy/ sets it), on a SQLite
file. Clients connect from different loopback addresses (127.0.0.2, 127.0.0.3, ...), so nginx sees different
clients exactly as it would on the internet, while gunicorn sees only nginx.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from coordinator.auth.roles import Role
from coordinator.loops import services as loops
from coordinator.portal import services as portal_services
from tests.helpers import TEST_PASSWORD, new_candidate, new_job, new_user, require_component

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY_SITE = ROOT / "deploy" / "nginx-coordinator.conf"
RECRUITER_EMAIL = "rita.proxy@example.com"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nginx() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        require_component("nginx", "no nginx binary (Debian: apt-get install nginx-light)")
    return str(found)


def _deploy_proxy_headers() -> list[str]:
    """The proxy_set_header lines of the documented site's `location /`: the test proxies exactly as deploy/ does."""
    site = DEPLOY_SITE.read_text()
    block = site[site.index("location / {") :]
    block = block[: block.index("}")]
    headers = [line.strip() for line in block.splitlines() if line.strip().startswith("proxy_set_header")]
    assert any("X-Forwarded-For $proxy_add_x_forwarded_for" in h for h in headers), headers
    return headers


def _wait_for(port: int, proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{what} did not start: {log.read_text(errors='replace')[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _seed(app: Any) -> dict[str, Any]:
    recruiter = new_user(Role.RECRUITER, name="Rita Proxy", email=RECRUITER_EMAIL)
    candidate = new_candidate(name="Proxy Candidate", job=new_job(recruiter=recruiter))
    loop = loops.create_loop(candidate, recruiter)
    _link, token = portal_services.create_link(loop, recruiter, 14)
    return {"token": token}


@pytest.fixture(scope="module")
def site(seed_template: Callable[..., tuple[Path, Any]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """nginx on 127.0.0.1:<port> in front of gunicorn; yields the port, the database file and the candidate token."""
    nginx = _nginx()
    database, seeded = seed_template("proxy", _seed)
    folder = tmp_path_factory.mktemp("proxy-site")
    app_port, proxy_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "COORDINATOR_ENV": "production",
        "COORDINATOR_SECRET_KEY": "p" * 64,
        "COORDINATOR_DATABASE_URL": f"sqlite:///{database}",
        "COORDINATOR_BIND": f"127.0.0.1:{app_port}",
        "COORDINATOR_WORKERS": "2",
        "COORDINATOR_PROXY_HOPS": "1",
        # the suite's cheap password hashing (as in tests/conftest.py): 31 sign-ins are about rate limits, not Argon2
        "COORDINATOR_ARGON2_TIME_COST": "1",
        "COORDINATOR_ARGON2_MEMORY_KIB": "8192",
        "COORDINATOR_ARGON2_PARALLELISM": "1",
    }
    gunicorn_log = folder / "gunicorn.log"
    with gunicorn_log.open("wb") as log:
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    headers = "\n            ".join(_deploy_proxy_headers())
    conf = folder / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log {folder}/nginx-access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    client_max_body_size 6m;
    server {{
        listen 127.0.0.1:{proxy_port};
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            {headers}
            proxy_redirect off;
        }}
    }}
}}
""")
    nginx_log = folder / "nginx-error.log"
    nginx_log.touch()
    proc = subprocess.Popen(
        [nginx, "-p", str(folder), "-c", str(conf), "-e", str(nginx_log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(app_port, gunicorn, gunicorn_log, "gunicorn")
        _wait_for(proxy_port, proc, nginx_log, "nginx")
        yield {"port": proxy_port, "database": database, "token": seeded["token"]}
    finally:
        _stop(proc)
        _stop(gunicorn)


class Browser:
    """A client on its own loopback address, keeping its cookies, talking to nginx."""

    def __init__(self, port: int, address: str) -> None:
        self.port, self.address, self.cookies = port, address, {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.address, 0))
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.partition(";")[0]
            return response.status, text
        finally:
            connection.close()

    def sign_in(self, email: str, password: str, headers: dict | None = None) -> int:
        if not hasattr(self, "_csrf"):
            status, page = self.request("GET", "/login")
            assert status == 200, page
            self._csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        status, _page = self.request(
            "POST", "/login", {"email": email, "password": password, "csrf_token": self._csrf}, headers
        )
        return status


def _audit_addresses(database: Path, action: str) -> set[str]:
    with sqlite3.connect(database) as conn:
        return {row[0] for row in conn.execute("SELECT ip FROM audit_events WHERE action = ?", (action,))}


def test_thirty_failed_sign_ins_lock_out_that_client_only(site):
    attacker = Browser(site["port"], "127.0.0.2")
    for i in range(30):
        assert attacker.sign_in(f"guess{i}@example.com", "wrong password") == 400
    assert attacker.sign_in("guess-more@example.com", "wrong password") == 429
    # a header the client forges itself does not make it someone else: nginx appends the address it saw
    assert attacker.sign_in("guess-more@example.com", "wrong", {"X-Forwarded-For": "127.0.0.3"}) == 429

    colleague = Browser(site["port"], "127.0.0.3")
    assert colleague.sign_in(RECRUITER_EMAIL, TEST_PASSWORD) == 302
    status, _page = colleague.request("GET", "/jobs")
    assert status == 200
    # the audit log names the clients, not nginx
    assert _audit_addresses(site["database"], "auth.login_failed") == {"127.0.0.2"}
    assert _audit_addresses(site["database"], "auth.login") == {"127.0.0.3"}


def test_twenty_wrong_candidate_links_lock_out_that_client_only(site):
    prober = Browser(site["port"], "127.0.0.4")
    for i in range(20):
        status, _page = prober.request("GET", f"/c/not-a-real-link-{i:04d}-xxxxxxxxxxxxxxxxxxxx")
        assert status == 404
    status, _page = prober.request("GET", f"/c/{site['token']}")
    assert status == 429  # even the right link, from that client, for now

    candidate = Browser(site["port"], "127.0.0.5")
    status, page = candidate.request("GET", f"/c/{site['token']}")
    assert status == 200, page
    assert "Hello Proxy" in page  # their own page
