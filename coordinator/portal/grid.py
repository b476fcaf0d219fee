"""The candidate's availability on their page: the zone they read times in, the days they may mark, the week
grid of half-hours in their zone, and saving the marks as ``CandidateWindow(source='candidate')`` rows in UTC,
which the recruiter's find-times reads at once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from coordinator import timeutil
from coordinator.audit.services import record as audit
from coordinator.auth.models import User
from coordinator.availability import services as availability
from coordinator.availability.models import CandidateWindow
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.loops import services as loops
from coordinator.loops.models import Loop
from coordinator.portal.access import PortalError
from coordinator.scheduling import window_from_dates
from coordinator.timeutil import format_clock, format_day, format_days, now_utc

# --- time zones ----------------------------------------------------------------------------------------------------

# Browsers report some zones by their old names (Chromium: Asia/Calcutta); show people the current ones.
_CURRENT_NAMES = {
    "Asia/Calcutta": "Asia/Kolkata", "Asia/Saigon": "Asia/Ho_Chi_Minh", "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon", "Europe/Kiev": "Europe/Kyiv", "America/Buenos_Aires":
    "America/Argentina/Buenos_Aires", "Atlantic/Faeroe": "Atlantic/Faroe", "Pacific/Truk": "Pacific/Chuuk",
    "America/Godthab": "America/Nuuk", "Asia/Dacca": "Asia/Dhaka", "Asia/Thimbu": "Asia/Thimphu",
    "Asia/Ulan_Bator": "Asia/Ulaanbaatar", "Africa/Asmera": "Africa/Asmara", "Etc/UTC": "UTC",
}


def clean_zone(name: str | None) -> str | None:
    """The IANA zone for a name a browser or form sent, or None when there is no such zone."""
    name = (name or "").strip()
    name = _CURRENT_NAMES.get(name, name)
    return name if timeutil.is_valid_timezone(name) else None


def require_zone(name: str | None) -> str:
    zone = clean_zone(name)
    if zone is None:
        shown = (name or "").strip()[:64]
        raise PortalError(f"We do not know the time zone “{shown}”. Choose yours from the list." if shown
                          else "Choose your time zone from the list.", "tz")
    return zone


# --- availability --------------------------------------------------------------------------------------------------

SLOT = timedelta(minutes=30)
_SLOT_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$")
MAX_SLOTS = 50 * 48  # more than any range holds


@dataclass(frozen=True)
class DateRange:
    """The instants the candidate may mark or book: [start, end), from the loop's days (candidate's zone)."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date


def date_range(loop: Loop, tz: str | None = None) -> DateRange:
    """The days the candidate may mark or book, from now on: the recruiter's days (else the next two weeks),
    read as days in ``tz``, the zone the candidate sees (their zone on record by default)."""
    tz = tz or loop.candidate.timezone
    today = timeutil.to_local(now_utc(), tz).date()
    first = loop.window_first_day or today + timedelta(days=1)
    last = loop.window_last_day or first + timedelta(days=13)
    if last < first or (last - first).days > loops.MAX_WINDOW_DAYS:  # settings refuse this; be safe anyway
        first, last = today + timedelta(days=1), today + timedelta(days=14)
    start, end = window_from_dates(first, last, tz)
    return DateRange(start=max(start, now_utc()), end=end, first_day=first, last_day=last)


@dataclass
class Cell:
    value: str  # "YYYY-MM-DDTHH:MM", the wall-clock start in the grid's zone
    label: str  # "Tue 31 Mar, 09:00–09:30"
    state: str  # "open" | "chosen" | "recruiter" | "closed" (outside the range or past) | "none" (no such time)


@dataclass
class GridDay:
    day: date
    cells: list[Cell]
    is_open: bool


@dataclass
class Week:
    monday: date
    days: list[GridDay]
    chosen: int = 0

    @property
    def title(self) -> str:
        return format_days(self.monday, self.monday + timedelta(days=6))


@dataclass
class Grid:
    tz: str
    weeks: list[Week]
    row_times: list[time]
    range: DateRange
    chosen_count: int = 0
    recruiter_count: int = 0
    #: the week the page opens on: the first with something marked, else the first with a weekday to choose
    start_week: int = 0


def _slot_start(day: date, at: time, tz: str) -> datetime | None:
    """The instant of a wall-clock half-hour, or None when clocks skip it that day."""
    start = timeutil.local_to_utc(day, at, tz)
    local = timeutil.to_local(start, tz)
    if local.date() != day or local.time().replace(tzinfo=None) != at:
        return None
    return start


