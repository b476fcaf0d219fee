"""The search: proposes the best few times for a loop, or explains why there are none.

How it works (all on integer seconds, see :mod:`.context`):

1. Each participant's free time (working hours minus busy blocks widened by their buffers) is computed once
   with a sweep; for each session length this becomes the set of *valid start times* for that person, minus the
   local days on which their daily or weekly limit is already reached.
2. A session's valid starts are the intersection over its fixed interviewers and shadows (a panel needs them
   all at once), with the candidate's windows, and with the times at which at least ``pool_count`` pool
   members are free.
3. back_to_back: the block layout (offsets of each session, long break included) is fixed, so the valid block
   starts are the intersection of every session's valid starts shifted by its offset, of the candidate's windows
   for each stretch between long breaks (the long breaks themselves may fall outside the windows), and of the
   rule that every session starts on the block's candidate-local day. spread: start times are searched session
   by session, earliest first, pruned by a relaxed greedy check that is monotone (if the remaining sessions
   cannot be placed from time t, they cannot from any later time either).
4. Staffing at fixed times is a complete search: every combination of pool members is reachable, with
   conflict-directed backjumping (a dead end is traced back to the sessions that share the blocking person, and
   only those are retried, with *all* their other pool picks). Among the staffings at the same times, a
   branch-and-bound search keeps the fairest (see :func:`fairness_key`).

The cost is dominated by step 1 and grows linearly with the number of busy blocks; steps 2-4 use bisect on the
prepared lists. ``node_budget`` bounds the combinations tried; when it runs out the result says so
(``FindResult.exhausted``) and the caller must not claim that nothing fits.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import pvariance

from .context import CandidateIndex, PersonIndex
from .intervals import (
    Span,
    SpanIndex,
    Spans,
    at_least_k,
    from_ts,
    intersect,
    intersect_many,
    shift,
    ts_ceil,
    ts_floor,
    valid_starts,
)
from .models import FindResult, LoopRequest, Option, PlacedSession, SessionSpec
from .validation import CalendarsArg, as_calendar_map, validate_request

__all__ = ["DEFAULT_NODE_BUDGET", "block_layout", "fairness_key", "find_options"]

DEFAULT_NODE_BUDGET = 200_000
"""Upper bound on staffing and start-time combinations per search; a pathological request stops, never hangs."""

FAIRNESS_NODE_BUDGET = 5_000
"""Per option: combinations the fairness search may try after a first staffing is found (keeps the best so far)."""

_STOP = object()


class _BudgetExceeded(Exception):
    pass


def fairness_key(loads: Sequence[int]) -> tuple[int, ...]:
    """Ranks staffings at the same times: the sorted load vector, highest first; smaller tuples are fairer.

    ``loads`` holds, for each participant and each ISO week (their zone) the option touches, their interviews
    that week including the option. Comparing the descending vectors puts the lowest maximum first, then the
    fewest people at that maximum, and so on down: the most even spread.
    """
    return tuple(sorted(loads, reverse=True))


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
    ids: frozenset[int] = frozenset()  # everyone who could sit in it


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


def stretches(request: LoopRequest) -> list[tuple[int, int]]:
    """The (start, end) minute offsets of the continuous stretches of a back-to-back block.

    A stretch runs from a session after a long break (or the first) to the end of the last session before the
    next long break; the short gaps inside it must lie in the candidate's windows, the long breaks need not.
    """
    out: list[tuple[int, int]] = []
    prev_end = None
    for a, b in block_layout(request):
        if prev_end is not None and a - prev_end == request.buffer_min:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
        prev_end = b
    return out


class Search:
    """One search over one request. Holds the compiled calendars and the state of the option being built."""

    def __init__(
        self,
        request: LoopRequest,
        cal_map: dict,
        node_budget: int = DEFAULT_NODE_BUDGET,
        person_cache: dict | None = None,
    ) -> None:
        self.req = request
        self.cal_map = cal_map
        self.window_dt = (request.window_start, request.window_end)
        self.window: Span = (ts_ceil(request.window_start), ts_floor(request.window_end))
        self.G = request.granularity_min * 60
        self.buf = request.buffer_min * 60
        self.cand = CandidateIndex(request.candidate, self.window, self.window_dt)
        ids = {pid for s in request.sessions for pid in s.all_person_ids}
        # Compiled calendars can be shared between searches over the same window (the reasons re-run the search
        # with one constraint relaxed): keyed by the calendar object itself, which is frozen.
        cache = person_cache if person_cache is not None else {}
        self.person_cache = cache
        self.persons: dict[int, PersonIndex] = {}
        for pid in sorted(ids):
            cal = cal_map[pid]
            key = (id(cal), self.window)
            hit = cache.get(key)
            if hit is None or hit[0] is not cal:
                hit = cache[key] = (cal, PersonIndex(cal, self.window, self.window_dt))
            self.persons[pid] = hit[1]
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
            s.ids = frozenset(spec.all_person_ids)
            if s.people:
                s.group_valid = intersect_many([p.valid(s.dur) for p in s.people])
            if s.pool:
                s.pool_valid = at_least_k([m.valid(s.dur) for m in s.pool], s.k)
            self.sessions.append(s)
        self.seats = [len(s.people) + s.k for s in self.sessions]
        self.component = _components(self.sessions)
        # state of the option under construction
        self.spans: dict[int, list[Span]] = defaultdict(list)
        self.day_used: Counter[tuple[int, int]] = Counter()
        self.week_used: Counter[tuple[int, int]] = Counter()
        self.tally: Counter[tuple[int, str]] = Counter()
        self.nodes = 0
        self.budget = node_budget
        self.budget_hit = False
        self.block_starts: SpanIndex | None = None
        self.layout: list[Span] = []

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

    def _load(self, p: PersonIndex, a: int) -> tuple[int, int, int]:
        k = p.table.index(a)
        wk = p.table.weeks[k]
        return (
            p.week_load[wk] + self.week_used[(p.id, wk)],
            p.day_load[k] + self.day_used[(p.id, k)],
            p.id,
        )

    def _tick(self) -> None:
        self.nodes += 1
        if self.nodes > self.budget:
            raise _BudgetExceeded

    def _apply(self, people, a: int, b: int, sign: int) -> None:
        for p in people:
            k = p.table.index(a)
            self.day_used[(p.id, k)] += sign
            self.week_used[(p.id, p.table.weeks[k])] += sign
            if sign > 0:
                self.spans[p.id].append((a, b))
            else:
                self.spans[p.id].remove((a, b))

    # ----------------------------------------------------------------------------------------------- staffing
    def _members(self, s: _Session, a: int, b: int) -> tuple[list[PersonIndex], list[int]] | None:
        """Pool members who can still take [a, b) (least loaded first), and the ids that were turned away.

        None when a fixed person of the session cannot; the blocking id is then in ``self.blocked``.
        """
        for p in s.people:
            cause = self._dyn_fail(p, a, b)
            if cause:
                self.tally[(p.id, cause)] += 1
                self.blocked = p.id
                return None
        members: list[tuple[tuple[int, int, int], PersonIndex]] = []
        refused: list[int] = []
        for m in s.pool:
            if not m.valid_index(s.dur).contains(a):
                continue
            cause = self._dyn_fail(m, a, b)
            if cause:
                self.tally[(m.id, cause)] += 1
                refused.append(m.id)
                continue
            members.append((self._load(m, a), m))
        members.sort(key=lambda x: x[0])
        if len(members) < s.k:
            self.tally[(-1 - s.index, "pool")] += 1
        return [m for _, m in members], refused

    def staff(self, times: Sequence[Span]) -> list[tuple[PersonIndex, ...]] | None:
        """Pool picks for sessions 0..len(times)-1 at the given times, or None if no staffing exists.

        Complete: a depth-first search over every combination of pool members, with conflict-directed
        backjumping. A session that cannot be staffed blames the earlier sessions holding a person it needed
        (a fixed person, or a pool member turned away because of them); only those are retried, each with all
        of its remaining combinations, so no staffing is ever skipped.
        """
        n = len(times)
        sessions = self.sessions
        holders: list[set[int]] = []

        def blame(pid: int) -> set[int]:
            return {j for j, ids in enumerate(holders) if pid in ids}

        def rec(i: int) -> tuple[list | None, set[int]]:
            if i == n:
                return [], set()
            s = sessions[i]
            a, b = times[i]
            got = self._members(s, a, b)
            if got is None:
                return None, blame(self.blocked)
            members, refused = got
            conflict: set[int] = set()
            for pid in refused:
                conflict |= blame(pid)
            if len(members) < s.k:
                return None, conflict
            fixed_ids = {p.id for p in s.people}
            self._apply(s.people, a, b, 1)
            try:
                for combo in itertools.combinations(members, s.k):
                    self._tick()
                    holders.append(fixed_ids | {m.id for m in combo})
                    self._apply(combo, a, b, 1)
                    rest, sub = rec(i + 1)
                    self._apply(combo, a, b, -1)
                    holders.pop()
                    if rest is not None:
                        return [combo, *rest], set()
                    if i not in sub:  # this session's choice is not to blame: jump back past it
                        return None, sub
                    conflict |= sub - {i}
            finally:
                self._apply(s.people, a, b, -1)
            return None, conflict

        return rec(0)[0]

    def _loads(self, placed: Sequence[tuple[_Session, int, tuple[PersonIndex, ...]]]) -> list[int]:
        counts: Counter[tuple[int, int]] = Counter()
        for s, a, picks in placed:
            for p in itertools.chain(s.people, picks):
                counts[(p.id, p.table.weeks[p.table.index(a)])] += 1
        return [self.persons[pid].week_load[wk] + c for (pid, wk), c in counts.items()]

    def fairest(self, times: Sequence[Span], first: list[tuple[PersonIndex, ...]]) -> list[tuple[PersonIndex, ...]]:
        """The fairest staffing at ``times`` (see :func:`fairness_key`), starting from a known one.

        Branch and bound: a partial staffing's key with one extra interview of load 1 per seat still to fill is a
        lower bound on every completion (adding a person or a session never makes the sorted vector smaller), so
        branches that cannot beat the best so far are cut. Ties keep the staffing found first (least loaded
        first). Bounded by ``FAIRNESS_NODE_BUDGET``; the best so far is kept when it runs out.
        """
        n = len(times)
        sessions = self.sessions
        best_key = fairness_key(self._loads([(s, a, p) for s, (a, _), p in zip(sessions, times, first, strict=True)]))
        best = list(first)
        remaining = [sum(self.seats[i:n]) for i in range(n + 1)]
        counts: Counter[tuple[int, int]] = Counter()
        chosen: list[tuple[PersonIndex, ...]] = []
        nodes = 0

        def current(extra: int) -> tuple[int, ...]:
            loads = [self.persons[pid].week_load[wk] + c for (pid, wk), c in counts.items() if c]
            return fairness_key(loads + [1] * extra)

        def add(people, a: int, sign: int) -> None:
            for p in people:
                counts[(p.id, p.table.weeks[p.table.index(a)])] += sign

        def rec(i: int) -> None:
            nonlocal best_key, best, nodes
            if current(remaining[i]) >= best_key:
                return
            if i == n:
                best_key, best = current(0), list(chosen)
                return
            s = sessions[i]
            a, b = times[i]
            got = self._members(s, a, b)
            if got is None or len(got[0]) < s.k:
                return
            self._apply(s.people, a, b, 1)
            add(s.people, a, 1)
            try:
                for combo in itertools.combinations(got[0], s.k):
                    nodes += 1
                    if nodes > FAIRNESS_NODE_BUDGET:
                        return
                    self._apply(combo, a, b, 1)
                    add(combo, a, 1)
                    chosen.append(combo)
                    rec(i + 1)
                    chosen.pop()
                    add(combo, a, -1)
                    self._apply(combo, a, b, -1)
            finally:
                add(s.people, a, -1)
                self._apply(s.people, a, b, -1)

        rec(0)
        return best

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
    def candidate_block_starts(self) -> Spans:
        """Block starts the candidate allows: each stretch inside their windows, every session starting on the
        block's first candidate-local day (a session may run past midnight when the windows allow it)."""
        lists: list[Spans] = [
            shift(valid_starts(self.cand.windows, (e - a) * 60), -a * 60) for a, e in stretches(self.req)
        ]
        last_off = self.layout[-1][0]
        table = self.cand.table
        same_day = [
            (table.bounds[k], table.bounds[k + 1] - last_off)
            for k in range(len(table.dates))
            if table.bounds[k + 1] - last_off > table.bounds[k]
        ]
        lists.append(intersect(same_day, [self.window]))
        return intersect_many(lists)

    def _prepare_b2b(self) -> None:
        self.layout = [(o * 60, e * 60) for o, e in block_layout(self.req)]
        lists: list[Spans] = [self.candidate_block_starts()]
        for s, (off, _) in zip(self.sessions, self.layout, strict=True):
            if s.group_valid is not None:
                lists.append(shift(s.group_valid, -off))
            if s.pool_valid is not None:
                lists.append(shift(s.pool_valid, -off))
        self.block_starts = SpanIndex(intersect_many(lists))

    def _attempt_b2b(self, t: int) -> Option | None:
        times = [(t + o, t + e) for o, e in self.layout]
        picks = self.staff(times)
        if picks is None:
            return None
        picks = self.fairest(times, picks)
        return self._make_option([(s, a, b, p) for s, (a, b), p in zip(self.sessions, times, picks, strict=True)])

    # ----------------------------------------------------------------------------------------------- spread
    def _prepare_spread(self) -> None:
        for s in self.sessions:
            lists: list[Spans] = [valid_starts(self.cand.windows, s.dur)]
            if s.group_valid is not None:
                lists.append(s.group_valid)
            if s.pool_valid is not None:
                lists.append(s.pool_valid)
            s.valid = SpanIndex(intersect_many(lists))

    def _relaxed(self, i: int, t: int, day_counts: Counter[int]) -> int | None:
        """Greedy placement of sessions i.. from ``t`` ignoring staffing interplay; returns session i's start.

        Earliest-first greedy is exact for this relaxed problem (it stays ahead of any other schedule), and the
        answer is monotone in ``t``: a failure means no later start for session i can work either.
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
                    cur = self.cand.next_midnight(x)
                    continue
                break
            extra[k] += 1
            if first is None:
                first = x
            cur = x + s.dur + self.buf
        return first

    def _fixed_skip(self, i: int, times: Sequence[Span]) -> int:
        """0, or a start before which session i cannot begin whatever the pool picks of earlier sessions are.

        Only the fixed people of sessions 0..i-1 are counted: they are in every staffing, and loads only grow.
        """
        s = self.sessions[i]
        a, b = times[i]
        for j in range(i):
            self._apply(self.sessions[j].people, *times[j], 1)
        try:
            for p in s.people:
                cause = self._dyn_fail(p, a, b)
                if cause:
                    return self._clear_after(p, cause, a, b)
            return 0
        finally:
            for j in range(i):
                self._apply(self.sessions[j].people, *times[j], -1)

    def _spread_times(self, i: int, lower: int, times: list[Span], day_counts: Counter[int]) -> list[Span] | None:
        """Start times for sessions i.. from ``lower``, earliest first (lexicographically), or None.

        Each prefix is kept only if some staffing of it exists. When the sessions after i cannot be placed,
        session i is retried later only if it could matter to them: moving it later only raises their lower
        bound and uses a later day, so unless it shares a person (directly or through other sessions) with
        them, no later time for it can help.
        """
        n = len(self.sessions)
        s = self.sessions[i]
        cur = lower
        while True:
            self._tick()
            x = self._relaxed(i, cur, day_counts)
            if x is None or (i == 0 and x != lower):
                return None
            times.append((x, x + s.dur))
            skip = self._fixed_skip(i, times) if s.people and i else 0
            ok = not skip and self.staff(times) is not None
            if ok:
                if i == n - 1:
                    return list(times)
                k = self.cand.day_index(x)
                day_counts[k] += 1
                rest = self._spread_times(i + 1, x + s.dur + self.buf, times, day_counts)
                day_counts[k] -= 1
                if rest is not None:
                    times.pop()
                    return rest
                if i == 0 or not any(self.component[i] == self.component[j] for j in range(i + 1, n)):
                    times.pop()
                    return None
            times.pop()
            cur = max(x + self.G, skip)

    def _attempt_spread(self, t: int) -> object:
        day_counts: Counter[int] = Counter()
        if self._relaxed(0, t, day_counts) is None:
            return _STOP  # monotone: no later first session can be completed either
        times = self._spread_times(0, t, [], day_counts)
        if times is None:
            return None
        picks = self.staff(times)
        assert picks is not None
        picks = self.fairest(times, picks)
        return self._make_option([(s, a, b, p) for s, (a, b), p in zip(self.sessions, times, picks, strict=True)])

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
        totals = self._loads([(s, a, picks) for s, a, _, picks in placed])
        fair = fairness_key(totals)
        load_max = fair[0] if fair else 0
        variance = round(pvariance(totals), 6) if len(totals) > 1 else 0.0
        start = ordered[0][0]
        key = (start, len(days), fair, idle // 60, tuple(ps.interviewer_ids for ps in sessions))
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

    def run(self, explain_reasons: bool = True) -> FindResult:
        """Search; with ``explain_reasons`` an empty (or thin) answer comes with verified reasons."""
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
        reasons = explain(self, options) if explain_reasons else []
        return FindResult(
            options=options, reasons=reasons, combinations=min(self.nodes, self.budget), exhausted=self.budget_hit
        )


def _components(sessions: Sequence[_Session]) -> list[int]:
    """Connected components of the sessions under "could share a person" (fixed, pool or shadow)."""
    comp = list(range(len(sessions)))

    def root(i: int) -> int:
        while comp[i] != i:
            i = comp[i]
        return i

    for i, j in itertools.combinations(range(len(sessions)), 2):
        if sessions[i].ids & sessions[j].ids:
            comp[root(i)] = root(j)
    return [root(i) for i in range(len(sessions))]


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
