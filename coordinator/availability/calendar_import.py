"""Turn an interviewer's calendar export (.ics) into busy intervals for a date range.

Pure module: no Flask, no database. The one entry point is :func:`parse_busy_times`.

What blocks time, and what does not
-----------------------------------
* Every VEVENT occurrence that overlaps the range blocks ``[start, end)``, clipped to the range.
* Not blocking: ``TRANSP:TRANSPARENT`` ("free" in Google/Apple; note that Google marks new all-day events as
  free by default), ``STATUS:CANCELLED`` (also for a single cancelled instance of a series), events the
  owner declined (``ATTENDEE;PARTSTAT=DECLINED`` whose address is ``owner_email``), and Outlook's
  ``X-MICROSOFT-CDO-BUSYSTATUS`` ``FREE`` or ``WORKINGELSEWHERE`` (the person is available, just remote).
  When that Outlook property is present it wins over TRANSP, because it is Outlook's own busy state;
  ``TENTATIVE``, ``BUSY`` and ``OOF`` block. VTODO, VJOURNAL, VFREEBUSY and alarms are ignored.
* Zero-length events (a start and no end) block nothing.

Times
-----
* ``TZID`` names are resolved per file: IANA names first, then Outlook's Windows names through icalendar's
  CLDR Windows-to-Olson table, then a libical-style ``/vendor/Region/City`` suffix, then the file's own
  VTIMEZONE definition (Outlook's "Customized Time Zone"). icalendar's process-wide time-zone cache is never
  used for this, so one upload's VTIMEZONE cannot change how another upload is read.
* Floating times (no TZID, no ``Z``) and all-day dates are wall-clock times of ``default_tz``, the
  interviewer's zone: an all-day event blocks that whole local day (23-25 hours around DST changes).
* A calendar's ``X-WR-TIMEZONE`` (Google) only decides the zone in which UTC-anchored events repeat, as the
  x-wr-timezone package does; instants stay the same.
* Conversions to UTC go through :mod:`coordinator.timeutil`.

Recurrence
----------
Expansion (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides, RANGE=THISANDFUTURE) is done by
``recurring-ical-events``; this module only prepares the events and guards against rules that would take
too long. Each series is expanded on its own so that one broken series is reported and skipped instead of
failing the whole file. Rule guards: an estimate of the occurrences in the range and of the iteration work
since DTSTART (``MAX_OCCURRENCES_PER_EVENT``, ``MAX_RRULE_STEPS``), and a probe that drops rules that can never
produce a date (dateutil would otherwise iterate to the year 9999).

Limits
------
``MAX_ICS_BYTES`` per file, ``MAX_EVENTS`` events to read (counted before parsing, after dropping events that
plainly lie outside the range), ``MAX_BUSY_BLOCKS`` blocks, and ``MAX_PROCESSING_SECONDS`` of CPU time. A
hostile file therefore costs at most a few seconds of one thread and a bounded amount of memory.

Errors
------
Anything that is not a readable iCalendar file raises :class:`CalendarImportError` with a message for the
user. Individual unreadable events are skipped and described in ``ImportResult.problems``.
"""

from __future__ import annotations

import codecs
import math
import re
import time as _time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from dateutil.rrule import rrulestr
from icalendar import Calendar, Timezone
from icalendar import error as _ical_error
from icalendar.prop import vBroken, vDDDLists, vDDDTypes, vRecur
from icalendar.timezone import tzp
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from recurring_ical_events import EventAdapter, Occurrence, Series

from coordinator import timeutil

__all__ = [
    "MAX_BUSY_BLOCKS",
    "MAX_EVENTS",
    "MAX_ICS_BYTES",
    "MAX_OCCURRENCES_PER_EVENT",
    "MAX_RANGE",
    "BusyBlock",
    "CalendarImportError",
    "ImportResult",
    "parse_busy_times",
]

