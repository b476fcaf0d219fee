"""Availability rules: busy times (entered by hand or imported from a calendar file), load limits and buffers,
and the windows in which a candidate can interview. No request objects here; services flush, the caller commits.

The scheduling code reads availability through :func:`busy_blocks_for` and :func:`candidate_windows_for`, which
return plain :class:`coordinator.scheduling.Interval` values (UTC, half-open, overlapping ones not merged: the
engine merges them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, insert, select

from coordinator import timeutil
from coordinator.auth.models import User
from coordinator.availability import calendar_import
from coordinator.availability.calendar_import import CalendarImportError, ImportResult
from coordinator.availability.models import BusyBlock, CalendarImport, CandidateWindow
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.scheduling import Interval

__all__ = [
    "IMPORT_WEEKS",
    "LIMIT_RANGES",
    "MAX_BLOCK_LENGTH",
    "SHOW_WEEKS",
    "AvailabilityError",
    "LoadLimits",
    "add_candidate_window",
    "add_manual_block",
    "blocks_between",
    "busy_blocks_for",
    "busy_with_sources",
    "calendar_import_of",
    "candidate_windows_for",
    "clean_filename",
    "delete_candidate_window",
    "delete_manual_block",
    "import_range",
    "local_span",
    "CalendarReading",
    "read_calendar_file",
    "remove_import",
    "replace_import",
    "set_load_limits",
    "upcoming_candidate_windows",
]

SHOW_WEEKS = 4
"""How far ahead the availability page lists busy times."""
IMPORT_WEEKS = 12
"""How far ahead a calendar import reads: from today (the owner's day) for this many weeks."""
MAX_BLOCK_LENGTH = timedelta(days=14)
"""The longest busy time entered by hand (a two-week holiday)."""
MAX_WINDOW_LENGTH = timedelta(days=1)
"""The longest candidate window."""
MAX_AHEAD = timedelta(days=2 * 366)
"""How far ahead busy times and windows may be entered."""
MANUAL = "manual"
IMPORT = "import"
SUMMARY_MAX_CHARS = 200
FILENAME_MAX_CHARS = 120

#: (lowest, highest, default) per load-limit field
LIMIT_RANGES: dict[str, tuple[int, int, int]] = {
    "max_per_day": (1, 8, 2),
    "max_per_week": (1, 25, 5),
    "buffer_before_min": (0, 60, 0),
    "buffer_after_min": (0, 60, 0),
}


class AvailabilityError(ValueError):
    """A rule about availability was broken; `field` names the form field to show it on."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- reading, for the scheduler -------------------------------------------------------------------------------


def busy_blocks_for(user_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, list[Interval]]:
    """Every busy block (manual and imported) of these people that overlaps [start, end), in one query.

    Each asked-for id gets a key, with an empty list when the person has nothing in the range. Blocks are sorted
    by start and returned whole (not clipped to the range, not merged).
    """
    ids = sorted({int(i) for i in user_ids})
    result: dict[int, list[Interval]] = {i: [] for i in ids}
    if not ids:
        return result
    start, end = timeutil.as_utc(start), timeutil.as_utc(end)
    rows = db.session.execute(
        select(BusyBlock.user_id, BusyBlock.start_dt, BusyBlock.end_dt)
        .where(BusyBlock.user_id.in_(ids), BusyBlock.start_dt < end, BusyBlock.end_dt > start)
        .order_by(BusyBlock.user_id, BusyBlock.start_dt, BusyBlock.end_dt)
    ).all()
    for user_id, start_dt, end_dt in rows:
        result[user_id].append(Interval(start_dt, end_dt))
    return result


def busy_with_sources(user_ids: Iterable[int], start: datetime, end: datetime
                      ) -> dict[int, list[tuple[datetime, datetime, str]]]:
    """Like :func:`busy_blocks_for`, with each block's source ('manual', 'import', 'caldav'), for the pages that
    name where a busy time comes from (never its title: that is the owner's)."""
    ids = sorted({int(i) for i in user_ids})
    result: dict[int, list[tuple[datetime, datetime, str]]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(BusyBlock.user_id, BusyBlock.start_dt, BusyBlock.end_dt, BusyBlock.source)
        .where(BusyBlock.user_id.in_(ids), BusyBlock.start_dt < timeutil.as_utc(end),
               BusyBlock.end_dt > timeutil.as_utc(start))
        .order_by(BusyBlock.user_id, BusyBlock.start_dt, BusyBlock.end_dt)
    ).all()
    for user_id, start_dt, end_dt, source in rows:
        result[user_id].append((start_dt, end_dt, source))
    return result


def candidate_windows_for(candidate_id: int, start: datetime, end: datetime) -> list[Interval]:
    """The candidate's windows that overlap [start, end), sorted, whole (not clipped)."""
    start, end = timeutil.as_utc(start), timeutil.as_utc(end)
    rows = db.session.execute(
        select(CandidateWindow.start_dt, CandidateWindow.end_dt)
        .where(CandidateWindow.candidate_id == candidate_id, CandidateWindow.start_dt < end,
               CandidateWindow.end_dt > start)
        .order_by(CandidateWindow.start_dt, CandidateWindow.end_dt)
    ).all()
    return [Interval(s, e) for s, e in rows]


# --- reading, for the pages -----------------------------------------------------------------------------------


def blocks_between(user: User, start: datetime, end: datetime) -> list[BusyBlock]:
    """The person's busy-block rows overlapping [start, end), by start."""
    return list(db.session.scalars(
        select(BusyBlock)
        .where(BusyBlock.user_id == user.id, BusyBlock.start_dt < timeutil.as_utc(end),
               BusyBlock.end_dt > timeutil.as_utc(start))
        .order_by(BusyBlock.start_dt, BusyBlock.end_dt, BusyBlock.id)
    ))


def calendar_import_of(user: User) -> CalendarImport | None:
    return db.session.scalar(select(CalendarImport).where(CalendarImport.user_id == user.id))


def upcoming_candidate_windows(candidate: Candidate) -> list[CandidateWindow]:
    """The candidate's windows that have not ended yet, by start."""
    return list(db.session.scalars(
        select(CandidateWindow)
        .where(CandidateWindow.candidate_id == candidate.id, CandidateWindow.end_dt > timeutil.now_utc())
        .order_by(CandidateWindow.start_dt, CandidateWindow.end_dt)
    ))


# --- local times ----------------------------------------------------------------------------------------------


def local_span(first_day: date, start: time | None, last_day: date | None, end: time | None, tz: str,
               all_day: bool = False) -> tuple[datetime, datetime]:
    """The UTC instants of a span entered as wall-clock times in a zone.

    ``all_day`` spans cover whole local days from ``first_day`` to ``last_day`` inclusive (23 to 25 hours each
    around daylight-saving changes). Otherwise the span runs from ``start`` on ``first_day`` to ``end`` on
    ``last_day`` (the same day when None). A wall-clock time skipped when clocks go forward resolves forward, a
    repeated one to its first occurrence (see :func:`coordinator.timeutil.local_to_utc`).
    """
    last_day = last_day or first_day
    if last_day < first_day:
        raise AvailabilityError("The last day must not be before the first day.", "until")
    if not all_day and start is None:
        raise AvailabilityError("Give a start time, or tick “All day”.", "start")
    if not all_day and end is None:
        raise AvailabilityError("Give an end time, or tick “All day”.", "end")
    try:
        if all_day:
            return timeutil.local_day_bounds(first_day, tz)[0], timeutil.local_day_bounds(last_day, tz)[1]
        assert start is not None and end is not None
        return timeutil.local_to_utc(first_day, start, tz), timeutil.local_to_utc(last_day, end, tz)
    except OverflowError as exc:  # year 1 or 9999: no such instant in UTC
        raise AvailabilityError("Choose a date within the next two years.", "day") from exc


def _check_span(start_dt: datetime, end_dt: datetime, longest: timedelta, what: str) -> None:
    if end_dt < start_dt:
        raise AvailabilityError("The end must be after the start.", "end")
    if end_dt == start_dt:
        raise AvailabilityError(
            "This time range is empty: the end is the same instant as the start "
            "(on a day when clocks go forward, a skipped hour does not exist).", "end")
    if end_dt - start_dt > longest:
        days = longest.days
        raise AvailabilityError(f"{what} can be at most {days} day{'' if days == 1 else 's'} long; "
                                "split longer ones in parts.", "end")
    now = timeutil.now_utc()
    if end_dt <= now:
        raise AvailabilityError("This time is already over; choose a time in the future.", "day")
    if start_dt > now + MAX_AHEAD:
        raise AvailabilityError("Choose a date within the next two years.", "day")


def _lock(model: type, ident: int) -> None:
    """Serialise writers of one person's (or candidate's) availability: on PostgreSQL a row lock, so that a
    double-clicked import or "add" cannot race into a unique-constraint error or a duplicate; SQLite already
    takes the write lock at the start of every writing transaction."""
    db.session.execute(select(model.id).where(model.id == ident).with_for_update())


# --- busy times entered by hand -------------------------------------------------------------------------------


def _clean_summary(text: str | None) -> str:
    cleaned = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text or "").split())
    return cleaned[:SUMMARY_MAX_CHARS] or "Busy"


