"""iCalendar (RFC 5545) / iTIP (RFC 5546) invites for interview loops.

Everything here is a pure function of its arguments: the caller passes plain dataclasses, the DTSTAMP
(`stamp`) and the SEQUENCE numbers, and gets bytes back. Nothing reads the clock, the database or Flask.

Audiences
---------
* Interviewers (`interviewer_invite`, `interviewer_uninvite`): one VEVENT per session, ORGANIZER is the
  loop's recruiter, ATTENDEEs are the session's interviewers (ROLE=REQ-PARTICIPANT) and the shadow
  (ROLE=OPT-PARTICIPANT). The description is written for the recipient: their focus areas, their kit link.
* The candidate (`candidate_invite`): the only ATTENDEE is the candidate. Interviewers appear by name and job
  title in the description, never by address; no kit links, no internal notes. Times in the description are
  in the candidate's zone. Sessions are grouped as the recruiter chose (`Grouping`): one event per session,
  per back-to-back block, or per day.
* Downloads and feeds (`loop_calendar`, `feed_calendar`): many VEVENTs, METHOD:PUBLISH / no METHOD.
* CalDAV storage (`storable_resources`): one resource per UID without METHOD, as RFC 4791 requires.

SEQUENCE and UID
----------------
UIDs are stable and derived by the caller with `stable_uid` (and `derive_uid` for groupings): an update
is a REQUEST with the same UID and a higher SEQUENCE, a cancellation a CANCEL with the same UID and a
higher SEQUENCE. *The SEQUENCE written is always the one in the data*: the caller bumps it (see
`next_sequence`) for every update and for every cancellation, so "request 0 -> update 1 -> cancel 2". Doing
the bump in one place (the caller's store) is what keeps a later re-invite from re-using a number a client
has already seen.

Time zones and Outlook
----------------------
DTSTART/DTEND carry TZID=<IANA name> of the display zone and every TZID used gets a VTIMEZONE in the same
file. The VTIMEZONEs are written the way Outlook and Exchange read them best: one STANDARD and one DAYLIGHT
observance each with a yearly RRULE (e.g. ``FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU``), like Google's and
Microsoft's own exports. Outlook ignores RDATE lists in VTIMEZONE observances and mis-reads zones defined
by long RDATE lists (what `icalendar.Timezone.from_tzinfo` produces), so that form is used only as a
fallback for a zone whose rule is not a plain yearly rule within the years of the file (e.g. a country
that abolished daylight saving). Zones without daylight saving get a single STANDARD observance. The
VTIMEZONE is computed from the same zoneinfo data `coordinator.timeutil` uses, once per zone and year range.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress

from coordinator.loops.kinds import SessionKind
from coordinator.timeutil import InvalidTimeZone, as_utc, get_zone, to_local

__all__ = [
    "PRODID",
    "CandidateEvent",
    "Grouping",
    "InviteError",
    "InviteLoop",
    "InvitePerson",
    "InviteSession",
    "SessionInterviewer",
    "candidate_cancel",
    "candidate_invite",
    "candidate_summary",
    "derive_uid",
    "feed_calendar",
    "interviewer_invite",
    "interviewer_uninvite",
    "loop_calendar",
    "next_sequence",
    "plan_candidate_events",
    "stable_uid",
    "storable_resources",
    "vtimezone",
]

PRODID = "-//coordinator//Interview invites 1.0//EN"

KINDS: dict[str, str] = {k.value: k.label for k in SessionKind}
STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")
INVITE_METHODS = ("REQUEST", "CANCEL")
_DEFAULT_BLOCK_GAP = timedelta(minutes=15)


class InviteError(ValueError):
    """The data cannot make a valid invite (no interviewers, a bad address, an unknown zone, ...)."""


class Grouping(StrEnum):
    """How the candidate's sessions become calendar events (chosen by the recruiter per loop)."""

    PER_SESSION = "per_session"
    PER_BLOCK = "per_block"  # contiguous sessions (gap <= the loop's block_gap) -> one event
    PER_DAY = "per_day"  # one event per day in the candidate's zone, with the itinerary inside


# --------------------------------------------------------------------------------------------- sanitising

# Unicode line breaks that str.splitlines() (and so some parsers) treat as a newline: NEL, LS, PS.
_UNICODE_BREAKS = {0x85: "\n", 0x2028: "\n", 0x2029: "\n"}
_CONTROL_CHARS = {c: None for c in range(32) if c not in (9, 10)} | {127: None} | _UNICODE_BREAKS
_ONE_LINE = {c: " " for c in range(32)} | {127: None, 0x85: " ", 0x2028: " ", 0x2029: " "}
# Characters a mailto: URI may carry unencoded (RFC 6068 qchar minus the ones that separate addresses or
# headers in mailto, or that are special in iCalendar parameter/value parsing: , ; : " ? & = %).
_MAILTO_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$'()*+@")


def _text(value: str | None) -> str:
    """Multi-line TEXT: one newline convention, no control characters other than tab and newline."""
    if not value:
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL_CHARS).strip()