MAX_ICS_BYTES = 5 * 1024 * 1024
"""Largest accepted upload."""
MAX_RANGE = timedelta(days=400)
"""Longest accepted range; the per-event caps below are sized for it."""
MAX_OCCURRENCES_PER_EVENT = 1_000
"""A repeating event with more occurrences than this in the range is skipped (a daily event has ~400)."""
MAX_BUSY_BLOCKS = 20_000
"""Import stops (and says so) after this many busy blocks."""
MAX_RRULE_STEPS = 300_000
"""Estimated dateutil iterations from DTSTART to the end of the range (~0.3 s); more and the event is skipped."""
MAX_DATES_PER_EVENT = 5_000
"""RDATE plus EXDATE values in one event."""
MAX_CUSTOM_TIMEZONES = 20
"""VTIMEZONE definitions built from a file (names not in the IANA or Windows tables)."""
MAX_EVENTS = 20_000
"""VEVENTs that need reading; events that plainly lie outside the range are dropped first and not counted."""
MAX_PROCESSING_SECONDS = 5.0
"""CPU-time budget of one import (this thread's, so a busy server does not fail it). Parsing cannot be
interrupted, so the budget is checked after it and between events; past it the import fails instead of
returning a partial result."""
MAX_PROBLEMS = 20
SUMMARY_MAX_CHARS = 80
PRIVATE_SUMMARY = "Busy"

_LABEL_MAX_CHARS = 40
# Occurrences are selected from a range widened by this much, then clipped exactly: all-day and floating
# occurrences are compared in UTC inside the library, which can be off by up to a day.
_QUERY_PADDING = timedelta(days=2)

_NOT_ICS = "This file is not an iCalendar (.ics) file."


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class BusyBlock:
    """A half-open busy interval ``[start, end)`` in aware UTC."""

    start: datetime
    end: datetime
    summary: str
    all_day: bool = False


@dataclass(slots=True)
class ImportResult:
    busy: list[BusyBlock]
    """Sorted by start (then end); overlapping blocks are not merged."""
    problems: list[str]
    """Human-readable notes on what could not be read, grouped and capped at ``MAX_PROBLEMS`` lines."""
    event_count: int
    """VEVENT components in the file (each overridden instance counts as one), including those outside the range."""
    skipped_count: int
    """VEVENT components that could not be read and were left out (see ``problems``). Events that plainly lie
    outside the range are not read at all, so their flaws are neither counted nor reported."""


