"""A real Radicale CalDAV server for the live-calendar tests and the benchmark: htpasswd users (plain passwords, so
a wrong one is a real 401), owner-only rights, storage in a folder of its own; stopped and started again on the
same port and storage to play a server that goes down mid-sync.

`RadicaleServer.admin(user)` is a small CalDAV client (requests) for arranging calendars and events the way a
person's own calendar app would: MKCALENDAR, PUT, DELETE.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests

IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RadicaleServer:
    """One Radicale process; `users` maps user name to password."""

    def __init__(self, root: Path, users: dict[str, str], port: int | None = None, *, no_fsync: bool = True,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.root = root
        self.no_fsync = no_fsync
        self.extra_args = extra_args
        self.users = dict(users)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        root.mkdir(parents=True, exist_ok=True)
        (root / "users").write_text("".join(f"{u}:{p}\n" for u, p in users.items()))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 20) -> None:
        # A throw-away server: no fsync per stored file (the benchmark's warm-up writes 200,000 cache files, and
        # Radicale's own switch for it cannot be set from outside).
        launch = ["-c", "import os, runpy, sys; os.fsync = lambda fd: None; sys.argv[0] = 'radicale'; "
                        "runpy.run_module('radicale', run_name='__main__')"] if self.no_fsync else ["-m", "radicale"]
        cmd = [sys.executable, *launch, "--config", "", "--server-hosts", f"127.0.0.1:{self.port}",
               "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(self.root / "users"),
               "--auth-htpasswd-encryption", "plain", "--auth-delay", "0", "--rights-type", "owner_only",
               "--storage-filesystem-folder", str(self.root / "collections"), "--logging-level", "warning",
               "--server-max-connections", "64", *self.extra_args]
        with open(self.root / "radicale.log", "ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Radicale exited with {self.proc.returncode}: "
                                   f"{(self.root / 'radicale.log').read_text(errors='replace')[-1500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Radicale did not listen on port {self.port} within {timeout} s") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def admin(self, user: str) -> CalendarAdmin:
        return CalendarAdmin(self.url, user, self.users[user])


class CalendarAdmin:
    """What a person's own calendar app does on their account."""

    def __init__(self, base: str, user: str, password: str) -> None:
        self.base, self.user = base.rstrip("/"), user
        self.http = requests.Session()
        self.http.auth = (user, password)

    def calendar_url(self, name: str) -> str:
        return f"{self.base}/{self.user}/{name}/"

    def make_calendar(self, name: str, display: str | None = None, components: str = "VEVENT") -> str:
        url = self.calendar_url(name)
        comps = "".join(f'<C:comp name="{c}"/>' for c in components.split(","))
        body = ('<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" '
                'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
                f"<D:displayname>{display or name}</D:displayname>"
                f"<C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set>"
                "</D:prop></D:set></C:mkcalendar>")
        r = self.http.request("MKCALENDAR", url, data=body.encode())
        assert r.status_code in (201, 405), (r.status_code, r.text)  # 405: it exists
        return url

    def put(self, calendar: str, uid: str, ics: str) -> None:
        r = self.http.put(self.calendar_url(calendar) + quote(uid) + ".ics", data=ics.encode(),
                          headers={"Content-Type": "text/calendar; charset=utf-8"})
        assert r.status_code in (201, 204), (r.status_code, r.text)

    def delete(self, calendar: str, uid: str) -> None:
        r = self.http.delete(self.calendar_url(calendar) + quote(uid) + ".ics")
        assert r.status_code in (200, 204), (r.status_code, r.text)

    def get(self, calendar: str, uid: str) -> str | None:
        r = self.http.get(self.calendar_url(calendar) + quote(uid, safe="@.-_") + ".ics")
        return r.text if r.status_code == 200 else None

    def uids(self, calendar: str) -> set[str]:
        body = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>')
        r = self.http.request("PROPFIND", self.calendar_url(calendar), data=body, headers={"Depth": "1"})
        import re

        return {m for m in re.findall(r"/([^/<]+)\.ics</", r.text)}


def event(uid: str, start: str, end: str, summary: str = "Meeting", *, extra: str = "", tzid: str | None = None,
          all_day: bool = False) -> str:
    """One VCALENDAR with one VEVENT; start/end as 20260310T100000Z (UTC), 20260310T100000 (with tzid or floating)
    or 20260310 (all_day)."""
    if all_day:
        times = f"DTSTART;VALUE=DATE:{start}\r\nDTEND;VALUE=DATE:{end}\r\n"
    elif tzid:
        times = f"DTSTART;TZID={tzid}:{start}\r\nDTEND;TZID={tzid}:{end}\r\n"
    else:
        times = f"DTSTART:{start}\r\nDTEND:{end}\r\n"
    extra = "".join(line + "\r\n" for line in extra.splitlines() if line)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20260301T000000Z\r\n{times}SUMMARY:{summary}\r\n{extra}"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")