def _hour_span(loop: Loop, tz: str, rng: DateRange) -> tuple[int, int]:
    """The local hours (in tz) worth showing: the interviewers' working hours over the range, at least 8-18."""
    hours: set[int] = set()
    people: dict[int, User] = {}
    for s in loops.sessions_to_place(loop):
        for p in s.participants:
            people[p.user_id] = p.user
        for u in s.pool:
            people[u.id] = u
    for user in people.values():
        for wh in user.working_hours:
            # one representative day per weekday is enough (DST moves it by an hour at most: pad by one)
            day = rng.first_day + timedelta(days=(wh.weekday - rng.first_day.weekday()) % 7)
            try:
                a = timeutil.to_local(timeutil.local_to_utc(day, wh.start_time, user.timezone), tz)
                b = timeutil.to_local(timeutil.local_to_utc(day, wh.end_time, user.timezone), tz)
            except (timeutil.InvalidTimeZone, OverflowError):
                continue
            if b.date() != a.date() or b <= a:
                return 0, 24
            hours.update(range(a.hour, b.hour + (1 if b.minute else 0)))
    first = min([*hours, 8])
    last = max([h + 1 for h in hours] + [18])
    return max(0, first), min(24, last)


def availability_grid(loop: Loop, tz: str, chosen_values: Sequence[str] | None = None) -> Grid:
    """The week grid in the candidate's zone: every half-hour of the range's days, with what is marked.

    ``chosen_values`` (wall-clock starts as posted) replaces the saved marks, to show a refused form again.
    """
    rng = date_range(loop, tz)
    now = now_utc()
    first_local = timeutil.to_local(rng.start, tz).date()
    last_local = timeutil.to_local(rng.end - timedelta(seconds=1), tz).date()
    first_hour, last_hour = _hour_span(loop, tz, rng)
    row_times = [time(h, m) for h in range(first_hour, last_hour) for m in (0, 30)]
    windows = db.session.execute(
        select(CandidateWindow.start_dt, CandidateWindow.end_dt, CandidateWindow.source)
        .where(CandidateWindow.candidate_id == loop.candidate_id, CandidateWindow.end_dt > rng.start,
               CandidateWindow.start_dt < rng.end)
    ).all()
    wanted = set(chosen_values) if chosen_values is not None else None

    def state_of(start: datetime) -> str:
        end = start + SLOT
        if start < rng.start or end > rng.end or start < now:
            return "closed"
        by_recruiter = any(s <= start and end <= e for s, e, src in windows if src != "candidate")
        if by_recruiter:
            return "recruiter"
        if wanted is not None:
            return "chosen" if timeutil.to_local(start, tz).strftime("%Y-%m-%dT%H:%M") in wanted else "open"
        return "chosen" if any(s <= start and end <= e for s, e, src in windows if src == "candidate") else "open"

    weeks: list[Week] = []
    grid = Grid(tz=tz, weeks=weeks, row_times=row_times, range=rng)
    monday = first_local - timedelta(days=first_local.weekday())
    while monday <= last_local:
        week = Week(monday=monday, days=[])
        for offset in range(7):
            day = monday + timedelta(days=offset)
            cells = []
            for at in row_times:
                value = f"{day.isoformat()}T{at.strftime('%H:%M')}"
                start = _slot_start(day, at, tz)
                if start is None:
                    cells.append(Cell(value, "", "none"))
                    continue
                label = f"{format_day(day, year=False)}, {at:%H:%M}–{format_clock(start + SLOT, tz)}"
                state = state_of(start)
                cells.append(Cell(value, label, state))
                if state == "chosen":
                    week.chosen += 1
                    grid.chosen_count += 1
                elif state == "recruiter":
                    grid.recruiter_count += 1
            week.days.append(GridDay(day, cells, any(c.state in ("open", "chosen", "recruiter") for c in cells)))
        if any(d.is_open for d in week.days):
            weeks.append(week)
        monday += timedelta(days=7)
    marked = next((i for i, w in enumerate(weeks) if w.chosen), None)
    weekday = next((i for i, w in enumerate(weeks) if any(d.is_open and d.day.weekday() < 5 for d in w.days)), 0)
    grid.start_week = weekday if marked is None else marked
    return grid