def _line(value: str | None) -> str:
    """Single-line TEXT (names, titles, summaries): any line break or control character becomes a space."""
    if not value:
        return ""
    return " ".join(value.translate(_ONE_LINE).split())


def _cn(value: str) -> str:
    """A CN parameter value. A DQUOTE cannot appear in a parameter value (RFC 5545 3.1); RFC 6868's ^'
    escape is not understood by Outlook or vobject, so a quote in a name becomes an apostrophe."""
    return _line(value).replace('"', "'")


def _mailto(email: str) -> str:
    """`mailto:` URI for an address. Refuses anything that is not address-shaped; percent-encodes (RFC 6068)
    ASCII characters that a URI or an iCalendar parser could read as syntax (a quote, a comma, a colon...)."""
    addr = (email or "").strip()
    if not addr or "@" not in addr or addr.startswith("@") or addr.endswith("@"):
        raise InviteError(f"not an e-mail address: {email!r}")
    out: list[str] = []
    for ch in addr:
        code = ord(ch)
        if code < 33 or code == 127 or ch in "\u2028\u2029\x85":
            raise InviteError(f"e-mail address contains whitespace or a control character: {email!r}")
        if code < 128 and ch not in _MAILTO_SAFE:
            out.append(f"%{code:02X}")
        else:
            out.append(ch)
    return "mailto:" + "".join(out)


def _uri(url: str | None, what: str) -> str | None:
    """An http(s) URL for URL properties and descriptions, or None. Whitespace or control characters (which
    could end a content line) and other schemes (javascript:, data:) are refused."""
    if not url:
        return None
    url = url.strip()
    if not url:
        return None
    if not url.lower().startswith(("https://", "http://")):
        raise InviteError(f"{what} must be an http(s) URL: {url!r}")
    if any(ord(c) < 33 or ord(c) == 127 or c in "\u2028\u2029\x85" for c in url):
        raise InviteError(f"{what} contains whitespace or a control character: {url!r}")
    return url


