"""Keeps only true reasons: each one is checked by relaxing exactly the constraint it names and searching again.

A reason is shown when its relaxation alone makes the loop fit. A few one-change probes the heuristics of
:mod:`.diagnose` may miss are tried as well (the candidate's windows; the limits and buffers of people who could
sit in two sessions or are at a limit; the spread arrangement's daily cap; a finer grid). A reason that names the
grid is only shown when a finer grid (5 minutes, or 1 when the grid already is 5) finds a time. When no single
relaxation works, the answer says that several constraints combine and names a smallest set found (greedily)
whose joint relaxation makes the loop fit, or says plainly that even all of them together would not.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import TYPE_CHECKING

from .models import Reason
from .text import duration, join_names, plural

if TYPE_CHECKING:
    from .engine import Search

__all__ = ["MAX_PROBES", "PROBES_NODE_BUDGET", "PROBE_NODE_BUDGET", "true_reasons"]

PROBE_NODE_BUDGET = 20_000
"""Combinations one verification search may try; a probe that runs out proves nothing and its reason is dropped."""

MAX_PROBES = 40
"""Verification searches per explanation (keeps an infeasible answer fast; later probes are skipped)."""

PROBES_NODE_BUDGET = 100_000
"""Combinations all verification searches of one explanation may try together."""

Relax = tuple
BIG = 10**6
ALL_DAY = {d: ((time(0), time(23, 59, 59)),) for d in range(7)}


def _session_of(search: Search, message: str) -> int | None:
    for s in search.sessions:
        title = f"'{s.spec.title}'" if s.spec.title else f"session {s.index + 1}"
        if title in message:
            return s.index
    return None


def relaxation(search: Search, reason: Reason) -> Relax | None:
    """The one constraint a reason blames, as a relaxation the search can be re-run with (None: not testable)."""
    code, pid = reason.code, reason.person_id
    by_person = {
        "no_working_hours": "hours",
        "not_free": "busy",
        "weekly_limit": "week",
        "daily_limit": "day",
        "day_limit": "day",
        "week_limit": "week",
        "loop_gap": "buffers",
    }
    if code in by_person and pid is not None:
        return (by_person[code], pid)
    if code in ("candidate_unavailable", "candidate_window_short", "outside_candidate"):
        return ("windows",) if search.req.candidate.windows is not None else None
    if code == "off_grid":
        return ("grid",)
    if code == "no_common_block" and search.req.arrangement == "spread":
        return ("cap",)
    if code == "hint":
        return ("arrangement",)
    i = _session_of(search, reason.message)
    if i is None:
        return None
    if code == "sticking_point":
        return ("drop", i) if len(search.sessions) > 1 else None
    if code == "panel_not_free" and "working hours in common" in reason.message:
        return ("panelhours", i)
    if code in ("panel_not_free", "session_not_free"):
        return ("busy", pid) if pid is not None else ("panel", i)
    if code in ("pool_unavailable", "pool_exhausted"):
        return ("pool", i)
    return None


def describe(search: Search, rx: Relax) -> str:
    """Names the constraint a relaxation lifts, for the "several constraints combine" message."""
    kind = rx[0]
    if kind == "windows":
        return "the candidate's available times"
    if kind == "cap":
        return f"at most {plural(search.req.max_sessions_per_day, 'session')} a day"
    if kind == "grid":
        return f"the {search.req.granularity_min}-minute grid"
    if kind == "arrangement":
        return "the back-to-back arrangement"
    if kind in ("drop", "pool", "panel", "panelhours"):
        s = search.sessions[rx[1]]
        title = f"'{s.spec.title}'" if s.spec.title else f"session {s.index + 1}"
        return {
            "drop": f"session {title}",
            "pool": f"the pool of {title}",
            "panel": f"the panel of {title}",
            "panelhours": f"the working hours of the panel of {title}",
        }[kind]
    p = search.persons[rx[1]]
    return {
        "day": f"{p.name}'s daily limit of {plural(p.max_day, 'interview')}",
        "week": f"{p.name}'s weekly limit of {plural(p.max_week, 'interview')}",
        "buffers": f"{p.name}'s buffers",
        "busy": f"{p.name}'s busy time",
        "hours": f"{p.name}'s working hours",
    }[kind]


def _finer(search: Search) -> int:
    return 5 if search.req.granularity_min > 5 else 1


def _relaxed_inputs(search: Search, relaxes: list[Relax]):
    req, cals = search.req, dict(search.cal_map)

    def edit(pid: int, **changes: object) -> None:
        cals[pid] = replace(cals[pid], **changes)

    drop: set[int] = set()
    for rx in relaxes:
        kind = rx[0]
        if kind == "windows":
            req = replace(req, candidate=replace(req.candidate, windows=None))
        elif kind == "cap":
            req = replace(req, max_sessions_per_day=len(req.sessions))
        elif kind == "grid":
            req = replace(req, granularity_min=_finer(search))
        elif kind == "arrangement":
            req = replace(req, arrangement="spread", max_sessions_per_day=len(req.sessions))
        elif kind == "drop":
            drop.add(rx[1])
        elif kind == "pool":
            for pid in req.sessions[rx[1]].pool_ids:
                edit(pid, busy=(), busy_spans=(), max_per_day=BIG, max_per_week=BIG)
        elif kind == "panelhours":
            for pid in (*req.sessions[rx[1]].interviewer_ids, *req.sessions[rx[1]].shadow_ids):
                edit(pid, working_hours=ALL_DAY)
        elif kind == "panel":
            for pid in (*req.sessions[rx[1]].interviewer_ids, *req.sessions[rx[1]].shadow_ids):
                edit(pid, busy=(), busy_spans=())
        elif kind == "day":
            edit(rx[1], max_per_day=BIG)
        elif kind == "week":
            edit(rx[1], max_per_week=BIG)
        elif kind == "buffers":
            edit(rx[1], buffer_before_min=0, buffer_after_min=0)
        elif kind == "busy":
            edit(rx[1], busy=(), busy_spans=())
        elif kind == "hours":
            edit(rx[1], working_hours=ALL_DAY)
    if drop:
        req = replace(req, sessions=tuple(s for i, s in enumerate(req.sessions) if i not in drop))
    return replace(req, options_wanted=1), cals


class _Prober:
    def __init__(self, search: Search) -> None:
        self.search = search
        self.done: dict[frozenset, bool | None] = {}
        self.left = PROBES_NODE_BUDGET

    def fits(self, relaxes: list[Relax]) -> bool | None:
        """True if the loop fits with these constraints relaxed, False if it provably does not, None: unknown."""
        key = frozenset(relaxes)
        if key in self.done:
            return self.done[key]
        if len(self.done) >= MAX_PROBES or self.left <= 0:
            return None
        from .engine import Search

        req, cals = _relaxed_inputs(self.search, relaxes)
        probe = Search(req, cals, min(PROBE_NODE_BUDGET, self.left), self.search.person_cache)
        result = probe.run(explain_reasons=False)
        self.left -= result.combinations
        answer = True if result.options else (None if result.exhausted else False)
        self.done[key] = answer
        return answer


def _extra_probes(search: Search) -> list[Relax]:
    """One-change probes worth trying beyond the heuristics' own reasons."""
    out: list[Relax] = []
    if search.req.candidate.windows is not None:
        out.append(("windows",))
    if search.req.arrangement == "spread" and search.req.max_sessions_per_day < len(search.sessions):
        out.append(("cap",))
    seen: dict[int, int] = {}
    for s in search.sessions:
        for pid in s.ids:
            seen[pid] = seen.get(pid, 0) + 1
    tallied = {pid for (pid, _cause), n in search.tally.items() if n and pid >= 0}
    for pid in sorted(seen):
        p = search.persons[pid]
        if seen[pid] < 2 and not p.capped and pid not in tallied:
            continue
        out += [("day", pid), ("week", pid)]
        if p.gap and seen[pid] >= 2:
            out.append(("buffers", pid))
    out.append(("grid",))
    return out


