"""Checks for hand-made changes: who can step in for a session, and what is wrong with a hand-placed loop.

These work on one session (or one itinerary) at a time and need no planning window, so they look at calendars
directly; wall-clock questions still go through :mod:`coordinator.timeutil` (via :mod:`.context`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime, timedelta

from .context import PersonIndex, local_date, working_spans
from .intervals import from_ts, merge, ts_ceil, ts_floor
from .models import Interval, InterviewerCalendar, LoopRequest, PlacedSession, PlacementCheck, Replacement
from .text import duration, local_clock, short_day, with_weekday
from .validation import CalendarsArg, as_calendar_map

__all__ = ["check_placement", "find_replacements", "free_starts", "seat_findings"]


def _in_working_hours(cal: InterviewerCalendar, start: datetime, end: datetime) -> bool:
    first = local_date(start, cal.tz) - timedelta(days=1)
    last = local_date(end, cal.tz) + timedelta(days=1)
    s, e = ts_floor(start), ts_ceil(end)
    return any(ws <= s and e <= we for ws, we in working_spans(cal, first, last))


def _busy_overlaps(cal: InterviewerCalendar, start: datetime, end: datetime, before: int, after: int) -> list[Interval]:
    """Busy blocks (and interviews) overlapping [start - before, end + after) minutes."""
    lo = start - timedelta(minutes=before)
    hi = end + timedelta(minutes=after)
    seen: list[Interval] = []
    for iv in (*cal.busy, *cal.interviews):
        if iv.start < hi and lo < iv.end and iv not in seen:
            seen.append(iv)
    lo_ts, hi_ts = lo.timestamp(), hi.timestamp()
    for s, e in cal.busy_spans:
        if s < hi_ts and lo_ts < e:
            iv = Interval(datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC))
            if iv not in seen:
                seen.append(iv)
    return sorted(seen)


def _load(cal: InterviewerCalendar, day: date) -> tuple[int, int]:
    """Existing interviews on ``day`` and in its ISO week, both in the person's zone."""
    week = day.isocalendar()[:2]
    n_day = n_week = 0
    for iv in cal.interviews:
        d = local_date(iv.start, cal.tz)
        if d == day:
            n_day += 1
        if d.isocalendar()[:2] == week:
            n_week += 1
    return n_day, n_week


def free_starts(cal: InterviewerCalendar, start: datetime, end: datetime, duration_min: int) -> list[Interval]:
    """When, between ``start`` and ``end``, this person could begin a ``duration_min`` interview, by the engine's
    own rules (:class:`.context.PersonIndex`): inside their working hours, clear of busy time and interviews
    widened by their buffers, on a day and in an ISO week still under their limits. Each interval holds the
    possible start instants; an empty list means they are not free in that window."""
    if end <= start or duration_min <= 0:
        return []
    person = PersonIndex(cal, (ts_floor(start), ts_ceil(end)), (start, end))
    return [Interval(from_ts(s), from_ts(e)) for s, e in person.valid(duration_min * 60)]


def find_replacements(
    interval: Interval, candidates: Sequence[InterviewerCalendar], exclude_ids: Collection[int] = ()
) -> list[Replacement]:
    """Colleagues who could take a session at ``interval``, least loaded first.

    A colleague qualifies if the interval lies inside their working hours, nothing in their calendar overlaps
    it once their own buffers are added, and one more interview keeps them within their daily and weekly
    limits (counted in their own zone). Ties are broken by weekly load, then daily load, then name.
    """
    out: list[Replacement] = []
    excluded = set(exclude_ids)
    # People with the same hours in the same zone (most of a company) either all work then or none do: ask once.
    works: dict[tuple, bool] = {}
    for cal in candidates:
        if cal.id in excluded:
            continue
        key = (cal.tz, tuple(sorted(cal.working_hours.items())))
        ok = works.get(key)
        if ok is None:
            ok = works[key] = _in_working_hours(cal, interval.start, interval.end)
        if not ok:
            continue
        if _busy_overlaps(cal, interval.start, interval.end, cal.buffer_before_min, cal.buffer_after_min):
            continue
        n_day, n_week = _load(cal, local_date(interval.start, cal.tz))
        if n_day + 1 > cal.max_per_day or n_week + 1 > cal.max_per_week:
            continue
        out.append(Replacement(cal.id, cal.name, n_day, n_week))
    out.sort(key=lambda r: (r.interviews_that_week, r.interviews_that_day, r.name, r.person_id))
    return out


