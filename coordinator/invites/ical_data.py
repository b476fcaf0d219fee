"""The plain data invites are built from (people, sessions, loops, the candidate's events), the UIDs that name
their events, and the sanitising every value passes before it becomes iCalendar text. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from coordinator.loops.kinds import SessionKind
from coordinator.timeutil import InvalidTimeZone, as_utc, get_zone

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
    #: as ORGANIZER: the person the address acts for (SENT-BY), when `email` is the reply address
    sent_by: str = ""


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


def _zone(name: str):  # -> ZoneInfo
    try:
        return get_zone(name)
    except InvalidTimeZone as exc:
        raise InviteError(str(exc)) from exc