class CalendarImportError(Exception):
    """The upload as a whole cannot be used; ``message`` is meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------------------------------------ problems


@dataclass(frozen=True, slots=True)
class _Reason:
    single: str  # "Skipped event 'X': <single>"
    plural: str  # "Skipped 3 events <plural>"


_NO_START = _Reason("no start time", "without a start time")
_TOO_FREQUENT = _Reason("it repeats too often to import", "that repeat too often to import")
_TOO_MANY_DATES = _Reason("too many extra or excluded dates", "with too many extra or excluded dates")
_UNREADABLE = _Reason("it could not be read", "that could not be read")


def _unreadable(what: str) -> _Reason:
    return _Reason(f"unreadable {what}", f"with an unreadable {what}")


def _unknown_tz(name: str) -> _Reason:
    shown = _clean_text(name, _LABEL_MAX_CHARS)
    return _Reason(f"unknown time zone {shown!r}", f"with an unknown time zone {shown!r}")


class _Skip(Exception):
    def __init__(self, reason: _Reason) -> None:
        super().__init__(reason.single)
        self.reason = reason


class _Problems:
    """Collects problems in the order they are first seen and renders them grouped."""

    def __init__(self) -> None:
        self._skipped: dict[_Reason, list[str]] = {}
        self._ignored_rules: list[str] = []
        self._notes: list[str] = []
        self._order: list[tuple[str, Any]] = []
        self.skipped_count = 0

    def skip(self, reason: _Reason, labels: Sequence[str]) -> None:
        if reason not in self._skipped:
            self._skipped[reason] = []
            self._order.append(("skip", reason))
        self._skipped[reason].extend(labels)
        self.skipped_count += len(labels)

    def ignored_rule(self, label: str) -> None:
        if not self._ignored_rules:
            self._order.append(("rule", None))
        self._ignored_rules.append(label)

    def note(self, message: str) -> None:
        if message not in self._notes:
            self._notes.append(message)
            self._order.append(("note", message))

    def render(self) -> list[str]:
        lines: list[str] = []
        for kind, key in self._order:
            if kind == "skip":
                labels = self._skipped[key]
                if len(labels) == 1:
                    lines.append(f"Skipped event {labels[0]!r}: {key.single}")
                else:
                    lines.append(f"Skipped {len(labels)} events {key.plural} (e.g. {_examples(labels)})")
            elif kind == "rule":
                labels = self._ignored_rules
                if len(labels) == 1:
                    lines.append(f"Ignored the repeat rule of {labels[0]!r}: it never produces a date")
                else:
                    lines.append(
                        f"Ignored the repeat rules of {len(labels)} events that never produce a date "
                        f"(e.g. {_examples(labels)})"
                    )
            else:
                lines.append(key)
        if len(lines) > MAX_PROBLEMS:
            hidden = len(lines) - (MAX_PROBLEMS - 1)
            lines = [*lines[: MAX_PROBLEMS - 1], f"... and {hidden} more problems"]
        return lines


def _examples(labels: Sequence[str]) -> str:
    unique = list(dict.fromkeys(labels))
    return ", ".join(repr(label) for label in unique[:3]) + (", ..." if len(unique) > 3 else "")


# ------------------------------------------------------------------------------------------- entry point


def parse_busy_times(
    data: bytes,
    range_start: datetime,
    range_end: datetime,
    default_tz: str,
    *,
    owner_email: str | None = None,
) -> ImportResult:
    """Read an .ics export and return its busy intervals overlapping ``[range_start, range_end)``.

    ``default_tz`` is the interviewer's IANA zone, used for all-day events and floating times.
    ``owner_email`` identifies the interviewer among ATTENDEEs so that meetings they declined do not block.

    Raises :class:`CalendarImportError` for anything that is not a readable iCalendar file (too large, empty,
    another format, broken structure, non-Gregorian calendar, more than ``MAX_EVENTS`` events to read, too
    complex to read within ``MAX_PROCESSING_SECONDS``). Bad arguments
    (naive or reversed range, a range longer than ``MAX_RANGE``, unknown ``default_tz``) raise ``ValueError``.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("data must be the uploaded file's bytes")
    started = _time.thread_time()
    start_utc, end_utc = timeutil.as_utc(range_start), timeutil.as_utc(range_end)
    if end_utc <= start_utc:
        raise ValueError("range_end must be after range_start")
    if end_utc - start_utc > MAX_RANGE:
        raise ValueError(f"the range may be at most {MAX_RANGE.days} days long")
    default_zone = timeutil.get_zone(default_tz)  # InvalidTimeZone (a ValueError) for an unknown name

    if len(data) > MAX_ICS_BYTES:
        raise CalendarImportError(
            f"This file is too large ({len(data) / 1024 / 1024:.1f} MB); "
            f"calendar files up to {MAX_ICS_BYTES // (1024 * 1024)} MB can be imported."
        )
    window = ((start_utc - _QUERY_PADDING).date(), (end_utc + _QUERY_PADDING).date())
    text, outside = _slim(_decode(bytes(data)), owner_email=owner_email, window=window)
    calendars = _parse(text)
    reader = _Reader(start_utc, end_utc, default_tz, default_zone, owner_email, started)
    return reader.read(calendars, outside)


