"""Sample loops and independent readers for the invite tests (imported by tests/invites only).

Readers turn an .ics into the same plain shape so that the tests can compare what each parser understood:

    {"method": "REQUEST" | None,
     "events": {uid: {"start": aware UTC, "end": aware UTC, "sequence": int, "status": str | None,
                      "attendees": {email: role}, "organizer": email}}}
"""

from __future__ import annotations

import http.client
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import icalendar
import vobject

from coordinator.invites.ical import (
    Grouping,
    InviteLoop,
    InvitePerson,
    InviteSession,
    SessionInterviewer,
    candidate_invite,
    derive_uid,
    feed_calendar,
    interviewer_invite,
    interviewer_uninvite,
    loop_calendar,
    next_sequence,
    plan_candidate_events,
    stable_uid,
)

DOMAIN = "coordinator.test"
STAMP = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata")

RECRUITER = InvitePerson("Rita Recruiter", "rita@corp.example", "Senior Recruiter")
POOL = (
    InvitePerson("Grace Hopper", "grace@corp.example", "Staff Engineer"),
    InvitePerson("Alan Turing", "alan@corp.example", "Principal Engineer"),
    InvitePerson("Zoë O'Brien, PhD", 'zoe"obrien@corp.example', "Data Scientist; ML"),
    InvitePerson("Edsger Dijkstra", "edsger@corp.example", "Architect"),
    InvitePerson("Barbara Liskov", "barbara@corp.example", "Engineering Manager"),
    InvitePerson("Ken Thompson", "ken@corp.example", "Engineer"),
)
SHADOW = InvitePerson("Sam Shadow", "sam@corp.example", "Engineer in training")

# Days around the 2026 daylight-saving changes (US: 8 Mar / 1 Nov, EU: 29 Mar / 25 Oct), UTC.
DAYS = (
    datetime(2026, 3, 5, tzinfo=UTC),  # before both spring changes
    datetime(2026, 3, 10, tzinfo=UTC),  # US on summer time, EU not yet
    datetime(2026, 3, 31, tzinfo=UTC),  # both on summer time
    datetime(2026, 10, 22, tzinfo=UTC),  # before both autumn changes
    datetime(2026, 10, 27, tzinfo=UTC),  # EU back on winter time, US not yet
    datetime(2026, 11, 3, tzinfo=UTC),  # both on winter time
)
# (start offset from the day, minutes): two back-to-back sessions, then one after a long break.
SLOTS = ((timedelta(hours=13), 60), (timedelta(hours=14, minutes=10), 50), (timedelta(hours=16), 45))
# Sessions on the transition nights themselves (display zone, start UTC, minutes).
EDGE_SESSIONS = (
    ("America/New_York", datetime(2026, 3, 8, 6, 30, tzinfo=UTC), 60),  # 01:30 EST -> 03:30 EDT
    ("Europe/Berlin", datetime(2026, 3, 29, 0, 30, tzinfo=UTC), 60),  # 01:30 CET -> 03:30 CEST
    ("Europe/Berlin", datetime(2026, 10, 25, 0, 0, tzinfo=UTC), 30),  # 02:00-02:30 CEST (the first 02:00)
    ("Europe/Berlin", datetime(2026, 10, 25, 1, 30, tzinfo=UTC), 30),  # 02:30 CET (the second 02:30)
    ("America/New_York", datetime(2026, 11, 1, 5, 0, tzinfo=UTC), 30),  # 01:00-01:30 EDT (the first 01:00)
    ("America/New_York", datetime(2026, 11, 1, 6, 30, tzinfo=UTC), 30),  # 01:30 EST (the second 01:30)
)
KIND_CYCLE = ("one_on_one", "panel", "practical")


def make_session(
    n: int, start: datetime, minutes: int, tz: str, *, sequence: int = 0, kind: str | None = None
) -> InviteSession:
    kind = kind or KIND_CYCLE[n % 3]
    count = 3 if kind == "panel" else (2 if kind == "practical" else 1)
    interviewers = tuple(
        SessionInterviewer(
            POOL[(n + k) % len(POOL)],
            focus_areas=(f"focus {n}.{k}", "SQL, modelling"),
            kit_url=f"https://kits.corp.example/session/{n}/kit/{k}",
        )
        for k in range(count)
    )
    return InviteSession(
        uid=stable_uid("session", n, "interviewers", DOMAIN),
        candidate_uid=stable_uid("session", n, "candidate", DOMAIN),
        sequence=sequence,
        start=start,
        end=start + timedelta(minutes=minutes),
        tz=tz,
        title=f"Session {n}: {kind.replace('_', ' ')}",
        kind=kind,
        location="HQ, Room 4; 2nd floor" if n % 2 else "",
        video_url=f"https://video.corp.example/room/{n}",
        description=f"Public notes for session {n}",
        internal_notes=f"INTERNAL-NOTE-{n}: probe on scaling",
        interviewers=interviewers,
        shadow=SessionInterviewer(SHADOW, ("observing",), f"https://kits.corp.example/session/{n}/shadow")
        if n % 3 == 0
        else None,
        prep_instructions=f"Bring a laptop with Python for session {n}" if kind == "practical" else "",
    )


