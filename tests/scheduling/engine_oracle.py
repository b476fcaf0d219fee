"""An independent, deliberately naive model of the scheduling rules, for checking the engine.

Nothing here uses the engine's internals: it works on datetimes, converts wall-clock times with
coordinator.timeutil one person and one day at a time, and checks every rule directly. It is slow on purpose;
it only has to be obviously right.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from coordinator import timeutil
from coordinator.scheduling import InterviewerCalendar, LoopRequest, Option

MIN = timedelta(minutes=1)


def layout(req: LoopRequest) -> list[tuple[int, int]]:
    """Back-to-back offsets in minutes, re-derived from the rule as written in the brief.

    Sessions are ``buffer_min`` apart; if continuous interviewing (from the start of the current stretch, short
    gaps included) would exceed ``max_continuous_min`` with the next session, a ``long_break_min`` gap is used.
    """
    offsets = []
    stretch_start = None
    prev_end = None
    for spec in req.sessions:
        if prev_end is None:
            start = 0
            stretch_start = 0
        elif prev_end + req.buffer_min + spec.duration_min - stretch_start <= req.max_continuous_min:
            start = prev_end + req.buffer_min
        else:
            start = prev_end + req.long_break_min
            stretch_start = start
        offsets.append((start, start + spec.duration_min))
        prev_end = start + spec.duration_min
    return offsets


def local_day(dt: datetime, tz: str) -> date:
    return timeutil.to_local(dt, tz).date()


def in_working_hours(cal: InterviewerCalendar, start: datetime, end: datetime) -> bool:
    d = local_day(start, cal.tz)
    for a, b in cal.working_hours.get(d.weekday(), ()):
        if timeutil.local_to_utc(d, a, cal.tz) <= start and end <= timeutil.local_to_utc(d, b, cal.tz):
            return True
    return False


def clashes_with_busy(cal: InterviewerCalendar, start: datetime, end: datetime) -> bool:
    lo = start - cal.buffer_before_min * MIN
    hi = end + cal.buffer_after_min * MIN
    return any(iv.start < hi and lo < iv.end for iv in (*cal.busy, *cal.interviews))


def in_candidate_windows(req: LoopRequest, start: datetime, end: datetime) -> bool:
    if not (req.window_start <= start and end <= req.window_end):
        return False
    wins = req.candidate.windows
    if wins is None:
        return True
    # merge touching windows first: availability 9-12 and 12-15 is one stretch 9-15
    merged: list[list[datetime]] = []
    for w in sorted(wins):
        if merged and w.start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], w.end)
        else:
            merged.append([w.start, w.end])
    return any(a <= start and end <= b for a, b in merged)


def on_grid(req: LoopRequest, t: datetime) -> bool:
    d = local_day(t, req.candidate.tz)
    midnight, _ = timeutil.local_day_bounds(d, req.candidate.tz)
    return (t - midnight) % (req.granularity_min * MIN) == timedelta(0)


def block_ok(req: LoopRequest, t: datetime) -> bool:
    """Back to back: every session starts on the block's candidate-local day (one may run past midnight), and each
    stretch between long breaks (sessions and their short gaps) lies in one candidate window."""
    offsets = layout(req)
    if local_day(t + offsets[-1][0] * MIN, req.candidate.tz) != local_day(t, req.candidate.tz):
        return False
    first = offsets[0][0]
    for (_a, b), nxt in itertools.zip_longest(offsets, offsets[1:]):
        if nxt is None or nxt[0] - b != req.buffer_min:
            if not in_candidate_windows(req, t + first * MIN, t + b * MIN):
                return False
            if nxt is not None:
                first = nxt[0]
    return True


def person_alone_ok(cal: InterviewerCalendar, start: datetime, end: datetime) -> bool:
    if not in_working_hours(cal, start, end) or clashes_with_busy(cal, start, end):
        return False
    d = local_day(start, cal.tz)
    days = Counter(local_day(iv.start, cal.tz) for iv in cal.interviews)
    weeks = Counter(x.isocalendar()[:2] for x in days.elements())
    return days[d] + 1 <= cal.max_per_day and weeks[d.isocalendar()[:2]] + 1 <= cal.max_per_week


def people_together_ok(
    cals: dict[int, InterviewerCalendar], placed: list[tuple[datetime, datetime, tuple]]
) -> list[str]:
    """Rules across sessions of one option: nobody twice at once, own buffers, daily/weekly limits."""
    errors = []
    per_person: dict[int, list[tuple[datetime, datetime]]] = {}
    for start, end, ids in placed:
        for pid in ids:
            per_person.setdefault(pid, []).append((start, end))
    for pid, spans in per_person.items():
        cal = cals[pid]
        spans.sort()
        gap = max(cal.buffer_before_min, cal.buffer_after_min) * MIN
        for (_, b1), (a2, _) in itertools.pairwise(spans):
            if a2 < b1 + gap:
                errors.append(f"{cal.name}: two sessions too close or overlapping")
        days = Counter(local_day(iv.start, cal.tz) for iv in cal.interviews)
        days.update(local_day(a, cal.tz) for a, _ in spans)
        weeks: Counter = Counter()
        for d, n in days.items():
            weeks[d.isocalendar()[:2]] += n
        for a, _ in spans:
            d = local_day(a, cal.tz)
            if days[d] > cal.max_per_day:
                errors.append(f"{cal.name}: over daily limit on {d}")
            if weeks[d.isocalendar()[:2]] > cal.max_per_week:
                errors.append(f"{cal.name}: over weekly limit in week of {d}")
    return errors


def check_option(req: LoopRequest, cals: dict[int, InterviewerCalendar], option: Option) -> list[str]:
    """Every violated rule, as text; an empty list means the option is valid."""
    errors: list[str] = []
    sessions = option.sessions
    if [ps.session_index for ps in sessions] != list(range(len(req.sessions))):
        return ["sessions missing or out of order"]
    ctz = req.candidate.tz
    placed = []
    for ps in sessions:
        spec = req.sessions[ps.session_index]
        name = spec.title
        if ps.end - ps.start != spec.duration_min * MIN:
            errors.append(f"{name}: wrong duration")
        if not in_candidate_windows(req, ps.start, ps.end):
            errors.append(f"{name}: outside candidate windows or planning window")
        fixed = spec.interviewer_ids
        if ps.interviewer_ids[: len(fixed)] != fixed:
            errors.append(f"{name}: fixed interviewers missing")
        picks = ps.interviewer_ids[len(fixed) :]
        want = spec.pool_count if spec.pool_ids else 0
        if len(picks) != want or len(set(picks)) != want or not set(picks) <= set(spec.pool_ids):
            errors.append(f"{name}: wrong pool picks {picks}")
        if tuple(ps.shadow_ids) != spec.shadow_ids:
            errors.append(f"{name}: shadows missing")
        for pid in ps.person_ids:
            cal = cals[pid]
            if not in_working_hours(cal, ps.start, ps.end):
                errors.append(f"{name}: outside {cal.name}'s working hours")
            if clashes_with_busy(cal, ps.start, ps.end):
                errors.append(f"{name}: {cal.name} busy (buffers included)")
        placed.append((ps.start, ps.end, ps.person_ids))
    errors += people_together_ok(cals, placed)
    if req.arrangement == "back_to_back":
        base = sessions[0].start
        if not on_grid(req, base):
            errors.append("block start off the grid")
        for ps, (off, end) in zip(sessions, layout(req), strict=True):
            if ps.start != base + off * MIN or ps.end != base + end * MIN:
                errors.append(f"{req.sessions[ps.session_index].title}: not at its back-to-back offset")
        if not block_ok(req, base):
            errors.append("back-to-back block on two candidate days, or a short gap outside the candidate's windows")
    else:
        per_day = Counter(local_day(ps.start, ctz) for ps in sessions)
        if max(per_day.values()) > req.max_sessions_per_day:
            errors.append("too many sessions on one candidate day")
        for a, b in itertools.pairwise(sessions):
            if b.start < a.end + req.buffer_min * MIN:
                errors.append("spread sessions out of order or closer than the buffer")
        for ps in sessions:
            if not on_grid(req, ps.start):
                errors.append("session start off the grid")
    return errors


# ------------------------------------------------------------------------------------------------ brute force
def grid(req: LoopRequest) -> Iterator[datetime]:
    """Every start time on the candidate's grid inside the window, in order."""
    ctz = req.candidate.tz
    d = local_day(req.window_start, ctz)
    last = local_day(req.window_end, ctz)
    step = req.granularity_min * MIN
    while d <= last:
        t, day_end = timeutil.local_day_bounds(d, ctz)
        while t < day_end:
            if req.window_start <= t < req.window_end:
                yield t
            t += step
        d += timedelta(days=1)