def add_manual_block(user: User, start_dt: datetime, end_dt: datetime, summary: str = "Busy"
                     ) -> tuple[BusyBlock, bool]:
    """Add a busy time by hand. Returns (block, created): an identical manual block is not added twice.

    Overlapping blocks are allowed (the engine merges them). Raises AvailabilityError for a reversed or empty
    range, one longer than MAX_BLOCK_LENGTH, or one that is already over.
    """
    start_dt, end_dt = timeutil.as_utc(start_dt), timeutil.as_utc(end_dt)
    _check_span(start_dt, end_dt, MAX_BLOCK_LENGTH, "A busy time")
    _lock(User, user.id)
    existing = db.session.scalar(select(BusyBlock).where(
        BusyBlock.user_id == user.id, BusyBlock.source == MANUAL,
        BusyBlock.start_dt == start_dt, BusyBlock.end_dt == end_dt,
    ))
    if existing is not None:
        return existing, False
    block = BusyBlock(user_id=user.id, start_dt=start_dt, end_dt=end_dt, source=MANUAL,
                      summary=_clean_summary(summary))
    db.session.add(block)
    db.session.flush()
    return block, True


def delete_manual_block(user: User, block_id: int) -> bool:
    """Delete one of the person's manual busy times; False when there is no such block (imported blocks are
    replaced by the next import, not deleted one by one)."""
    block = db.session.get(BusyBlock, block_id)
    if block is None or block.user_id != user.id or block.source != MANUAL:
        return False
    db.session.delete(block)
    db.session.flush()
    return True


