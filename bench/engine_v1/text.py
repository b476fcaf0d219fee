"""Wording shared by the reasons and the placement checks, so every message reads the same way."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from coordinator import timeutil

__all__ = ["duration", "join_names", "local_clock", "plural", "short_day", "window_days", "with_weekday"]


def plural(n: int, word: str) -> str:
    """ "1 interview", "2 interviews"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def duration(minutes: int) -> str:
    """60 -> "60 minutes", 220 -> "3h 40m", 120 -> "2h": minutes up to 90, hours beyond."""
    if minutes == 1:
        return "1 minute"
    if minutes <= 90:
        return f"{minutes} minutes"
    h, m = divmod(minutes, 60)
    return f"{h}h {m}m" if m else f"{h}h"


def short_day(d: date) -> str:
    return f"{d.day} {d:%b}"


def with_weekday(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def window_days(start: datetime, end: datetime, tz: str) -> str:
    """Wording "between 27 Nov and 4 Dec" for a window, in the given zone's calendar (end is exclusive)."""
    first = timeutil.to_local(start, tz).date()
    last = timeutil.to_local(end - timedelta(microseconds=1), tz).date()
    if first == last:
        return f"on {short_day(first)}"
    return f"between {short_day(first)} and {short_day(last)}"


def local_clock(dt: datetime, tz: str) -> str:
    """Wording "Tue 1 Dec 14:30" in the person's own zone."""
    loc = timeutil.to_local(dt, tz)
    return f"{with_weekday(loc.date())} {loc:%H:%M}"


def join_names(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