def _staffings(req: LoopRequest, cals: dict, i: int, start: datetime, end: datetime) -> list[tuple]:
    """All (interviewers, shadows) choices for session i at [start, end) that are fine taken alone."""
    spec = req.sessions[i]
    if not in_candidate_windows(req, start, end):
        return []
    fixed = spec.interviewer_ids + spec.shadow_ids
    if not all(person_alone_ok(cals[p], start, end) for p in fixed):
        return []
    if not spec.pool_ids:
        return [spec.interviewer_ids + spec.shadow_ids]
    ok_pool = [p for p in spec.pool_ids if person_alone_ok(cals[p], start, end)]
    return [
        spec.interviewer_ids + combo + spec.shadow_ids for combo in itertools.combinations(ok_pool, spec.pool_count)
    ]


def brute_force_earliest(req: LoopRequest, cals: dict[int, InterviewerCalendar]) -> datetime | None:
    """The earliest start of any valid option, by enumerating every start time and every staffing."""
    n = len(req.sessions)
    ctz = req.candidate.tz
    starts = list(grid(req))

    def extend(i: int, placed: list, lower: datetime) -> bool:
        if i == n:
            return True
        spec = req.sessions[i]
        candidates = starts if req.arrangement == "spread" else [lower]
        for t in candidates:
            if t < lower:
                continue
            end = t + spec.duration_min * MIN
            if req.arrangement == "spread":
                day = local_day(t, ctz)
                if sum(local_day(p[0], ctz) == day for p in placed) + 1 > req.max_sessions_per_day:
                    continue
            for ids in _staffings(req, cals, i, t, end):
                trial = [*placed, (t, end, ids)]
                if people_together_ok(cals, trial):
                    continue
                if req.arrangement == "spread":
                    nxt = end + req.buffer_min * MIN
                else:
                    nxt = trial[0][0] + layout(req)[i + 1][0] * MIN if i + 1 < n else end
                if extend(i + 1, trial, nxt):
                    return True
        return False

    for t in starts:
        if req.arrangement == "back_to_back":
            if not block_ok(req, t):
                continue
        spec = req.sessions[0]
        end = t + spec.duration_min * MIN
        for ids in _staffings(req, cals, 0, t, end):
            placed = [(t, end, ids)]
            if people_together_ok(cals, placed):
                continue
            if n == 1:
                return t
            if req.arrangement == "spread":
                nxt = end + req.buffer_min * MIN
            else:
                nxt = t + layout(req)[1][0] * MIN
            if extend(1, placed, nxt):
                return t
    return None
