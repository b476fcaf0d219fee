"""The rules that guard the calendar import against hostile or broken files: how large a file, how long a range,
how many events, occurrences and busy times, how much CPU time, which repeat rules are too costly to expand; and
how what was left out is reported (grouped, capped). Pure: no Flask, no database.

The reader (`calendar_import`) and the text reader (`ics_text`) read these limits as attributes of this module, so
a test can lower one with monkeypatch.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.rrule import rrulestr
from icalendar.prop import vRecur

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
MAX_LINES_PER_EVENT = 6_000
"""Kept (unfolded) lines of one VEVENT; more and the event is skipped before parsing (one event is parsed at once)."""
MAX_LINE_CHARS = 100_000
"""Longest kept line (RDATE/EXDATE lines are limited by their number of dates instead); longer: the event is skipped."""
MAX_ZONE_DEFINITIONS = 50
"""Distinct VTIMEZONE definitions read from one file; later ones are ignored (and the import says so)."""
MAX_PROCESSING_SECONDS = 4.0
"""CPU-time budget of one import (this thread's). It is checked all along the way (while lines are unfolded and
decoded, between batches of parsed events, per event and per occurrence), so a file is refused soon after the
budget is spent instead of after it has been read; past it the import fails instead of returning a partial
result."""
MAX_WALL_SECONDS = 4.5
"""Wall-clock ceiling of one import, checked at the same points: the upload is answered (a 400 with a reason)
well within the 5 seconds promised and long before gunicorn's 30-second worker timeout, even on a busy host."""
MAX_PROBLEMS = 20


class CalendarImportError(Exception):
    """The upload as a whole cannot be used; ``message`` is meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Deadline:
    """The time budget of one import; `check()` is cheap enough to call every few thousand lines or per event."""

    def __init__(self, started_cpu: float | None = None) -> None:
        self.cpu_until = (_time.thread_time() if started_cpu is None else started_cpu) + MAX_PROCESSING_SECONDS
        self.wall_until = _time.monotonic() + MAX_WALL_SECONDS

    def check(self) -> None:
        """Raise CalendarImportError once either budget is spent."""
        if _time.thread_time() > self.cpu_until or _time.monotonic() > self.wall_until:
            raise CalendarImportError(
                f"This calendar is too complex to import: reading it took longer than "
                f"{MAX_PROCESSING_SECONDS:g} seconds. Export a shorter period and try again."
            )


# ------------------------------------------------------------------------------------------------ problems


@dataclass(frozen=True, slots=True)
class _Reason:
    single: str  # "Skipped event 'X': <single>"
    plural: str  # "Skipped 3 events <plural>"


_NO_START = _Reason("no start time", "without a start time")
_TOO_FREQUENT = _Reason("it repeats too often to import", "that repeat too often to import")
_TOO_MANY_DATES = _Reason("too many extra or excluded dates", "with too many extra or excluded dates")
_UNREADABLE = _Reason("it could not be read", "that could not be read")
_TOO_LARGE = _Reason("it is too large to read", "that are too large to read")


def _unreadable(what: str) -> _Reason:
    return _Reason(f"unreadable {what}", f"with an unreadable {what}")


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


def _is_datetime(value: object) -> bool:
    return isinstance(value, datetime)


# ------------------------------------------------------------------------------------------- repeat rules

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
