"""Fixtures for the invite tests: ical.js via node, a throw-away Radicale CalDAV server.

Outside CI (CI != "true") a missing node/npm or Radicale skips the tests that need them, with the reason
printed; with CI=true it fails them, so CI cannot go green without the independent parsers.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.invites.invites_support import CalDAVClient

JS_DIR = Path(__file__).parent / "js"
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def unavailable(reason: str):
    """Skip (printing why) outside CI; fail in CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this is an error, not a skip)", pytrace=False)
    print(f"\n[tests/invites] SKIPPING: {reason}", file=sys.stderr)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def icaljs():
    """A function: .ics bytes (or a list of them) -> what js/read_ics.mjs (Mozilla ical.js) printed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        unavailable("node and npm are needed for the ical.js conformance tests and were not found on PATH")
    # Under pytest-xdist every worker asks for this fixture: one installs, the others wait for it on the lock.
    lock_path = Path(tempfile.gettempdir()) / f"coordinator-npm-ci-{hashlib.sha1(bytes(JS_DIR)).hexdigest()[:12]}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (JS_DIR / "node_modules" / "ical.js" / "package.json").is_file():
            try:
                done = subprocess.run(
                    [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                    cwd=JS_DIR,
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
            except subprocess.TimeoutExpired:
                unavailable(f"`npm ci` in {JS_DIR} timed out")
            if done.returncode != 0:
                unavailable(f"`npm ci` in {JS_DIR} failed: {done.stderr.strip()[-1500:]}")

    def read(ics: bytes | list[bytes]):
        """One .ics -> its dict; a list of .ics -> a list of dicts (sent as a JSON array: one node start)."""
        data = json.dumps([doc.decode("utf-8") for doc in ics]).encode() if isinstance(ics, list) else ics
        done = subprocess.run([node, str(JS_DIR / "read_ics.mjs")], input=data, capture_output=True, timeout=120)
        assert done.returncode == 0, f"ical.js could not read the file:\n{done.stderr.decode(errors='replace')}"
        return json.loads(done.stdout)

    return read


@pytest.fixture(scope="session")
def radicale(tmp_path_factory):
    """A CalDAVClient for a Radicale server on 127.0.0.1 (auth none, fresh storage), for the session."""
    try:
        import radicale  # noqa: F401
    except ImportError:
        unavailable("Radicale is not installed (pip install the project's test extra)")
    root = tmp_path_factory.mktemp("radicale")
    log_path = root / "radicale.log"
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "radicale",
        "--config",
        "",
        "--server-hosts",
        f"127.0.0.1:{port}",
        "--auth-type",
        "none",
        "--rights-type",
        "owner_only",
        "--storage-filesystem-folder",
        str(root / "collections"),
        "--logging-level",
        "warning",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                unavailable(f"Radicale exited with {proc.returncode}: {log_path.read_text(errors='replace')[-1500:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    unavailable(f"Radicale did not listen on port {port} within 20 s")
                time.sleep(0.05)
        yield CalDAVClient("127.0.0.1", port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
