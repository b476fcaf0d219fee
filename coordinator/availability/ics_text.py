"""The calendar import's text reader: bytes to text (BOMs, UTF-16, old Outlook's cp1252), unfolding into logical
lines, dropping what is not needed (and events that plainly lie outside the range) before the parser sees it, and
parsing with icalendar; plus the small readers of values (text, lists, addresses, zones) the import uses.
Pure: no Flask, no database.
"""

from __future__ import annotations

import codecs
import math
import re
import warnings
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from icalendar import Calendar, Timezone
from icalendar import error as _ical_error
from icalendar.prop import vBroken, vDDDTypes
from icalendar.timezone import tzp

from coordinator import timeutil
from coordinator.availability import ics_limits as limits
from coordinator.availability.ics_limits import _DAY_PARTS, CalendarImportError, _is_datetime, _never_fires

_NOT_ICS = "This file is not an iCalendar (.ics) file."


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    if len(data) >= 2 and data[0] and not data[1]:
        return data.decode("utf-16-le", "replace")
    if len(data) >= 2 and not data[0] and data[1]:
        return data.decode("utf-16-be", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")  # old Outlook exports


_NAME_RE = re.compile(r"([A-Za-z0-9-]+)[;:]")
# Renamed so that icalendar does not put the file's zone definitions into its process-wide cache.
_TZ_COMPONENT = "X-COORDINATOR-VTIMEZONE"
_PARENTS = {
    "VCALENDAR": None,
    "VEVENT": "VCALENDAR",
    "VTIMEZONE": "VCALENDAR",
    "STANDARD": "VTIMEZONE",
    "DAYLIGHT": "VTIMEZONE",
}
_EVENT_PROPS = frozenset(
    {
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "SEQUENCE",
        "STATUS",
        "TRANSP",
        "CLASS",
        "SUMMARY",
        "X-MICROSOFT-CDO-BUSYSTATUS",
    }
)
_PROPS = {
    "VCALENDAR": frozenset({"CALSCALE", "X-WR-TIMEZONE"}),
    "VEVENT": _EVENT_PROPS,
    "VTIMEZONE": frozenset({"TZID"}),
    "STANDARD": frozenset({"DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "TZNAME", "RRULE", "RDATE"}),
    "DAYLIGHT": frozenset({"DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "TZNAME", "RRULE", "RDATE"}),
}


def _logical_lines(text: str) -> list[str]:
    """Content lines with folding undone (RFC 5545 3.1: a line break followed by one space or tab)."""
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]
        elif line.strip():
            lines.append(line)
    return lines


# Properties whose usual values change nothing here; only these values are kept.
_KEEP_ONLY_VALUES = {
    "STATUS": ("CANCELLED",),
    "TRANSP": ("TRANSPARENT",),
    "CLASS": ("PRIVATE", "CONFIDENTIAL"),
}


def _slim(text: str, *, owner_email: str | None, window: tuple[date, date]) -> tuple[str, int]:
    """Check the outline of the file and keep only the components and properties that matter here.

    Dropping descriptions, alarms, attachments, to-dos, other people's ATTENDEE lines, default values
    (STATUS:CONFIRMED, TRANSP:OPAQUE) and events that visibly lie outside ``window`` (UTC dates, already
    widened by a day or two) before icalendar parses the rest makes reading several times faster (Outlook's
    X-ALT-DESC alone is often most of the file), and makes stray junk lines harmless.

    Returns the slimmed text and the number of VEVENTs dropped for lying outside the window. More than
    ``limits.MAX_EVENTS`` remaining VEVENTs raise :class:`CalendarImportError` before any parsing.
    """
    owner = owner_email.strip().lower() if owner_email else None
    out: list[str] = []
    event_start = 0  # index in ``out`` of the current VEVENT's BEGIN line
    dropped = kept = 0
    stack: list[str] = []
    skip_depth = 0
    lines = _logical_lines(text)
    if not lines:
        raise CalendarImportError(_NOT_ICS + " It is empty.")
    if lines[0].strip().upper() != "BEGIN:VCALENDAR":
        raise CalendarImportError(_NOT_ICS)
    for line in lines:
        match = _NAME_RE.match(line)
        if match is None:
            continue  # not a content line; icalendar would reject the whole file for it
        name = match.group(1).upper()
        if name in ("BEGIN", "END"):
            value = line.partition(":")[2].strip().upper()
            if name == "BEGIN":
                if skip_depth or value not in _PARENTS or _PARENTS[value] != (stack[-1] if stack else None):
                    skip_depth += 1
                else:
                    stack.append(value)
                    event_start = len(out)
                    out.append("BEGIN:" + (_TZ_COMPONENT if value == "VTIMEZONE" else value))
            elif skip_depth:
                skip_depth -= 1
            elif stack and stack[-1] == value:
                stack.pop()
                if value == "VEVENT":
                    if _outside(out[event_start + 1 :], window):
                        del out[event_start:]
                        dropped += 1
                        continue
                    kept += 1
                    if kept > limits.MAX_EVENTS:
                        raise CalendarImportError(
                            f"This calendar has more than {limits.MAX_EVENTS:,} events in or near this period "
                            "(or repeating), which is more than can be imported."
                        )
                out.append("END:" + (_TZ_COMPONENT if value == "VTIMEZONE" else value))
            else:
                raise CalendarImportError(
                    f"This iCalendar file is damaged: it has END:{_clean_text(value, 30)} without a matching BEGIN."
                )
            continue
        if skip_depth or not stack:
            continue
        component = stack[-1]
        if component == "VEVENT":
            if name == "ATTENDEE":
                if owner is None or owner not in line.lower():
                    continue
            elif name in _KEEP_ONLY_VALUES:
                if line.rpartition(":")[2].strip().upper() not in _KEEP_ONLY_VALUES[name]:
                    continue
            elif name not in _EVENT_PROPS:
                continue
        elif name not in _PROPS[component]:
            continue
        out.append(line)
    if stack or skip_depth:
        raise CalendarImportError("This iCalendar file is incomplete: it ends in the middle of a calendar.")
    return "\r\n".join(out) + "\r\n", dropped


_PLAIN_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T\d{6}Z?)?")


def _plain_date(value: str) -> date | None:
    match = _PLAIN_DATE_RE.fullmatch(value.strip())
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _outside(lines: list[str], window: tuple[date, date]) -> bool:
    """Whether an event's own (slimmed, unfolded) lines show that it cannot touch the window.

    Conservative: anything unusual (RDATE, RECURRENCE-ID, DURATION, a rule without UNTIL, a value that is not
    a plain date or date-time, repeated properties) keeps the event, and icalendar reads it properly. The window
    is widened enough for any UTC offset, so dates can be compared without knowing the zone.
    """
    values: dict[str, str] = {}
    for line in lines:
        name = line.partition(":")[0].partition(";")[0].upper()
        if name == "EXDATE":
            continue  # only ever removes occurrences
        if name in ("RDATE", "RECURRENCE-ID", "DURATION") or name in values:
            return False
        values[name] = line.rpartition(":")[2] if name != "RRULE" else line.partition(":")[2]
    start = _plain_date(values.get("DTSTART", ""))
    if start is None:
        return False
    end = _plain_date(values["DTEND"]) if "DTEND" in values else start + timedelta(days=1)
    if end is None:
        return False
    first, last = min(start, end), max(start, end)
    if "RRULE" in values:
        parts = dict(part.partition("=")[::2] for part in values["RRULE"].upper().split(";"))
        until = _plain_date(parts.get("UNTIL", ""))
        if until is None or "COUNT" in parts:  # with both, COUNT is kept (see _Reader._fix_until)
            return False
        last = max(last, until + (last - first))
    return first > window[1] or last < window[0]


# icalendar warns when it guesses the zone behind a libical-style "/vendor/Region/City" TZID; we resolve
# TZIDs ourselves, so that guess does not matter here. (getattr: the class is not in every icalendar 7.x.)
# warnings.catch_warnings() swaps process-wide state on Python 3.11, so a warning raised by another thread in
# those milliseconds could be lost; it is held only around the parse.
_TZID_GUESS_WARNING = getattr(_ical_error, "GloballyUniqueTZIDGuessed", None)


def _parse(text: str) -> list[Calendar]:
    try:
        with warnings.catch_warnings():
            if _TZID_GUESS_WARNING is not None:
                warnings.simplefilter("ignore", _TZID_GUESS_WARNING)
            calendars = Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # icalendar raises ValueError mostly, but this is untrusted input
        raise CalendarImportError(f"This iCalendar file could not be read: {_clean_text(str(exc), 160)}") from exc
    for calendar in calendars:
        scale = str(calendar.get("CALSCALE", "GREGORIAN")).strip().upper()
        if scale != "GREGORIAN":
            raise CalendarImportError(
                f"This calendar uses the {_clean_text(scale, 30)} calendar scale; "
                "only Gregorian calendars can be imported."
            )
    return calendars


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _clean_text(value: object, limit: int) -> str:
    text = " ".join(_CONTROL_RE.sub(" ", str(value)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _words(component: Any, name: str) -> set[str]:
    """The upper-cased values of a property that may (wrongly) appear more than once."""
    return {str(value).strip().upper() for value in _as_list(component.get(name))}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@lru_cache(maxsize=1)
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _iana_zone(name: str) -> tzinfo | None:
    """The zone for an IANA name; also accepts Etc/* and legacy aliases that timeutil keeps out of pickers."""
    if timeutil.is_valid_timezone(name):
        return timeutil.get_zone(name)
    if len(name) <= 64 and name in _iana_names():
        return ZoneInfo(name)
    return None


_UTC_ALIASES = frozenset({"Z", "UT", "UTC", "GMT", "ZULU", "ETC/UTC", "ETC/GMT"})


def _normalise_email(value: str) -> str:
    value = value.strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :]
    return value.strip().lower()


def _custom_zone(component: Any) -> tzinfo | None:
    """A zone from the file's own VTIMEZONE, if it is small and only uses yearly rules (dateutil's tzical
    evaluates the rules on every offset lookup, so a SECONDLY rule there would hang the import)."""
    parts = list(component.subcomponents)
    if not parts or len(parts) > 50:
        return None
    for part in parts:
        if part.name not in ("STANDARD", "DAYLIGHT") or "TZOFFSETTO" not in part or "DTSTART" not in part:
            return None
        rules = _as_list(part.get("RRULE"))
        if len(rules) > 1 or len(_as_list(part.get("RDATE"))) > 200:
            return None
        for rule in rules:
            if isinstance(rule, vBroken) or [str(f).upper() for f in rule.get("FREQ", [])] != ["YEARLY"]:
                return None
            if any(key in rule for key in ("BYHOUR", "BYMINUTE", "BYSECOND")):
                return None
            if math.prod(len(rule.get(key, [None])) for key in _DAY_PARTS) > 31:
                return None
        start = part["DTSTART"].dt
        try:
            if any(_never_fires(rule, start) for rule in rules):
                return None
        except (ValueError, TypeError, OverflowError, KeyError, IndexError):
            return None
        if rules and _is_datetime(start) and start.year < _TZ_RULE_ANCHOR_YEAR:
            # Outlook anchors yearly rules in 1601; dateutil walks every transition since DTSTART on each
            # offset lookup, so start them in 1968 instead (a leap year: Feb 29 stays valid). Offsets from
            # 1970 on are unchanged, and no import needs earlier ones.
            part["DTSTART"] = vDDDTypes(start.replace(year=_TZ_RULE_ANCHOR_YEAR))
    timezone = Timezone()
    timezone.update(component)
    timezone.subcomponents = parts
    try:
        zone = timezone.to_tz(tzp, lookup_tzid=False)  # builds a new zone; never cached by icalendar
        zone.utcoffset(datetime(2026, 1, 1))  # noqa: DTZ001 - a wall time to check the zone works
    except Exception:  # a malformed definition is an unknown zone
        return None
    return zone


_TZ_RULE_ANCHOR_YEAR = 1968
