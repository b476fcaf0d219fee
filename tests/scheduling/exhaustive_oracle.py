"""An exhaustive search over small loops, written apart from the engine, to check it is complete and fair.

Nothing here uses the engine's code: wall-clock times are converted with :mod:`zoneinfo` directly, every instant
is a whole minute since the epoch, every minute of the window is looked at to find the start-time grid, and every
staffing (every combination of pool members) is tried. The rules are re-derived from the README:

* a participant must be inside their working hours (touching spans join), free of busy blocks and existing
  interviews widened by their own buffers, and within their daily / weekly limits counted in their own zone with
  the existing interviews and every session of the option; between two of their own sessions they need the larger
  of their two buffers;
* each session lies in the search window and in one of the candidate's (joined) windows; back to back, the short
  gaps between sessions too, but not the long breaks; every session starts on the block's candidate-local day;
  spread: in order, ``buffer_min`` apart, at most ``max_sessions_per_day`` starting on one candidate-local day;
* starts lie on the ``granularity_min`` grid counted from the candidate's local midnight;
* the first option is the earliest (spread: lexicographically earliest start times); among the staffings at
  those times the fairest wins: the smallest descending vector of weekly loads per (person, ISO week).
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

__all__ = ["Oracle", "to_min"]


def to_min(dt: datetime) -> int:
    return int(dt.timestamp()) // 60


@cache
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


@lru_cache(maxsize=200_000)
def local_date_of(m: int, tz: str) -> date:
    return datetime.fromtimestamp(m * 60, UTC).astimezone(_zone(tz)).date()


@lru_cache(maxsize=20_000)
def wall_to_min(d: date, h: int, mi: int, s: int, tz: str) -> int:
    dt = datetime(d.year, d.month, d.day, h, mi, s, tzinfo=_zone(tz))
    return -(-int(dt.timestamp()) // 60)  # round up: 23:59:59 counts as the end of the minute


def midnight(d: date, tz: str) -> int:
    return wall_to_min(d, 0, 0, 0, tz)


def _join(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


class Person:
    def __init__(self, cal, first: date, last: date) -> None:
        self.id, self.name, self.tz = cal.id, cal.name, cal.tz
        self.max_day, self.max_week = cal.max_per_day, cal.max_per_week
        self.before, self.after = cal.buffer_before_min, cal.buffer_after_min
        self.gap = max(self.before, self.after)
        work = []
        d = first - timedelta(days=2)
        while d <= last + timedelta(days=2):
            for a, b in cal.working_hours.get(d.weekday(), ()):
                work.append(
                    (
                        wall_to_min(d, a.hour, a.minute, a.second, self.tz),
                        wall_to_min(d, b.hour, b.minute, b.second, self.tz),
                    )
                )
            d += timedelta(days=1)
        self.work = _join(work)
        self.blocks = [(to_min(iv.start), -(-int(iv.end.timestamp()) // 60)) for iv in (*cal.busy, *cal.interviews)]
        self.days = Counter(local_date_of(to_min(iv.start), self.tz) for iv in cal.interviews)
        self.weeks = Counter()
        for d, n in self.days.items():
            self.weeks[d.isocalendar()[:2]] += n

    @cache  # noqa: B019 - one oracle per test, the cache dies with it
    def alone_ok(self, a: int, b: int) -> bool:
        if not any(x <= a and b <= y for x, y in self.work):
            return False
        lo, hi = a - self.before, b + self.after
        if any(s < hi and lo < e for s, e in self.blocks):
            return False
        d = local_date_of(a, self.tz)
        return self.days[d] < self.max_day and self.weeks[d.isocalendar()[:2]] < self.max_week


class Oracle:
    """Brute force for one request: ``first()`` gives ``(times, best fairness key)`` of the first option or None."""

    def __init__(self, req, cals: dict) -> None:
        self.req = req
        self.ctz = req.candidate.tz
        self.lo, self.hi = -(-int(req.window_start.timestamp()) // 60), int(req.window_end.timestamp()) // 60
        first = local_date_of(self.lo, self.ctz)
        last = local_date_of(self.hi, self.ctz)
        self.people = {pid: Person(c, first, last) for pid, c in cals.items()}
        if req.candidate.windows is None:
            self.windows = [(self.lo, self.hi)]
        else:
            wins = [(-(-int(w.start.timestamp()) // 60), int(w.end.timestamp()) // 60) for w in req.candidate.windows]
            self.windows = [
                (max(a, self.lo), min(b, self.hi)) for a, b in _join(wins) if min(b, self.hi) > max(a, self.lo)
            ]
        self.grid = self._grid(first, last)
        self.durs = [s.duration_min for s in req.sessions]
        self.offsets = self._layout()

    # -------------------------------------------------------------------------------------------- rules
    def _grid(self, first: date, last: date) -> list[int]:
        """Every minute of the window that lies on the grid of its candidate-local day."""
        g = self.req.granularity_min
        out = []
        for m in range(self.lo, self.hi):
            base = midnight(local_date_of(m, self.ctz), self.ctz)
            if (m - base) % g == 0:
                out.append(m)
        return out

    def _layout(self) -> list[tuple[int, int, bool]]:
        """(offset, end, starts a new stretch) per session of a back-to-back block."""
        req = self.req
        out = []
        end = stretch = 0
        for i, s in enumerate(req.sessions):
            if i == 0:
                a, new = 0, True
            elif end + req.buffer_min + s.duration_min - stretch <= req.max_continuous_min:
                a, new = end + req.buffer_min, False
            else:
                a, new = end + req.long_break_min, True
            if new:
                stretch = a
            end = a + s.duration_min
            out.append((a, end, new))
        return out

    def _in_windows(self, a: int, b: int) -> bool:
        return any(x <= a and b <= y for x, y in self.windows)

    def day(self, m: int) -> date:
        return local_date_of(m, self.ctz)

    def staffings(self, i: int, a: int, b: int) -> list[tuple[int, ...]]:
        """Everyone in session i (fixed, picks, shadows) for every choice that is fine taken alone."""
        spec = self.req.sessions[i]
        fixed = (*spec.interviewer_ids, *spec.shadow_ids)
        if not all(self.people[p].alone_ok(a, b) for p in fixed):
            return []
        if not spec.pool_ids:
            return [fixed]
        free = [p for p in dict.fromkeys(spec.pool_ids) if self.people[p].alone_ok(a, b)]
        return [fixed + c for c in itertools.combinations(free, spec.pool_count)]

    def together_ok(self, placed: list[tuple[int, int, tuple[int, ...]]]) -> bool:
        mine: dict[int, list[tuple[int, int]]] = {}
        for a, b, ids in placed:
            if len(set(ids)) != len(ids):
                return False
            for p in ids:
                mine.setdefault(p, []).append((a, b))
        for pid, spans in mine.items():
            p = self.people[pid]
            spans.sort()
            if any(a2 < b1 + p.gap for (_, b1), (a2, _) in itertools.pairwise(spans)):
                return False
            days = Counter(local_date_of(a, p.tz) for a, _ in spans)
            weeks: Counter = Counter()
            for d, n in days.items():
                weeks[d.isocalendar()[:2]] += n
                if p.days[d] + n > p.max_day:
                    return False
            if any(p.weeks[w] + n > p.max_week for w, n in weeks.items()):
                return False
        return True

    def key(self, placed: list[tuple[int, int, tuple[int, ...]]]) -> tuple[int, ...]:
        counts: Counter = Counter()
        for a, _, ids in placed:
            for pid in ids:
                p = self.people[pid]
                counts[(pid, local_date_of(a, p.tz).isocalendar()[:2])] += 1
        return tuple(sorted((self.people[pid].weeks[wk] + n for (pid, wk), n in counts.items()), reverse=True))

    def best(self, times: list[tuple[int, int]]) -> tuple[int, ...] | None:
        """The fairest key over every staffing at these times (None: no staffing)."""
        choices = [self.staffings(i, a, b) for i, (a, b) in enumerate(times)]
        keys = [
            self.key(placed)
            for combo in itertools.product(*choices)
            if self.together_ok(placed := [(a, b, ids) for (a, b), ids in zip(times, combo, strict=True)])
        ]
        return min(keys) if keys else None

    def feasible(self, times: list[tuple[int, int]]) -> bool:
        choices = [self.staffings(i, a, b) for i, (a, b) in enumerate(times)]

        def rec(i: int, placed: list) -> bool:
            if i == len(times):
                return True
            for ids in choices[i]:
                trial = [*placed, (times[i][0], times[i][1], ids)]
                if self.together_ok(trial) and rec(i + 1, trial):
                    return True
            return False

        return all(choices) and rec(0, [])

    # -------------------------------------------------------------------------------------------- search
    def first(self) -> tuple[list[tuple[int, int]], tuple[int, ...]] | None:
        return self._first_b2b() if self.req.arrangement == "back_to_back" else self._first_spread()

    def _first_b2b(self) -> tuple[list[tuple[int, int]], tuple[int, ...]] | None:
        for t in self.grid:
            times = self.block(t)
            if times is None:
                continue
            best = self.best(times)
            if best is not None:
                return times, best
        return None

    def block(self, t: int) -> list[tuple[int, int]] | None:
        """The session times of a back-to-back block starting at t, if the candidate's side allows it."""
        lay = self.offsets
        times = [(t + a, t + b) for a, b, _ in lay]
        if any(self.day(a) != self.day(t) for a, _ in times):
            return None
        if not all(self.lo <= a and b <= self.hi for a, b in times):
            return None
        # stretches: from a session after a long break to the session before the next one
        i = 0
        while i < len(lay):
            j = i
            while j + 1 < len(lay) and not lay[j + 1][2]:
                j += 1
            if not self._in_windows(times[i][0], times[j][1]):
                return None
            i = j + 1
        return times

    def _first_spread(self) -> tuple[list[tuple[int, int]], tuple[int, ...]] | None:
        req = self.req
        n = len(req.sessions)
        cands = []
        for i, d in enumerate(self.durs):
            cands.append(
                [
                    t
                    for t in self.grid
                    if t + d <= self.hi and self._in_windows(t, t + d) and self.staffings(i, t, t + d)
                ]
            )

        def rec(i: int, lower: int, times: list[tuple[int, int]]) -> list[tuple[int, int]] | None:
            if i == n:
                return list(times)
            for t in cands[i]:
                if t < lower:
                    continue
                if sum(self.day(a) == self.day(t) for a, _ in times) >= req.max_sessions_per_day:
                    continue
                times.append((t, t + self.durs[i]))
                if self.feasible(times):
                    found = rec(i + 1, t + self.durs[i] + req.buffer_min, times)
                    if found is not None:
                        return found
                times.pop()
            return None

        times = rec(0, self.lo, [])
        if times is None:
            return None
        best = self.best(times)
        assert best is not None
        return times, best

    def check(self, option) -> list[str]:
        """What is wrong with an engine option under these rules (empty: nothing)."""
        req = self.req
        errors = []
        times = [(to_min(ps.start), to_min(ps.end)) for ps in option.sessions]
        if [ps.session_index for ps in option.sessions] != list(range(len(req.sessions))):
            return ["sessions missing or out of order"]
        placed = []
        for i, ps in enumerate(option.sessions):
            spec = req.sessions[i]
            a, b = times[i]
            if b - a != spec.duration_min:
                errors.append(f"{spec.title}: wrong length")
            ids = (*ps.interviewer_ids, *ps.shadow_ids)
            fixed = len(spec.interviewer_ids)
            if ps.interviewer_ids[:fixed] != spec.interviewer_ids or ps.shadow_ids != spec.shadow_ids:
                errors.append(f"{spec.title}: fixed interviewers or shadows missing")
            if frozenset(ids) not in {frozenset(x) for x in self.staffings(i, a, b)}:
                errors.append(f"{spec.title}: staffing {ids} not allowed at that time")
            placed.append((a, b, ids))
        if not self.together_ok(placed):
            errors.append("people clash across sessions")
        if req.arrangement == "back_to_back":
            t = times[0][0]
            if times != self.block(t):
                errors.append("not at the back-to-back offsets, or outside the candidate's time")
            if t not in self.grid:
                errors.append("block start off the grid")
        else:
            if any(a not in self.grid for a, _ in times):
                errors.append("start off the grid")
            if any(b2 < b1 + req.buffer_min for (_, b1), (b2, _) in itertools.pairwise(times)):
                errors.append("out of order or too close")
            if max(Counter(self.day(a) for a, _ in times).values()) > req.max_sessions_per_day:
                errors.append("too many sessions a day")
            if not all(self._in_windows(a, b) for a, b in times):
                errors.append("outside the candidate's windows")
        return errors