def _same_address(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


# --------------------------------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class InvitePerson:
    """A person as invites show them. `email` may be empty for people never addressed (interviewers on
    the candidate side are shown by name only), but not for an ATTENDEE or ORGANIZER."""

    name: str
    email: str = ""
    job_title: str = ""


@dataclass(frozen=True, slots=True)
class SessionInterviewer:
    """An interviewer (or the shadow) on one session, with what only they see."""

    person: InvitePerson
    focus_areas: tuple[str, ...] = ()
    kit_url: str | None = None


@dataclass(frozen=True, slots=True)
class InviteSession:
    """One interview session.

    `uid` is the interviewer-side event UID, `candidate_uid` the candidate-side one (per-session grouping);
    make both with `stable_uid`. `start`/`end` are aware datetimes (normalised to UTC); `tz` is the zone the
    interviewer invite displays. `description` is shown to everybody, `internal_notes` only to interviewers,
    `prep_instructions` (practicals) to the candidate and the interviewers.
    """

    uid: str
    candidate_uid: str
    sequence: int
    start: datetime
    end: datetime
    tz: str
    title: str
    kind: str = "one_on_one"
    location: str = ""
    video_url: str | None = None
    description: str = ""
    internal_notes: str = ""
    interviewers: tuple[SessionInterviewer, ...] = ()
    shadow: SessionInterviewer | None = None
    prep_instructions: str = ""
    status: str = "CONFIRMED"
    #: further shadows, after `shadow` (a session may have several people observing)
    more_shadows: tuple[SessionInterviewer, ...] = ()

    def __post_init__(self) -> None:
        if not self.uid or not self.candidate_uid:
            raise InviteError("a session needs both a uid and a candidate_uid")
        if self.uid == self.candidate_uid:
            raise InviteError("the interviewer and candidate events of a session need different UIDs")
        if not isinstance(self.sequence, int) or self.sequence < 0:
            raise InviteError(f"SEQUENCE must be a non-negative integer, not {self.sequence!r}")
        try:
            start, end = as_utc(self.start), as_utc(self.end)
        except ValueError as exc:
            raise InviteError(f"session {self.uid}: {exc}") from exc
        if end <= start:
            raise InviteError(f"session {self.uid} ends before it starts")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        _zone(self.tz)
        if self.kind not in KINDS:
            raise InviteError(f"unknown session kind {self.kind!r}; expected one of {sorted(KINDS)}")
        if self.status not in STATUSES:
            raise InviteError(f"unknown session status {self.status!r}; expected one of {STATUSES}")
        object.__setattr__(self, "interviewers", tuple(self.interviewers))
        object.__setattr__(self, "more_shadows", tuple(self.more_shadows))
        if self.more_shadows and self.shadow is None:
            raise InviteError("set `shadow` before `more_shadows`")

    @property
    def shadows(self) -> tuple[SessionInterviewer, ...]:
        """Everybody observing: `shadow` then `more_shadows`."""
        return ((self.shadow,) if self.shadow else ()) + self.more_shadows

    @property
    def people(self) -> tuple[SessionInterviewer, ...]:
        """Interviewers then the shadows."""
        return self.interviewers + self.shadows


@dataclass(frozen=True, slots=True)
class InviteLoop:
    """An interview loop as invites need it.

    `organizer` is the recruiter (ORGANIZER of every event). `candidate_uid` is the base UID the candidate's
    block and day events are derived from (`derive_uid`). `grouping` and `block_gap` are the recruiter's
    choice for the candidate's calendar.
    """

    candidate: InvitePerson
    candidate_tz: str
    job_title: str
    organizer: InvitePerson
    sessions: tuple[InviteSession, ...]
    candidate_uid: str
    grouping: Grouping = Grouping.PER_SESSION
    block_gap: timedelta = _DEFAULT_BLOCK_GAP

    def __post_init__(self) -> None:
        _zone(self.candidate_tz)
        object.__setattr__(self, "sessions", tuple(sorted(self.sessions, key=lambda s: (s.start, s.end))))
        object.__setattr__(self, "grouping", Grouping(self.grouping))
        if self.block_gap < timedelta(0):
            raise InviteError("block_gap cannot be negative")

    def session(self, uid: str) -> InviteSession:
        for s in self.sessions:
            if s.uid == uid or s.candidate_uid == uid:
                return s
        raise InviteError(f"no session with uid {uid!r} in this loop")


@dataclass(frozen=True, slots=True)
class CandidateEvent:
    """One event of the candidate's calendar under a grouping (see `plan_candidate_events`)."""

    uid: str
    sessions: tuple[InviteSession, ...]
    sequence: int
    start: datetime = field(init=False)
    end: datetime = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", min(s.start for s in self.sessions))
        object.__setattr__(self, "end", max(s.end for s in self.sessions))


# ------------------------------------------------------------------------------------------------ UIDs


def _uid_part(value: object, what: str) -> str:
    text = str(value).strip()
    if not text:
        raise InviteError(f"empty {what} in a UID")
    return "".join(c if (c.isascii() and (c.isalnum() or c in "-_.")) else f"%{ord(c):X}" for c in text)


def stable_uid(kind: str, ident: object, audience: str, domain: str) -> str:
    """A UID that is the same every time for the same thing: ``f"{kind}-{ident}-{audience}@{domain}"``.

    e.g. ``stable_uid("session", 42, "interviewers", "coordinator.example.com")``. Characters outside
    ``[A-Za-z0-9._-]`` in the parts are %-encoded, so no caller-provided id can break the UID.
    """
    dom = domain.strip().lower()
    if not dom or any(not (c.isascii() and (c.isalnum() or c in ".-")) for c in dom):
        raise InviteError(f"not a domain name: {domain!r}")
    return f"{_uid_part(kind, 'kind')}-{_uid_part(ident, 'id')}-{_uid_part(audience, 'audience')}@{dom}"


def derive_uid(base_uid: str, suffix: str) -> str:
    """A UID derived from another one: ``derive_uid("loop-7-candidate@d", "day-20260330")`` is
    ``"loop-7-candidate-day-20260330@d"``."""
    local, at, dom = base_uid.rpartition("@")
    if not at:
        local, dom = base_uid, ""
    return f"{local}-{_uid_part(suffix, 'suffix')}" + (f"@{dom}" if at else "")


def next_sequence(session: InviteSession) -> InviteSession:
    """The same session with SEQUENCE + 1: what to send for an update or a cancellation."""
    return replace(session, sequence=session.sequence + 1)


# ------------------------------------------------------------------------------------------- time zones


def _zone(name: str):  # -> ZoneInfo
    try:
        return get_zone(name)
    except InvalidTimeZone as exc:
        raise InviteError(str(exc)) from exc


def _transitions(tzid: str, first_year: int, last_year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """Offset changes between 1 Jan `first_year` and 1 Jan `last_year`+1 (UTC): (instant, from, to)."""
    _zone(tzid)
    lo_ts = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp())
    hi_ts = int(datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp())

    def offset(ts: int) -> timedelta:
        return to_local(datetime.fromtimestamp(ts, UTC), tzid).utcoffset() or timedelta(0)

    out = []
    step = 86400
    ts, off = lo_ts, offset(lo_ts)
    while ts < hi_ts:
        nxt = min(ts + step, hi_ts)
        noff = offset(nxt)
        if noff != off:
            a, b = ts, nxt  # offset(a) == off, offset(b) == noff: find the first second of the new offset
            while b - a > 1:
                mid = (a + b) // 2
                if offset(mid) == off:
                    a = mid
                else:
                    b = mid
            out.append((datetime.fromtimestamp(b, UTC), off, offset(b)))
            off = offset(b)
            ts = b
            continue
        ts = nxt
    return out


def _onset(instant: datetime, offset_from: timedelta) -> datetime:
    """The local (naive) onset of a transition, in the offset in force before it (RFC 5545 3.6.5)."""
    return (instant + offset_from).replace(tzinfo=None)


def _yearly_byday(onsets: Sequence[datetime]) -> str | None:
    """`BYDAY` value (e.g. "-1SU", "2SU") when all onsets fall on the same weekday rule, else None."""
    if len({(o.month, o.weekday(), o.time()) for o in onsets}) != 1:
        return None
    wd = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[onsets[0].weekday()]
    if all(o.day + 7 > _calendar.monthrange(o.year, o.month)[1] for o in onsets):
        return f"-1{wd}"
    ordinals = {(o.day - 1) // 7 + 1 for o in onsets}
    if len(ordinals) == 1 and next(iter(ordinals)) <= 4:
        return f"{next(iter(ordinals))}{wd}"
    return None


def _observance(cls, name: str, off_from: timedelta, off_to: timedelta, start: datetime):
    sub = cls()
    sub.add("TZNAME", name)
    sub.add("TZOFFSETFROM", off_from)
    sub.add("TZOFFSETTO", off_to)
    sub.add("DTSTART", start)
    return sub


@lru_cache(maxsize=512)
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """VTIMEZONE for `tzid`, correct for every instant from 1 Jan `first_year` to the end of `last_year`.

    Cached per (zone, years): the component is shared between calendars and must not be modified.
    """
    _zone(tzid)
    # From the year before: in the southern hemisphere 1 January is inside a DAYLIGHT period that began the
    # previous spring, so the observances must start before `first_year` to cover it.
    trans = _transitions(tzid, first_year - 1, last_year)
    tz = Timezone()
    tz.add("TZID", tzid)
    tz.add("X-LIC-LOCATION", tzid)

    def name_at(instant: datetime) -> str:
        return to_local(instant, tzid).tzname() or ""

    if not trans:
        start = to_local(datetime(first_year, 1, 1, tzinfo=UTC), tzid)
        off = start.utcoffset() or timedelta(0)
        tz.add_component(
            _observance(TimezoneStandard, start.tzname() or "", off, off, datetime.combine(date(1970, 1, 1), time()))
        )
        return tz

    years = range(first_year - 1, last_year + 1)
    ups = [t for t in trans if t[2] > t[1]]
    downs = [t for t in trans if t[2] < t[1]]
    plain_yearly = (
        len(ups) == len(downs) == len(years)
        and sorted(t[0].year for t in ups) == list(years)
        and sorted(t[0].year for t in downs) == list(years)
        and len({(t[1], t[2], name_at(t[0])) for t in ups}) == 1
        and len({(t[1], t[2], name_at(t[0])) for t in downs}) == 1
    )
    rules = []
    if plain_yearly:
        for group, cls in ((ups, TimezoneDaylight), (downs, TimezoneStandard)):
            onsets = [_onset(t[0], t[1]) for t in group]
            byday = _yearly_byday(onsets)
            if byday is None:
                break
            rules.append((cls, group[0], onsets[0], byday))
    if plain_yearly and len(rules) == 2:
        for cls, (instant, off_from, off_to), first_onset, byday in rules:
            sub = _observance(cls, name_at(instant), off_from, off_to, first_onset)
            sub.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": first_onset.month, "BYDAY": byday})
            tz.add_component(sub)
        return tz

    # Fallback: the offset in force on 1 Jan of the year before, then every transition as RDATEs. DAYLIGHT
    # is a change to a larger offset (zoneinfo's dst() flag is negative-DST in Dublin and Casablanca, which
    # dateutil misreads); one RDATE property per date, as ical.js reads only the first of a list.
    start = to_local(datetime(first_year - 1, 1, 1, tzinfo=UTC), tzid)
    off0 = start.utcoffset() or timedelta(0)
    tz.add_component(
        _observance(TimezoneStandard, start.tzname() or "", off0, off0, datetime.combine(start.date(), time()))
    )
    groups: dict[tuple, list[datetime]] = {}
    for instant, off_from, off_to in trans:
        key = (off_to > off_from, off_from, off_to, name_at(instant))
        groups.setdefault(key, []).append(_onset(instant, off_from))
    for (up, off_from, off_to, name), onsets in groups.items():
        sub = _observance(TimezoneDaylight if up else TimezoneStandard, name, off_from, off_to, onsets[0])
        for onset in onsets[1:]:
            sub.add("RDATE", onset)
        tz.add_component(sub)
    return tz


# ---------------------------------------------------------------------------------------- formatting


def _fmt_range(start: datetime, end: datetime, tz: str) -> str:
    ls, le = to_local(start, tz), to_local(end, tz)
    day = f"{ls:%a} {ls.day} {ls:%b %Y}"
    if ls.date() == le.date():
        when = f"{day}, {ls:%H:%M}–{le:%H:%M} {le.tzname()}"
    else:
        when = f"{day} {ls:%H:%M} {ls.tzname()} – {le:%a} {le.day} {le:%b %Y} {le:%H:%M} {le.tzname()}"
    return when


def _fmt_times(start: datetime, end: datetime, tz: str) -> str:
    ls, le = to_local(start, tz), to_local(end, tz)
    return f"{ls:%H:%M}–{le:%H:%M} {le.tzname()}"


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
def _vtimezone_bytes(tzid: str, first_year: int, last_year: int) -> bytes:
    return _component_bytes(vtimezone(tzid, first_year, last_year))


def _organizer(person: InvitePerson) -> vCalAddress:
    addr = vCalAddress(_mailto(person.email))
    if _cn(person.name):
        addr.params["CN"] = _cn(person.name)
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


def _panel_attendees(session: InviteSession) -> list[tuple[InvitePerson, str]]:
    out = [(i.person, "REQ-PARTICIPANT") for i in session.interviewers]
    out.extend((shadow.person, "OPT-PARTICIPANT") for shadow in session.shadows)
    return out


def _interviewer_summary(loop: InviteLoop, session: InviteSession) -> str:
    return f"Interview: {_line(loop.candidate.name)} — {KINDS[session.kind]} ({_line(loop.job_title)})"


def _interviewer_description(loop: InviteLoop, session: InviteSession, recipient: str | None) -> str:
    kind = KINDS[session.kind]
    lines = [
        f"{kind} interview with {_line(loop.candidate.name)} for {_line(loop.job_title)}",
        f"Session: {_line(session.title)}",
        f"When: {_fmt_range(session.start, session.end, session.tz)}",
        *_where_lines(session),
    ]
    me = None
    if recipient is not None:
        me = next((p for p in session.people if _same_address(p.person.email, recipient)), None)
    if me is not None:
        if any(shadow is me for shadow in session.shadows):
            lines.append("You are shadowing this session.")
        if me.focus_areas:
            lines.append("Your focus areas: " + ", ".join(_line(f) for f in me.focus_areas))
        kit = _uri(me.kit_url, "kit_url")
        if kit:
            lines.append(f"Your interview kit: {kit}")
        lines.append("Interviewers: " + "; ".join(_who(i.person) for i in session.interviewers))
        if session.shadows:
            label = "Shadow" if len(session.shadows) == 1 else "Shadows"
            lines.append(f"{label}: " + "; ".join(_who(p.person) for p in session.shadows))
    else:
        lines.append("Interviewers:")
        for p in session.people:
            role = " [shadow]" if any(p is shadow for shadow in session.shadows) else ""
            item = f"- {_who(p.person)}{role}"
            if p.focus_areas:
                item += " — focus: " + ", ".join(_line(f) for f in p.focus_areas)
            kit = _uri(p.kit_url, "kit_url")
            if kit:
                item += f" — kit: {kit}"
            lines.append(item)
    if session.prep_instructions.strip():
        lines.append(f"Candidate's preparation instructions: {_text(session.prep_instructions)}")
    if session.description.strip():
        lines += ["", _text(session.description)]
    if session.internal_notes.strip():
        lines += ["", f"Internal notes (not shared with the candidate): {_text(session.internal_notes)}"]
    lines += ["", f"Recruiter: {_who(loop.organizer)}"]
    return "\n".join(lines)


def _add_interviewer_event(
    b: _Builder, loop: InviteLoop, session: InviteSession, recipient: str | None, method: str | None, uid: str
) -> None:
    b.event(
        uid=uid,
        sequence=session.sequence,
        start=session.start,
        end=session.end,
        tz=session.tz,
        summary=_interviewer_summary(loop, session),
        description=_interviewer_description(loop, session, recipient),
        location=_location(session),
        url=_uri(session.video_url, "video_url"),
        organizer=loop.organizer,
        attendees=_panel_attendees(session),
        status=_status(session, method),
    )


def _select_interviewer_sessions(
    loop: InviteLoop, recipient: str | None, session_uids: Iterable[str] | None, method: str | None
) -> list[InviteSession]:
    if session_uids is not None:
        wanted = list(dict.fromkeys(session_uids))
        sessions = [loop.session(uid) for uid in wanted]
    else:
        sessions = list(loop.sessions)
        if method == "REQUEST":
            sessions = [s for s in sessions if s.status != "CANCELLED"]
    if recipient is not None:
        sessions = [s for s in sessions if any(_same_address(p.person.email, recipient) for p in s.people)]
        if not sessions:
            raise InviteError(f"{recipient!r} is not an interviewer or shadow on the selected sessions")
    for s in sessions:
        if not s.interviewers:
            raise InviteError(f"session {s.uid} ({_line(s.title)!r}) has no interviewers: nobody to invite")
        if method == "REQUEST" and s.status == "CANCELLED":
            raise InviteError(f"session {s.uid} is cancelled: send a CANCEL, not a REQUEST")
    if not sessions:
        raise InviteError("no sessions to invite to")
    return sessions


def interviewer_invite(
    loop: InviteLoop,
    recipient_email: str | None = None,
    *,
    stamp: datetime,
    method: str = "REQUEST",
    session_uids: Iterable[str] | None = None,
) -> bytes:
    """iTIP REQUEST or CANCEL for interviewers: one VEVENT per session.

    With `recipient_email`, only the sessions that person is an interviewer or shadow on, and the description
    speaks to them (their focus areas, their kit link). Without it, every session, each description listing
    every interviewer's focus areas and kit. `session_uids` (interviewer-side UIDs) narrows the sessions; for
    e-mail send one session per message (Outlook and Gmail act on the first VEVENT of an iTIP message only).
    A REQUEST skips cancelled sessions unless they are named (then it is an error). CANCEL cancels the whole
    event for everybody (STATUS:CANCELLED); bump SEQUENCE first (`next_sequence`).

    Raises InviteError when a selected session has no interviewers.
    """
    method = _check_method(method)
    sessions = _select_interviewer_sessions(loop, recipient_email, session_uids, method)
    b = _Builder(stamp)
    for s in sessions:
        _add_interviewer_event(b, loop, s, recipient_email, method, s.uid)
    return b.to_ical(method)


def interviewer_uninvite(loop: InviteLoop, session_uid: str, removed: InvitePerson, *, stamp: datetime) -> bytes:
    """CANCEL for one interviewer taken off a session; the event stays for everybody else.

    As RFC 5546 3.2.5 says, the only ATTENDEE is the removed person and STATUS is absent (STATUS:CANCELLED
    would cancel the event for everybody). Send it with the same, bumped, SEQUENCE as the REQUEST that goes to
    the remaining interviewers with the new attendee list. `loop` is the loop after the change.
    """
    session = loop.session(session_uid)
    if any(_same_address(p.person.email, removed.email) for p in session.people):
        raise InviteError(f"{removed.email!r} is still on session {session.uid}")
    b = _Builder(stamp)
    b.event(
        uid=session.uid,
        sequence=session.sequence,
        start=session.start,
        end=session.end,
        tz=session.tz,
        summary=_interviewer_summary(loop, session),
        description=f"You are no longer an interviewer on this session.\nRecruiter: {_who(loop.organizer)}",
        location=_location(session),
        url=None,
        organizer=loop.organizer,
        attendees=[(removed, "REQ-PARTICIPANT")],
        status=None,
    )
    return b.to_ical("CANCEL")


# ------------------------------------------------------------------------------------------- candidate


def plan_candidate_events(loop: InviteLoop, grouping: Grouping | str | None = None) -> list[CandidateEvent]:
    """The candidate's events under a grouping (default: the loop's), cancelled sessions left out.

    UIDs: per session `session.candidate_uid`; per block `derive_uid(first session's candidate_uid,
    "block")`; per day `derive_uid(loop.candidate_uid, "day-YYYYMMDD")` (the day in the candidate's zone).
    SEQUENCE defaults to the highest SEQUENCE of the sessions inside. Compare the plan of the old and new
    loop to find events to update (same UID: bump SEQUENCE via `sequences=`) and to cancel (UID gone).
    """
    grouping = Grouping(grouping or loop.grouping)
    active = [s for s in loop.sessions if s.status != "CANCELLED"]
    groups: list[tuple[str, list[InviteSession]]] = []
    if grouping is Grouping.PER_SESSION:
        groups = [(s.candidate_uid, [s]) for s in active]
    elif grouping is Grouping.PER_BLOCK:
        end: datetime | None = None
        for s in active:
            if end is not None and s.start - end <= loop.block_gap:
                groups[-1][1].append(s)
                end = max(end, s.end)
            else:
                groups.append((derive_uid(s.candidate_uid, "block"), [s]))
                end = s.end
    else:
        by_day: dict[date, list[InviteSession]] = {}
        for s in active:
            by_day.setdefault(to_local(s.start, loop.candidate_tz).date(), []).append(s)
        groups = [(derive_uid(loop.candidate_uid, f"day-{d:%Y%m%d}"), ss) for d, ss in sorted(by_day.items())]
    return [CandidateEvent(uid, tuple(ss), max(s.sequence for s in ss)) for uid, ss in groups]


def _candidate_session_lines(loop: InviteLoop, s: InviteSession, indent: str = "") -> list[str]:
    lines = []
    if s.interviewers:
        lines.append(indent + "Interviewers: " + "; ".join(_who(i.person) for i in s.interviewers))
    if s.shadows:
        lines.append(indent + "Also joining (observing): " + "; ".join(_who(p.person) for p in s.shadows))
    lines += [indent + line for line in _where_lines(s)]
    if s.kind == "practical" and s.prep_instructions.strip():
        lines.append(indent + "How to prepare: " + _text(s.prep_instructions).replace("\n", "\n" + indent))
    if s.description.strip():
        lines.append(indent + _text(s.description).replace("\n", "\n" + indent))
    return lines


def _candidate_texts(loop: InviteLoop, ev: CandidateEvent, grouping: Grouping) -> tuple[str, str]:
    tz = loop.candidate_tz
    job = _line(loop.job_title)
    zone_note = f"All times are in your time zone ({tz})."
    if grouping is Grouping.PER_SESSION:
        s = ev.sessions[0]
        summary = f"Interview: {KINDS[s.kind]} — {job}"
        lines = [
            f"{KINDS[s.kind]} interview for {job}: {_line(s.title)}",
            f"When: {_fmt_range(s.start, s.end, tz)} (your time zone, {tz})",
            *_candidate_session_lines(loop, s),
        ]
    else:
        n = len(ev.sessions)
        if grouping is Grouping.PER_BLOCK:
            summary = f"Interviews — {job}" + (f" ({n} sessions)" if n > 1 else "")
            head = f"Your interviews for {job}: {n} session{'s' if n > 1 else ''}"
        else:
            day = to_local(ev.start, tz)
            summary = f"Interview day — {job}"
            head = f"Your interview day for {job}, {day:%A} {day.day} {day:%B %Y}: {n} session{'s' if n > 1 else ''}"
        lines = [head, f"From {_fmt_range(ev.start, ev.end, tz)}. {zone_note}"]
        prev_end = None
        for s in ev.sessions:
            if prev_end is not None and s.start > prev_end:
                lines.append(f"  (break: {int((s.start - prev_end).total_seconds() // 60)} min)")
            lines += ["", f"{_fmt_times(s.start, s.end, tz)} — {KINDS[s.kind]}: {_line(s.title)}"]
            lines += _candidate_session_lines(loop, s, indent="  ")
            prev_end = s.end
    lines += ["", f"Questions? Your recruiter is {_line(loop.organizer.name)}."]
    return summary, "\n".join(lines)


def _candidate_location(ev: CandidateEvent) -> tuple[str, str | None]:
    locations = {_location(s) for s in ev.sessions} - {""}
    videos = {_uri(s.video_url, "video_url") for s in ev.sessions} - {None}
    location = locations.pop() if len(locations) == 1 else ("See the itinerary" if locations else "")
    return location, (videos.pop() if len(videos) == 1 else None)


def candidate_invite(
    loop: InviteLoop,
    *,
    stamp: datetime,
    method: str = "REQUEST",
    grouping: Grouping | str | None = None,
    sequences: Mapping[str, int] | None = None,
    only_uids: Iterable[str] | None = None,
) -> bytes:
    """iTIP REQUEST or CANCEL for the candidate, grouped per session, per block or per day.

    The candidate is the only ATTENDEE; no interviewer address, kit link or internal note is written.
    `sequences` overrides the SEQUENCE of planned events by UID (needed when a block or day changed without
    its sessions' SEQUENCE rising); `only_uids` keeps only those planned events (e.g. one per e-mail, or the
    events that disappeared from the new plan, built from the *old* loop with method CANCEL).
    """
    method = _check_method(method)
    grouping = Grouping(grouping or loop.grouping)
    plan = plan_candidate_events(loop, grouping)
    if only_uids is not None:
        keep = set(only_uids)
        plan = [ev for ev in plan if ev.uid in keep]
    if not plan:
        raise InviteError("the candidate has no (matching) sessions to invite to")
    b = _Builder(stamp)
    for ev in plan:
        _add_candidate_event(b, loop, ev, grouping, method, (sequences or {}).get(ev.uid, ev.sequence))
    return b.to_ical(method)


def candidate_summary(loop: InviteLoop, event: CandidateEvent, grouping: Grouping | str | None = None) -> str:
    """The SUMMARY the candidate sees for a planned event (to name it in an e-mail, or to keep for a later
    `candidate_cancel`)."""
    return _line(_candidate_texts(loop, event, Grouping(grouping or loop.grouping))[0])


def candidate_cancel(
    loop: InviteLoop,
    uid: str,
    *,
    sequence: int,
    start: datetime,
    end: datetime,
    summary: str,
    stamp: datetime,
    note: str = "",
) -> bytes:
    """iTIP CANCEL for a candidate event that is no longer in the loop's plan.

    A block that split or merged, a day left without sessions, a session cancelled or a grouping changed:
    the event the candidate holds has no counterpart in the new plan, so it is described from what the
    candidate was last sent (UID, times, summary). Bump `sequence` past the one last sent. The candidate is
    the only ATTENDEE; STATUS:CANCELLED.
    """
    try:
        start_utc, end_utc = as_utc(start), as_utc(end)
    except ValueError as exc:
        raise InviteError(f"candidate event {uid}: {exc}") from exc
    if end_utc <= start_utc:
        raise InviteError(f"candidate event {uid} ends before it starts")
    if not isinstance(sequence, int) or sequence < 0:
        raise InviteError(f"SEQUENCE must be a non-negative integer, not {sequence!r}")
    lines = [f"Cancelled: {_fmt_range(start_utc, end_utc, loop.candidate_tz)} (your time zone, {loop.candidate_tz})"]
    if note.strip():
        lines += ["", _text(note)]
    lines += ["", f"Questions? Your recruiter is {_line(loop.organizer.name)}."]
    b = _Builder(stamp)
    b.event(
        uid=uid,
        sequence=sequence,
        start=start_utc,
        end=end_utc,
        tz=loop.candidate_tz,
        summary=summary or f"Interview — {_line(loop.job_title)}",
        description="\n".join(lines),
        location="",
        url=None,
        organizer=loop.organizer,
        attendees=[(loop.candidate, "REQ-PARTICIPANT")],
        status="CANCELLED",
    )
    return b.to_ical("CANCEL")


def _add_candidate_event(
    b: _Builder, loop: InviteLoop, ev: CandidateEvent, grouping: Grouping, method: str | None, sequence: int
) -> None:
    summary, description = _candidate_texts(loop, ev, grouping)
    location, url = _candidate_location(ev)
    statuses = {s.status for s in ev.sessions}
    status = "CANCELLED" if method == "CANCEL" else ("TENTATIVE" if "TENTATIVE" in statuses else "CONFIRMED")
    b.event(
        uid=ev.uid,
        sequence=sequence,
        start=ev.start,
        end=ev.end,
        tz=loop.candidate_tz,
        summary=summary,
        description=description,
        location=location,
        url=url,
        organizer=loop.organizer,
        attendees=[(loop.candidate, "REQ-PARTICIPANT")],
        status=status,
    )


# -------------------------------------------------------------------------------------- downloads, feeds


def loop_calendar(
    loop: InviteLoop, *, stamp: datetime, audience: str = "internal", sequences: Mapping[str, int] | None = None
) -> bytes:
    """The whole loop as one downloadable file (METHOD:PUBLISH).

    audience "internal": every session (cancelled ones with STATUS:CANCELLED), interviewer-side UIDs, every
    interviewer's focus areas and kit link. audience "candidate": the candidate's events under the loop's
    grouping, same UIDs as their invites, nothing internal; `sequences` gives the SEQUENCE last sent per
    candidate UID (a block can be updated without its sessions' SEQUENCE rising), never lowering one.
    """
    b = _Builder(stamp)
    if audience == "internal":
        for s in loop.sessions:
            _add_interviewer_event(b, loop, s, None, None, s.uid)
    elif audience == "candidate":
        for ev in plan_candidate_events(loop):
            _add_candidate_event(b, loop, ev, loop.grouping, None, max(ev.sequence, (sequences or {}).get(ev.uid, 0)))
    else:
        raise InviteError(f"audience must be 'internal' or 'candidate', not {audience!r}")
    return b.to_ical("PUBLISH", {"X-WR-CALNAME": f"Interviews: {_line(loop.candidate.name)}"})


def feed_calendar(
    loops: Iterable[InviteLoop],
    *,
    stamp: datetime,
    viewer_email: str | None = None,
    name: str = "Interviews",
    refresh: timedelta = timedelta(hours=1),
    cache: MutableMapping[tuple, tuple[bytes, dict[str, frozenset[int]]]] | None = None,
) -> bytes:
    """A subscription feed (no METHOD) of the sessions of `loops`.

    With `viewer_email`, only the sessions that person is an interviewer or shadow on, described for them;
    without, every session (a recruiter's feed). Event UIDs are the interviewer-side UIDs with "-feed"
    derived, so the subscribed copy is never taken for the invited meeting (or an update of it).

    `cache` (a mapping the caller keeps, e.g. an LRU dict) holds each event's bytes under everything that
    goes into them: the loop's candidate, job, organizer, the session (times, people, SEQUENCE, status, ...)
    and the viewer. A feed is polled again and again and mostly unchanged, so most events come from it. A
    cached event keeps the DTSTAMP of when it was built: in an object without METHOD, DTSTAMP is when the
    event's information was last revised (RFC 5545 3.8.7.2), which that is.
    """
    b = _Builder(stamp)
    for loop in loops:
        head = (loop.candidate, loop.candidate_tz, loop.job_title, loop.organizer)
        for s in loop.sessions:
            if viewer_email is not None and not any(_same_address(p.person.email, viewer_email) for p in s.people):
                continue
            uid = derive_uid(s.uid, "feed")
            if cache is None:
                _add_interviewer_event(b, loop, s, viewer_email, None, uid)
                continue
            key = (head, s, viewer_email)
            hit = cache.get(key)
            if hit is None:
                one = _Builder(b.stamp)
                _add_interviewer_event(one, loop, s, viewer_email, None, uid)
                hit = (_component_bytes(one.events[0]), {tz: frozenset(y) for tz, y in one.zones.items()})
                cache[key] = hit
            b.add_serialised(*hit)
    return b.to_ical(
        None,
        {
            "X-WR-CALNAME": _line(name),
            "REFRESH-INTERVAL": refresh,
            "X-PUBLISHED-TTL": refresh,
        },
    )


# ------------------------------------------------------------------------------------------- storage


def storable_resources(ics: bytes | str) -> dict[str, bytes]:
    """Split an iCalendar object into CalDAV calendar object resources (RFC 4791 4.1): one per UID, no
    METHOD, each with the VTIMEZONEs its components use. Keys are the UIDs."""
    cal = Calendar.from_ical(ics)
    timezones = {str(tz["TZID"]): tz for tz in cal.walk("VTIMEZONE")}
    by_uid: dict[str, list] = {}
    for comp in cal.subcomponents:
        if comp.name in ("VEVENT", "VTODO", "VJOURNAL"):
            by_uid.setdefault(str(comp["UID"]), []).append(comp)
    out: dict[str, bytes] = {}
    for uid, comps in by_uid.items():
        res = Calendar()
        res.add("PRODID", cal.get("PRODID", PRODID))
        res.add("VERSION", "2.0")
        used = set()
        for comp in comps:
            for key in ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID"):
                prop = comp.get(key)
                if prop is not None and "TZID" in prop.params:
                    used.add(str(prop.params["TZID"]))
        for tzid in sorted(used):
            if tzid not in timezones:
                raise InviteError(f"TZID {tzid!r} has no VTIMEZONE in the calendar")
            res.add_component(timezones[tzid])
        for comp in comps:
            res.add_component(comp)
        out[uid] = res.to_ical()
    return out