def parse_slots(values: Sequence[str], tz: str) -> list[datetime]:
    """UTC starts of the posted half-hours; a clear PortalError for anything that is not one."""
    if len(values) > MAX_SLOTS:
        raise PortalError("That is more half-hours than the range holds. Reload the page and try again.")
    starts = set()
    for raw in values:
        m = _SLOT_RE.match(raw or "")
        if m is None:
            raise PortalError("One of the marked times could not be read. Reload the page and mark them again.")
        y, mo, d, h, mi = (int(x) for x in m.groups())
        try:
            day, at = date(y, mo, d), time(h, mi)
        except ValueError:
            raise PortalError("One of the marked times is not a real date or time. Reload the page and try "
                              "again.") from None
        if mi not in (0, 30):
            raise PortalError("Times are marked in half-hours (on :00 or :30).")
        start = _slot_start(day, at, tz)
        if start is None:
            raise PortalError(f"{format_day(day, year=False)}, {at:%H:%M} does not exist in "
                              f"{tz.replace('_', ' ')}: the clocks change that night.")
        starts.add(start)
    return sorted(starts)


def merge_slots(starts: Sequence[datetime]) -> list[tuple[datetime, datetime]]:
    """Adjacent half-hours as windows, none longer than a day."""
    windows: list[tuple[datetime, datetime]] = []
    for start in starts:
        end = start + SLOT
        if windows and windows[-1][1] == start and end - windows[-1][0] <= availability.MAX_WINDOW_LENGTH:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def save_availability(loop: Loop, raw_zone: str | None, values: Sequence[str]) -> list[tuple[datetime, datetime]]:
    """Replace the candidate's own windows in the loop's range with the posted half-hours (zone ``raw_zone``).

    Everything is checked before anything is written: an unknown zone, a time that cannot be read, one in the
    past or outside the range, or nothing marked at all is a PortalError and nothing changes.
    """
    tz = require_zone(raw_zone)
    candidate: Candidate = loop.candidate
    rng = date_range(loop, tz)
    now = now_utc()
    starts = parse_slots(values, tz)
    if not starts:
        raise PortalError("Mark at least one half-hour you can do. If none of these days work for you, tell "
                          "your recruiter.")
    for start in starts:
        when = timeutil.format_instant(start, tz, "%a %d %b, %H:%M")
        if start < now:
            raise PortalError(f"{when} is already over; mark times in the future.")
        if start < rng.start or start + SLOT > rng.end:
            raise PortalError(f"{when} is outside the days we are planning for "
                              f"({_range_text(rng, tz)}). Mark times within them.")
    windows = merge_slots(starts)
    mine = db.session.scalars(
        select(CandidateWindow).where(CandidateWindow.candidate_id == candidate.id,
                                      CandidateWindow.source == "candidate", CandidateWindow.end_dt > rng.start,
                                      CandidateWindow.start_dt < rng.end)
    ).all()
    for window in mine:
        availability.delete_candidate_window(candidate, window.id)
    for start, end in windows:
        try:
            availability.add_candidate_window(candidate, start, end, source="candidate")
        except availability.AvailabilityError as exc:
            raise PortalError(exc.message) from exc
    adopt_zone(loop, tz)
    hours = len(starts) / 2
    marked = (f"marked {hours:g} hour{'s' if hours != 1 else ''} they can interview "
              f"({len(windows)} window{'s' if len(windows) != 1 else ''}, {tz.replace('_', ' ')}).")
    loops.record(loop, None, "candidate_windows", f"The candidate {marked}", actor_label="Candidate")
    from coordinator.invites import notices
    from coordinator.invites.models import NoticeKind

    notices.candidate_did(loop, NoticeKind.AVAILABILITY, f"{candidate.name} {marked}")
    audit("candidate.availability", "loop", loop.id, f"{len(windows)} window{'s' if len(windows) != 1 else ''}",
          actor_label="candidate")
    db.session.flush()
    return windows


def adopt_zone(loop: Loop, tz: str) -> None:
    """The candidate told us where they are: their itinerary and invites follow that zone from now on."""
    candidate = loop.candidate
    if candidate.timezone != tz:
        old = candidate.timezone
        candidate.timezone = tz
        loops.record(loop, None, "candidate_zone",
                     f"The candidate's time zone is now {tz.replace('_', ' ')} (was {old.replace('_', ' ')}).",
                     actor_label="Candidate")


def _range_text(rng: DateRange, tz: str) -> str:
    a = timeutil.to_local(rng.start, tz).date()
    b = timeutil.to_local(rng.end - timedelta(seconds=1), tz).date()
    return f"{format_day(a, year=False)} to {format_day(b)}"


def range_text(loop: Loop, tz: str) -> str:
    return _range_text(date_range(loop, tz), tz)

