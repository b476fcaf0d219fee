"""The one place that converts between time zones and shows times.

The database and the scheduling engine work in timezone-aware UTC; people see their own zone. Anything that
turns a wall-clock time into an instant, or an instant into a wall-clock time, goes through here so that
daylight-saving rules are applied the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "UTC",
    "InvalidTimeZone",
    "all_timezones",
    "as_utc",
    "format_clock",
    "format_clock_range",
    "format_date",
    "format_day",
    "format_instant",
    "format_range",
    "format_span",
    "format_times",
    "format_utc_stamp",
    "format_wall_time",
    "format_when",
    "get_zone",
    "is_valid_timezone",
    "local_day_bounds",
    "local_to_utc",
    "now_utc",
    "set_clock",
    "to_local",
    "zone_abbreviation",
    "zone_label",
    "zone_name",
]


class InvalidTimeZone(ValueError):
    """Raised for a time-zone name the IANA database does not know."""


#: Where `now_utc()` reads the time when something set it (tests, the test launcher of the scheduler); None is
#: the system clock. A module variable, not a patched function, so that `from timeutil import now_utc` and the
#: models' `default=now_utc` read it too.
_clock: Callable[[], datetime] | None = None


def now_utc() -> datetime:
    """The current instant, timezone-aware, in UTC: the system clock unless `set_clock` replaced it."""
    return _clock() if _clock is not None else datetime.now(UTC)


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Make `now_utc()` answer from `clock` (the tests' one clock); None puts the system clock back."""
    global _clock
    _clock = clock


# Canonical IANA regions; legacy aliases such as US/Eastern or Etc/GMT+5 are left out of choice lists.
_REGIONS = {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}


@lru_cache(maxsize=1)
def all_timezones() -> tuple[str, ...]:
    """Every IANA zone name, sorted, for select boxes and validation."""
    return tuple(sorted(z for z in available_timezones() if z.split("/")[0] in _REGIONS) + ["UTC"])


def is_valid_timezone(name: str | None) -> bool:
    if not name or not isinstance(name, str) or len(name) > 64:
        return False
    return name in all_timezones()


@lru_cache(maxsize=512)
def get_zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; InvalidTimeZone for anything else (never a bare KeyError)."""
    if not is_valid_timezone(name):
        raise InvalidTimeZone(f"Unknown time zone: {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - guarded above
        raise InvalidTimeZone(f"Unknown time zone: {name!r}") from exc


def as_utc(dt: datetime) -> datetime:
    """Normalise an aware datetime to UTC. A naive datetime is a programming error and is refused."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError("naive datetime: every datetime in coordinator must be timezone-aware")
    return dt.astimezone(UTC)


def to_local(dt: datetime, tz_name: str) -> datetime:
    """The same instant as a wall-clock time in the named zone."""
    return as_utc(dt).astimezone(get_zone(tz_name))


def local_to_utc(day: date, at: time, tz_name: str) -> datetime:
    """The UTC instant of a wall-clock time on a day in a zone.

    Wall-clock times that do not exist (the hour skipped when clocks go forward) resolve forward, and times that
    happen twice (the hour repeated when clocks go back) resolve to the first occurrence, which is what people mean
    when they say "9:00" on such a day.
    """
    # fold=0 takes the offset in force before a transition: a skipped time lands after the gap (02:30 -> 03:30),
    # a repeated time resolves to its first occurrence.
    naive = datetime.combine(day, at.replace(tzinfo=None))
    return naive.replace(tzinfo=get_zone(tz_name), fold=0).astimezone(UTC)


def local_day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """The UTC instants at which a local calendar day starts and ends (23, 24 or 25 hours apart)."""
    return local_to_utc(day, time(0), tz_name), local_to_utc(day + timedelta(days=1), time(0), tz_name)


# --- showing times: every date, time, range and zone label the app prints comes from here -----------------------

DATETIME_FORMAT = "%a %d %b %Y, %H:%M"


def zone_abbreviation(tz_name: str, at: datetime | None = None) -> str:
    """The zone's abbreviation in force at `at` (default now): "CET", "IST"; "UTC-03" for zones without one."""
    return _abbreviation(to_local(at or now_utc(), tz_name))


def zone_name(tz_name: str) -> str:
    """The zone as people read its name: "America/New York"."""
    return tz_name.replace("_", " ")


def zone_label(tz_name: str, at: datetime | None = None) -> str:
    """The zone with its abbreviation and offset at `at` (default now): "Asia/Kolkata (IST, UTC+05:30)"."""
    local = to_local(at or now_utc(), tz_name)
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    utc = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    name = local.tzname() or ""
    named = name and not name.startswith(("+", "-"))
    return f"{zone_name(tz_name)} ({name + ', ' if named else ''}{utc})"


def _abbreviation(local: datetime) -> str:
    name = local.tzname() or ""
    return f"UTC{name}" if name[:1] in "+-" else name


def format_day(day: date, *, long: bool = False, year: bool = True) -> str:
    """"Mon 6 Apr 2026", or with `long` "Monday 6 April 2026"; `year=False` leaves the year out."""
    text = f"{day:%A} {day.day} {day:%B}" if long else f"{day:%a} {day.day} {day:%b}"
    return f"{text} {day.year}" if year else text


