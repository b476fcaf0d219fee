"""Small builders for scheduling tests: readable calendars and requests in a line or two."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from coordinator import timeutil
from coordinator.scheduling import (
    CandidateAvailability,
    Interval,
    InterviewerCalendar,
    LoopRequest,
    SessionSpec,
    office_hours,
    window_from_dates,
)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def local(y: int, mo: int, d: int, h: int, mi: int, tz: str) -> datetime:
    """A wall-clock time in a zone, as a UTC instant (through timeutil, like the app does)."""
    return timeutil.local_to_utc(date(y, mo, d), time(h, mi), tz)


def span(start: datetime, minutes: int) -> Interval:
    return Interval(start, start + timedelta(minutes=minutes))


def person(
    pid: int,
    name: str,
    tz: str = "Europe/Berlin",
    hours: tuple[time, time] = (time(9), time(17)),
    **kw,
) -> InterviewerCalendar:
    return InterviewerCalendar(pid, name, tz, office_hours(*hours), **kw)


def one(title: str, duration: int, *ids: int, pool: tuple[int, ...] = (), **kw) -> SessionSpec:
    return SessionSpec(title, "one_on_one", duration, tuple(ids), pool, **kw)


def panel(title: str, duration: int, *ids: int, **kw) -> SessionSpec:
    return SessionSpec(title, "panel", duration, tuple(ids), **kw)


def loop(
    sessions: list[SessionSpec],
    first: date,
    last: date,
    tz: str = "Europe/Berlin",
    windows: list[Interval] | None = None,
    **kw,
) -> LoopRequest:
    start, end = window_from_dates(first, last, tz)
    return LoopRequest(
        sessions=tuple(sessions),
        candidate=CandidateAvailability(tz, windows),
        window_start=start,
        window_end=end,
        **kw,
    )
