"""The generated VTIMEZONEs against zoneinfo, read by parsers that use the VTIMEZONE itself (not the name):
dateutil's tzical (what vobject and Radicale use) and Mozilla ical.js.

Zones with unusual rules are included: southern hemisphere, negative DST (Dublin), 45-minute and
30-minute offsets, a two-hour DST (Troll), and zones whose rules changed inside the window (Mexico City and
Tehran dropped DST in 2022; Casablanca moves around Ramadan), which need the RDATE fallback.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from dateutil import tz as dateutil_tz

from coordinator.invites.ical import interviewer_invite, vtimezone
from coordinator.invites.vtimezone import _transitions
from coordinator.timeutil import to_local
from tests.invites.invites_support import STAMP, from_icaljs, make_loop, make_session, read_vobject

ZONES = {
    # zone: expected form of the VTIMEZONE for 2025-2027
    "Europe/Berlin": "rrule",
    "America/New_York": "rrule",
    "Europe/London": "rrule",
    "Europe/Dublin": "rrule",
    "Australia/Sydney": "rrule",
    "Pacific/Chatham": "rrule",
    "America/St_Johns": "rrule",
    "Antarctica/Troll": "rrule",
    "Asia/Kolkata": "fixed",
    "America/Sao_Paulo": "fixed",
    "Africa/Casablanca": "rdate",
    "America/Santiago": None,  # "Sun>=2" rules: RRULE when each year's Sunday is in the first week
}
CHANGED = {"America/Mexico_City": (2021, 2023), "Asia/Tehran": (2021, 2023)}


def _instants(tzid: str, first: int, last: int) -> list[datetime]:
    out = []
    for instant, _f, _t in _transitions(tzid, first, last):
        for delta in (-7200, -3600, -1800, -1, 0, 1, 1800, 3600, 7200):
            out.append(instant + timedelta(seconds=delta))
    for year in range(first, last + 1):
        for month in range(1, 13):
            out.append(datetime(year, month, 1, 12, tzinfo=UTC))
            out.append(datetime(year, month, 15, 0, 17, tzinfo=UTC))
    return sorted(set(out))


def _form(tz: icalendar.Timezone) -> str:
    text = tz.to_ical()
    if b"RRULE" in text:
        return "rrule"
    if b"RDATE" in text or len(tz.subcomponents) > 1:
        return "rdate"
    return "fixed"


CASES = [(z, 2025, 2027, form) for z, form in ZONES.items()] + [(z, a, b, "rdate") for z, (a, b) in CHANGED.items()]


@pytest.mark.parametrize(("tzid", "first", "last", "form"), CASES, ids=[c[0] for c in CASES])
def test_vtimezone_matches_zoneinfo_through_dateutil(tzid, first, last, form):
    vtz = vtimezone(tzid, first, last)
    if form:
        assert _form(vtz) == form
    assert len(vtz.walk("STANDARD")) >= 1
    # dateutil's tzical knows no X- properties (vobject strips them before handing a VTIMEZONE over).
    text = b"".join(line + b"\r\n" for line in vtz.to_ical().split(b"\r\n") if line and not line.startswith(b"X-"))
    parsed = dateutil_tz.tzical(io.StringIO(text.decode())).get(tzid)
    for instant in _instants(tzid, first, last):
        want = to_local(instant, tzid).utcoffset()
        got = instant.astimezone(parsed).utcoffset()
        assert got == want, f"{tzid} at {instant}: VTIMEZONE says {got}, zoneinfo {want}"


def test_rrule_form_is_what_outlook_reads():
    # One DAYLIGHT and one STANDARD with a yearly RRULE, starting in the year before the window; onsets are
    # local times in the offset before the change (02:00 CET in spring, 03:00 CEST in autumn).
    berlin = vtimezone("Europe/Berlin", 2025, 2027).to_ical().decode()
    daylight = "DTSTART:20240331T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZNAME:CEST"
    assert f"BEGIN:DAYLIGHT\r\n{daylight}\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT" in berlin
    standard = "DTSTART:20241027T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZNAME:CET"
    assert f"BEGIN:STANDARD\r\n{standard}\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD" in berlin
    assert "X-LIC-LOCATION:Europe/Berlin" in berlin
    assert berlin.count("BEGIN:") == 3


def test_vtimezones_are_built_once_per_zone_and_years():
    assert vtimezone("Europe/Berlin", 2025, 2027) is vtimezone("Europe/Berlin", 2025, 2027)


def _instants_loop():
    loop = make_loop(0, "Europe/Berlin")
    template = loop.sessions[0]
    sessions = []
    n = 1000
    for tzid, (first, last) in {**{z: (2025, 2027) for z in ZONES}, **CHANGED}.items():
        for instant in _instants(tzid, first + 1, last - 1)[::3]:
            s = make_session(n, instant, 30, tzid)
            sessions.append(replace(s, interviewers=template.interviewers, shadow=None))
            n += 1
    return replace(loop, sessions=tuple(sessions))


def test_many_zones_read_by_icaljs_and_vobject(icaljs):
    loop = _instants_loop()
    ics = interviewer_invite(loop, stamp=STAMP)
    want = {s.uid: (s.start, s.end) for s in loop.sessions}
    for name, read in (("ical.js", from_icaljs(icaljs(ics), ics)), ("vobject", read_vobject(ics))):
        got = {uid: (ev["start"], ev["end"]) for uid, ev in read["events"].items()}
        wrong = {uid: (got.get(uid), want[uid]) for uid in want if got.get(uid) != want[uid]}
        assert not wrong, f"{name} read {len(wrong)} of {len(want)} events at other instants: {list(wrong.items())[:3]}"