# --- calendar imports -----------------------------------------------------------------------------------------


def import_range(user: User, today: date | None = None) -> tuple[datetime, datetime]:
    """[start of today, start of today + IMPORT_WEEKS weeks), the days being the owner's."""
    today = today or timeutil.to_local(timeutil.now_utc(), user.timezone).date()
    return (timeutil.local_day_bounds(today, user.timezone)[0],
            timeutil.local_day_bounds(today + timedelta(weeks=IMPORT_WEEKS), user.timezone)[0])


@dataclass(frozen=True)
class CalendarReading:
    """What reading a person's calendar file needs to know about them, as plain values: the file is read with no
    database transaction open (the view ends it first), so nothing here may load from the database."""

    start: datetime
    end: datetime
    timezone: str
    email: str

    @classmethod
    def of(cls, user: User) -> CalendarReading:
        start, end = import_range(user)
        return cls(start, end, user.timezone, user.email)


def read_calendar_file(user: User | CalendarReading, data: bytes) -> ImportResult:
    """Read an uploaded calendar export for the import range. Changes nothing, and touches no database when given a
    `CalendarReading` (which the view takes before it ends its transaction for the read).

    Raises AvailabilityError (on the ``calendar_file`` field) for an empty, too large or unreadable file.
    """
    reading = user if isinstance(user, CalendarReading) else CalendarReading.of(user)
    if not data:
        raise AvailabilityError("This file is empty. Export your calendar again and choose the .ics file.",
                                "calendar_file")
    limit = calendar_import.MAX_ICS_BYTES
    if len(data) > limit:
        raise AvailabilityError(f"This file is too large; calendar files up to {limit / 1024 / 1024:.0f} MB "
                                "can be imported. Export a shorter period.", "calendar_file")
    if data.startswith(b"PK\x03\x04"):
        raise AvailabilityError("This is a ZIP archive (Google Calendar exports one). Unzip it and choose the "
                                ".ics file of your calendar.", "calendar_file")
    try:
        return calendar_import.parse_busy_times(data, reading.start, reading.end, reading.timezone,
                                                owner_email=reading.email)
    except CalendarImportError as exc:
        raise AvailabilityError(exc.message, "calendar_file") from exc