def seat_findings(interval: Interval, cal: InterviewerCalendar) -> tuple[list[str], list[str]]:
    """(hard, soft) reasons against one person taking a seat at ``interval``, said about them ("Busy then ...").

    Hard: something in their calendar overlaps it. Soft: it cuts their buffer, lies outside their working hours,
    or one more interview goes over their daily or weekly limit (counted in their own zone). The replacement
    page lists these next to each colleague, so the recruiter can still choose by hand."""
    hard = [
        f"Busy then{' with ' + iv.label if iv.label else ''} ({local_clock(iv.start, cal.tz)}–"
        f"{local_clock(iv.end, cal.tz)[-5:]} {cal.tz})."
        for iv in _busy_overlaps(cal, interval.start, interval.end, 0, 0)
    ]
    soft: list[str] = []
    if not hard and _busy_overlaps(cal, interval.start, interval.end, cal.buffer_before_min, cal.buffer_after_min):
        soft.append("Inside their buffer around another commitment.")
    if not _in_working_hours(cal, interval.start, interval.end):
        soft.append(f"Outside their working hours ({local_clock(interval.start, cal.tz)} {cal.tz}).")
    n_day, n_week = _load(cal, local_date(interval.start, cal.tz))
    if n_day + 1 > cal.max_per_day:
        soft.append(f"Would have {n_day + 1} interviews that day (daily limit {cal.max_per_day}).")
    if n_week + 1 > cal.max_per_week:
        soft.append(f"Would have {n_week + 1} interviews that week (weekly limit {cal.max_per_week}).")
    return hard, soft


