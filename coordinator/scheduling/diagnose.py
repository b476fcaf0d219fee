"""Turns a failed (or thin) search into reasons a coordinator can act on, and keeps only the true ones.

The explanation goes from the most specific cause to the most general one and stops at the first level that
finds something, so the coordinator sees the real blocker rather than its consequences:

1. one thing alone is impossible: the candidate's windows, one person (no working hours, no free time, at a
   limit), a pool, or a panel that is never free together;
2. a session cannot happen during the candidate's windows;
3. every session fits alone but not together (back to back: which session is the sticking point; spread: which
   session runs out of window), or only the load limits / buffers inside the loop itself get in the way.

Every reason shown for an empty answer is then *verified* (:mod:`.truth`): the one constraint it names is relaxed
and the search run again; a reason whose relaxation alone does not make the loop fit is not shown. When no single
relaxation works, the answer says that several constraints combine and names them.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING

from .engine import stretches
from .intervals import Spans, intersect, intersect_many, shift, valid_starts
from .models import Option, Reason
from .text import duration, join_names, plural, short_day, window_days, with_weekday

if TYPE_CHECKING:
    from .context import PersonIndex
    from .engine import Search, _Session

__all__ = ["explain"]


def _mins(seconds: int) -> int:
    return seconds // 60


def _title(s: _Session) -> str:
    return f"'{s.spec.title}'" if s.spec.title else f"session {s.index + 1}"


def explain(search: Search, options: list[Option], verify: bool = True) -> list[Reason]:
    req = search.req
    reasons: list[Reason] = []
    if search.budget_hit:
        reasons.append(
            Reason(
                "search_limit",
                f"Searched {min(search.nodes, search.budget):,} combinations; there may be more. Narrow the "
                "window, shorten the pools or use a coarser time grid to search them all.",
            )
        )
    between = window_days(req.window_start, req.window_end, req.candidate.tz)
    if options:
        if len(options) < req.options_wanted:
            reasons.append(
                Reason(
                    "few_options",
                    f"Only {len(options)} of the {req.options_wanted} requested options fit {between} "
                    f"(options start at least {duration(req.min_option_gap_min)} apart).",
                )
            )
        return reasons
    if search.budget_hit:
        return reasons  # an unfinished search proves nothing: no reason may claim that something blocks it
    proposed: list[Reason] = []
    for stage in (_single_causes, _candidate_overlap, _combination):
        proposed = stage(search, between)
        if proposed:
            break
    if not verify:
        return proposed or [Reason("no_fit", f"No time {between} fits all the sessions together.")]
    from .truth import true_reasons  # local import: truth runs searches, which import this module

    return true_reasons(search, proposed, between)


# --------------------------------------------------------------------------------------------- stage 1
def _single_causes(search: Search, between: str) -> list[Reason]:
    out: list[Reason] = []
    out += _candidate_reasons(search, between)
    out += _person_reasons(search, between)
    for s in search.sessions:
        out += _pool_reasons(search, s, between)
        out += _group_reasons(search, s, between)
    return out


def _candidate_reasons(search: Search, between: str) -> list[Reason]:
    cand = search.cand
    has_windows = search.req.candidate.windows is not None
    if not cand.pieces:
        return [Reason("candidate_unavailable", f"The candidate has no available time {between}.")]
    longest = max(e - s for s, e in cand.windows)
    who = "The candidate's windows are" if has_windows else "The window is"
    if search.req.arrangement == "back_to_back":
        length = search.layout[-1][1]
        if not search.candidate_block_starts():
            if longest < length and len(stretches(search.req)) == 1:
                return [
                    Reason(
                        "candidate_window_short",
                        f"{who} all shorter than the {duration(_mins(length))} back-to-back block "
                        f"(the longest {'is' if has_windows else 'day is'} {duration(_mins(longest))}).",
                    )
                ]
            return [
                Reason(
                    "candidate_window_short",
                    f"{who} too short for the {duration(_mins(length))} back-to-back block on every day: each "
                    "stretch between long breaks must lie in one window, with its sessions starting on one day.",
                )
            ]
        return []
    return [
        Reason(
            "candidate_window_short",
            f"{who} all shorter than the {duration(_mins(s.dur))} {_title(s)} session.",
        )
        for s in search.sessions
        if s.dur > longest
    ]


def _person_reasons(search: Search, between: str) -> list[Reason]:
    out: list[Reason] = []
    durations: dict[int, list[int]] = {}
    for s in search.sessions:
        for p in s.people:
            durations.setdefault(p.id, []).append(s.dur)
    for pid, durs in durations.items():
        p = search.persons[pid]
        failing = sorted(d for d in set(durs) if not p.valid(d))
        if failing:
            out += _why_person(p, failing[0], between)
    return out


def _why_person(p: PersonIndex, dur: int, between: str) -> list[Reason]:
    if not p.working:
        return [Reason("no_working_hours", f"{p.name} has no working hours {between}.", p.id)]
    uncapped = valid_starts(p.free, dur)
    if not uncapped:
        return [Reason("not_free", f"{p.name} has no free window of {duration(_mins(dur))} {between}.", p.id)]
    # Free time exists, so the limits are what blocks: name the weeks and days that are full.
    table = p.table
    out: list[Reason] = []
    weeks: dict[int, int] = {}
    days: list[int] = []
    for k in range(len(table.dates)):
        if not intersect(uncapped, [table.day_span(k)]):
            continue
        wk = table.weeks[k]
        if wk in p.capped_weeks:
            weeks.setdefault(wk, k)
        elif p.day_load[k] >= p.max_day:
            days.append(k)
    for k in weeks.values():
        monday = table.dates[k] - timedelta(days=table.dates[k].weekday())
        out.append(
            Reason(
                "weekly_limit",
                f"{p.name} has reached the weekly limit of {plural(p.max_week, 'interview')} "
                f"in the week of {short_day(monday)}.",
                p.id,
            )
        )
    if days:
        listed = join_names([with_weekday(table.dates[k]) for k in days])
        out.append(
            Reason(
                "daily_limit",
                f"{p.name} has reached the daily limit of {plural(p.max_day, 'interview')} on {listed}, "
                "the only days with a free window.",
                p.id,
            )
        )
    return out


def _pool_reasons(search: Search, s: _Session, between: str) -> list[Reason]:
    if not s.pool:
        return []
    free = [m for m in s.pool if m.valid(s.dur)]
    what = f"{duration(_mins(s.dur))} {between}"
    if len(free) < s.k:
        limited = [m for m in s.pool if not m.valid(s.dur) and valid_starts(m.free, s.dur)]
        note = ""
        if limited:
            note = f" ({join_names([m.name for m in limited])} only because of their interview limits)"
        if not free:
            msg = f"Nobody in the pool for {_title(s)} is free for {what}{note}."
        else:
            msg = (
                f"Only {len(free)} of the pool for {_title(s)} {'is' if len(free) == 1 else 'are'} free for "
                f"{what}, and {s.k} are needed{note}."
            )
        return [Reason("pool_unavailable", msg)]
    if not s.pool_valid:
        return [
            Reason(
                "pool_unavailable",
                f"The pool for {_title(s)} never has {s.k} people free at the same time for {what}.",
            )
        ]
    if s.group_valid is not None and s.group_valid and not intersect(s.group_valid, s.pool_valid):
        names = join_names([*(p.name for p in s.people), "the pool"])
        return [
            Reason(
                "session_not_free",
                f"For {_title(s)}, {names} are never free at the same time for {what}.",
            )
        ]
    return []


def _group_reasons(search: Search, s: _Session, between: str) -> list[Reason]:
    people = s.people
    if len(people) < 2 or s.group_valid or any(not p.valid(s.dur) for p in people):
        return []  # nothing to say, or stage 1 already named the individual
    names = join_names([p.name for p in people])
    what = duration(_mins(s.dur))
    common_hours = intersect_many([p.working for p in people])
    if not valid_starts(common_hours, s.dur):
        zones = join_names(sorted({p.table.tz for p in people}))
        return [
            Reason(
                "panel_not_free",
                f"{names} have no {what} of working hours in common {between} ({zones}); {_title(s)} "
                "needs them all at once.",
            )
        ]
    msg = f"{names} are never free together for {what} {between}; {_title(s)} needs them all at once."
    culprits = [p for p in people if intersect_many([q.valid(s.dur) for q in people if q is not p])]
    person_id = None
    if len(culprits) == 1:
        msg += f" Without {culprits[0].name} there would be time."
        person_id = culprits[0].id
    return [Reason("panel_not_free", msg, person_id)]


# --------------------------------------------------------------------------------------------- stage 2
def _session_lists(s: _Session) -> list[Spans]:
    lists: list[Spans] = []
    if s.group_valid is not None:
        lists.append(s.group_valid)
    if s.pool_valid is not None:
        lists.append(s.pool_valid)
    return lists


def _candidate_overlap(search: Search, between: str) -> list[Reason]:
    out: list[Reason] = []
    for s in search.sessions:
        cand_fit = valid_starts(search.cand.pieces, s.dur)
        if intersect_many([cand_fit, *_session_lists(s)]):
            continue
        if s.people:
            who = join_names([p.name for p in s.people])
            verb = "is" if len(s.people) == 1 else "are"
            msg = (
                f"{_title(s)} cannot take place during the candidate's available time: {who} {verb} never "
                f"free then for {duration(_mins(s.dur))} {between}."
            )
        else:
            msg = (
                f"{_title(s)} cannot take place during the candidate's available time: nobody in its pool is "
                f"free then for {duration(_mins(s.dur))} {between}."
            )
        out.append(Reason("outside_candidate", msg, s.people[0].id if len(s.people) == 1 else None))
    return out


# --------------------------------------------------------------------------------------------- stage 3
def _combination(search: Search, between: str) -> list[Reason]:
    req = search.req
    out: list[Reason] = []
    if req.arrangement == "back_to_back" and not search.block_starts:
        length = search.layout[-1][1]
        base = [valid_starts(search.cand.pieces, length)]
        shifted = [
            [shift(lst, -off) for lst in _session_lists(s)]
            for s, (off, _) in zip(search.sessions, search.layout, strict=True)
        ]
        n = len(search.sessions)
        msg = (
            f"Every session fits on its own, but no day {between} has a {duration(_mins(length))} block "
            f"where all {n} sessions fit back to back."
        )
        out.append(Reason("no_common_block", msg))
        for i, s in enumerate(search.sessions):
            others = [lst for j, lists in enumerate(shifted) if j != i for lst in lists]
            if not intersect_many(base + others):
                continue
            detail = f"Without {_title(s)} the rest of the loop would fit"
            person_id = None
            blockers = []
            off = search.layout[i][0]
            for p in s.people:
                rest = [q.valid(s.dur) for q in s.people if q is not p]
                if s.pool_valid is not None:
                    rest.append(s.pool_valid)
                mine = [shift(lst, -off) for lst in rest]
                if intersect_many(base + others + mine):
                    blockers.append(p)
            if len(blockers) == 1:
                detail += f"; {blockers[0].name} is the one who is never free at the right time"
                person_id = blockers[0].id
            elif not blockers and s.pool_valid is not None:
                rest = [shift(s.group_valid, -off)] if s.group_valid is not None else []
                if intersect_many(base + others + rest):
                    detail += "; nobody in its pool is free at the right time"
            out.append(Reason("sticking_point", detail + ".", person_id))
        out.append(Reason("hint", "Try the 'spread' arrangement, a wider window, or different interviewers."))
        return out
    if req.arrangement == "spread":
        failed = _spread_failure(search)
        if failed is not None:
            s, after = failed
            cap = req.max_sessions_per_day
            where = f" after {after}" if after else ""
            out.append(
                Reason(
                    "no_common_block",
                    f"The sessions cannot all be placed in order {between}: {_title(s)} (session {s.index + 1}) "
                    f"has no slot{where} before the window ends, with at most {plural(cap, 'session')} a day.",
                )
            )
            return out
    return _dynamic_reasons(search, between)


def _spread_failure(search: Search) -> tuple[_Session, str] | None:
    counts: Counter[int] = Counter()
    cur = search.cand.align_up(search.window[0], search.G)
    after = ""
    cap = search.req.max_sessions_per_day
    for s in search.sessions:
        assert s.valid is not None
        while True:
            x = search._next_in(s.valid, cur)
            if x is None:
                return s, after
            k = search.cand.day_index(x)
            if counts[k] >= cap:
                cur = search.cand.next_midnight(x)
                continue
            break
        counts[k] += 1
        cur = x + s.dur + search.buf
        after = f"{_title(s)} on {with_weekday(search.cand.table.dates[k])} at the earliest"
    return None


def _dynamic_reasons(search: Search, between: str) -> list[Reason]:
    out: list[Reason] = []
    titles = {-1 - s.index: s for s in search.sessions}
    for (pid, cause), _count in search.tally.most_common(3):
        if cause == "pool":
            s = titles[pid]
            out.append(
                Reason(
                    "pool_exhausted",
                    f"Whenever the other sessions fit, nobody in the pool for {_title(s)} is left who is free "
                    "and within their limits.",
                )
            )
            continue
        p = search.persons[pid]
        if cause == "day":
            msg = (
                f"{p.name} would go over the daily limit of {plural(p.max_day, 'interview')}: at every time that works "
                "for everyone else, this loop would give them too many interviews that day."
            )
        elif cause == "week":
            msg = (
                f"{p.name} would go over the weekly limit of {plural(p.max_week, 'interview')}: at every time "
                "that works for everyone else, this loop would give them too many interviews that week."
            )
        elif cause == "gap":
            msg = (
                f"{p.name} is in more than one session and needs {duration(_mins(p.gap))} between their own "
                "interviews, which the loop does not leave."
            )
        else:
            msg = f"{p.name} would be in two sessions at once."
        out.append(Reason(f"{cause}_limit" if cause in ("day", "week") else f"loop_{cause}", msg, pid))
    if not out and search.req.arrangement == "back_to_back" and search.block_starts:
        out.append(
            Reason(
                "off_grid",
                f"The only times that fit are not on the {search.req.granularity_min}-minute grid; "
                "use a finer granularity.",
            )
        )
    return out
