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
from dataclasses import dataclass, field
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
from coordinator.availability.ics_limits import (
    _DAY_PARTS,
    _TOO_LARGE,
    _TOO_MANY_DATES,
    CalendarImportError,
    _is_datetime,
    _never_fires,
)

_NOT_ICS = "This file is not an iCalendar (.ics) file."


_LINE_CHECK = 4096
"""The time budget is checked every this many physical lines while a file is unfolded and decoded."""
_FOLD_TEXT_RE = re.compile(r"\r*\n[ \t]")
_FOLD_BYTES_RE = re.compile(rb"\r*\n[ \t]")


def _logical_lines(data: bytes, deadline: limits.Deadline | None = None) -> list[str]:
    """The file's content lines, decoded, with folding undone (RFC 5545 3.1: a line break followed by one space or
    tab) and blank lines dropped; linear in the file's size, and checking the time budget as it goes.

    A file that is valid UTF-8 (or UTF-16 with a BOM or visible zero bytes) is decoded whole and unfolded by one
    regular-expression pass. Otherwise lines are unfolded as bytes the same way (a fold may split a UTF-8
    sequence, which the RFC says readers must restore) and each logical line is decoded on its own
    (`_decode_line`), so one bad byte touches only its own line."""
    deadline = deadline or limits.Deadline()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    text: str | None = None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", "replace")
    elif len(data) >= 2 and data[0] and not data[1]:
        text = data.decode("utf-16-le", "replace")
    elif len(data) >= 2 and not data[0] and data[1]:
        text = data.decode("utf-16-be", "replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    deadline.check()
    if text is not None:
        lines = [line for line in _FOLD_TEXT_RE.sub("", text).split("\n") if line.strip()]
        deadline.check()
        return [line.rstrip("\r") for line in lines]
    return _unfold_bytes(data, deadline)


def _unfold_bytes(data: bytes, deadline: limits.Deadline) -> list[str]:
    """Unfold a file that is not valid UTF-8 as bytes (one regular-expression pass), then decode line by line."""
    lines: list[str] = []
    for number, raw in enumerate(_FOLD_BYTES_RE.sub(b"", data).split(b"\n")):
        if not number % _LINE_CHECK:
            deadline.check()
        if raw.strip():
            lines.append(_decode_line(raw.rstrip(b"\r")))
    deadline.check()
    return lines


def _decode_line(raw: bytes) -> str:
    """One logical line of a file that is not valid UTF-8 throughout: UTF-8 when it is; UTF-8 with only the invalid
    bytes replaced when the line also holds valid UTF-8 characters (a stray byte among accented titles); otherwise
    Windows-1252, which old Outlook exports use."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    replaced = raw.decode("utf-8", "replace")
    if any(ch > "\x7f" and ch != "\ufffd" for ch in replaced):
        return replaced
    return raw.decode("cp1252", "replace")


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


# Properties whose usual values change nothing here; only these values are kept.
_KEEP_ONLY_VALUES = {
    "STATUS": ("CANCELLED",),
    "TRANSP": ("TRANSPARENT",),
    "CLASS": ("PRIVATE", "CONFIDENTIAL"),
}


_BATCH_EVENTS = 200
"""Events per parsed batch: the parser cannot be interrupted, so it is given this many at a time (some 50 ms of
work) and the time budget is checked in between."""
_BATCH_LINES = 3_000
_SUMMARY_KEEP_CHARS = 2_000
"""A title is shown cut to 80 characters; longer SUMMARY lines are cut to this many before parsing."""


@dataclass(slots=True)
class Slimmed:
    """What `_slim` keeps of a file: calendars to parse (a calendar's events split into batches, each batch a whole
    VCALENDAR with that calendar's own properties), its VTIMEZONE definitions apart (one unreadable definition must
    not make the whole file unreadable), and how many VEVENTs were dropped for lying outside the window."""

    batches: list[str]
    zones: list[tuple[str, str]]
    """(the TZID as written, the definition's text as a VCALENDAR holding only it), the first of each TZID"""
    outside: int
    skipped: list[tuple[limits._Reason, str]] = field(default_factory=list)
    """Events left out before parsing (too many lines, dates or characters): (why, the event's label)"""
    notes: list[str] = field(default_factory=list)


def _cut_summary(line: str) -> str:
    if len(line) <= _SUMMARY_KEEP_CHARS:
        return line
    cut = line[:_SUMMARY_KEEP_CHARS]
    trailing = len(cut) - len(cut.rstrip("\\"))
    return cut[: len(cut) - (trailing % 2)]  # never end on half of an escape ("\\," or "\\n")


def _slim(
    lines: list[str], *, owner_email: str | None, window: tuple[date, date], deadline: limits.Deadline | None = None
) -> Slimmed:
    """Check the outline of the file and keep only the components and properties that matter here.

    Dropping descriptions, alarms, attachments, to-dos, other people's ATTENDEE lines, default values
    (STATUS:CONFIRMED, TRANSP:OPAQUE) and events that visibly lie outside ``window`` (UTC dates, already
    widened by a day or two) before icalendar parses the rest makes reading several times faster (Outlook's
    X-ALT-DESC alone is often most of the file), and makes stray junk lines harmless.

    ``lines`` are the logical lines (`_logical_lines`). More than ``limits.MAX_EVENTS`` remaining VEVENTs raise
    :class:`CalendarImportError` before any parsing.
    """
    deadline = deadline or limits.Deadline()
    owner = owner_email.strip().lower() if owner_email else None
    out: list[str] = []  # the current component's kept lines (a VEVENT's or a VTIMEZONE's), or the calendar's
    calendar_props: list[str] = []
    events: list[list[str]] = []
    result = Slimmed([], [], 0)
    zone_ids: set[str] = set()
    too_big: limits._Reason | None = None  # why the current VEVENT is left out, once it is
    dates = 0
    kept = 0
    stack: list[str] = []
    skip_depth = 0
    if not lines:
        raise CalendarImportError(_NOT_ICS + " It is empty.")
    if lines[0].strip().upper() != "BEGIN:VCALENDAR":
        raise CalendarImportError(_NOT_ICS)
    for number, line in enumerate(lines):
        if not number % _LINE_CHECK:
            deadline.check()
        match = _NAME_RE.match(line)
        if match is None:
            continue  # not a content line; icalendar would reject the whole file for it
        name = match.group(1).upper()
        if name in ("BEGIN", "END"):
            value = line.partition(":")[2].strip().upper()
            if name == "BEGIN":
                if skip_depth or value not in _PARENTS or _PARENTS[value] != (stack[-1] if stack else None):
                    skip_depth += 1
                    continue
                stack.append(value)
                if value == "VCALENDAR":
                    calendar_props, events = [], []
                    continue
                if value in ("VEVENT", "VTIMEZONE"):
                    out, too_big, dates = [], None, 0
                out.append("BEGIN:" + (_TZ_COMPONENT if value == "VTIMEZONE" else value))
            elif skip_depth:
                skip_depth -= 1
            elif stack and stack[-1] == value:
                stack.pop()
                if value == "VCALENDAR":
                    result.batches.extend(_batches(calendar_props, events))
                    continue
                out.append("END:" + (_TZ_COMPONENT if value == "VTIMEZONE" else value))
                if value == "VEVENT":
                    if too_big is not None:
                        result.skipped.append((too_big, _label(out)))
                        continue
                    if _outside(out[1:-1], window):
                        result.outside += 1
                        continue
                    kept += 1
                    if kept > limits.MAX_EVENTS:
                        raise CalendarImportError(
                            f"This calendar has more than {limits.MAX_EVENTS:,} events in or near this period "
                            "(or repeating), which is more than can be imported."
                        )
                    events.append(out)
                elif value == "VTIMEZONE":
                    _keep_zone(result, zone_ids, out)
            else:
                raise CalendarImportError(
                    f"This iCalendar file is damaged: it has END:{_clean_text(value, 30)} without a matching BEGIN."
                )
            continue
        if skip_depth or not stack:
            continue
        component = stack[-1]
        if component == "VCALENDAR":
            if name in _PROPS["VCALENDAR"]:
                calendar_props.append(line)
            continue
        if component == "VEVENT":
            if name == "ATTENDEE":
                if owner is None or owner not in line.lower():
                    continue
            elif name in _KEEP_ONLY_VALUES:
                if line.rpartition(":")[2].strip().upper() not in _KEEP_ONLY_VALUES[name]:
                    continue
            elif name == "SUMMARY":
                line = _cut_summary(line)
            elif name not in _EVENT_PROPS:
                continue
            if too_big is not None:
                continue
            if name in ("RDATE", "EXDATE"):
                dates += line.count(",") + 1
                if dates > limits.MAX_DATES_PER_EVENT:
                    too_big = _TOO_MANY_DATES
            elif len(line) > limits.MAX_LINE_CHARS or len(out) >= limits.MAX_LINES_PER_EVENT:
                too_big = _TOO_LARGE
            if too_big is not None:
                continue
        elif name not in _PROPS[component] or len(out) >= limits.MAX_LINES_PER_EVENT:
            continue
        out.append(line)
    if stack or skip_depth:
        raise CalendarImportError("This iCalendar file is incomplete: it ends in the middle of a calendar.")
    deadline.check()
    return result


def _batches(calendar_props: list[str], events: list[list[str]]) -> list[str]:
    """One calendar's kept events, a batch of them at a time (at most `_BATCH_EVENTS` events or about
    `_BATCH_LINES` lines), each batch a VCALENDAR with the calendar's properties (so X-WR-TIMEZONE and CALSCALE
    apply to every batch)."""
    head = ["BEGIN:VCALENDAR", *calendar_props]
    batches: list[str] = []
    batch: list[str] = list(head)
    count = 0
    for event in events:
        batch.extend(event)
        count += 1
        if count >= _BATCH_EVENTS or len(batch) >= _BATCH_LINES:
            batches.append("\r\n".join([*batch, "END:VCALENDAR"]) + "\r\n")
            batch, count = list(head), 0
    if count or not batches:
        batches.append("\r\n".join([*batch, "END:VCALENDAR"]) + "\r\n")
    return batches


def _keep_zone(result: Slimmed, seen: set[str], lines: list[str]) -> None:
    """Keep a VTIMEZONE definition: the first of each TZID, at most `MAX_ZONE_DEFINITIONS` of them."""
    tzid = next((ln.partition(":")[2] for ln in lines if ln[:5].upper() == "TZID:"), "")
    if tzid in seen:
        return
    if len(seen) >= limits.MAX_ZONE_DEFINITIONS:
        note = f"Only the first {limits.MAX_ZONE_DEFINITIONS} time zone definitions in this file were read."
        if note not in result.notes:
            result.notes.append(note)
        return
    seen.add(tzid)
    result.zones.append((tzid, "BEGIN:VCALENDAR\r\n" + "\r\n".join(lines) + "\r\nEND:VCALENDAR\r\n"))


def _label(lines: list[str]) -> str:
    """How a problem names an event left out before parsing: its title ("Busy" when private), roughly unescaped."""
    if any(ln[:6].upper() == "CLASS:" and ln[6:].strip().upper() in ("PRIVATE", "CONFIDENTIAL") for ln in lines):
        return "Busy"
    summary = next((ln.partition(":")[2] for ln in lines if ln[:8].upper() in ("SUMMARY:", "SUMMARY;")), "")
    summary = summary.replace("\\,", ",").replace("\\;", ";").replace("\\n", " ").replace("\\N", " ")
    return _clean_text(summary, 40) or "Busy"


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


def _parse(batches: list[str], deadline: limits.Deadline | None = None) -> list[Calendar]:
    """Parse the slimmed batches (see `_slim`), checking the time budget after each."""
    deadline = deadline or limits.Deadline()
    calendars: list[Calendar] = []
    for batch in batches:
        calendars.extend(_parse_one(batch))
        deadline.check()
    for calendar in calendars:
        scale = str(calendar.get("CALSCALE", "GREGORIAN")).strip().upper()
        if scale != "GREGORIAN":
            raise CalendarImportError(
                f"This calendar uses the {_clean_text(scale, 30)} calendar scale; "
                "only Gregorian calendars can be imported."
            )
    return calendars


def _parse_one(text: str) -> list[Calendar]:
    try:
        with warnings.catch_warnings():
            if _TZID_GUESS_WARNING is not None:
                warnings.simplefilter("ignore", _TZID_GUESS_WARNING)
            return Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # icalendar raises ValueError mostly, but this is untrusted input
        raise CalendarImportError(f"This iCalendar file could not be read: {_clean_text(str(exc), 160)}") from exc


def _parse_zones(
    zones: list[tuple[str, str]], deadline: limits.Deadline | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The file's own VTIMEZONE definitions by TZID, and the TZIDs of those that could not be read: such a zone is
    left out (an event that uses it reads as having an unknown zone, and is reported as such)."""
    parsed: dict[str, Any] = {}
    unreadable: list[str] = []
    deadline = deadline or limits.Deadline()
    for tzid, text in zones:
        deadline.check()
        try:
            components = [c for cal in _parse_one(text) for c in cal.subcomponents if c.name == _TZ_COMPONENT]
            if not components:
                raise CalendarImportError("empty")
        except CalendarImportError:
            unreadable.append(tzid)
            continue
        for component in components:
            if "TZID" in component:
                parsed.setdefault(str(component["TZID"]), component)
    return parsed, unreadable


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
