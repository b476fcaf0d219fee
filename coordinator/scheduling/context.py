"""Compiles calendars and the candidate into integer span lists, once per search.

Every wall-clock notion is resolved here, through :mod:`coordinator.timeutil`, one local day at a time, so the
rest of the engine only ever compares integers (seconds since the epoch, UTC) and daylight-saving changes are
handled wherever they fall: a person's 09:00 is converted on each date separately, never with a fixed offset.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from coordinator import timeutil

from .intervals import (
    Span,
    SpanIndex,
    Spans,
    intersect,
    merge,
    subtract,
    subtract_unmerged,
    ts_ceil,
    ts_floor,
    valid_starts,
)
from .models import CandidateAvailability, InterviewerCalendar

__all__ = ["CandidateIndex", "DayTable", "PersonIndex", "day_table", "local_date", "local_instant", "working_spans"]

WEEK_MARGIN_DAYS = 7  # day tables reach a week past the window so whole ISO weeks can be counted


@lru_cache(maxsize=65536)
def local_instant(day: date, at: time, tz: str) -> int:
    """Seconds since the epoch of a wall-clock time on a local date (DST-correct, cached)."""
    return ts_floor(timeutil.local_to_utc(day, at, tz))


def local_date(dt: datetime, tz: str) -> date:
    return timeutil.to_local(dt, tz).date()


class DayTable:
    """Local midnights of one zone over a date range: maps an instant to its local day and ISO week by bisect."""

    __slots__ = ("bounds", "dates", "tz", "weeks")

    def __init__(self, tz: str, first: date, last: date) -> None:
        n = (last - first).days + 1
        self.tz = tz
        self.dates = [first + timedelta(days=k) for k in range(n)]
        self.bounds = [local_instant(d, time(0), tz) for d in self.dates]
        self.bounds.append(local_instant(last + timedelta(days=1), time(0), tz))
        self.weeks = [d.isocalendar()[0] * 100 + d.isocalendar()[1] for d in self.dates]

    def index(self, t: int) -> int:
        """Index of the local day containing ``t``, or -1 outside the table."""
        i = bisect_right(self.bounds, t) - 1
        return i if 0 <= i < len(self.dates) else -1

    def day_span(self, k: int) -> Span:
        return self.bounds[k], self.bounds[k + 1]


@lru_cache(maxsize=256)
def day_table(tz: str, first: date, last: date) -> DayTable:
    return DayTable(tz, first, last)


def table_for_window(tz: str, window: Span, window_dt: tuple[datetime, datetime]) -> DayTable:
    first = local_date(window_dt[0], tz) - timedelta(days=WEEK_MARGIN_DAYS)
    last = local_date(window_dt[1], tz) + timedelta(days=WEEK_MARGIN_DAYS)
    return day_table(tz, first, last)


def split_at(spans: Sequence[Span], bounds: Sequence[int]) -> Spans:
    """Cut spans at the given sorted boundaries (local midnights)."""
    out: Spans = []
    for s, e in spans:
        i = bisect_right(bounds, s)
        cur = s
        while i < len(bounds) and bounds[i] < e:
            if bounds[i] > cur:
                out.append((cur, bounds[i]))
            cur = bounds[i]
            i += 1
        if cur < e:
            out.append((cur, e))
    return out


def working_spans(cal: InterviewerCalendar, first: date, last: date) -> Spans:
    """A person's working hours on local dates ``first``..``last`` as UTC spans, converted day by day."""
    work: list[Span] = []
    hours = cal.working_hours
    tz = cal.tz
    d = first
    while d <= last:
        for a, b in hours.get(d.weekday(), ()):
            work.append((local_instant(d, a, tz), local_instant(d, b, tz)))
        d += timedelta(days=1)
    return merge(work)


