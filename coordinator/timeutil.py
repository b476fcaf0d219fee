"""The one place that converts between time zones.

The database and the scheduling engine work in timezone-aware UTC; people see their own zone. Anything that
turns a wall-clock time into an instant, or an instant into a wall-clock time, goes through here so that
daylight-saving rules are applied the same way everywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "UTC",
    "InvalidTimeZone",
    "all_timezones",
    "as_utc",
    "get_zone",
    "is_valid_timezone",
    "local_day_bounds",
    "local_to_utc",
    "now_utc",
    "to_local",
]


class InvalidTimeZone(ValueError):
    """Raised for a time-zone name the IANA database does not know."""


def now_utc() -> datetime:
    """The current instant, timezone-aware, in UTC. Tests replace the clock by patching this function."""
    return datetime.now(UTC)


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


DATETIME_FORMAT = "%a %d %b %Y, %H:%M"


def format_instant(dt: datetime, tz_name: str, fmt: str = DATETIME_FORMAT) -> str:
    """An instant as a person in that zone reads it; with a clock time, the zone's abbreviation follows."""
    local = to_local(dt, tz_name)
    text = local.strftime(fmt)
    return f"{text} {local.tzname()}" if "%H" in fmt else text


def format_range(start: datetime, end: datetime, tz_name: str, fmt: str = "%a %d %b, %H:%M") -> str:
    """'Mon 30 Nov, 09:00–09:45 CET' (the date again when the range crosses midnight)."""
    a, b = to_local(start, tz_name), to_local(end, tz_name)
    tail = b.strftime("%H:%M") if a.date() == b.date() else b.strftime(fmt)
    return f"{a.strftime(fmt)}–{tail} {b.tzname()}"
