"""The search: proposes the best few times for a loop, or explains why there are none.

How it works (all on integer seconds, see :mod:`.context`):

1. Each participant's free time (working hours minus busy blocks widened by their buffers) is computed once
   with a sweep; for each session length this becomes the set of *valid start times* for that person, minus the
   local days on which their daily or weekly limit is already reached.
2. A session's valid starts are the intersection over its fixed interviewers and shadows (a panel needs them
   all at once), with the candidate's windows, and with the times at which at least ``pool_count`` pool
   members are free.
3. back_to_back: the block layout (offsets of each session, long break included) is fixed, so the valid block
   starts are the intersection of every session's valid starts shifted by its offset. spread: sessions are
   placed in order with a depth-first search over start times, pruned by a relaxed greedy check that is
   monotone (if the remaining sessions cannot be placed from time t, they cannot from any later time either).
4. Only at the remaining candidate start times are the things that depend on the whole option checked: a
   person's load including the other sessions of the same option, their buffers between their own sessions,
   and the choice of pool members (least loaded first, with backtracking).

The cost is dominated by step 1 and grows linearly with the number of busy blocks; steps 2-4 use bisect on the
prepared lists.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from statistics import pvariance

from .context import CandidateIndex, PersonIndex
from .intervals import (
    Span,
    SpanIndex,
    Spans,
    at_least_k,
    from_ts,
    intersect_many,
    shift,
    ts_ceil,
    ts_floor,
    valid_starts,
)
from .models import FindResult, LoopRequest, Option, PlacedSession, SessionSpec
from .validation import CalendarsArg, as_calendar_map, validate_request

__all__ = ["DEFAULT_NODE_BUDGET", "block_layout", "find_options"]

DEFAULT_NODE_BUDGET = 200_000
"""Upper bound on assignment attempts per search; a pathological request stops with a reason, never hangs."""

_STOP = object()


class _BudgetExceeded(Exception):
    pass


@dataclass
class _Session:
    index: int
    spec: SessionSpec
    dur: int
    interviewers: list[PersonIndex]
    shadows: list[PersonIndex]
    pool: list[PersonIndex]
    k: int
    people: list[PersonIndex] = field(default_factory=list)  # fixed interviewers + shadows
    group_valid: Spans | None = None  # valid starts for all fixed people together (None: nobody fixed)
    pool_valid: Spans | None = None  # valid starts with >= k pool members free (None: no pool)
    valid: SpanIndex | None = None  # group ∩ pool ∩ candidate (spread)


def block_layout(request: LoopRequest) -> list[tuple[int, int]]:
    """Offsets (minutes from the block start) of each session in a back-to-back block.

    Sessions follow each other with ``buffer_min`` between them. Continuous interviewing is measured from the
    start of the current stretch (short buffers included); when the next session would push it past
    ``max_continuous_min``, the gap before that session is ``long_break_min`` instead and a new stretch starts.
    """
    out: list[tuple[int, int]] = []
    run_start = 0
    end = 0
    for i, s in enumerate(request.sessions):
        if i == 0:
            start = 0
        else:
            start = end + request.buffer_min
            if start + s.duration_min - run_start > request.max_continuous_min:
                start = end + request.long_break_min
                run_start = start
        end = start + s.duration_min
        out.append((start, end))
    return out


class Search:
    """One search over one request. Holds the compiled calendars and the state of the option being built."""

    def __init__(self, request: LoopRequest, cal_map: dict, node_budget: int = DEFAULT_NODE_BUDGET) -> None:
        self.req = request
        self.window_dt = (request.window_start, request.window_end)
        self.window: Span = (ts_ceil(request.window_start), ts_floor(request.window_end))
        self.G = request.granularity_min * 60
        self.buf = request.buffer_min * 60
        self.cand = CandidateIndex(request.candidate, self.window, self.window_dt)
        ids = {pid for s in request.sessions for pid in s.all_person_ids}
        self.persons: dict[int, PersonIndex] = {
            pid: PersonIndex(cal_map[pid], self.window, self.window_dt) for pid in sorted(ids)
        }
        self.sessions: list[_Session] = []
        for i, spec in enumerate(request.sessions):
            s = _Session(
                index=i,
                spec=spec,
                dur=spec.duration_min * 60,
                interviewers=[self.persons[p] for p in spec.interviewer_ids],
                shadows=[self.persons[p] for p in spec.shadow_ids],
                pool=[self.persons[p] for p in dict.fromkeys(spec.pool_ids)],
                k=spec.pool_count if spec.pool_ids else 0,
            )
            s.people = s.interviewers + s.shadows
            if s.people:
                s.group_valid = intersect_many([p.valid(s.dur) for p in s.people])
            if s.pool:
                s.pool_valid = at_least_k([m.valid(s.dur) for m in s.pool], s.k)
            self.sessions.append(s)
        # state of the option under construction
        self.spans: dict[int, list[Span]] = defaultdict(list)
        self.day_used: Counter[tuple[int, int]] = Counter()
        self.week_used: Counter[tuple[int, int]] = Counter()
        self.tally: Counter[tuple[int, str]] = Counter()
        self.nodes = 0
        self.budget = node_budget
        self.budget_hit = False
        self.block_starts: SpanIndex | None = None
        self.blamed: tuple[int, ...] = ()
        self.skip_to = 0
        self.level_day: list[int] = []  # spread search: candidate day of each placed session
        self.level_people: list[set[int]] = []  # spread search: people in each placed session

    # ----------------------------------------------------------------------------------------------- dynamic
    def _dyn_fail(self, p: PersonIndex, a: int, b: int) -> str | None:
        """Why ``p`` cannot take [a, b) given the sessions already in the option (None if they can)."""
        k = p.table.index(a)
        if p.day_load[k] + self.day_used[(p.id, k)] >= p.max_day:
            return "day"
        wk = p.table.weeks[k]
        if p.week_load[wk] + self.week_used[(p.id, wk)] >= p.max_week:
            return "week"
        gap = p.gap
        for a2, b2 in self.spans.get(p.id, ()):
            if not (a >= b2 + gap or b + gap <= a2):
                return "overlap" if (a < b2 and a2 < b) else "gap"
        return None

    def _clear_after(self, p: PersonIndex, cause: str, a: int, b: int) -> int:
        """The earliest start at which the obstacle ``cause`` of person ``p`` (found at [a, b)) is gone.

        A full day or week stays full for every start in that local day or ISO week of theirs; a clash with one
        of their own sessions lasts until that session has ended plus their buffer.
        """
        table = p.table
        k = table.index(a)
        if cause == "day":
            return table.bounds[k + 1]
        if cause == "week":
            return table.bounds[min(k + 7 - table.dates[k].weekday(), len(table.dates))]
        gap = p.gap
        return max((b2 + gap for a2, b2 in self.spans.get(p.id, ()) if not (a >= b2 + gap or b + gap <= a2)), default=a)

    def _load_key(self, p: PersonIndex, a: int) -> tuple[int, int, int]:
        k = p.table.index(a)
        wk = p.table.weeks[k]
        return (
            p.week_load[wk] + self.week_used[(p.id, wk)],
            p.day_load[k] + self.day_used[(p.id, k)],
            p.id,
        )

    def _choices(self, s: _Session, a: int, b: int) -> Iterator[tuple[PersonIndex, ...]]:
        """Dynamically feasible pool picks for session ``s`` at [a, b), least loaded first.

        When nothing is feasible, ``self.blamed`` holds the people whose earlier sessions in the option caused it
        and ``self.skip_to`` the earliest start at which a blocking fixed person's obstacle is gone.
        """
        self.blamed = ()
        self.skip_to = 0
        for p in s.people:
            cause = self._dyn_fail(p, a, b)
            if cause:
                self.tally[(p.id, cause)] += 1
                self.blamed = (p.id,)
                self.skip_to = self._clear_after(p, cause, a, b)
                return
        if not s.pool:
            self._tick()
            yield ()
            return
        cands = []
        for m in s.pool:
            if not m.valid_index(s.dur).contains(a):
                continue
            cause = self._dyn_fail(m, a, b)
            if cause:
                self.tally[(m.id, cause)] += 1
                continue
            cands.append((self._load_key(m, a), m))
        if len(cands) < s.k:
            self.tally[(-1 - s.index, "pool")] += 1
            self.blamed = tuple(m.id for m in s.pool)
            return
        cands.sort(key=lambda x: x[0])
        for combo in itertools.combinations([m for _, m in cands], s.k):
            self._tick()
            yield combo

    def _tick(self) -> None:
        self.nodes += 1
        if self.nodes > self.budget:
            raise _BudgetExceeded

    def _apply(self, s: _Session, a: int, b: int, picks: tuple[PersonIndex, ...], sign: int) -> None:
        for p in itertools.chain(s.people, picks):
            k = p.table.index(a)
            self.day_used[(p.id, k)] += sign
            self.week_used[(p.id, p.table.weeks[k])] += sign
            if sign > 0:
                self.spans[p.id].append((a, b))
            else:
                self.spans[p.id].remove((a, b))

    # ----------------------------------------------------------------------------------------------- grid
    def _next_in(self, index: SpanIndex, t: int) -> int | None:
        """First grid point ``>= t`` that lies in ``index``."""
        while True:
            p = index.next_point(t)
            if p is None:
                return None
            a = self.cand.align_up(p, self.G)
            if a == p or index.contains(a):
                return a
            t = a

    # ----------------------------------------------------------------------------------------------- back to back
    def _prepare_b2b(self) -> None:
        layout = [(o * 60, e * 60) for o, e in block_layout(self.req)]
        self.layout = layout
        length = layout[-1][1]
        lists: list[Spans] = [valid_starts(self.cand.pieces, length)]
        for s, (off, _) in zip(self.sessions, layout, strict=True):
            if s.group_valid is not None:
                lists.append(shift(s.group_valid, -off))
            if s.pool_valid is not None:
                lists.append(shift(s.pool_valid, -off))
        self.block_starts = SpanIndex(intersect_many(lists))

    def _assign(self, times: list[Span]) -> list[tuple[PersonIndex, ...]] | None:
        """Pool picks for a back-to-back block at fixed times (depth-first, least loaded first).

        Uses the same conflict-directed backjumping as the spread search: when a session cannot be staffed
        because of people used by earlier sessions, only those sessions' picks are reconsidered.
        """
        sessions = self.sessions
        self.level_people = []

        def rec(i: int) -> tuple[list[tuple[PersonIndex, ...]] | None, set[int]]:
            if i == len(sessions):
                return [], set()
            s = sessions[i]
            a, b = times[i]
            conflict: set[int] = set()
            tried = False
            for picks in self._choices(s, a, b):
                tried = True
                self.level_people.append({p.id for p in itertools.chain(s.people, picks)})
                self._apply(s, a, b, picks, 1)
                rest, sub = rec(i + 1)
                self._apply(s, a, b, picks, -1)
                self.level_people.pop()
                if rest is not None:
                    return [picks, *rest], set()
                if i not in sub:
                    return None, sub
                conflict |= sub - {i}
            if not tried:
                blamed = set(self.blamed)
                conflict |= {j for j, people in enumerate(self.level_people) if people & blamed}
            return None, conflict

        return rec(0)[0]

    def _attempt_b2b(self, t: int) -> Option | None:
        times = [(t + o, t + e) for o, e in self.layout]
        picks = self._assign(times)
        if picks is None:
            return None
        return self._make_option([(s, a, b, p) for s, (a, b), p in zip(self.sessions, times, picks, strict=True)])

    # ----------------------------------------------------------------------------------------------- spread
    def _prepare_spread(self) -> None:
        for s in self.sessions:
            lists: list[Spans] = [valid_starts(self.cand.pieces, s.dur)]
            if s.group_valid is not None:
                lists.append(s.group_valid)
            if s.pool_valid is not None:
                lists.append(s.pool_valid)
            s.valid = SpanIndex(intersect_many(lists))

    def _relaxed(self, i: int, t: int, day_counts: Counter[int], capped: set[int] | None = None) -> int | None:
        """Greedy placement of sessions i.. from ``t`` ignoring load interplay; returns session i's start.

        Earliest-first greedy is exact for this relaxed problem (it stays ahead of any other schedule), and the
        answer is monotone in ``t``: a failure means no later start for session i can work either. Days on which
        the candidate's daily cap turned a start away because of sessions placed earlier go into ``capped``.
        """
        extra: Counter[int] = Counter()
        cap = self.req.max_sessions_per_day
        first = None
        cur = t
        for s in self.sessions[i:]:
            assert s.valid is not None
            while True:
                x = self._next_in(s.valid, cur)
                if x is None:
                    return None
                k = self.cand.day_index(x)
                if day_counts[k] + extra[k] >= cap:
                    if capped is not None and day_counts[k]:
                        capped.add(k)
                    cur = self.cand.next_midnight(x)
                    continue
                break
            extra[k] += 1
            if first is None:
                first = x
            cur = x + s.dur + self.buf
        return first

    def _spread_from(self, i: int, lower: int, day_counts: Counter[int]) -> tuple[list | None, set[int]]:
        """Place sessions i.. in order from ``lower``: ``(placements, set())`` or ``(None, conflict levels)``.

        Depth-first over start times (earliest first) and pool picks (least loaded first), with
        conflict-directed backjumping: a failure reports which earlier sessions could have caused it (by sharing
        a person, or by filling a candidate day), and sessions not in that set are not retried, because moving
        them later only shrinks the choices left for session i. Without this, a person who is at a limit for
        the rest of the window would make the search try every combination of the sessions in between.
        """
        if i == len(self.sessions):
            return [], set()
        s = self.sessions[i]
        conflict: set[int] = set()
        capped: set[int] = set()
        t = lower
        while True:
            self._tick()
            t = self._relaxed(i, t, day_counts, capped)
            if t is None:
                conflict |= {j for j, d in enumerate(self.level_day) if d in capped}
                return None, conflict
            a, b = t, t + s.dur
            k = self.cand.day_index(a)
            day_counts[k] += 1
            self.level_day.append(k)
            self.level_people.append({p.id for p in s.people})
            tried = False
            for picks in self._choices(s, a, b):
                tried = True
                self.level_people[-1] |= {p.id for p in picks}
                self._apply(s, a, b, picks, 1)
                rest, sub = self._spread_from(i + 1, b + self.buf, day_counts)
                self._apply(s, a, b, picks, -1)
                self.level_people[-1] = {p.id for p in s.people}
                if rest is not None:
                    self._pop_level(day_counts, k)
                    return [(s, a, b, picks), *rest], set()
                if i not in sub:  # this session's choice is not to blame: jump back past it
                    self._pop_level(day_counts, k)
                    return None, sub
                conflict |= sub - {i}
            skip = 0
            if not tried:
                conflict |= {j for j, people in enumerate(self.level_people[:-1]) if people & set(self.blamed)}
                skip = self.skip_to
            self._pop_level(day_counts, k)
            t = max(t + self.G, skip)

    def _pop_level(self, day_counts: Counter[int], k: int) -> None:
        day_counts[k] -= 1
        self.level_day.pop()
        self.level_people.pop()

    def _attempt_spread(self, t: int) -> object:
        day_counts: Counter[int] = Counter()
        if self._relaxed(0, t, day_counts) is None:
            return _STOP  # monotone: no later first session can be completed either
        s = self.sessions[0]
        a, b = t, t + s.dur
        k = self.cand.day_index(a)
        day_counts[k] += 1
        self.level_day, self.level_people = [k], [set()]
        for picks in self._choices(s, a, b):
            self.level_people[0] = {p.id for p in itertools.chain(s.people, picks)}
            self._apply(s, a, b, picks, 1)
            rest, _ = self._spread_from(1, b + self.buf, day_counts)
            self._apply(s, a, b, picks, -1)
            if rest is not None:
                return self._make_option([(s, a, b, picks), *rest])
        return None

    # ----------------------------------------------------------------------------------------------- options
    def _make_option(self, placed: list[tuple[_Session, int, int, tuple[PersonIndex, ...]]]) -> Option:
        sessions = tuple(
            PlacedSession(
                session_index=s.index,
                start=from_ts(a),
                end=from_ts(b),
                interviewer_ids=tuple(p.id for p in s.interviewers) + tuple(p.id for p in picks),
                shadow_ids=tuple(p.id for p in s.shadows),
            )
            for s, a, b, picks in placed
        )
        days = {self.cand.day_index(a) for _, a, _, _ in placed}
        idle = 0
        ordered = sorted((a, b) for _, a, b, _ in placed)
        for (a1, b1), (a2, _) in itertools.pairwise(ordered):
            if self.cand.day_index(a2) == self.cand.day_index(a1):
                idle += a2 - b1
        week_counts: Counter[tuple[int, int]] = Counter()
        for s, a, _, picks in placed:
            for p in itertools.chain(s.people, picks):
                week_counts[(p.id, p.table.weeks[p.table.index(a)])] += 1
        totals = [self.persons[pid].week_load[wk] + n for (pid, wk), n in week_counts.items()]
        load_max = max(totals) if totals else 0
        variance = round(pvariance(totals), 6) if len(totals) > 1 else 0.0
        start = ordered[0][0]
        key = (start, len(days), load_max, variance, idle // 60, tuple(ps.interviewer_ids for ps in sessions))
        return Option(
            sessions=sessions,
            days=len(days),
            load_max=load_max,
            load_variance=variance,
            idle_gap_min=idle // 60,
            sort_key=key,
        )

    def _collect(self, first_points: SpanIndex, attempt) -> list[Option]:
        """Walk candidate start times in order and keep a varied set of options.

        Variety rule: option start times are at least ``min_option_gap_min`` apart, and at most
        ``max_options_per_day`` options start on the same candidate-local day. The per-day cap is lifted (in a
        second pass, earliest first) only if the whole window does not give enough options otherwise.
        """
        req = self.req
        wanted = req.options_wanted
        gap = max(req.min_option_gap_min * 60, self.G)
        cand = self.cand
        accepted: list[Option] = []
        per_day: Counter[int] = Counter()
        skipped_days = False

        def day_full(t: int) -> int | None:
            """First pass: a candidate-local day that has its share of options is skipped to its end."""
            nonlocal skipped_days
            if per_day[cand.day_index(t)] >= req.max_options_per_day:
                skipped_days = True
                return cand.next_midnight(t)
            return None

        def too_close(t: int) -> int | None:
            """Second pass (no cap per day): a start too near an option already kept moves past it."""
            clash = [o for o in accepted if abs(_ts(o) - t) < gap]
            return max(_ts(o) for o in clash) + gap if clash else None

        def sweep(skip_to) -> None:
            """One walk over the start times; `skip_to(t)` says where to go on when t may not be used."""
            t = cand.align_up(self.window[0], self.G)
            while len(accepted) < wanted:
                t = self._next_in(first_points, t)
                if t is None:
                    break
                resume = skip_to(t)
                if resume is not None:
                    t = resume
                    continue
                opt = attempt(t)
                if opt is _STOP:
                    break
                if opt is None:
                    t += self.G
                    continue
                accepted.append(opt)
                per_day[cand.day_index(t)] += 1
                t += gap

        sweep(day_full)
        if len(accepted) < wanted and skipped_days:
            sweep(too_close)
        accepted.sort(key=lambda o: o.sort_key)
        return accepted

    def run(self) -> FindResult:
        from .diagnose import explain  # local import: diagnose imports this module's helpers

        options: list[Option] = []
        try:
            if self.req.arrangement == "back_to_back":
                self._prepare_b2b()
                assert self.block_starts is not None
                options = self._collect(self.block_starts, self._attempt_b2b)
            else:
                self._prepare_spread()
                first = self.sessions[0].valid
                assert first is not None
                options = self._collect(first, self._attempt_spread)
        except _BudgetExceeded:
            self.budget_hit = True
        reasons = explain(self, options)
        return FindResult(options=options, reasons=reasons)


def _ts(o: Option) -> int:
    return int(o.sort_key[0])


def find_options(
    request: LoopRequest, calendars: CalendarsArg, *, node_budget: int = DEFAULT_NODE_BUDGET
) -> FindResult:
    """Propose up to ``request.options_wanted`` options for the loop, best first, or reasons why not.

    Raises :class:`~coordinator.scheduling.validation.PlanError` for a malformed request.
    """
    cal_map = as_calendar_map(calendars)
    validate_request(request, cal_map)
    return Search(request, cal_map, node_budget).run()
