"""iCalendar (RFC 5545) / iTIP (RFC 5546) invites for interview loops: the one module callers import.

Everything here is a pure function of its arguments: the caller passes plain dataclasses, the DTSTAMP
(`stamp`) and the SEQUENCE numbers, and gets bytes back. Nothing reads the clock, the database or Flask.
The work is spread over `ical_data` (the dataclasses, UIDs, sanitising), `vtimezone` (the VTIMEZONE writer),
`ical_builder` (one VCALENDAR), `ical_interviewers` and `ical_candidate` (the two audiences' events); this
module names them all and adds the downloads, the feeds and CalDAV storage.

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

from collections.abc import Iterable, Mapping, MutableMapping
from datetime import datetime, timedelta

from icalendar import Calendar

from coordinator.invites.ical_builder import _Builder, _component_bytes
from coordinator.invites.ical_candidate import (
    CancelledEvent,
    _add_candidate_event,
    candidate_cancel,
    candidate_cancelled_calendar,
    candidate_invite,
    candidate_summary,
    plan_candidate_events,
)
from coordinator.invites.ical_data import (
    KINDS,
    PRODID,
    CandidateEvent,
    Grouping,
    InviteError,
    InviteLoop,
    InvitePerson,
    InviteSession,
    SessionInterviewer,
    _line,
    _same_address,
    derive_uid,
    next_sequence,
    stable_uid,
)
from coordinator.invites.ical_interviewers import _add_interviewer_event, interviewer_invite, interviewer_uninvite
from coordinator.invites.vtimezone import vtimezone

__all__ = [
    "KINDS",
    "PRODID",
    "CancelledEvent",
    "CandidateEvent",
    "Grouping",
    "InviteError",
    "InviteLoop",
    "InvitePerson",
    "InviteSession",
    "SessionInterviewer",
    "candidate_cancel",
    "candidate_cancelled_calendar",
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