class PersonIndex:
    """One participant's calendar over the window, as integer spans.

    ``free`` is working hours minus busy time, where each busy block is widened by the person's buffers (an
    interview needs ``buffer_before`` free minutes before it and ``buffer_after`` after it). ``capped`` holds
    the local days on which no new interview may start because the daily or weekly limit is already reached by
    existing interviews.
    """

    __slots__ = (
        "cal",
        "capped",
        "capped_days",
        "capped_weeks",
        "day_load",
        "free",
        "gap",
        "id",
        "max_day",
        "max_week",
        "name",
        "table",
        "week_load",
        "working",
        "_valid",
        "_valid_index",
    )

    def __init__(self, cal: InterviewerCalendar, window: Span, window_dt: tuple[datetime, datetime]) -> None:
        lo, hi = window
        tz = cal.tz
        self.cal = cal
        self.id = cal.id
        self.name = cal.name
        self.max_day = cal.max_per_day
        self.max_week = cal.max_per_week
        # Between two of this person's own interviews: the later one's "before" and the earlier one's "after"
        # buffer both have to be free of the other interview, hence the larger of the two.
        self.gap = max(cal.buffer_before_min, cal.buffer_after_min) * 60
        table = self.table = table_for_window(tz, window, window_dt)

        first = local_date(window_dt[0], tz) - timedelta(days=1)
        last = local_date(window_dt[1], tz) + timedelta(days=1)
        self.working = intersect(working_spans(cal, first, last), [window])

        before, after = cal.buffer_before_min * 60, cal.buffer_after_min * 60
        floor, ceil = math.floor, math.ceil
        # The hot loop of the whole engine: two conversions per block, no test. Blocks outside the window cost a
        # place in the sort but cannot touch the result, since the working spans are already clipped to it.
        busy: list[Span] = [(floor(iv.start.timestamp()) - after, ceil(iv.end.timestamp()) + before) for iv in cal.busy]
        busy += [(floor(iv.start.timestamp()) - after, ceil(iv.end.timestamp()) + before) for iv in cal.interviews]
        busy += [(s - after, e + before) for s, e in cal.busy_spans]
        busy.sort()
        self.free = subtract_unmerged(self.working, busy)

        day_load: Counter[int] = Counter()
        week_load: Counter[int] = Counter()
        for iv in cal.interviews:
            k = table.index(ts_floor(iv.start))
            if k >= 0:
                day_load[k] += 1
                week_load[table.weeks[k]] += 1
        self.day_load = day_load
        self.week_load = week_load
        capped: list[Span] = []
        self.capped_days: list[int] = []
        self.capped_weeks: set[int] = set()
        for k in range(len(table.dates)):
            week_full = week_load[table.weeks[k]] >= self.max_week
            day_full = day_load[k] >= self.max_day
            if week_full or day_full:
                capped.append(table.day_span(k))
                if week_full:
                    self.capped_weeks.add(table.weeks[k])
                else:
                    self.capped_days.append(k)
        self.capped = merge(capped)
        self._valid: dict[int, Spans] = {}
        self._valid_index: dict[int, SpanIndex] = {}

    def valid(self, duration: int) -> Spans:
        """Start times at which this person could take a ``duration``-second interview (limits included)."""
        v = self._valid.get(duration)
        if v is None:
            v = valid_starts(self.free, duration)
            if self.capped and v:
                v = subtract(v, self.capped)
            self._valid[duration] = v
        return v

    def valid_index(self, duration: int) -> SpanIndex:
        idx = self._valid_index.get(duration)
        if idx is None:
            idx = self._valid_index[duration] = SpanIndex(self.valid(duration))
        return idx


class CandidateIndex:
    """The candidate's usable time: their windows (or the whole window) clipped and cut at local midnights.

    Cutting at the candidate's midnights makes "one block on one day" a plain containment test.
    """

    __slots__ = ("pieces", "table", "tz", "windows")

    def __init__(self, cand: CandidateAvailability, window: Span, window_dt: tuple[datetime, datetime]) -> None:
        self.tz = cand.tz
        self.table = table_for_window(cand.tz, window, window_dt)
        if cand.windows is None:
            spans = [window]
        else:
            # ceil/floor: a candidate window is availability, so rounding must never widen it.
            spans = intersect(merge((ts_ceil(w.start), ts_floor(w.end)) for w in cand.windows), [window])
        self.windows = spans
        self.pieces = split_at(spans, self.table.bounds)

    def align_up(self, t: int, granularity: int) -> int:
        """The first start-time grid point ``>= t``; the grid restarts at each of the candidate's midnights."""
        table = self.table
        k = table.index(t)
        if k < 0:
            return t
        base = table.bounds[k]
        a = base + -(-(t - base) // granularity) * granularity
        nxt = table.bounds[k + 1]
        return nxt if a >= nxt else a

    def day_index(self, t: int) -> int:
        return self.table.index(t)

    def next_midnight(self, t: int) -> int:
        k = self.table.index(t)
        return self.table.bounds[k + 1]