def _probe_message(search: Search, rx: Relax, between: str) -> Reason:
    kind = rx[0]
    if kind == "windows":
        return Reason(
            "candidate_windows",
            f"The candidate's available times are what stands in the way: outside them the loop would fit {between}.",
        )
    if kind == "cap":
        return Reason(
            "spread_cap",
            f"At most {plural(search.req.max_sessions_per_day, 'session')} a day is what stands in the way: with more "
            f"sessions a day the loop would fit {between}.",
        )
    if kind == "grid":
        return Reason(
            "off_grid",
            f"The only times that fit are not on the {search.req.granularity_min}-minute grid; a "
            f"{_finer(search)}-minute grid finds one.",
        )
    p = search.persons[rx[1]]
    if kind == "day":
        return Reason(
            "day_limit",
            f"{p.name}'s daily limit of {plural(p.max_day, 'interview')} is what stands in the way: with a higher "
            f"limit the loop would fit {between}.",
            p.id,
        )
    if kind == "week":
        return Reason(
            "week_limit",
            f"{p.name}'s weekly limit of {plural(p.max_week, 'interview')} is what stands in the way: with a "
            f"higher limit the loop would fit {between}.",
            p.id,
        )
    return Reason(
        "loop_gap",
        f"{p.name} needs {duration(p.gap // 60)} between their own interviews, which is what stands in the way: "
        f"without that buffer the loop would fit {between}.",
        p.id,
    )