def clean_filename(name: str | None) -> str:
    """The uploaded file's base name, one line, at most FILENAME_MAX_CHARS; shown back to people only."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", base).split())
    if len(base) > FILENAME_MAX_CHARS:
        stem, dot, ext = base.rpartition(".")
        keep = ("." + ext) if dot and len(ext) <= 10 else ""
        base = base[: FILENAME_MAX_CHARS - len(keep) - 1].rstrip() + "\u2026" + keep
    return base or "calendar.ics"


def replace_import(user: User, result: ImportResult, filename: str | None) -> CalendarImport:
    """Replace the person's imported busy blocks with these and record the import (one per person).

    Manual blocks stay. Everything happens in the caller's transaction, so the old import survives unless the
    caller commits.
    """
    _lock(User, user.id)
    db.session.execute(delete(BusyBlock).where(BusyBlock.user_id == user.id, BusyBlock.source == IMPORT))
    rows = [
        {"user_id": user.id, "start_dt": b.start, "end_dt": b.end, "source": IMPORT,
         "summary": _clean_summary(b.summary)}
        for b in result.busy if b.end > b.start
    ]
    if rows:
        db.session.execute(insert(BusyBlock), rows)
    record = calendar_import_of(user)
    if record is None:
        record = CalendarImport(user_id=user.id)
        db.session.add(record)
    record.filename = clean_filename(filename)
    record.imported_dt = timeutil.now_utc()
    record.event_count = result.event_count
    record.block_count = len(rows)
    record.problems = "\n".join(result.problems)
    db.session.flush()
    return record


def remove_import(user: User) -> int:
    """Delete the imported busy blocks and the import record; returns how many blocks went."""
    _lock(User, user.id)
    removed = db.session.execute(
        delete(BusyBlock).where(BusyBlock.user_id == user.id, BusyBlock.source == IMPORT)
    ).rowcount or 0
    db.session.execute(delete(CalendarImport).where(CalendarImport.user_id == user.id))
    db.session.flush()
    return removed


# --- load limits and buffers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadLimits:
    max_per_day: int
    max_per_week: int
    buffer_before_min: int
    buffer_after_min: int


def set_load_limits(user: User, limits: LoadLimits) -> None:
    """Set how many interviews a day and a week the person takes and the minutes kept free around each."""
    for name, (low, high, _default) in LIMIT_RANGES.items():
        value = getattr(limits, name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise AvailabilityError(f"Choose a number from {low} to {high}.", name)
    user.max_interviews_per_day = limits.max_per_day
    user.max_interviews_per_week = limits.max_per_week
    user.buffer_before_min = limits.buffer_before_min
    user.buffer_after_min = limits.buffer_after_min
    db.session.flush()


# --- candidate windows ----------------------------------------------------------------------------------------


def add_candidate_window(candidate: Candidate, start_dt: datetime, end_dt: datetime, source: str = "recruiter"
                         ) -> tuple[CandidateWindow, bool]:
    """Add a time the candidate can interview. Returns (window, created); an identical window is not added
    twice. Raises AvailabilityError for a reversed, empty, over-long or past window."""
    start_dt, end_dt = timeutil.as_utc(start_dt), timeutil.as_utc(end_dt)
    _check_span(start_dt, end_dt, MAX_WINDOW_LENGTH, "A window")
    _lock(Candidate, candidate.id)
    existing = db.session.scalar(select(CandidateWindow).where(
        CandidateWindow.candidate_id == candidate.id,
        CandidateWindow.start_dt == start_dt, CandidateWindow.end_dt == end_dt,
    ))
    if existing is not None:
        return existing, False
    window = CandidateWindow(candidate_id=candidate.id, start_dt=start_dt, end_dt=end_dt, source=source)
    db.session.add(window)
    db.session.flush()
    return window, True


def delete_candidate_window(candidate: Candidate, window_id: int) -> bool:
    window = db.session.get(CandidateWindow, window_id)
    if window is None or window.candidate_id != candidate.id:
        return False
    db.session.delete(window)
    db.session.flush()
    return True
