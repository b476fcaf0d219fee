"""VTIMEZONE components, written the way Outlook and Exchange read them best (see `coordinator.invites.ical`):
one STANDARD and one DAYLIGHT observance with a yearly RRULE where the zone's rule allows it, RDATEs otherwise.
Computed from the same zoneinfo data `coordinator.timeutil` uses. Pure: no Flask, no database.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

from coordinator.invites.ical_data import _zone
from coordinator.timeutil import to_local


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