def make_loop(index: int, candidate_tz: str, *, first_id: int = 0) -> InviteLoop:
    sessions = []
    n = first_id
    for d, day in enumerate(DAYS):
        for s, (offset, minutes) in enumerate(SLOTS):
            sessions.append(make_session(n, day + offset, minutes, ZONES[(index + d + s) % 3]))
            n += 1
    for tz, start, minutes in EDGE_SESSIONS:
        sessions.append(make_session(n, start, minutes, tz))
        n += 1
    return InviteLoop(
        candidate=InvitePerson(f"Ada Lovelace-{index}", f"ada{index}@candidate.example"),
        candidate_tz=candidate_tz,
        job_title="Senior Data Engineer",
        organizer=RECRUITER,
        sessions=tuple(sessions),
        candidate_uid=stable_uid("loop", index, "candidate", DOMAIN),
    )


def make_world() -> list[InviteLoop]:
    """Three loops, the candidate in each of the three zones, session ids unique across loops."""
    return [make_loop(i, tz, first_id=100 * i) for i, tz in enumerate(ZONES)]


# ------------------------------------------------------------------------------------------ expectations


def _email(value: str) -> str:
    value = str(value)
    if value.lower().startswith("mailto:"):
        value = value[7:]
    return urllib.parse.unquote(value).strip().lower()


def expect_interviewer_events(loop: InviteLoop, sessions, *, status="from-session", uid_suffix=None) -> dict:
    out = {}
    for s in sessions:
        attendees = {i.person.email.lower(): "REQ-PARTICIPANT" for i in s.interviewers}
        if s.shadow:
            attendees[s.shadow.person.email.lower()] = "OPT-PARTICIPANT"
        out[derive_uid(s.uid, uid_suffix) if uid_suffix else s.uid] = {
            "start": s.start,
            "end": s.end,
            "sequence": s.sequence,
            "status": s.status if status == "from-session" else status,
            "attendees": attendees,
            "organizer": loop.organizer.email.lower(),
        }
    return out


def expect_candidate_events(loop: InviteLoop, grouping, *, status="CONFIRMED") -> dict:
    return {
        ev.uid: {
            "start": ev.start,
            "end": ev.end,
            "sequence": ev.sequence,
            "status": status,
            "attendees": {loop.candidate.email.lower(): "REQ-PARTICIPANT"},
            "organizer": loop.organizer.email.lower(),
        }
        for ev in plan_candidate_events(loop, grouping)
    }


def _moved(loop, minutes):
    """The loop after a reschedule: every session later by `minutes`, SEQUENCE bumped."""
    sessions = tuple(
        next_sequence(replace(s, start=s.start + timedelta(minutes=minutes), end=s.end + timedelta(minutes=minutes)))
        for s in loop.sessions
    )
    return replace(loop, sessions=sessions)


