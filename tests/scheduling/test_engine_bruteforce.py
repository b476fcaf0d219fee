"""The engine against exhaustive search on 100 small random instances.

Each instance is small enough to enumerate every start time and every staffing. The engine's first option must
start exactly when the earliest valid option does, and every option it returns must pass the independent checker
(and the engine's own check_placement, which must see nothing wrong with it).
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

import pytest

from coordinator import timeutil
from coordinator.scheduling import (
    CandidateAvailability,
    Interval,
    InterviewerCalendar,
    LoopRequest,
    SessionSpec,
    check_placement,
    find_options,
    window_from_dates,
)
from tests.scheduling.engine_oracle import brute_force_earliest, check_option

ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Europe/London", "UTC"]
# weeks chosen to include daylight-saving changes: US 8 Mar 2026, EU 29 Mar 2026, US/EU back 1 Nov / 25 Oct 2026
FIRST_DAYS = [date(2026, 3, 9), date(2026, 3, 27), date(2026, 10, 23), date(2026, 11, 2), date(2026, 6, 15)]


def _minutes(rng: random.Random, lo: int, hi: int, step: int = 5) -> int:
    return rng.randrange(lo // step, hi // step + 1) * step


def random_instance(seed: int) -> tuple[LoopRequest, dict[int, InterviewerCalendar]]:
    rng = random.Random(seed)
    first = rng.choice(FIRST_DAYS)
    n_days = rng.choice([2, 3, 3])
    last = first + timedelta(days=n_days - 1)
    ctz = rng.choice(ZONES)
    win_start, win_end = window_from_dates(first, last, ctz)

    people: dict[int, InterviewerCalendar] = {}
    for pid in range(1, rng.randint(3, 5) + 1):
        tz = rng.choice(ZONES)
        start_h = rng.choice([7, 8, 9, 10])
        end_h = start_h + rng.choice([6, 8, 9])
        hours = {d: ((time(start_h), time(end_h)),) for d in range(7) if rng.random() < 0.9}
        if start_h < 12 and end_h > 13 and rng.random() < 0.2:  # a lunch break: two windows on the same day
            hours = {d: ((time(start_h), time(12)), (time(13), time(end_h))) for d in hours}
        busy = []
        interviews = []
        for _ in range(rng.randint(0, 6)):
            d = first + timedelta(days=rng.randrange(n_days))
            at = timeutil.local_to_utc(d, time(rng.randint(6, 18), rng.choice([0, 15, 30, 45])), tz)
            busy.append(Interval(at, at + timedelta(minutes=_minutes(rng, 15, 120))))
        for _ in range(rng.randint(0, 2)):
            d = first + timedelta(days=rng.randrange(-3, n_days + 2))
            at = timeutil.local_to_utc(d, time(rng.randint(8, 16)), tz)
            interviews.append(Interval(at, at + timedelta(minutes=45)))
        people[pid] = InterviewerCalendar(
            pid,
            f"P{pid}",
            tz,
            hours,
            busy=busy,
            interviews=interviews,
            max_per_day=rng.choice([1, 2, 2, 3]),
            max_per_week=rng.choice([3, 5]),
            buffer_before_min=rng.choice([0, 0, 10, 15]),
            buffer_after_min=rng.choice([0, 0, 5, 15]),
        )
    ids = list(people)

    sessions = []
    for i in range(rng.choice([2, 3])):
        kind = rng.choice(["one_on_one", "panel", "practical"])
        duration = rng.choice([30, 45, 60, 90])
        shuffled = rng.sample(ids, len(ids))
        if kind == "panel":
            if rng.random() < 0.5:
                spec = SessionSpec(f"S{i}", kind, duration, tuple(shuffled[:2]))
            else:
                spec = SessionSpec(
                    f"S{i}", kind, duration, (shuffled[0],), tuple(shuffled[1:]), pool_count=rng.choice([1, 2])
                )
        elif kind == "one_on_one" and rng.random() < 0.5:
            spec = SessionSpec(f"S{i}", kind, duration, (shuffled[0],))
        else:
            pool = tuple(shuffled[: rng.randint(2, len(ids))])
            shadows = tuple(x for x in shuffled[len(pool) :][:1]) if rng.random() < 0.3 else ()
            spec = SessionSpec(f"S{i}", kind, duration, (), pool, shadow_ids=shadows, prep_min=15)
        sessions.append(spec)

    windows = None
    if rng.random() < 0.5:
        windows = []
        for _ in range(rng.randint(1, 3)):
            d = first + timedelta(days=rng.randrange(n_days))
            at = timeutil.local_to_utc(d, time(rng.randint(6, 14)), ctz)
            windows.append(Interval(at, at + timedelta(minutes=_minutes(rng, 60, 540, 30))))
    req = LoopRequest(
        sessions=tuple(sessions),
        candidate=CandidateAvailability(ctz, windows),
        window_start=win_start,
        window_end=win_end,
        arrangement=rng.choice(["back_to_back", "spread"]),
        buffer_min=rng.choice([0, 10, 15]),
        max_continuous_min=rng.choice([60, 120, 180]),
        long_break_min=30,
        granularity_min=rng.choice([15, 30]),
        max_sessions_per_day=rng.choice([1, 2, 2]),
    )
    return req, people


@pytest.mark.parametrize("seed", range(100))
def test_engine_matches_brute_force(seed: int) -> None:
    req, cals = random_instance(seed)
    result = find_options(req, cals)
    assert not any(r.code == "search_limit" for r in result.reasons)
    for option in result.options:
        assert check_option(req, cals, option) == [], option
        placement = check_placement(option.sessions, req, cals)
        assert placement.ok, (placement, option)
    earliest = brute_force_earliest(req, cals)
    first = result.options[0].start if result.options else None
    assert first == earliest
    if not result.options:
        assert result.reasons, "an empty answer must say why"
    starts = [o.start for o in result.options]
    assert starts == sorted(starts)
    gaps = [(b - a) for a, b in zip(starts, starts[1:], strict=False)]
    assert all(g >= timedelta(minutes=req.min_option_gap_min) for g in gaps)


def test_instances_are_not_trivial() -> None:
    """Guard against a generator drift that would make the comparison vacuous."""
    found = sum(bool(find_options(*random_instance(seed)).options) for seed in range(100))
    assert 25 <= found <= 90
