"""Building one VCALENDAR: the VEVENT writer shared by the interviewers' and the candidate's invites, content-line
folding, and the text pieces both describe a session with. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache

from icalendar import Calendar, Event, vCalAddress

from coordinator.invites.ical_data import (
    INVITE_METHODS,
    PRODID,
    InviteError,
    InvitePerson,
    InviteSession,
    _cn,
    _line,
    _mailto,
    _text,
    _uri,
)
from coordinator.invites.vtimezone import vtimezone
from coordinator.timeutil import as_utc, to_local


def _who(person: InvitePerson) -> str:
    name = _line(person.name)
    title = _line(person.job_title)
    return f"{name} ({title})" if title else name


def _where_lines(session: InviteSession) -> list[str]:
    lines = []
    if session.location.strip():
        lines.append(f"Where: {_line(session.location)}")
    video = _uri(session.video_url, "video_url")
    if video:
        lines.append(f"Video link: {video}")
    return lines


def _location(session: InviteSession) -> str:
    return _line(session.location) or (_uri(session.video_url, "video_url") or "")


# ------------------------------------------------------------------------------------------- building


def _ambiguous(local: datetime) -> bool:
    """A wall-clock time that happens twice (the repeated hour when clocks go back)."""
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


class _Builder:
    """Collects VEVENTs and the zones/years they use; serialises one VCALENDAR."""

    __slots__ = ("events", "zones", "stamp")

    def __init__(self, stamp: datetime) -> None:
        try:
            self.stamp = as_utc(stamp)
        except ValueError as exc:
            raise InviteError(f"stamp: {exc}") from exc
        self.events: list[Event | bytes] = []  # bytes: an event serialised earlier (see `feed_calendar`'s cache)
        self.zones: dict[str, set[int]] = {}

    def add_serialised(self, data: bytes, zones: Mapping[str, Iterable[int]]) -> None:
        """An event already turned into bytes, with the zones and years its times use."""
        self.events.append(data)
        for tzid, years in zones.items():
            self.zones.setdefault(tzid, set()).update(years)

    def local_pair(self, start: datetime, end: datetime, tz: str) -> tuple[datetime, datetime]:
        """DTSTART/DTEND values: wall-clock times in `tz` (TZID form), or both in UTC when either falls in
        the repeated hour when clocks go back. RFC 5545 3.3.5 reads such a time as the first occurrence, but
        ical.js (Thunderbird) reads the second, so only the UTC form means the same instant everywhere."""
        if tz == "UTC":
            return start, end
        ls, le = to_local(start, tz), to_local(end, tz)
        if _ambiguous(ls) or _ambiguous(le):
            return start, end
        years = self.zones.setdefault(tz, set())
        years.add(ls.year)
        years.add(le.year)
        return ls, le

    def event(
        self,
        *,
        uid: str,
        sequence: int,
        start: datetime,
        end: datetime,
        tz: str,
        summary: str,
        description: str,
        location: str,
        url: str | None,
        organizer: InvitePerson,
        attendees: Iterable[tuple[InvitePerson, str]],
        status: str | None,
    ) -> Event:
        ev = Event()
        ev.add("UID", uid)
        ev.add("DTSTAMP", self.stamp)
        ev.add("SEQUENCE", sequence)
        dtstart, dtend = self.local_pair(start, end, tz)
        ev.add("DTSTART", dtstart)
        ev.add("DTEND", dtend)
        ev.add("SUMMARY", _line(summary))
        if description:
            ev.add("DESCRIPTION", _text(description))
        if location:
            ev.add("LOCATION", _line(location))
        if url:
            ev.add("URL", url)
        if status:
            ev.add("STATUS", status)
        ev.add("TRANSP", "OPAQUE")
        ev.add("ORGANIZER", _organizer(organizer))
        for person, role in attendees:
            ev.add("ATTENDEE", _attendee(person, role))
        self.events.append(ev)
        return ev

    def to_ical(self, method: str | None, extra: Mapping[str, object] | None = None) -> bytes:
        """The VCALENDAR: icalendar makes every content line; it is folded here (`_fold`) and each
        VTIMEZONE's bytes come from a cache. Same output as `Calendar.to_ical()`, several times faster."""
        cal = Calendar()
        cal.add("PRODID", PRODID)
        cal.add("VERSION", "2.0")
        cal.add("CALSCALE", "GREGORIAN")
        if method:
            cal.add("METHOD", method)
        for key, value in (extra or {}).items():
            cal.add(key, value)
        head = _component_bytes(cal)
        parts = [head[: -len(b"END:VCALENDAR\r\n")]]
        for tzid in sorted(self.zones):
            years = self.zones[tzid]
            parts.append(_vtimezone_bytes(tzid, min(years) - 1, max(years) + 1))
        parts.extend(ev if isinstance(ev, bytes) else _component_bytes(ev) for ev in self.events)
        parts.append(b"END:VCALENDAR\r\n")
        return b"".join(parts)


def _fold(line: str) -> bytes:
    """RFC 5545 3.1 folding: physical lines of at most 75 octets, never inside a UTF-8 sequence, and (like
    icalendar) never right after a backslash or caret, so a TEXT or RFC 6868 escape is not split."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return data
    out = []
    start, limit = 0, 75  # the first physical line holds 75 octets, the next ones a space and 74
    while len(data) - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: cut before the character it belongs to
            cut -= 1
        if data[cut - 1] in b"\\^" and cut - 1 > start:
            cut -= 1
        out.append(data[start:cut])
        start, limit = cut, 74
    out.append(data[start:])
    return b"\r\n ".join(out)


def _component_bytes(component) -> bytes:
    return b"".join(_fold(line) + b"\r\n" for line in component.content_lines() if line)


@lru_cache(maxsize=512)


@lru_cache(maxsize=512)
def _vtimezone_bytes(tzid: str, first_year: int, last_year: int) -> bytes:
    return _component_bytes(vtimezone(tzid, first_year, last_year))


def _organizer(person: InvitePerson) -> vCalAddress:
    """ORGANIZER: calendars send their REPLY/COUNTER to this address. With a reply address configured it is that
    address, CN the recruiter's name and SENT-BY the recruiter (RFC 5545 3.2.18), so answers reach coordinator."""
    addr = vCalAddress(_mailto(person.email))
    if _cn(person.name):
        addr.params["CN"] = _cn(person.name)
    if person.sent_by:
        addr.params["SENT-BY"] = _mailto(person.sent_by)
    return addr


def _attendee(person: InvitePerson, role: str) -> vCalAddress:
    addr = vCalAddress(_mailto(person.email))
    if _cn(person.name):
        addr.params["CN"] = _cn(person.name)
    addr.params["CUTYPE"] = "INDIVIDUAL"
    addr.params["ROLE"] = role
    addr.params["PARTSTAT"] = "NEEDS-ACTION"
    addr.params["RSVP"] = "TRUE"
    return addr


def _check_method(method: str) -> str:
    m = method.upper()
    if m not in INVITE_METHODS:
        raise InviteError(f"method must be one of {INVITE_METHODS}, not {method!r}")
    return m


def _status(session: InviteSession, method: str | None) -> str:
    return "CANCELLED" if method == "CANCEL" else session.status