# -------------------------------------------------------------------------------------- bytes to calendar


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
    ``MAX_EVENTS`` remaining VEVENTs raise :class:`CalendarImportError` before any parsing.
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
                    if kept > MAX_EVENTS:
                        raise CalendarImportError(
                            f"This calendar has more than {MAX_EVENTS:,} events in or near this period "
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


# ----------------------------------------------------------------------------------------------- helpers

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _clean_text(value: object, limit: int) -> str:
    text = " ".join(_CONTROL_RE.sub(" ", str(value)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _is_datetime(value: object) -> bool:
    return isinstance(value, datetime)


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


# ------------------------------------------------------------------------------------------ the reader


@dataclass(frozen=True, slots=True)
class _Info:
    """What an event (or one overridden instance) means for busy time."""

    blocks: bool
    summary: str


class _EventAdapter(EventAdapter):
    """The library's VEVENT adapter, carrying our per-component info through expansion."""

    def __init__(self, component: Any, info: _Info) -> None:
        super().__init__(component)
        self.info = info


class _Occurrence(Occurrence):
    def __init__(self, adapter: _EventAdapter, start: Any = None, end: Any = None, sequence: int = -1) -> None:
        super().__init__(adapter, start, end, sequence)
        self.info = adapter.info


class _Series(Series):
    def occurrence(self, adapter: Any, start: Any = None, end: Any = None) -> Occurrence:
        return _Occurrence(adapter, start, end)


@dataclass(slots=True)
class _Prepared:
    adapter: _EventAdapter
    label: str
    recurring: bool


class _Reader:
    def __init__(
        self,
        start: datetime,
        end: datetime,
        default_tz: str,
        default_zone: tzinfo,
        owner_email: str | None,
        started: float | None = None,
    ) -> None:
        self.start = start
        self.end = end
        self.query_start = start - _QUERY_PADDING
        self.query_end = end + _QUERY_PADDING
        self.default_tz = default_tz
        self.default_zone = default_zone
        self.owner = _normalise_email(owner_email) if owner_email else None
        self.problems = _Problems()
        self.deadline = (_time.thread_time() if started is None else started) + MAX_PROCESSING_SECONDS
        self._zones: dict[str, tzinfo | None] = {}
        self._tz_components: dict[str, Any] = {}
        self._custom_zones = 0
        self._xwr_zone: str | None = None

    # ------------------------------------------------------------------------------------------ driver

    def read(self, calendars: list[Calendar], outside: int = 0) -> ImportResult:
        """Read the parsed calendars; ``outside`` VEVENTs were already dropped as lying outside the range."""
        self._check_deadline()
        groups: dict[str, list[_Prepared]] = {}
        event_count = outside
        for calendar in calendars:
            for component in calendar.subcomponents:
                if component.name == _TZ_COMPONENT and "TZID" in component:
                    self._tz_components.setdefault(str(component["TZID"]), component)
        for calendar in calendars:
            xwr = str(calendar.get("X-WR-TIMEZONE", "")).strip()
            self._xwr_zone = xwr if timeutil.is_valid_timezone(xwr) else None
            for event in calendar.walk("VEVENT"):
                event_count += 1
                self._check_deadline()
                prepared = self._prepare(event, event_count)
                if prepared is not None:
                    groups.setdefault(str(prepared.adapter.uid), []).append(prepared)

        busy: list[BusyBlock] = []
        for group in groups.values():
            self._check_deadline()
            if not any(p.adapter.info.blocks for p in group):
                continue  # nothing in this series blocks time, however it repeats
            try:
                blocks = self._expand(group)
            except _Skip as skip:
                self.problems.skip(skip.reason, [p.label for p in group])
                continue
            except Exception:  # the library on untrusted data: report the series, keep the rest
                self.problems.skip(_UNREADABLE, [p.label for p in group])
                continue
            if len(blocks) > MAX_OCCURRENCES_PER_EVENT:
                blocks = blocks[:MAX_OCCURRENCES_PER_EVENT]
                self.problems.note(
                    f"Only the first {MAX_OCCURRENCES_PER_EVENT:,} times of {group[0].label!r} "
                    "in this period were imported."
                )
            busy.extend(blocks)
            if len(busy) > MAX_BUSY_BLOCKS:
                busy = busy[:MAX_BUSY_BLOCKS]
                self.problems.note(
                    f"This calendar has more than {MAX_BUSY_BLOCKS:,} busy times in this period; "
                    "only part of it was imported."
                )
                break
        busy.sort(key=lambda b: (b.start, b.end, b.summary))
        return ImportResult(
            busy=busy,
            problems=self.problems.render(),
            event_count=event_count,
            skipped_count=self.problems.skipped_count,
        )

    def _check_deadline(self) -> None:
        if _time.thread_time() > self.deadline:
            raise CalendarImportError(
                f"This calendar is too complex to import: reading it took longer than "
                f"{MAX_PROCESSING_SECONDS:g} seconds."
            )

    # ------------------------------------------------------------------------------- expand one series

    def _expand(self, group: list[_Prepared]) -> list[BusyBlock]:
        if len(group) == 1 and not group[0].recurring:
            # A single event: its one occurrence is the adapter's own span; no series to build.
            adapter = group[0].adapter
            block = self._block(adapter.info, adapter.start, adapter.end)
            return [block] if block is not None else []
        series = _Series([p.adapter for p in group])
        blocks: list[BusyBlock] = []
        for occurrence in islice(series.between(self.query_start, self.query_end), MAX_OCCURRENCES_PER_EVENT * 2 + 1):
            if occurrence.info.blocks:
                block = self._block(occurrence.info, occurrence.start, occurrence.end)
                if block is not None:
                    blocks.append(block)
        return blocks

    def _block(self, info: _Info, start: date | datetime, end: date | datetime) -> BusyBlock | None:
        if not info.blocks:
            return None
        all_day = not _is_datetime(start)
        if all_day and not _is_datetime(end) and end <= start:
            end = start + timedelta(days=1)  # an all-day event is at least its own day
        start_utc, end_utc = self._to_utc(start), self._to_utc(end)
        if end_utc < start_utc:
            start_utc, end_utc = end_utc, start_utc
        start_utc, end_utc = max(start_utc, self.start), min(end_utc, self.end)
        if end_utc <= start_utc:
            return None  # outside the range, or zero length
        return BusyBlock(start_utc, end_utc, info.summary, all_day)

    def _to_utc(self, value: date | datetime) -> datetime:
        if _is_datetime(value):
            if value.tzinfo is None:  # only from a DATE start with a sub-day DURATION
                return timeutil.local_to_utc(value.date(), value.time(), self.default_tz)
            return timeutil.as_utc(value)
        return timeutil.local_to_utc(value, time(0), self.default_tz)

    # -------------------------------------------------------------------------------- prepare one event

    def _prepare(self, event: Any, index: int) -> _Prepared | None:
        label = "(unreadable event)"
        try:
            info = self._info(event)
            label = _clean_text(info.summary, _LABEL_MAX_CHARS)
            recurring = self._normalise(event, label)
            if not event.get("UID"):
                event["UID"] = f"coordinator-no-uid-{index}"
            adapter = _EventAdapter(event, info)
            if not recurring:
                _ = adapter.start, adapter.end  # computed here so a bad value is reported per event
        except _Skip as skip:
            self.problems.skip(skip.reason, [label])
            return None
        except Exception:  # icalendar/dateutil on untrusted values
            self.problems.skip(_UNREADABLE, [label])
            return None
        return _Prepared(adapter, label, recurring)

    def _info(self, event: Any) -> _Info:
        if _words(event, "CLASS") & {"PRIVATE", "CONFIDENTIAL"}:
            summary = PRIVATE_SUMMARY
        else:
            summaries = _as_list(event.get("SUMMARY"))
            summary = _clean_text(summaries[0] if summaries else "", SUMMARY_MAX_CHARS) or PRIVATE_SUMMARY
        busy_status = _words(event, "X-MICROSOFT-CDO-BUSYSTATUS")
        if busy_status:
            blocks = not busy_status <= {"FREE", "WORKINGELSEWHERE"}
        else:
            blocks = "TRANSPARENT" not in _words(event, "TRANSP")
        if "CANCELLED" in _words(event, "STATUS") or self._declined(event):
            blocks = False
        return _Info(blocks, summary)

    def _declined(self, event: Any) -> bool:
        if self.owner is None:
            return False
        for attendee in _as_list(event.get("ATTENDEE")):
            params = getattr(attendee, "params", {})
            addresses = {_normalise_email(str(attendee)), _normalise_email(str(params.get("EMAIL", "")))}
            if self.owner in addresses:
                return str(params.get("PARTSTAT", "")).strip().upper() == "DECLINED"
        return False

    def _normalise(self, event: Any, label: str) -> bool:
        """Give every time value its real zone and check the repeat rules. Returns whether it repeats."""
        for name, what in (
            ("DTSTART", "start time"),
            ("DTEND", "end time"),
            ("DURATION", "duration"),
            ("RECURRENCE-ID", "recurrence id"),
            ("RRULE", "repeat rule"),
            ("RDATE", "repeat dates"),
            ("EXDATE", "excluded dates"),
        ):
            values = _as_list(event.get(name))
            if any(isinstance(v, vBroken) for v in values) or len(values) > (1 if name in _SINGLE else 10_000):
                raise _Skip(_unreadable(what))
        if event.get("DTSTART") is None:
            raise _Skip(_NO_START)
        for name, what in (("DTSTART", "start time"), ("DTEND", "end time"), ("RECURRENCE-ID", "recurrence id")):
            prop = event.get(name)
            if prop is None:
                continue
            value = prop.dt
            if not isinstance(value, date):
                raise _Skip(_unreadable(what))
            new = vDDDTypes(self._zoned(value, prop.params.get("TZID")))
            if "RANGE" in prop.params:
                new.params["RANGE"] = prop.params["RANGE"]
            event[name] = new
        duration = event.get("DURATION")
        if duration is not None and not isinstance(duration.dt, timedelta):
            raise _Skip(_unreadable("duration"))

        date_count = 0
        for name in ("RDATE", "EXDATE"):
            lists = _as_list(event.get(name))
            if not lists:
                continue
            values: list[Any] = []
            for dates in lists:
                tzid = dates.params.get("TZID")
                for item in dates.dts:
                    values.append(self._zoned_item(item.dt, tzid))
            date_count += len(values)
            if date_count > MAX_DATES_PER_EVENT:
                raise _Skip(_TOO_MANY_DATES)
            event[name] = vDDDLists(values)

        rules = _as_list(event.get("RRULE"))
        if rules:
            kept = self._check_rules(event, rules, label)
            if kept:
                event["RRULE"] = kept if len(kept) > 1 else kept[0]
            else:
                del event["RRULE"]
        return bool(event.get("RRULE") or event.get("RDATE") or event.get("RECURRENCE-ID"))

    # ---------------------------------------------------------------------------------------- time zones

    def _zoned_item(self, value: Any, tzid: str | None) -> Any:
        if isinstance(value, tuple):  # RDATE;VALUE=PERIOD: (start, end or duration)
            first, second = value
            if not isinstance(first, date):
                raise _Skip(_unreadable("repeat dates"))
            return (
                self._zoned(first, tzid),
                self._zoned(second, tzid) if isinstance(second, date) else second,
            )
        if not isinstance(value, date):
            raise _Skip(_unreadable("repeat dates"))
        return self._zoned(value, tzid)

    def _zoned(self, value: date, tzid: Any) -> date:
        """The same wall-clock value with the zone it is meant in; dates stay dates."""
        if not _is_datetime(value):
            return value
        assert isinstance(value, datetime)
        if tzid:
            zone = self._zone(str(tzid))
            if zone is not None:
                return value.replace(tzinfo=zone)
            if value.tzinfo is None:
                raise _Skip(_unknown_tz(str(tzid)))
            return value  # "...Z" with a TZID we do not know: the Z is unambiguous
        if value.tzinfo is None:
            return value.replace(tzinfo=self.default_zone)  # floating: the interviewer's wall clock
        if self._xwr_zone is not None:
            return timeutil.to_local(value, self._xwr_zone)  # UTC value in a Google calendar
        return value

    def _zone(self, tzid: str) -> tzinfo | None:
        if tzid not in self._zones:
            self._zones[tzid] = self._resolve_zone(tzid)
        return self._zones[tzid]

    def _resolve_zone(self, tzid: str) -> tzinfo | None:
        name = tzid.strip().strip('"').strip()
        cleaned = name.strip("/")
        candidates = [cleaned]
        if cleaned in WINDOWS_TO_OLSON:
            candidates.append(WINDOWS_TO_OLSON[cleaned])
        if name.startswith("/"):  # libical: /freeassociation.sourceforge.net/Tzfile/Europe/Berlin
            parts = cleaned.split("/")
            candidates.extend("/".join(parts[i:]) for i in range(1, len(parts)))
        for candidate in candidates:
            zone = _iana_zone(candidate)
            if zone is not None:
                return zone
        component = self._tz_components.get(tzid)
        if component is None:
            component = self._tz_components.get(name)
        if component is not None and self._custom_zones < MAX_CUSTOM_TIMEZONES:
            self._custom_zones += 1
            zone = _custom_zone(component)
            if zone is not None:
                return zone
        if cleaned.upper() in _UTC_ALIASES:
            return timeutil.get_zone("UTC")
        return None

    # -------------------------------------------------------------------------------------- repeat rules

    def _check_rules(self, event: Any, rules: list[Any], label: str) -> list[vRecur]:
        start = event["DTSTART"].dt
        duration = self._rough_duration(event)
        start_utc = self._to_utc(start)
        kept: list[vRecur] = []
        steps = 0
        in_range = sum(len(dates.dts) for dates in _as_list(event.get("RDATE")))
        for original in rules:
            rule = vRecur(original)  # a copy we may change
            if "FREQ" not in rule or str(rule["FREQ"][0]).upper() not in _FREQ_SECONDS:
                raise _Skip(_unreadable("repeat rule"))
            until = self._fix_until(rule, start)
            if start_utc > self.query_end:
                continue  # starts after the range: the rule cannot add anything inside it
            rule_steps, rule_in_range = _rule_load(rule, start_utc, until, self.query_start - duration, self.query_end)
            steps += rule_steps
            in_range += rule_in_range
            if steps > MAX_RRULE_STEPS or in_range > MAX_OCCURRENCES_PER_EVENT:
                raise _Skip(_TOO_FREQUENT)
            try:
                never = _never_fires(rule, start)
            except (ValueError, TypeError, OverflowError, KeyError, IndexError) as exc:
                raise _Skip(_unreadable("repeat rule")) from exc
            if never:
                self.problems.ignored_rule(label)
                continue
            kept.append(rule)
        return kept

    def _fix_until(self, rule: vRecur, start: date) -> datetime | None:
        """Make UNTIL unambiguous for the library and return it in UTC (None if absent)."""
        untils = rule.get("UNTIL")
        if not untils:
            return None
        if rule.get("COUNT"):
            # RFC 5545 forbids both and dateutil deprecates the pair. Keeping COUNT may add occurrences after
            # UNTIL, which errs on the side of busy, and keeps the number of occurrences bounded.
            del rule["UNTIL"]
            return None
        until = untils[0]
        if not _is_datetime(start):
            return self._to_utc(until if not _is_datetime(until) else until.date()) + timedelta(days=1)
        assert isinstance(start, datetime)
        if not _is_datetime(until):
            # A date: "up to and including that day" in the event's own zone.
            until = datetime.combine(until, time(23, 59, 59)).replace(tzinfo=start.tzinfo)
        elif until.tzinfo is None:
            until = until.replace(tzinfo=start.tzinfo)  # floating UNTIL: the event's wall clock
        until_utc = timeutil.as_utc(until)
        rule["UNTIL"] = [until_utc]
        return until_utc

    def _rough_duration(self, event: Any) -> timedelta:
        start = event["DTSTART"].dt
        end = event.get("DTEND")
        if end is not None and type(end.dt) is type(start):
            return abs(end.dt - start)
        duration = event.get("DURATION")
        if duration is not None:
            return abs(duration.dt)
        return timedelta(days=1)


_SINGLE = frozenset({"DTSTART", "DTEND", "DURATION", "RECURRENCE-ID"})


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

_FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
# dateutil's work per period relative to one DAILY step (measured: a yearly period costs ~25 daily ones).
_PERIOD_COST = {"YEARLY": 25, "MONTHLY": 4, "WEEKLY": 2}
_DAYS_PER_PERIOD = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}
_TIME_PARTS = {"SECONDLY": (), "MINUTELY": ("BYSECOND",), "HOURLY": ("BYMINUTE", "BYSECOND")}
_DAY_PARTS = ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "BYSETPOS")
_SPARSE_PARTS = frozenset({"BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYSETPOS"})


def _rule_load(
    rule: vRecur, start_utc: datetime, until_utc: datetime | None, window_start: datetime, window_end: datetime
) -> tuple[int, int]:
    """Upper estimates of (dateutil iterations from DTSTART to the window's end, occurrences in the window)."""
    freq = str(rule["FREQ"][0]).upper()
    interval = max(1, int(rule.get("INTERVAL", [1])[0]))
    times = math.prod(len(rule.get(part, [None])) for part in _TIME_PARTS.get(freq, ("BYHOUR", "BYMINUTE", "BYSECOND")))
    period = _FREQ_SECONDS[freq] * interval
    stop = window_end if until_utc is None else min(window_end, until_utc)
    periods = max(0.0, (stop - start_utc).total_seconds()) // period + 1
    steps = periods * _PERIOD_COST.get(freq, 1) * times
    span = max(0.0, (window_end - max(window_start, start_utc)).total_seconds())
    in_window = (span // period + 1) * times
    if freq in _DAYS_PER_PERIOD:
        in_window = min((span // period + 1) * _DAYS_PER_PERIOD[freq], span // 86400 + 1) * times
    count = rule.get("COUNT")
    if count and int(count[0]) > 0:  # the library drops a negative COUNT
        limit = int(count[0])
        in_window = min(in_window, limit)
        steps = min(steps, limit * _PERIOD_COST.get(freq, 1) * times)
    return int(steps), int(in_window)


def _never_fires(rule: vRecur, start: date) -> bool:
    """Whether a rule with limiting BYxxx parts can never produce a date (BYMONTH=2;BYMONTHDAY=30, or
    DAILY;INTERVAL=7;BYDAY=MO from a Tuesday). dateutil would look for one until the year 9999, which takes
    seconds per rule. (Impossible time parts such as HOURLY;INTERVAL=2;BYHOUR=5 dateutil rejects itself.)

    The rule is run from the same wall time moved forward by a multiple of 400 years (the Gregorian calendar,
    weekdays included, repeats every 400 years), so at most ~500 years are searched.
    """
    days = rule.get("BYDAY", [])
    weekly = str(rule["FREQ"][0]).upper() == "WEEKLY"
    limiting_days = days and (not weekly or any(any(c.isdigit() for c in str(day)) for day in days))
    if not (_SPARSE_PARTS & set(rule) or limiting_days):
        return False  # e.g. WEEKLY;BYDAY=MO,WE: every period has a date
    base = start if _is_datetime(start) else datetime.combine(start, time(0))
    assert isinstance(base, datetime)
    base = base.replace(tzinfo=None)
    shift = max(0, math.ceil((9500 - base.year) / 400)) * 400
    probe = vRecur({key: value for key, value in rule.items() if key not in ("COUNT", "UNTIL")})
    generator = rrulestr(probe.to_ical().decode(), dtstart=base.replace(year=base.year + shift))
    return next(iter(generator), None) is None