@lru_cache(maxsize=1)
def build_cases() -> dict:
    """name -> (ics bytes, expected METHOD, expected events)."""
    cases = {}
    world = make_world()
    for loop in world:
        tag = loop.candidate_tz.split("/")[1].lower()
        everyone = interviewer_invite(loop, stamp=STAMP)
        cases[f"interviewers-request-{tag}"] = (everyone, "REQUEST", expect_interviewer_events(loop, loop.sessions))

        alan = "alan@corp.example"
        mine = [s for s in loop.sessions if any(p.person.email == alan for p in s.people)]
        cases[f"interviewer-request-one-person-{tag}"] = (
            interviewer_invite(loop, alan, stamp=STAMP),
            "REQUEST",
            expect_interviewer_events(loop, mine),
        )

        moved = _moved(loop, 45)
        cases[f"interviewers-update-{tag}"] = (
            interviewer_invite(moved, stamp=STAMP),
            "REQUEST",
            expect_interviewer_events(moved, moved.sessions),
        )

        cancelled = replace(moved, sessions=tuple(next_sequence(s) for s in moved.sessions))
        cases[f"interviewers-cancel-{tag}"] = (
            interviewer_invite(cancelled, stamp=STAMP, method="CANCEL"),
            "CANCEL",
            expect_interviewer_events(cancelled, cancelled.sessions, status="CANCELLED"),
        )

        # Take the second interviewer off a panel: they get a CANCEL for that event only.
        panel = next(s for s in loop.sessions if s.kind == "panel")
        removed = panel.interviewers[1]
        after = next_sequence(replace(panel, interviewers=(panel.interviewers[0], panel.interviewers[2])))
        loop_after = replace(loop, sessions=tuple(after if s.uid == panel.uid else s for s in loop.sessions))
        cases[f"interviewer-uninvite-{tag}"] = (
            interviewer_uninvite(loop_after, panel.uid, removed.person, stamp=STAMP),
            "CANCEL",
            {
                panel.uid: {
                    "start": after.start,
                    "end": after.end,
                    "sequence": after.sequence,
                    "status": None,
                    "attendees": {removed.person.email.lower(): "REQ-PARTICIPANT"},
                    "organizer": loop.organizer.email.lower(),
                }
            },
        )

        for grouping in Grouping:
            cases[f"candidate-{grouping.value}-{tag}"] = (
                candidate_invite(loop, stamp=STAMP, grouping=grouping),
                "REQUEST",
                expect_candidate_events(loop, grouping),
            )
        cases[f"candidate-per_block-update-{tag}"] = (
            candidate_invite(moved, stamp=STAMP, grouping=Grouping.PER_BLOCK),
            "REQUEST",
            expect_candidate_events(moved, Grouping.PER_BLOCK),
        )
        cases[f"candidate-per_day-cancel-{tag}"] = (
            candidate_invite(cancelled, stamp=STAMP, grouping=Grouping.PER_DAY, method="CANCEL"),
            "CANCEL",
            expect_candidate_events(cancelled, Grouping.PER_DAY, status="CANCELLED"),
        )

    first = world[0]
    cases["download-internal"] = (
        loop_calendar(first, stamp=STAMP),
        "PUBLISH",
        expect_interviewer_events(first, first.sessions),
    )
    cases["download-candidate"] = (
        loop_calendar(replace(first, grouping=Grouping.PER_DAY), stamp=STAMP, audience="candidate"),
        "PUBLISH",
        expect_candidate_events(first, Grouping.PER_DAY),
    )
    cases["feed-recruiter"] = (
        feed_calendar(world, stamp=STAMP),
        None,
        {
            uid: ev
            for loop in world
            for uid, ev in expect_interviewer_events(loop, loop.sessions, uid_suffix="feed").items()
        },
    )
    grace = "grace@corp.example"
    cases["feed-interviewer"] = (
        feed_calendar(world, stamp=STAMP, viewer_email=grace),
        None,
        {
            uid: ev
            for loop in world
            for uid, ev in expect_interviewer_events(
                loop, [s for s in loop.sessions if any(p.person.email == grace for p in s.people)], uid_suffix="feed"
            ).items()
        },
    )
    return cases


# ------------------------------------------------------------------------------------------------ readers