def check_placement(placed: Sequence[PlacedSession], request: LoopRequest, calendars: CalendarsArg,
                    changed: Collection[int] | None = None) -> PlacementCheck:
    """Hard conflicts and soft problems of a hand-placed itinerary.

    Hard (``conflicts``): someone, or the candidate, would be in two places at once; a session that ends
    before it starts; a person without a calendar. Soft (``problems``): outside working hours, inside a
    buffer, over a daily or weekly limit, outside the candidate's windows, a different length or headcount
    than the session asks for, sessions out of order or closer than ``buffer_min``.

    The calendars must not already contain this loop's own interviews (they would conflict with themselves).
    ``changed`` (session indexes) names the sessions being placed or moved; the others stay where they are booked,
    and a person's own calendar, hours and buffers are checked only for the changed ones (a calendar event that
    later landed on a booked session must not refuse moving another session, nor be named as its clash). By
    default every placed session counts as changed.
    """
    cal_map = as_calendar_map(calendars)
    conflicts: list[str] = []
    problems: list[str] = []

    def title(ps: PlacedSession) -> str:
        if 0 <= ps.session_index < len(request.sessions) and request.sessions[ps.session_index].title:
            return f"'{request.sessions[ps.session_index].title}'"
        return f"session {ps.session_index + 1}"

    valid = []
    for ps in placed:
        if ps.end <= ps.start:
            conflicts.append(f"{title(ps)} ends before it starts.")
            continue
        if not 0 <= ps.session_index < len(request.sessions):
            conflicts.append(f"{title(ps)} is not part of this loop.")
            continue
        valid.append(ps)

    # candidate: sessions must not overlap, should be in order and spaced, inside their windows
    by_start = sorted(valid, key=lambda ps: ps.start)
    for i, a in enumerate(by_start):
        for b in by_start[i + 1 :]:
            if b.start < a.end:
                conflicts.append(f"{title(a)} and {title(b)} overlap for the candidate.")
    for a, b in zip(by_start, by_start[1:], strict=False):
        if a.session_index > b.session_index:
            problems.append(f"{title(a)} is placed before {title(b)}, against the loop's order.")
        gap = (b.start - a.end).total_seconds() / 60
        if 0 <= gap < request.buffer_min:
            problems.append(
                f"Only {duration(int(gap))} between {title(a)} and {title(b)}; the loop asks for "
                f"{duration(request.buffer_min)}."
            )
    cand = request.candidate
    if cand.windows is not None:
        windows = merge((ts_ceil(w.start), ts_floor(w.end)) for w in cand.windows)
        for ps in valid:
            s, e = ts_floor(ps.start), ts_ceil(ps.end)
            if not any(ws <= s and e <= we for ws, we in windows):
                problems.append(
                    f"{title(ps)} ({local_clock(ps.start, cand.tz)} for the candidate) is outside the "
                    "candidate's available time."
                )

    for ps in valid:
        spec = request.sessions[ps.session_index]
        mins = round((ps.end - ps.start).total_seconds() / 60)
        if mins != spec.duration_min:
            problems.append(f"{title(ps)} lasts {duration(mins)} but should last {duration(spec.duration_min)}.")
        n = len(ps.interviewer_ids)
        if n != spec.interviewer_count:
            problems.append(
                f"{title(ps)} has {n} interviewer{'s' if n != 1 else ''}; it needs {spec.interviewer_count}."
            )

    # people
    sessions_of: dict[int, list[PlacedSession]] = {}
    for ps in valid:
        for pid in dict.fromkeys(ps.person_ids):
            sessions_of.setdefault(pid, []).append(ps)
    for pid, mine in sessions_of.items():
        cal = cal_map.get(pid)
        if cal is None:
            conflicts.append(f"No calendar for person id {pid} in {join_titles(mine, title)}.")
            continue
        mine.sort(key=lambda ps: ps.start)
        for ps in mine:
            if changed is not None and ps.session_index not in changed:
                continue
            hard = _busy_overlaps(cal, ps.start, ps.end, 0, 0)
            for iv in hard:
                what = f" with {iv.label}" if iv.label else ""
                conflicts.append(
                    f"{cal.name} is already busy{what} from {local_clock(iv.start, cal.tz)} to "
                    f"{local_clock(iv.end, cal.tz)[-5:]} ({cal.tz}), which clashes with {title(ps)}."
                )
            if not hard and _busy_overlaps(cal, ps.start, ps.end, cal.buffer_before_min, cal.buffer_after_min):
                problems.append(f"{title(ps)} is inside {cal.name}'s buffer around another commitment.")
            if not _in_working_hours(cal, ps.start, ps.end):
                problems.append(
                    f"{title(ps)} is outside {cal.name}'s working hours ({local_clock(ps.start, cal.tz)} {cal.tz})."
                )
        gap = max(cal.buffer_before_min, cal.buffer_after_min)
        for a, b in zip(mine, mine[1:], strict=False):
            if b.start < a.end:
                conflicts.append(f"{cal.name} would be in {title(a)} and {title(b)} at the same time.")
            elif (b.start - a.end).total_seconds() < gap * 60:
                problems.append(f"{cal.name} needs {duration(gap)} between {title(a)} and {title(b)}.")
        days: Counter[date] = Counter(local_date(ps.start, cal.tz) for ps in mine)
        weeks: Counter[tuple[int, int]] = Counter()
        monday: dict[tuple[int, int], date] = {}
        for d, n in days.items():
            wk = d.isocalendar()[:2]
            weeks[wk] += n
            monday[wk] = d - timedelta(days=d.weekday())
        for d, n in sorted(days.items()):
            existing, _ = _load(cal, d)
            if existing + n > cal.max_per_day:
                problems.append(
                    f"{cal.name} would have {existing + n} interviews on {with_weekday(d)} "
                    f"(daily limit {cal.max_per_day})."
                )
        for wk, n in sorted(weeks.items()):
            _, existing = _load(cal, monday[wk])
            if existing + n > cal.max_per_week:
                problems.append(
                    f"{cal.name} would have {existing + n} interviews in the week of {short_day(monday[wk])} "
                    f"(weekly limit {cal.max_per_week})."
                )
    return PlacementCheck(conflicts=list(dict.fromkeys(conflicts)), problems=list(dict.fromkeys(problems)))


def join_titles(sessions: Sequence[PlacedSession], title: Callable[[PlacedSession], str]) -> str:
    return ", ".join(title(ps) for ps in sessions)