def format_clock(dt: datetime, tz_name: str) -> str:
    """The wall-clock time only: "09:00"."""
    return f"{to_local(dt, tz_name):%H:%M}"


def format_instant(dt: datetime, tz_name: str, fmt: str = DATETIME_FORMAT) -> str:
    """An instant as a person in that zone reads it; with a clock time, the zone's abbreviation follows."""
    local = to_local(dt, tz_name)
    text = local.strftime(fmt)
    return f"{text} {_abbreviation(local)}" if "%H" in fmt else text


def format_times(start: datetime, end: datetime, tz_name: str) -> str:
    """"09:00–09:45 CET"; across a clock change each end names its own zone: "01:30 EDT – 02:30 EST"."""
    a, b = to_local(start, tz_name), to_local(end, tz_name)
    return _join(f"{a:%H:%M}", a, f"{b:%H:%M}", b)


def format_range(start: datetime, end: datetime, tz_name: str, fmt: str = "%a %d %b, %H:%M") -> str:
    """'Mon 30 Nov, 09:00–09:45 CET' (the date again when the range crosses midnight; both abbreviations when it
    crosses a clock change)."""
    a, b = to_local(start, tz_name), to_local(end, tz_name)
    tail = f"{b:%H:%M}" if a.date() == b.date() else b.strftime(fmt)
    return _join(a.strftime(fmt), a, tail, b)


def format_when(start: datetime, end: datetime, tz_name: str, *, long: bool = False, year: bool = True) -> str:
    """A session as an invite or e-mail says it: "Mon 30 Nov 2026, 09:00–09:45 CET"; with `long`
    "Monday 30 November 2026, ..."; a range over midnight repeats the date at its end."""
    a, b = to_local(start, tz_name), to_local(end, tz_name)
    head = f"{format_day(a.date(), long=long, year=year)}, {a:%H:%M}"
    tail = f"{b:%H:%M}" if a.date() == b.date() else f"{format_day(b.date(), long=long, year=year)}, {b:%H:%M}"
    return _join(head, a, tail, b)


def _join(head: str, a: datetime, tail: str, b: datetime) -> str:
    first, last = _abbreviation(a), _abbreviation(b)
    if first == last and "," not in tail:
        return f"{head}–{tail} {last}"
    if first == last:
        return f"{head} – {tail} {last}"
    return f"{head} {first} – {tail} {last}"


def format_span(start_dt: datetime, end_dt: datetime, tz_name: str, on_day: date | None = None) -> str:
    """A busy span as read in a zone: "09:00 – 10:00 CEST", "Sun 29 Mar, 01:00 CET – 04:00 CEST", "All day" or
    "All day, Mon 6 Apr – Fri 17 Apr". The start's date is left out when it is `on_day` (the day it is listed under).
    """
    start, end = to_local(start_dt, tz_name), to_local(end_dt, tz_name)
    if start.time() == time(0) and end.time() == time(0) and end.date() > start.date():
        last = end.date() - timedelta(days=1)
        if last == start.date():
            return "All day" if on_day == start.date() else f"All day, {format_day(start.date(), year=False)}"
        return f"All day, {format_day(start.date(), year=False)} – {format_day(last, year=False)}"
    head = "" if on_day == start.date() else f"{format_day(start.date(), year=False)}, "
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{format_day(end.date(), year=False)}, {end:%H:%M}"
    first, last = _abbreviation(start), _abbreviation(end)
    if first == last:
        return f"{head}{start:%H:%M} – {end_text} {last}"
    return f"{head}{start:%H:%M} {first} – {end_text} {last}"


def format_days(first: date, last: date) -> str:
    """A run of days as a calendar heading: "15–21 December 2026", or across months "28 Dec – 3 Jan 2027"."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%B} {last.year}"
    return f"{first.day} {first:%b} – {last.day} {last:%b} {last.year}"


def format_clock_range(start: datetime, end: datetime, tz_name: str) -> str:
    """"09:00–09:45" without the zone, for lines under a heading that names it (the candidate's itinerary); across a
    clock change each end names its own zone: "01:30 EDT – 02:30 EST"."""
    a, b = to_local(start, tz_name), to_local(end, tz_name)
    first, last = _abbreviation(a), _abbreviation(b)
    return f"{a:%H:%M}–{b:%H:%M}" if first == last else f"{a:%H:%M} {first} – {b:%H:%M} {last}"


# --- for files other programs read (CSV exports): UTC, sortable, no zone suffix ---------------------------------

def format_utc_stamp(dt: datetime) -> str:
    """An instant in UTC as a spreadsheet sorts it: "2026-03-05 14:30" (the column header names the zone)."""
    return f"{as_utc(dt):%Y-%m-%d %H:%M}"


# --- calendar days and wall-clock times that are not instants (a promised decision day, working hours) ----------

def format_date(day: date, fmt: str = "%a %d %b %Y") -> str:
    """A calendar day as pages show it beside instants: "Fri 04 Dec 2026". No zone: a day is not an instant."""
    return day.strftime(fmt)


def format_wall_time(at: time) -> str:
    """A time of day that is no instant yet (working hours, a row of a week grid): "09:00"."""
    return f"{at:%H:%M}"


def format_age(age: timedelta) -> str:
    """How old something is, in the largest whole unit: "just now", "4 min", "3 h", "2 days"."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
