"""Turn an interviewer's calendar export (.ics) into busy intervals for a date range.

Pure module: no Flask, no database. The one entry point is :func:`parse_busy_times`. The text reader (decoding,
unfolding, parsing) is `ics_text`; the limits that guard against hostile files, and the report of what was left
out, are `ics_limits`; this module holds the busy-time rules.

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

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import islice
from typing import Any

from icalendar import Calendar
from icalendar.prop import vBroken, vDDDLists, vDDDTypes, vRecur
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from recurring_ical_events import EventAdapter, Occurrence, Series

from coordinator import timeutil
from coordinator.availability import ics_limits as limits
from coordinator.availability.ics_limits import (
    _FREQ_SECONDS,
    _NO_START,
    _TOO_FREQUENT,
    _TOO_MANY_DATES,
    _UNREADABLE,
    MAX_ICS_BYTES,
    CalendarImportError,
    _is_datetime,
    _never_fires,
    _Problems,
    _Reason,
    _rule_load,
    _Skip,
    _unreadable,
)
from coordinator.availability.ics_text import (
    _TZ_COMPONENT,
    _UTC_ALIASES,
    _as_list,
    _clean_text,
    _custom_zone,
    _iana_zone,
    _logical_lines,
    _normalise_email,
    _parse,
    _parse_zones,
    _slim,
    _words,
)

__all__ = [
    "MAX_ICS_BYTES",
    "BusyBlock",
    "CalendarImportError",
    "ImportResult",
    "parse_busy_times",
]

SUMMARY_MAX_CHARS = 80
PRIVATE_SUMMARY = "Busy"

_LABEL_MAX_CHARS = 40
# Occurrences are selected from a range widened by this much, then clipped exactly: all-day and floating
# occurrences are compared in UTC inside the library, which can be off by up to a day.
_QUERY_PADDING = timedelta(days=2)


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class BusyBlock:
    """A half-open busy interval ``[start, end)`` in aware UTC."""

    start: datetime
    end: datetime
    summary: str
    all_day: bool = False
    uid: str = ""
    """The event's UID (live calendars map it back to the calendar object it came from)."""


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


def _unknown_tz(name: str) -> _Reason:
    shown = _clean_text(name, _LABEL_MAX_CHARS)
    return _Reason(f"unknown time zone {shown!r}", f"with an unknown time zone {shown!r}")


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
    deadline = limits.Deadline()
    start_utc, end_utc = timeutil.as_utc(range_start), timeutil.as_utc(range_end)
    if end_utc <= start_utc:
        raise ValueError("range_end must be after range_start")
    if end_utc - start_utc > limits.MAX_RANGE:
        raise ValueError(f"the range may be at most {limits.MAX_RANGE.days} days long")
    default_zone = timeutil.get_zone(default_tz)  # InvalidTimeZone (a ValueError) for an unknown name

    if len(data) > limits.MAX_ICS_BYTES:
        raise CalendarImportError(
            f"This file is too large ({len(data) / 1024 / 1024:.1f} MB); "
            f"calendar files up to {limits.MAX_ICS_BYTES // (1024 * 1024)} MB can be imported."
        )
    window = ((start_utc - _QUERY_PADDING).date(), (end_utc + _QUERY_PADDING).date())
    slimmed = _slim(_logical_lines(bytes(data), deadline), owner_email=owner_email, window=window, deadline=deadline)
    calendars = _parse(slimmed.batches, deadline)
    zones, unreadable_zones = _parse_zones(slimmed.zones, deadline)
    reader = _Reader(start_utc, end_utc, default_tz, default_zone, owner_email, deadline)
    for reason, label in slimmed.skipped:
        reader.problems.skip(reason, [label])
    for tzid in unreadable_zones:
        reader.problems.note(
            f"Skipped the time zone {_clean_text(tzid, _LABEL_MAX_CHARS)!r}: its definition could not be read."
        )
    for note in slimmed.notes:
        reader.problems.note(note)
    return reader.read(calendars, slimmed.outside + len(slimmed.skipped), zones)


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
        deadline: limits.Deadline | None = None,
    ) -> None:
        self.start = start
        self.end = end
        self.query_start = start - _QUERY_PADDING
        self.query_end = end + _QUERY_PADDING
        self.default_tz = default_tz
        self.default_zone = default_zone
        self.owner = _normalise_email(owner_email) if owner_email else None
        self.problems = _Problems()
        self.deadline = deadline or limits.Deadline()
        self._zones: dict[str, tzinfo | None] = {}
        self._tz_components: dict[str, Any] = {}
        self._custom_zones = 0
        self._xwr_zone: str | None = None

    # ------------------------------------------------------------------------------------------ driver

    def read(self, calendars: list[Calendar], outside: int = 0, zones: dict[str, Any] | None = None) -> ImportResult:
        """Read the parsed calendars; ``outside`` VEVENTs were already dropped as lying outside the range;
        ``zones`` are the file's own readable VTIMEZONE definitions by TZID."""
        self._check_deadline()
        groups: dict[str, list[_Prepared]] = {}
        event_count = outside
        self._tz_components.update(zones or {})
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
            except CalendarImportError:
                raise  # the time budget is spent: the whole import fails
            except Exception:  # the library on untrusted data: report the series, keep the rest
                self.problems.skip(_UNREADABLE, [p.label for p in group])
                continue
            if len(blocks) > limits.MAX_OCCURRENCES_PER_EVENT:
                blocks = blocks[:limits.MAX_OCCURRENCES_PER_EVENT]
                self.problems.note(
                    f"Only the first {limits.MAX_OCCURRENCES_PER_EVENT:,} times of {group[0].label!r} "
                    "in this period were imported."
                )
            busy.extend(blocks)
            if len(busy) > limits.MAX_BUSY_BLOCKS:
                busy = busy[:limits.MAX_BUSY_BLOCKS]
                self.problems.note(
                    f"This calendar has more than {limits.MAX_BUSY_BLOCKS:,} busy times in this period; "
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
        self.deadline.check()

    # ------------------------------------------------------------------------------- expand one series

    def _expand(self, group: list[_Prepared]) -> list[BusyBlock]:
        uid = str(group[0].adapter.uid)
        if len(group) == 1 and not group[0].recurring:
            # A single event: its one occurrence is the adapter's own span; no series to build.
            adapter = group[0].adapter
            block = self._block(adapter.info, adapter.start, adapter.end, uid)
            return [block] if block is not None else []
        series = _Series([p.adapter for p in group])
        blocks: list[BusyBlock] = []
        most = limits.MAX_OCCURRENCES_PER_EVENT * 2 + 1
        for occurrence in islice(series.between(self.query_start, self.query_end), most):
            self._check_deadline()
            if occurrence.info.blocks:
                block = self._block(occurrence.info, occurrence.start, occurrence.end, uid)
                if block is not None:
                    blocks.append(block)
        return blocks

    def _block(self, info: _Info, start: date | datetime, end: date | datetime, uid: str = "") -> BusyBlock | None:
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
        return BusyBlock(start_utc, end_utc, info.summary, all_day, uid)

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
            if date_count > limits.MAX_DATES_PER_EVENT:
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
        if component is not None and self._custom_zones < limits.MAX_CUSTOM_TIMEZONES:
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
            if steps > limits.MAX_RRULE_STEPS or in_range > limits.MAX_OCCURRENCES_PER_EVENT:
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