def true_reasons(search: Search, proposed: list[Reason], between: str) -> list[Reason]:
    """The proposed reasons that are true on their own, plus one-change probes that are; else the combination."""
    prober = _Prober(search)
    shown: list[Reason] = []
    covered: set[Relax] = set()
    candidates: list[Relax] = []
    for reason in proposed:
        rx = relaxation(search, reason)
        if rx is None:
            continue
        if rx not in candidates:
            candidates.append(rx)
        if rx[0] == "grid":
            continue  # the grid is only ever worded by the probe below, after the finer-grid search
        if prober.fits([rx]):
            shown.append(reason)
            covered.add(rx)
    headline = [r for r in proposed if r.code == "no_common_block" and relaxation(search, r) is None]
    if shown and ("windows",) not in covered and search.req.candidate.windows is not None:
        if prober.fits([("windows",)]):  # the one change a recruiter can usually make: always worth saying
            shown.append(_probe_message(search, ("windows",), between))
    if shown:  # a statement of fact ("no block fits back to back") heads the verified reasons it summarises
        return list(dict.fromkeys(headline + shown))
    for rx in _extra_probes(search):
        if rx in covered:
            continue
        if rx not in candidates:
            candidates.append(rx)
        if prober.fits([rx]):
            shown.append(_probe_message(search, rx, between))
            covered.add(rx)
    if shown:
        return list(dict.fromkeys(shown))
    joint = [rx for rx in candidates if rx[0] not in ("drop", "arrangement")]
    if joint and prober.fits(joint):
        needed = list(joint)
        for rx in list(joint):
            trial = [x for x in needed if x != rx]
            if trial and prober.fits(trial):
                needed = trial
        names = join_names([describe(search, rx) for rx in needed])
        return [
            Reason(
                "combined",
                f"No single change makes the loop fit {between}: several constraints combine to block it ({names}); "
                "relaxing all of them together would let it fit.",
            )
        ]
    names = join_names([describe(search, rx) for rx in joint])
    tail = f" Even relaxing {names} together would not be enough." if joint and prober.fits(joint) is False else ""
    return [Reason("no_fit", f"No time {between} fits all the sessions together.{tail}")]