def read_icalendar(ics: bytes) -> dict:
    cal = icalendar.Calendar.from_ical(ics)
    events = {}
    for ev in cal.walk("VEVENT"):
        attendees = ev.get("ATTENDEE", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        events[str(ev["UID"])] = {
            "start": ev.start.astimezone(UTC),
            "end": ev.end.astimezone(UTC),
            "sequence": int(ev.get("SEQUENCE", 0)),
            "status": str(ev["STATUS"]) if "STATUS" in ev else None,
            "attendees": {_email(a): str(a.params.get("ROLE", "REQ-PARTICIPANT")) for a in attendees},
            "organizer": _email(ev["ORGANIZER"]),
        }
    return {"method": str(cal["METHOD"]) if "METHOD" in cal else None, "events": events}


def read_vobject(ics: bytes) -> dict:
    cal = vobject.readOne(ics.decode("utf-8"))
    events = {}
    for ev in cal.contents.get("vevent", []):
        attendees = {}
        for a in ev.contents.get("attendee", []):
            attendees[_email(a.value)] = (a.params.get("ROLE") or ["REQ-PARTICIPANT"])[0]
        assert ev.dtstart.value.tzinfo is not None, "vobject read a floating time"
        events[ev.uid.value] = {
            "start": ev.dtstart.value.astimezone(UTC),
            "end": ev.dtend.value.astimezone(UTC),
            "sequence": int(ev.sequence.value) if "sequence" in ev.contents else 0,
            "status": ev.status.value if "status" in ev.contents else None,
            "attendees": attendees,
            "organizer": _email(ev.organizer.value),
        }
    method = cal.contents.get("method")
    return {"method": method[0].value if method else None, "events": events}


def from_icaljs(data: dict, ics: bytes) -> dict:
    """The JSON printed by js/read_ics.mjs in the common shape. Checks that every TZID of the file was
    resolved through a registered VTIMEZONE (ical.js falls back to floating time otherwise)."""
    tzids = set(data["timezones"])
    events = {}
    for ev in data["events"]:
        for key in ("start", "end"):
            zone = ev[key]["zone"]
            assert zone in tzids | {"UTC"}, f"ical.js did not resolve the zone of {ev['uid']} {key}: {zone!r}"
        events[ev["uid"]] = {
            "start": datetime.fromtimestamp(ev["start"]["epoch"], UTC),
            "end": datetime.fromtimestamp(ev["end"]["epoch"], UTC),
            "sequence": ev["sequence"],
            "status": ev["status"],
            "attendees": {_email(a["value"]): a.get("role", "REQ-PARTICIPANT") for a in ev["attendees"]},
            "organizer": _email(ev["organizer"]["value"]),
        }
    return {"method": data["method"], "events": events}


# ---------------------------------------------------------------------------------------------- CalDAV

CALDAV_NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav"}


class CalDAVClient:
    """Just enough WebDAV/CalDAV (RFC 4791) over http.client for the tests."""

    def __init__(self, host: str, port: int, user: str = "tester") -> None:
        self.host, self.port, self.user = host, port, user
        import base64

        self._auth = "Basic " + base64.b64encode(f"{user}:unused".encode()).decode()

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers={"Authorization": self._auth, **(headers or {})})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def make_calendar(self, name: str) -> str:
        path = f"/{self.user}/{name}/"
        status, body = self.request("MKCALENDAR", path)
        assert status == 201, (status, body)
        return path

    def put(self, collection: str, uid: str, data: bytes) -> None:
        href = collection + urllib.parse.quote(uid, safe="") + ".ics"
        status, body = self.request(
            "PUT", href, data, {"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"}
        )
        assert status in (201, 204), (status, body.decode(errors="replace"))

    def time_range(self, collection: str, start: datetime, end: datetime) -> dict[str, bytes]:
        """REPORT calendar-query for VEVENTs overlapping [start, end): {UID: calendar-data}."""
        fmt = "%Y%m%dT%H%M%SZ"
        query = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start.astimezone(UTC):{fmt}}" end="{end.astimezone(UTC):{fmt}}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
        status, body = self.request(
            "REPORT", collection, query.encode(), {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
        )
        assert status == 207, (status, body[:500])
        found = {}
        for response in ET.fromstring(body).findall("D:response", CALDAV_NS):
            data = response.find(".//C:calendar-data", CALDAV_NS)
            if data is None or not data.text:
                continue
            raw = data.text.encode()
            for ev in icalendar.Calendar.from_ical(raw).walk("VEVENT"):
                found[str(ev["UID"])] = raw
        return found

    def free_busy(self, collection: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime, str]]:
        """REPORT free-busy-query (RFC 4791 7.10): the server's own UTC periods, one per event, with FBTYPE
        (BUSY, BUSY-TENTATIVE, or FREE for a cancelled event), sorted."""
        fmt = "%Y%m%dT%H%M%SZ"
        query = f"""<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
  <C:time-range start="{start.astimezone(UTC):{fmt}}" end="{end.astimezone(UTC):{fmt}}"/>
</C:free-busy-query>"""
        status, body = self.request(
            "REPORT", collection, query.encode(), {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
        )
        assert status == 200, (status, body[:500])
        periods = []
        text = body.decode().replace("\r\n ", "").replace("\n ", "")
        for line in text.splitlines():
            if not line.startswith("FREEBUSY"):
                continue
            params, _, values = line.partition(":")
            fbtype = next((p.split("=", 1)[1] for p in params.split(";")[1:] if p.startswith("FBTYPE=")), "BUSY")
            for period in values.split(","):
                a, b = period.strip().split("/")
                periods.append(
                    (
                        datetime.strptime(a, fmt).replace(tzinfo=UTC),
                        datetime.strptime(b, fmt).replace(tzinfo=UTC),
                        fbtype,
                    )
                )
        return sorted(periods)
